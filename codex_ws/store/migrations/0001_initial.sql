-- Accounts, exercises with their test cases, submissions, and the history of runs.

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL,
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('student', 'teacher')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE exercises (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug         text NOT NULL UNIQUE,
    title        text NOT NULL,
    difficulty   text NOT NULL CHECK (difficulty IN ('easy', 'medium', 'hard')),
    summary      text NOT NULL DEFAULT '',
    description  text NOT NULL DEFAULT '',
    starter_code jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE test_cases (
    exercise_id     uuid NOT NULL REFERENCES exercises (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    input           text NOT NULL,
    expected_output text NOT NULL,
    hidden          boolean NOT NULL DEFAULT false,
    PRIMARY KEY (exercise_id, position)
);

CREATE TABLE submissions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    exercise_id  uuid NOT NULL REFERENCES exercises (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    language     text NOT NULL,
    code         text NOT NULL,
    status       text NOT NULL,
    passed       boolean NOT NULL,
    passed_count integer NOT NULL,
    total        integer NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX submissions_user_exercise ON submissions (user_id, exercise_id) WHERE passed;

CREATE TABLE executions (
    id          uuid PRIMARY KEY,
    user_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    source      text NOT NULL CHECK (source IN ('rest', 'ws')),
    language    text NOT NULL,
    code        text NOT NULL,
    status      text NOT NULL,
    exit_code   integer,
    signal      text,
    timed_out   boolean NOT NULL DEFAULT false,
    truncated   boolean NOT NULL DEFAULT false,
    duration_ms integer NOT NULL DEFAULT 0,
    output      text NOT NULL DEFAULT '',
    error       text NOT NULL DEFAULT '',
    client_ip   text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX executions_user_recent ON executions (user_id, created_at DESC);

-- Live WebSocket sessions: who ran what, how it ended, and a capped transcript for later.

CREATE TABLE sessions (
    id         uuid PRIMARY KEY,
    user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    user_name  text NOT NULL,
    language   text NOT NULL,
    code       text NOT NULL,
    state      text NOT NULL CHECK (state IN ('running', 'finished', 'aborted')),
    status     text,
    owner      text NOT NULL,
    transcript jsonb NOT NULL DEFAULT '[]'::jsonb,
    started_at timestamptz NOT NULL DEFAULT now(),
    ended_at   timestamptz
);
CREATE INDEX sessions_recent ON sessions (started_at DESC);
CREATE INDEX sessions_user_recent ON sessions (user_id, started_at DESC);
CREATE INDEX sessions_running ON sessions (owner) WHERE state = 'running';

-- Classes: their teachers, their students (each membership a period, from joining to leaving),
-- and the exercises assigned to them. Admins see everything.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('student', 'teacher', 'admin'));

CREATE TABLE classes (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL,
    join_code  text NOT NULL UNIQUE,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE class_teachers (
    class_id uuid NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (class_id, user_id)
);
CREATE INDEX class_teachers_user ON class_teachers (user_id);

-- A student who leaves and joins again has two periods; a teacher sees what they did in each.
CREATE TABLE class_members (
    class_id  uuid NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    left_at   timestamptz,
    PRIMARY KEY (class_id, user_id, joined_at)
);
CREATE UNIQUE INDEX class_members_current ON class_members (class_id, user_id) WHERE left_at IS NULL;
CREATE INDEX class_members_user ON class_members (user_id);

CREATE TABLE class_exercises (
    class_id    uuid NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    exercise_id uuid NOT NULL REFERENCES exercises (id) ON DELETE CASCADE,
    due_at      timestamptz,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (class_id, exercise_id)
);

CREATE INDEX submissions_user_recent ON submissions (user_id, created_at DESC);

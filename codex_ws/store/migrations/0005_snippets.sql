-- Share links: a copy of some code, immutable once made, opened at /s/<id>.

CREATE TABLE snippets (
    id         text PRIMARY KEY,
    language   text NOT NULL,
    code       text NOT NULL,
    user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    client_ip  text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX snippets_user_recent ON snippets (user_id, created_at DESC);

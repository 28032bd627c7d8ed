-- Revocable tokens: a per-account token generation (a password change moves to the next one,
-- so every earlier token stops working) and the tokens signed out one by one, kept until they
-- would have expired anyway.

ALTER TABLE users ADD COLUMN token_generation integer NOT NULL DEFAULT 0;

CREATE TABLE revoked_tokens (
    jti        text PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

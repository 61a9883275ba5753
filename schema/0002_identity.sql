-- 0002_identity: users and their refresh tokens.
--
-- Emails are stored trimmed and lower-cased by the identity service, and the
-- unique index on lower(email) makes "Ada@X.org" and "ada@x.org" one address
-- whatever writes the row. The password hash is libsodium's Argon2id string.
--
-- A refresh token is stored only as the hex BLAKE2b-256 of its text. Tokens
-- issued by one login share a family_id; each refresh consumes its token
-- (used_at, replaced_by) and inserts the next one of the same family. A token
-- presented after it was consumed (past a short grace window) revokes its
-- whole family: someone replayed a stolen token.

CREATE TABLE users (
    id             uuid        PRIMARY KEY,
    email          text        NOT NULL CHECK (length (email) BETWEEN 3 AND 254),
    first_name     text        NOT NULL CHECK (length (first_name) BETWEEN 1 AND 100),
    last_name      text        NOT NULL CHECK (length (last_name) BETWEEN 1 AND 100),
    password_hash  text        NOT NULL,
    role           text        NOT NULL DEFAULT 'User' CHECK (role IN ('User', 'Admin')),
    status         text        NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Suspended')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_email_unique ON users (lower (email));

CREATE TABLE refresh_tokens (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash   text        NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id    uuid        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,                             -- consumed by a refresh
    replaced_by  uuid        REFERENCES refresh_tokens (id),
    revoked_at   timestamptz,                             -- logout or reuse detected
    CHECK (expires_at > created_at)
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

-- 0003_accounts: the event store and the account read models.
--
-- `events` is the source of truth and append only (a trigger refuses UPDATE
-- and DELETE); (stream_id, version) is the optimistic-concurrency guard: a
-- stale writer's insert collides and its batch rolls back. Everything else
-- here is derived and written in the same transaction as the events.

CREATE TABLE events (
    stream_id        uuid        NOT NULL,
    version          bigint      NOT NULL CHECK (version >= 1),
    type             text        NOT NULL,
    data             jsonb       NOT NULL,
    metadata         jsonb       NOT NULL DEFAULT '{}',
    occurred_at      timestamptz NOT NULL,
    global_position  bigserial   NOT NULL UNIQUE,
    PRIMARY KEY (stream_id, version)
);

CREATE FUNCTION wf_events_append_only () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append only';
END
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION wf_events_append_only ();

-- The state of a stream after `version` events, taken every K events.
CREATE TABLE snapshots (
    stream_id  uuid        PRIMARY KEY,
    version    bigint      NOT NULL,
    state      jsonb       NOT NULL,
    taken_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
    id          uuid        PRIMARY KEY,
    owner_id    uuid        NOT NULL,
    number      text        NOT NULL UNIQUE,
    currency    char(3)     NOT NULL,
    balance     bigint      NOT NULL CHECK (balance >= 0),
    status      text        NOT NULL,
    version     bigint      NOT NULL,
    is_default  boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE INDEX accounts_owner ON accounts (owner_id, created_at);
-- Exactly one default wallet per user, whatever is redelivered.
CREATE UNIQUE INDEX accounts_one_default ON accounts (owner_id) WHERE is_default;

-- History rows, newest first by seq; a transfer has one row on each side.
CREATE TABLE transactions (
    seq                      bigserial   PRIMARY KEY,
    id                       uuid        NOT NULL,
    account_id               uuid        NOT NULL,
    type                     text        NOT NULL,
    amount                   bigint      NOT NULL CHECK (amount > 0),
    currency                 char(3)     NOT NULL,
    balance_after            bigint      NOT NULL CHECK (balance_after >= 0),
    counterparty_account_id  uuid,
    description              text,
    created_at               timestamptz NOT NULL,
    UNIQUE (account_id, id, type)
);

CREATE INDEX transactions_account ON transactions (account_id, seq DESC);

-- Transfers and their saga state; money in flight = status 'InFlight'.
CREATE TABLE transfers (
    id                      uuid        PRIMARY KEY,
    source_account_id       uuid        NOT NULL,
    destination_account_id  uuid        NOT NULL,
    amount                  bigint      NOT NULL CHECK (amount > 0),
    currency                char(3)     NOT NULL,
    status                  text        NOT NULL CHECK (status IN ('InFlight', 'Completed', 'Refunded')),
    created_at              timestamptz NOT NULL,
    completed_at            timestamptz
);

CREATE INDEX transfers_in_flight ON transfers (created_at) WHERE status = 'InFlight';

-- Stripe-style idempotency: the first response to (user, key) is replayed.
CREATE TABLE idempotency_keys (
    user_id      uuid        NOT NULL,
    key          text        NOT NULL,
    fingerprint  text        NOT NULL,
    reply_type   text        NOT NULL,
    reply        bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

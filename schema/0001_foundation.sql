-- 0001_foundation: the transactional outbox and the consumers' inbox.
--
-- Every write path commits its integration events as outbox rows in the same
-- transaction as its effect. The outbox relay claims undelivered rows in id
-- order (FOR UPDATE SKIP LOCKED plus a lease, so two relays never deliver the
-- same row at once), hands each to every destination in `pending`, removes a
-- destination from `pending` only after it acknowledged, and marks the row
-- delivered when none is left. A NOTIFY on wf_outbox fires at each commit that
-- inserted rows, so the relay wakes in milliseconds; it polls as a fallback.
-- Consumers record each message id they applied in `inbox`, in the same
-- transaction as the effect, so a redelivery applies nothing twice.

CREATE TABLE outbox (
    id               bigserial   PRIMARY KEY,
    message_id       uuid        NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    type             text        NOT NULL,
    stream_id        uuid,
    route_key        uuid,                       -- picks the account shard, when one is a destination
    payload          jsonb       NOT NULL,
    destinations     text[]      NOT NULL,
    pending          text[]      NOT NULL,       -- destinations that have not acknowledged yet
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    CHECK (pending <@ destinations),
    CHECK (cardinality (destinations) > 0)
);

CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivered_at IS NULL;

CREATE FUNCTION wf_outbox_notify () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify ('wf_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION wf_outbox_notify ();

-- Messages a consumer has applied (deduplication by message id).
CREATE TABLE inbox (
    consumer      text        NOT NULL,
    message_id    uuid        NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);

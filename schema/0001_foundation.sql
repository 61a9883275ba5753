-- 0001_foundation: the transactional outbox and the consumers' inbox.
--
-- Every write path commits its integration events as outbox rows in the same
-- transaction as its effect; the outbox relay delivers each row to every
-- destination at least once and records delivery per destination. Consumers
-- record each message id they applied in `inbox`, in the same transaction as
-- the effect, so a redelivery applies nothing twice.

CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    message_id    uuid        NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    type          text        NOT NULL,
    stream_id     uuid,
    payload       jsonb       NOT NULL,
    destinations  text[]      NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per (outbox row, destination) once that destination acknowledged.
CREATE TABLE outbox_delivery (
    outbox_id     bigint      NOT NULL REFERENCES outbox (id),
    destination   text        NOT NULL,
    delivered_at  timestamptz NOT NULL DEFAULT now(),
    attempts      integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (outbox_id, destination)
);

-- Messages a consumer has applied (deduplication by message id).
CREATE TABLE inbox (
    consumer      text        NOT NULL,
    message_id    uuid        NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);

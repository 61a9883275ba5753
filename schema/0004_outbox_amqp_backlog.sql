-- 0004_outbox_amqp_backlog: the AMQP backlog, measured cheaply.
--
-- The health actor reports, once per interval, how many outbox rows still wait
-- for RabbitMQ ('amqp' in `pending`) and how old the oldest of them is. This
-- partial index holds exactly those rows, ordered by age: the oldest is its
-- first entry, and the (capped) count reads only the backlog, never the whole
-- history of delivered rows. A row leaves the index when the bridge's
-- acknowledgement removes 'amqp' from its `pending`.

CREATE INDEX outbox_pending_amqp ON outbox (created_at)
    WHERE delivered_at IS NULL AND 'amqp' = ANY (pending);

-- bench/batched.sql - what group commit could reach on this PostgreSQL: the rows of :batch
-- deposits written in ONE transaction with one statement per table (the lever the issue names:
-- a shard drains its queue and commits once per batch, with multi-row inserts). Per deposit it
-- writes what a deposit costs in deposit.sql - event, read-model update, history row, outbox row,
-- idempotency key, after one idempotency lookup for the whole batch - so it is an upper bound for
-- a batching server on this machine, not a comparison of equal work with the money mix (a
-- transfer is two such legs). Each batch takes :batch consecutive wallets from a random start;
-- concurrent batches that overlap lock rows in another order now and then: pgbench retries the
-- deadlock (--max-tries). Run by bench/run.sh:
--   pgbench -n -M prepared -c 2 -T S --max-tries 10 -D accounts=N -D batch=50 -f batched.sql
\set base random(0, :accounts - 1)
\set key random(1, 9000000000000000000)
BEGIN;
SELECT count(*) FROM idempotency_keys
 WHERE (user_id, key) IN (SELECT ('00000000-0000-4000-9000-' || lpad ((1 + (:base::bigint + g) % :accounts::bigint)::text, 12, '0'))::uuid,
                                 'b' || :key::bigint || '-' || g
                          FROM generate_series (1, :batch::int) AS g);
WITH cmd AS (
    SELECT g, ('00000000-0000-4000-8000-' || lpad ((1 + (:base::bigint + g) % :accounts::bigint)::text, 12, '0'))::uuid AS id,
           ('00000000-0000-4000-9000-' || lpad ((1 + (:base::bigint + g) % :accounts::bigint)::text, 12, '0'))::uuid AS owner,
           (100 + (random () * 19900)::int)::bigint AS amount
    FROM generate_series (1, :batch::int) AS g
), moved AS (
    UPDATE accounts a SET balance = a.balance + cmd.amount, version = a.version + 1, updated_at = now ()
    FROM cmd WHERE a.id = cmd.id
    RETURNING a.id, cmd.owner, cmd.g, a.version, a.balance, cmd.amount
), events_written AS (
    INSERT INTO events (stream_id, version, type, data, occurred_at)
    SELECT id, version, 'MoneyDeposited',
           jsonb_build_object ('type', 'MoneyDeposited', 'occurredAt', 0, 'transactionId', gen_random_uuid (),
                               'amount', amount, 'currency', 'ARS', 'description', 'bench'), now ()
    FROM moved
), history_written AS (
    INSERT INTO transactions (id, account_id, type, amount, currency, balance_after, description, created_at)
    SELECT gen_random_uuid (), id, 'Deposit', amount, 'ARS', balance, 'bench', now () FROM moved
), outbox_written AS (
    INSERT INTO outbox (type, stream_id, payload, destinations, pending)
    SELECT 'finance.money.deposited', id,
           jsonb_build_object ('accountId', id, 'amount', amount, 'currency', 'ARS', 'balanceAfter', balance),
           '{notifier,amqp}', '{notifier,amqp}'
    FROM moved
)
INSERT INTO idempotency_keys (user_id, key, fingerprint, reply_type, reply, expires_at)
SELECT owner, 'b' || :key::bigint || '-' || g, md5 (id::text), 'account.transaction', decode (md5 (g::text), 'hex'),
       now () + interval '24 hours'
FROM moved
ON CONFLICT DO NOTHING;
END;

-- bench/naive_setup.sql - the naive ceiling's data: N wallets in their own database
-- (walletflow_naive, same PostgreSQL, same schema: `walletflow migrate` created it), each opened by
-- one AccountOpened event and seeded with a large balance so withdrawals and transfers never run
-- dry. Account n has the id 00000000-0000-4000-8000-<n, 12 digits> and its owner
-- 00000000-0000-4000-9000-<n>, which the pgbench scripts compute from the number.
--   psql -v accounts=N -f naive_setup.sql
\set ON_ERROR_STOP on
TRUNCATE accounts, transactions, transfers, idempotency_keys, outbox, inbox, snapshots;
-- events is append only (a trigger refuses DELETE); TRUNCATE does not fire row triggers.
TRUNCATE events;
INSERT INTO events (stream_id, version, type, data, occurred_at)
SELECT ('00000000-0000-4000-8000-' || lpad (n::text, 12, '0'))::uuid, 1, 'AccountOpened',
       jsonb_build_object ('type', 'AccountOpened', 'occurredAt', 0,
                           'ownerId', '00000000-0000-4000-9000-' || lpad (n::text, 12, '0'),
                           'currency', 'ARS'),
       now ()
FROM generate_series (1, :accounts) AS n;
INSERT INTO accounts (id, owner_id, number, currency, balance, status, version, is_default,
                      created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad (n::text, 12, '0'))::uuid,
       ('00000000-0000-4000-9000-' || lpad (n::text, 12, '0'))::uuid,
       'NAIVE-' || n, 'ARS', 100000000000, 'Active', 1, true, now (), now ()
FROM generate_series (1, :accounts) AS n;
VACUUM ANALYZE;
CHECKPOINT;

-- bench/transfer.sql - one transfer as ONE transaction: the naive ceiling.
--
-- The same SQL our account shards run for a transfer (both legs: idempotency lookup, read the
-- two versions, append the TransferSent and TransferReceived events, update both read-model
-- rows, two history rows, the transfers row, the outbox rows, store the idempotency key), done
-- the straightforward way: one database transaction per request, rows locked in id order (no
-- deadlocks), the balance check in the application on the row it locked. Run by bench/run.sh:
--   pgbench -n -M prepared -c C -j 2 -T S -D accounts=N -f deposit.sql@40 -f withdraw.sql@30 \
--           -f transfer.sql@30 walletflow_naive
-- Accounts as in naive_setup.sql: account n = 00000000-0000-4000-8000-<n>, owner ...-9000-<n>.
\set a random(1, :accounts)
\set b 1 + (:a + random(0, :accounts - 2)) % :accounts
\set lo least(:a, :b)
\set hi greatest(:a, :b)
\set amount random(1, 5000)
\set key random(1, 9000000000000000000)
BEGIN;
SELECT fingerprint FROM idempotency_keys
 WHERE user_id = ('00000000-0000-4000-9000-' || lpad (:a::bigint::text, 12, '0'))::uuid AND key = 'n' || :key::bigint;
SELECT version AS lo_version, balance AS lo_balance FROM accounts
 WHERE id = ('00000000-0000-4000-8000-' || lpad (:lo::bigint::text, 12, '0'))::uuid FOR UPDATE \gset
SELECT version AS hi_version, balance AS hi_balance FROM accounts
 WHERE id = ('00000000-0000-4000-8000-' || lpad (:hi::bigint::text, 12, '0'))::uuid FOR UPDATE \gset
\set a_version case when :a = :lo then :lo_version else :hi_version end
\set b_version case when :b = :lo then :lo_version else :hi_version end
\set a_balance case when :a = :lo then :lo_balance else :hi_balance end
\set b_balance case when :b = :lo then :lo_balance else :hi_balance end
\if :a_balance >= :amount
INSERT INTO events (stream_id, version, type, data, occurred_at)
VALUES (('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid, :a_version::bigint + 1, 'TransferSent',
        jsonb_build_object ('type', 'TransferSent', 'occurredAt', 0, 'transactionId', gen_random_uuid (),
                            'amount', :amount::bigint, 'currency', 'ARS', 'counterpartyId', :b::bigint, 'description', 'bench'),
        now ());
INSERT INTO events (stream_id, version, type, data, occurred_at)
VALUES (('00000000-0000-4000-8000-' || lpad (:b::bigint::text, 12, '0'))::uuid, :b_version::bigint + 1, 'TransferReceived',
        jsonb_build_object ('type', 'TransferReceived', 'occurredAt', 0, 'transactionId', gen_random_uuid (),
                            'amount', :amount::bigint, 'currency', 'ARS', 'counterpartyId', :a::bigint, 'description', 'bench'),
        now ());
UPDATE accounts SET balance = balance - :amount::bigint, version = version + 1, updated_at = now ()
 WHERE id = ('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid;
UPDATE accounts SET balance = balance + :amount::bigint, version = version + 1, updated_at = now ()
 WHERE id = ('00000000-0000-4000-8000-' || lpad (:b::bigint::text, 12, '0'))::uuid;
INSERT INTO transactions (id, account_id, type, amount, currency, balance_after, counterparty_account_id,
                          description, created_at)
VALUES (gen_random_uuid (), ('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid, 'Transfer',
        :amount::bigint, 'ARS', :a_balance::bigint - :amount::bigint,
        ('00000000-0000-4000-8000-' || lpad (:b::bigint::text, 12, '0'))::uuid, 'bench', now ());
INSERT INTO transactions (id, account_id, type, amount, currency, balance_after, counterparty_account_id,
                          description, created_at)
VALUES (gen_random_uuid (), ('00000000-0000-4000-8000-' || lpad (:b::bigint::text, 12, '0'))::uuid, 'TransferReceived',
        :amount::bigint, 'ARS', :b_balance::bigint + :amount::bigint,
        ('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid, 'bench', now ());
INSERT INTO transfers (id, source_account_id, destination_account_id, amount, currency, status,
                       created_at, completed_at)
VALUES (gen_random_uuid (), ('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid,
        ('00000000-0000-4000-8000-' || lpad (:b::bigint::text, 12, '0'))::uuid, :amount::bigint, 'ARS', 'Completed',
        now (), now ());
INSERT INTO outbox (type, stream_id, payload, destinations, pending)
VALUES ('finance.transfer.sent', ('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid,
        jsonb_build_object ('accountId', :a::bigint, 'destinationAccountId', :b::bigint, 'amount', :amount::bigint, 'currency', 'ARS',
                            'balanceAfter', :a_balance::bigint - :amount::bigint),
        '{notifier,amqp}', '{notifier,amqp}');
INSERT INTO outbox (type, stream_id, payload, destinations, pending)
VALUES ('finance.transfer.received', ('00000000-0000-4000-8000-' || lpad (:b::bigint::text, 12, '0'))::uuid,
        jsonb_build_object ('accountId', :b::bigint, 'sourceAccountId', :a::bigint, 'amount', :amount::bigint, 'currency', 'ARS',
                            'balanceAfter', :b_balance::bigint + :amount::bigint),
        '{notifier,amqp}', '{notifier,amqp}');
INSERT INTO idempotency_keys (user_id, key, fingerprint, reply_type, reply, expires_at)
VALUES (('00000000-0000-4000-9000-' || lpad (:a::bigint::text, 12, '0'))::uuid, 'n' || :key::bigint, md5 (:key::bigint::text),
        'account.transaction', decode (md5 (:a::bigint::text), 'hex'), now () + interval '24 hours')
ON CONFLICT DO NOTHING;
\endif
END;

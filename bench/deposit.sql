-- bench/deposit.sql - one deposit as ONE transaction, the straightforward design: the SQL
-- our account shard runs for a deposit (idempotency lookup, read the version, append the event,
-- update the read model, history row, outbox row, store the idempotency key), but per request.
-- pgbench -D accounts=N; ids as in naive_setup.sql.
\set a random(1, :accounts)
\set amount random(100, 20000)
\set key random(1, 9000000000000000000)
BEGIN;
SELECT fingerprint FROM idempotency_keys
 WHERE user_id = ('00000000-0000-4000-9000-' || lpad (:a::bigint::text, 12, '0'))::uuid AND key = 'n' || :key::bigint;
SELECT version, balance FROM accounts
 WHERE id = ('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid FOR UPDATE \gset
INSERT INTO events (stream_id, version, type, data, occurred_at)
VALUES (('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid, :version::bigint + 1, 'MoneyDeposited',
        jsonb_build_object ('type', 'MoneyDeposited', 'occurredAt', 0, 'transactionId', gen_random_uuid (),
                            'amount', :amount::bigint, 'currency', 'ARS', 'description', 'bench'), now ());
UPDATE accounts SET balance = balance + :amount::bigint, version = version + 1, updated_at = now ()
 WHERE id = ('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid;
INSERT INTO transactions (id, account_id, type, amount, currency, balance_after, description, created_at)
VALUES (gen_random_uuid (), ('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid, 'Deposit',
        :amount::bigint, 'ARS', :balance::bigint + :amount::bigint, 'bench', now ());
INSERT INTO outbox (type, stream_id, payload, destinations, pending)
VALUES ('finance.money.deposited', ('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid,
        jsonb_build_object ('accountId', :a::bigint, 'amount', :amount::bigint, 'currency', 'ARS', 'balanceAfter', :balance::bigint + :amount::bigint),
        '{notifier,amqp}', '{notifier,amqp}');
INSERT INTO idempotency_keys (user_id, key, fingerprint, reply_type, reply, expires_at)
VALUES (('00000000-0000-4000-9000-' || lpad (:a::bigint::text, 12, '0'))::uuid, 'n' || :key::bigint, md5 (:key::bigint::text),
        'account.transaction', decode (md5 (:a::bigint::text), 'hex'), now () + interval '24 hours')
ON CONFLICT DO NOTHING;
END;

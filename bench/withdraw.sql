-- bench/withdraw.sql - one withdrawal as ONE transaction (see deposit.sql); the balance
-- check is the application's, on the locked row it read.
\set a random(1, :accounts)
\set amount random(1, 5000)
\set key random(1, 9000000000000000000)
BEGIN;
SELECT fingerprint FROM idempotency_keys
 WHERE user_id = ('00000000-0000-4000-9000-' || lpad (:a::bigint::text, 12, '0'))::uuid AND key = 'n' || :key::bigint;
SELECT version, balance FROM accounts
 WHERE id = ('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid FOR UPDATE \gset
\if :balance >= :amount
INSERT INTO events (stream_id, version, type, data, occurred_at)
VALUES (('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid, :version::bigint + 1, 'MoneyWithdrawn',
        jsonb_build_object ('type', 'MoneyWithdrawn', 'occurredAt', 0, 'transactionId', gen_random_uuid (),
                            'amount', :amount::bigint, 'currency', 'ARS', 'description', 'bench'), now ());
UPDATE accounts SET balance = balance - :amount::bigint, version = version + 1, updated_at = now ()
 WHERE id = ('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid;
INSERT INTO transactions (id, account_id, type, amount, currency, balance_after, description, created_at)
VALUES (gen_random_uuid (), ('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid, 'Withdrawal',
        :amount::bigint, 'ARS', :balance::bigint - :amount::bigint, 'bench', now ());
INSERT INTO outbox (type, stream_id, payload, destinations, pending)
VALUES ('finance.money.withdrawn', ('00000000-0000-4000-8000-' || lpad (:a::bigint::text, 12, '0'))::uuid,
        jsonb_build_object ('accountId', :a::bigint, 'amount', :amount::bigint, 'currency', 'ARS', 'balanceAfter', :balance::bigint - :amount::bigint),
        '{notifier,amqp}', '{notifier,amqp}');
INSERT INTO idempotency_keys (user_id, key, fingerprint, reply_type, reply, expires_at)
VALUES (('00000000-0000-4000-9000-' || lpad (:a::bigint::text, 12, '0'))::uuid, 'n' || :key::bigint, md5 (:key::bigint::text),
        'account.transaction', decode (md5 (:a::bigint::text), 'hex'), now () + interval '24 hours')
ON CONFLICT DO NOTHING;
\endif
END;

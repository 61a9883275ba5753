-- 0005_holds_overdraft: holds (two-phase transfers), per-account overdraft limits, refunds.
--
-- The events stay the source of truth (HoldPlaced, HoldCaptured, HoldVoided,
-- HoldExpired, OverdraftLimitSet); everything here is derived and written in
-- the same transaction as those events.
--
-- `holds` is the hold read model and the expiry schedule: each account shard
-- scans its own open holds that are due (the partial index) at start and on a
-- timer, and expires each through the ordinary command path, so the stream's
-- (stream_id, version) key decides a race with a capture or a void. `shard`
-- is the shard that placed the hold (the account's), fixed at placement.
CREATE TABLE holds (
    id                      uuid        PRIMARY KEY,
    account_id              uuid        NOT NULL,
    destination_account_id  uuid,
    amount                  bigint      NOT NULL CHECK (amount > 0),
    currency                char(3)     NOT NULL,
    status                  text        NOT NULL
                            CHECK (status IN ('Open', 'Captured', 'Voided', 'Expired')),
    captured_amount         bigint      CHECK (captured_amount > 0 AND captured_amount <= amount),
    capture_transaction_id  uuid,
    description             text,
    shard                   integer     NOT NULL,
    expires_at              timestamptz NOT NULL,
    created_at              timestamptz NOT NULL,
    closed_at               timestamptz,
    metadata                jsonb       -- the hold's; its capture's debit carries it too
);

CREATE INDEX holds_due ON holds (shard, expires_at) WHERE status = 'Open';
CREATE INDEX holds_account ON holds (account_id, created_at);

-- The account read model gains the held sum and the limit. With an overdraft
-- the balance (and a history row's balance after) may be negative: the rule
-- is now balance - held >= -overdraft_limit, kept by the aggregate (asserted
-- after every event) and checked by the audit over the events. It cannot be a
-- CHECK here: the shard's upsert proposes a row with the column defaults, and
-- PostgreSQL checks that proposal before it finds the conflict.
ALTER TABLE accounts
    ADD COLUMN held bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
    ADD COLUMN overdraft_limit bigint NOT NULL DEFAULT 0 CHECK (overdraft_limit >= 0),
    DROP CONSTRAINT accounts_balance_check;
ALTER TABLE transactions DROP CONSTRAINT transactions_balance_after_check;

-- Refunds: a history row shows how much of it was refunded, and a refund row
-- names the movement it refunds. The shard checks and raises `refunded` in the
-- same transaction as the refund's event (never past `amount`); the audit
-- checks the same rule over the events.
ALTER TABLE transactions
    ADD COLUMN refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    ADD COLUMN refund_of uuid,
    ADD COLUMN metadata jsonb;
CREATE INDEX transactions_id ON transactions (id);

-- Metadata: the caller's bounded object of short strings, stored with the
-- event (events.data) and copied here for history and its filter
-- (?metadata.orderId=...: metadata @> {"orderId": "..."}).
CREATE INDEX transactions_metadata ON transactions USING gin (metadata jsonb_path_ops);

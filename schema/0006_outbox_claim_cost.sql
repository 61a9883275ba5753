-- 0006_outbox_claim_cost: room on the outbox's pages for the relay's lease updates.
--
-- Every outbox row is updated twice after its insert: the relay's claim sets
-- lease_until and attempts, and the acknowledgement empties `pending` and sets
-- delivered_at. The claim touches no indexed column, so it can be a HOT update
-- (no new index entries) when the row's page has room for the new version;
-- rows are appended, so with the default fillfactor of 100 their pages are
-- full and every claim wrote a new entry into each of the four indexes. The
-- acknowledgement changes the partial indexes' predicate columns and cannot be
-- HOT. The outbox churns fast, so autovacuum visits it at 2 % of dead or
-- inserted rows instead of 20 %, keeping its heap and partial indexes small.

ALTER TABLE outbox SET (
    fillfactor = 70,
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.02
);

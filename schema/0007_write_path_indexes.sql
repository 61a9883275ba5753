-- 0007_write_path_indexes: two indexes that cost the write path more than they served.
--
-- transfers_in_flight (created_at WHERE status = 'InFlight') drew the planner: the credit leg's
-- batched close (UPDATE transfers ... WHERE id = ANY ($1) AND status = 'InFlight') read every
-- entry of that partial index and filtered by id, and the index keeps an entry for each
-- completed transfer until vacuum removes it, so each close walked thousands of entries (the
-- costliest statement of a benchmark round, 0.42 ms for ~2 rows). The only other reader, the
-- audit's count of transfers in flight, scans the table anyway. Without it the close goes by the
-- primary key, and status (no longer in any index) can change by a HOT update.
--
-- transactions_metadata indexed every history row, also the many without metadata (NULL);
-- the history filter (metadata @> ...) implies metadata IS NOT NULL, so a partial index serves it.

DROP INDEX transfers_in_flight;

DROP INDEX transactions_metadata;
CREATE INDEX transactions_metadata ON transactions USING gin (metadata jsonb_path_ops)
    WHERE metadata IS NOT NULL;

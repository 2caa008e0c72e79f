--
-- Values known only at run time are pushed too: parameters of prepared
-- statements (custom and generic plans), and join keys through
-- parameterized paths, so a join with a handful of local rows costs a
-- request per distinct key instead of a full listing.  Identical requests
-- in one statement are answered once.
--
-- prepared statements: custom plans, then a generic plan
PREPARE by_owner(bigint) AS SELECT count(*) FROM deals WHERE owner_id = $1;
EXECUTE by_owner(1);
EXECUTE by_owner(2);
SELECT * FROM emu_requests();
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_owner(3);
EXECUTE by_owner(3);
EXECUTE by_owner(4);
SELECT * FROM emu_requests();
PREPARE by_ids(bigint[]) AS SELECT id FROM deals WHERE id = ANY ($1) ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_ids('{1,2,3}');
EXECUTE by_ids('{1,2,3}');
EXECUTE by_ids('{9}');
EXECUTE by_ids(NULL);
SELECT * FROM emu_requests();
PREPARE updated_between(timestamptz, timestamptz) AS
  SELECT count(*) FROM deals WHERE update_time >= $1 AND update_time < $2;
EXECUTE updated_between('2026-03-01T00:00:00Z', '2026-03-08T00:00:00Z');
SELECT * FROM emu_requests();
RESET plan_cache_mode;
DEALLOCATE ALL;

-- a join with a local table: one request per distinct key
CREATE TABLE wanted (deal_id bigint, note text);
INSERT INTO wanted VALUES (7, 'a'), (42, 'b'), (7, 'c'), (11, 'deleted'), (999999, 'missing');
ANALYZE wanted;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT w.note, d.id, d.title FROM wanted w JOIN deals d ON d.id = w.deal_id;
SELECT w.note, d.id, d.title FROM wanted w JOIN deals d ON d.id = w.deal_id ORDER BY w.note;
SELECT * FROM emu_requests();
SELECT * FROM explain_analyze('SELECT w.note, d.title FROM wanted w JOIN deals d ON d.id = w.deal_id');
SELECT * FROM emu_requests();
-- without PostgreSQL's Memoize, crm_fdw's statement cache answers repeats
SET enable_memoize = off;
SELECT * FROM explain_analyze('SELECT w.note, d.title FROM wanted w JOIN deals d ON d.id = w.deal_id');
SELECT * FROM emu_requests();
RESET enable_memoize;

-- the same through IN (subquery), and through a foreign key of another entity
SELECT count(*) FROM deals WHERE id IN (SELECT deal_id FROM wanted);
SELECT * FROM emu_requests();
EXPLAIN (VERBOSE, COSTS OFF)
SELECT a.id, a.subject FROM wanted w JOIN activities a ON a.deal_id = w.deal_id;
SELECT count(*) FROM wanted w JOIN activities a ON a.deal_id = w.deal_id;
SELECT * FROM emu_requests();

-- entities listed only per deal are joined the same way
SELECT w.deal_id, count(f.id) AS flow_entries
  FROM wanted w LEFT JOIN deal_flow f ON f.deal_id = w.deal_id
 GROUP BY w.deal_id ORDER BY w.deal_id;
SELECT * FROM emu_requests();
SELECT w.deal_id, count(p.id) AS products
  FROM wanted w JOIN deal_products p ON p.deal_id = w.deal_id
 GROUP BY w.deal_id ORDER BY w.deal_id;
SELECT * FROM emu_requests();

-- two foreign tables: the small one is listed, the large one looked up
EXPLAIN (VERBOSE, COSTS OFF)
SELECT d.id, d.title, s.name AS stage
  FROM deals d JOIN stages s ON s.id = d.stage_id
 WHERE d.id IN (1, 2, 3);
SELECT d.id, d.title, s.name AS stage
  FROM deals d JOIN stages s ON s.id = d.stage_id
 WHERE d.id IN (1, 2, 3) ORDER BY d.id;
SELECT * FROM emu_requests();

-- a LATERAL lookup
SELECT w.deal_id, last_activity.subject
  FROM (SELECT DISTINCT deal_id FROM wanted) w,
       LATERAL (SELECT subject FROM activities a WHERE a.deal_id = w.deal_id
                ORDER BY a.add_time DESC LIMIT 1) last_activity
 ORDER BY 1;
SELECT * FROM emu_requests();
DROP TABLE wanted;

--
-- First pushdown: id = value fetches one item; update_time ranges become
-- updated_since (inclusive) / updated_until (exclusive).  PostgreSQL
-- rechecks every condition.  EXPLAIN (VERBOSE) shows the request; EXPLAIN
-- without ANALYZE sends nothing.
--
SELECT * FROM emu_requests();

-- one deal: exactly one request
SELECT id, title, status FROM deals WHERE id = 7;
SELECT * FROM emu_requests();
SELECT id, title FROM deals WHERE 7 = id;
SELECT * FROM emu_requests();

-- an id that does not exist: no rows, one request, no error
SELECT id, title FROM deals WHERE id = 999999;
SELECT * FROM emu_requests();

-- a deleted deal (11) is not in the table, whichever way it is asked for
SELECT id FROM deals WHERE id = 11;
SELECT id FROM deals WHERE id IN (10, 11, 12) ORDER BY id;
SELECT id FROM deals WHERE status = 'deleted';
SELECT * FROM emu_requests();

-- EXPLAIN shows the request and sends nothing
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, title FROM deals WHERE id = 7;
EXPLAIN (COSTS OFF) SELECT id, title FROM deals WHERE id = 7;
SELECT * FROM emu_requests();

-- a date window: both bounds pushed, pages stop at the window's end
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, update_time FROM deals
 WHERE update_time >= '2026-03-01T00:00:00Z' AND update_time < '2026-03-08T00:00:00Z';
SELECT count(*), min(update_time), max(update_time) FROM deals
 WHERE update_time >= '2026-03-01T00:00:00Z' AND update_time < '2026-03-08T00:00:00Z';
SELECT * FROM emu_requests();
-- the same window, counted locally over a full listing
SELECT count(*) FROM (SELECT update_time FROM deals OFFSET 0) d
 WHERE update_time >= '2026-03-01T00:00:00Z' AND update_time < '2026-03-08T00:00:00Z';
SELECT emu_request_count();

-- > and <= are spelled with the API's inclusive since / exclusive until,
-- rounded outwards to whole seconds; PostgreSQL drops the extra rows
SELECT count(*) FROM deals
 WHERE update_time > '2026-03-01 00:00:00.5+00' AND update_time <= '2026-03-08 00:00:00.25+00';
SELECT * FROM emu_requests();

-- times in other zones and plain dates are converted to UTC first
SET timezone = 'Asia/Kolkata';
SELECT count(*) FROM deals WHERE update_time >= '2026-03-01' AND update_time < '2026-03-08';
SELECT * FROM emu_requests();
SELECT count(*) FROM deals WHERE update_time >= date '2026-03-01';
SELECT * FROM emu_requests();
RESET timezone;

-- a bound that can match nothing needs no request; one that limits nothing is left out
SELECT count(*) FROM deals WHERE update_time > 'infinity';
SELECT count(*) FROM deals WHERE id = NULL;
SELECT emu_request_count();
SELECT count(*) FROM deals WHERE update_time < 'infinity' AND id = 3;
SELECT * FROM emu_requests();

-- parameters: a prepared statement pushes its value
PREPARE one_deal(bigint) AS SELECT id, title FROM deals WHERE id = $1;
EXECUTE one_deal(3);
EXECUTE one_deal(4);
SELECT * FROM emu_requests();
DEALLOCATE one_deal;

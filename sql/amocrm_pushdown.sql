--
-- amoCRM pushdown: every condition the API can apply becomes its filter,
-- spelled as the docs spell it (filter[id][], filter[updated_at][from] /
-- [to] in Unix seconds, filter[statuses][i][pipeline_id] and [status_id]),
-- asserted from the emulator's request log; results are compared with a
-- local copy of the emulator's own rows, made by PostgreSQL's JSON
-- functions rather than crm_fdw's conversion.  Where the account has API
-- filtering off, nothing is sent and PostgreSQL filters every row.
--
SELECT * FROM emu_requests();

-- local copies of the emulator's rows
CREATE SCHEMA amo_local;
CREATE TABLE amo_local.deals AS
SELECT (l->>'id')::bigint AS id, l->>'name' AS name, (l->>'price')::bigint AS price,
       (l->>'responsible_user_id')::bigint AS responsible_user_id,
       (l->>'status_id')::bigint AS status_id, (l->>'pipeline_id')::bigint AS pipeline_id,
       (l->>'created_by')::bigint AS created_by, (l->>'updated_by')::bigint AS updated_by,
       to_timestamp((l->>'created_at')::bigint) AS created_at,
       to_timestamp((l->>'updated_at')::bigint) AS updated_at,
       to_timestamp((l->>'closed_at')::bigint) AS closed_at,
       to_timestamp((l->>'closest_task_at')::bigint) AS closest_task_at
  FROM jsonb_array_elements(amo_dump('leads')) l
 WHERE NOT (l->>'is_deleted')::boolean;
CREATE TABLE amo_local.tasks AS
SELECT (t->>'id')::bigint AS id, (t->>'responsible_user_id')::bigint AS responsible_user_id,
       t->>'entity_type' AS entity_type, (t->>'entity_id')::bigint AS entity_id,
       (t->>'is_completed')::boolean AS is_completed, (t->>'task_type_id')::bigint AS task_type_id,
       to_timestamp((t->>'updated_at')::bigint) AS updated_at
  FROM jsonb_array_elements(amo_dump('tasks')) t;
CREATE TABLE amo_local.notes AS
SELECT (n->>'id')::bigint AS id, n->>'entity_type' AS entity_type,
       (n->>'entity_id')::bigint AS entity_id, n->>'note_type' AS note_type,
       to_timestamp((n->>'updated_at')::bigint) AS updated_at
  FROM jsonb_array_elements(amo_dump('notes')) n;
CREATE TABLE amo_local.events AS
SELECT e->>'id' AS id, e->>'type' AS type, e->>'entity_type' AS entity_type,
       (e->>'entity_id')::bigint AS entity_id, (e->>'created_by')::bigint AS created_by,
       to_timestamp((e->>'created_at')::bigint) AS created_at
  FROM jsonb_array_elements(amo_dump('events')) e;
SELECT (SELECT count(*) FROM amo_local.deals) AS deals, (SELECT count(*) FROM amo_local.tasks) AS tasks,
       (SELECT count(*) FROM amo_local.notes) AS notes, (SELECT count(*) FROM amo_local.events) AS events;

-- the query on the foreign tables (schema amo), then on the local copies
-- (schema amo_local): row count, whether they agree, the requests sent
CREATE FUNCTION amo_same(query text) RETURNS SETOF text
LANGUAGE sql AS $$ SELECT same_rows(query, 'amo', 'amo_local') $$;

-- deals: by id, one item or a list (50 ids a request)
SELECT * FROM amo_same('SELECT id, name FROM deals WHERE id = 1000007');
SELECT * FROM amo_same('SELECT id, name FROM deals WHERE id IN (1000003, 1000004, 1000005)');
SELECT regexp_replace(r, '(filter\[id\]\[\]=\d+&)+', '<' || (length(r) - length(replace(r, 'filter[id]', ''))) / 10 || ' ids>&')
  FROM amo_same('SELECT id FROM deals WHERE id = ANY (ARRAY(SELECT generate_series(1000001, 1000120)))') r;
-- lists of users and names
SELECT * FROM amo_same('SELECT id FROM deals WHERE responsible_user_id IN (1002, 1003)');
SELECT * FROM amo_same('SELECT id FROM deals WHERE created_by = 1004 AND updated_by = 1005');
SELECT * FROM amo_same($q$SELECT id FROM deals WHERE name IN ('Müller GmbH: Wartung', 'nothing like it')$q$);
-- pipelines; statuses go with their pipeline, entry by entry
SELECT * FROM amo_same('SELECT id FROM deals WHERE pipeline_id = 7003');
SELECT * FROM amo_same('SELECT id FROM deals WHERE pipeline_id IN (7002, 7003)');
SELECT * FROM amo_same('SELECT id FROM deals WHERE pipeline_id = 7002 AND status_id = 142');
SELECT * FROM amo_same('SELECT id FROM deals WHERE pipeline_id IN (7001, 7002) AND status_id IN (142, 143)');
-- a status without its pipeline cannot be sent: PostgreSQL filters
SELECT * FROM amo_same('SELECT id FROM deals WHERE status_id = 143');
-- ranges: times in Unix seconds, both bounds inclusive, rounded outwards
SELECT * FROM amo_same($q$SELECT id FROM deals WHERE updated_at >= '2026-06-01 00:00:00+00' AND updated_at < '2026-06-08 00:00:00+00'$q$);
SELECT * FROM amo_same($q$SELECT id FROM deals WHERE created_at > '2025-03-01 12:00:00.5+00' AND created_at <= '2025-03-31'::date$q$);
SELECT * FROM amo_same($q$SELECT id FROM deals WHERE closed_at >= '2026-01-01 00:00:00+00'$q$);
SELECT * FROM amo_same($q$SELECT id FROM deals WHERE closest_task_at < '2025-06-01 00:00:00+00'$q$);
-- price ranges: whole numbers
SELECT * FROM amo_same('SELECT id, price FROM deals WHERE price >= 400000 AND price < 450000');
SELECT * FROM amo_same('SELECT id, price FROM deals WHERE price > 450000 AND price <= 460000');
-- a column compared through a cast stays local
SELECT * FROM amo_same('SELECT id, price FROM deals WHERE price > 499999.5');
-- of two bounds, the tighter is sent
SELECT * FROM amo_same($q$SELECT id FROM deals WHERE updated_at >= '2026-01-01 00:00:00+00' AND updated_at > '2026-06-20 00:00:00+00'$q$);
-- a value no row can match sends nothing
SELECT * FROM amo_same('SELECT id FROM deals WHERE pipeline_id = NULL::bigint');

-- tasks: responsible users, completion, a deal's, changed since
SELECT * FROM amo_same('SELECT id FROM tasks WHERE responsible_user_id = 1003 AND NOT is_completed');
SELECT * FROM amo_same('SELECT id FROM tasks WHERE is_completed AND task_type_id IN (2, 2101)');
SELECT * FROM amo_same($q$SELECT id FROM tasks WHERE entity_type = 'contacts' AND entity_id IN (2000001, 2000002)$q$);
-- entity ids need one entity type beside them
SELECT * FROM amo_same('SELECT id FROM tasks WHERE entity_id = 1000001');
SELECT * FROM amo_same($q$SELECT id FROM tasks WHERE updated_at >= '2026-06-01 00:00:00+00'$q$);

-- notes: by entity type (a path), entity, type, change time
SELECT * FROM amo_same($q$SELECT id FROM notes WHERE entity_type = 'contacts' AND note_type = 'common'$q$);
SELECT * FROM amo_same($q$SELECT id FROM notes WHERE entity_type IN ('leads', 'companies') AND updated_at >= '2026-05-01 00:00:00+00'$q$);
SELECT * FROM amo_same('SELECT id, entity_type FROM notes WHERE entity_id = 1000001');

-- events: by type, entity, entity id, creator, time
SELECT * FROM amo_same($q$SELECT id FROM events WHERE type = 'lead_status_changed' AND created_at >= '2026-06-01 00:00:00+00'$q$);
SELECT * FROM amo_same($q$SELECT id FROM events WHERE entity_type = 'contact' AND entity_id = 2000001$q$);
SELECT * FROM amo_same($q$SELECT id FROM events WHERE entity_type IN ('company', 'task') AND created_by = 1004$q$);

-- LIMIT: the first page asks for no more; a page number counts pages of
-- one size, so every page asks for the same size
SELECT id FROM amo.deals LIMIT 3;
SELECT * FROM emu_requests();
SELECT count(*) FROM (SELECT id FROM amo.deals LIMIT 300) d;
SELECT * FROM emu_requests();
SELECT count(*) FROM (SELECT id FROM amo.deals WHERE pipeline_id = 7001 LIMIT 120) d;
SELECT * FROM emu_requests();

-- a join: one request per key from a few local rows
CREATE TEMP TABLE watched (lead_id bigint);
INSERT INTO watched VALUES (1000011), (1000012);
ANALYZE watched;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT w.lead_id, d.name FROM watched w JOIN amo.deals d ON d.id = w.lead_id;
SELECT w.lead_id, d.name FROM watched w JOIN amo.deals d ON d.id = w.lead_id ORDER BY 1;
SELECT * FROM emu_requests();

-- EXPLAIN shows each request, parameters included
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM amo.deals WHERE pipeline_id = 7002 AND status_id IN (142, 143)
   AND updated_at >= '2026-06-01 00:00:00+00' AND price > 1000;
PREPARE by_pipeline(bigint) AS SELECT count(*) FROM amo.deals WHERE pipeline_id = $1;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_pipeline(7003);
EXECUTE by_pipeline(7003);
SELECT * FROM emu_requests();

-- an account without API filtering (is_api_filter_enabled false): read
-- once per connection, no filter sent, every condition PostgreSQL's, the
-- cost that of the whole listing; results stay right
SELECT emu('POST', '/__emulator/config', '{"amocrm_api_filters": false}') \g /dev/null
\getenv url CRM_EMULATOR_URL
\getenv amo_token CRM_TEST_AMOCRM_TOKEN
CREATE SERVER amo_nofilter FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'amocrm', url :'url', requests_per_second '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER amo_nofilter OPTIONS (access_token :'amo_token');
CREATE FOREIGN TABLE amo_local.deals_nofilter (id bigint, pipeline_id bigint, status_id bigint)
  SERVER amo_nofilter OPTIONS (entity 'deals');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM amo_local.deals_nofilter WHERE pipeline_id = 7003 AND status_id = 142;
SELECT count(*) FROM amo_local.deals_nofilter WHERE pipeline_id = 7003;
SELECT count(*) FROM amo_local.deals WHERE pipeline_id = 7003;
-- a lookup by id still goes to the item
SELECT id FROM amo_local.deals_nofilter WHERE id = 1000005;
SELECT regexp_replace(r, 'page=\d+', 'page=N') FROM emu_requests() r;
-- the estimate counts the full listing whatever the condition
SELECT plan_rows('SELECT id FROM amo_local.deals_nofilter WHERE pipeline_id = 7003')
     >= plan_rows('SELECT id FROM amo.deals WHERE pipeline_id = 7003') AS whole_listing_estimated;
SELECT emu('POST', '/__emulator/config', '{"amocrm_api_filters": true}') \g /dev/null
SELECT * FROM emu_requests();

--
-- Every condition the API can evaluate becomes a query parameter, and
-- nothing else does: for each query, the rows must equal those of the same
-- query over a local copy of all the emulator's data (built here from the
-- emulator's dump, through PostgreSQL's own JSON functions), and the
-- requests must be the fewest the API allows.
--
CREATE SCHEMA local;
-- v1 times carry no zone: they are UTC
SET timezone = 'UTC';
CREATE FUNCTION local_copy(entity text, rows jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  -- in id order, as the API lists them
  EXECUTE format('CREATE TABLE local.%I AS SELECT * FROM jsonb_populate_recordset(NULL::public.%I, $1) ORDER BY 1',
                 entity, entity) USING rows;
END $$;
-- the API leaves deleted deals out of its listings, and sends some fields
-- only when asked for them with include_fields
SELECT local_copy('deals', (SELECT jsonb_agg(d - 'source_lead_id' ORDER BY (d->>'id')::int)
                              FROM jsonb_array_elements(emu_dump('deals')) d
                             WHERE NOT (d->>'is_deleted')::boolean));
SELECT local_copy('activities', (SELECT jsonb_agg(a - 'attendees')
                                   FROM jsonb_array_elements(emu_dump('activities')) a));
-- a flow entry's id is its data's
SELECT local_copy('deal_flow', (SELECT jsonb_agg(f || jsonb_build_object('id', f->'data'->'id'))
                                  FROM jsonb_array_elements(emu_dump('deal_flow')) f));
SELECT local_copy(t, emu_dump(t))
  FROM unnest(ARRAY['persons', 'organizations', 'products', 'stages', 'notes',
                    'filters', 'deal_products']) t;
RESET timezone;
SELECT (SELECT count(*) FROM local.deals) AS deals,
       (SELECT count(*) FROM local.activities) AS activities,
       (SELECT count(*) FROM local.notes) AS notes,
       (SELECT count(*) FROM local.deal_flow) AS flow_entries;

-- ids: one item, a list, a list longer than the API's 100
SELECT same_rows('SELECT * FROM deals WHERE id = 42');
SELECT same_rows('SELECT * FROM deals WHERE id IN (5, 6, 7, 5)');
SELECT same_rows('SELECT id, title FROM deals WHERE id = ANY (ARRAY(SELECT generate_series(1, 250)))');
SELECT same_rows('SELECT id FROM deals WHERE id IN (1, 2, 3) AND owner_id = 1');

-- foreign keys and status
SELECT same_rows('SELECT id, owner_id FROM deals WHERE owner_id = 2');
SELECT same_rows('SELECT id FROM deals WHERE person_id = 84');
SELECT same_rows('SELECT id FROM deals WHERE org_id = 18');
SELECT same_rows('SELECT id FROM deals WHERE pipeline_id = 2 AND stage_id = 6');
SELECT same_rows('SELECT id FROM deals WHERE status = ''won''');
SELECT same_rows('SELECT id, status FROM deals WHERE status IN (''won'', ''lost'')');
SELECT same_rows('SELECT id FROM deals WHERE status IN (''lost'', ''deleted'', ''archived'')');
SELECT same_rows('SELECT id FROM deals WHERE status = ''deleted''');

-- what the API cannot say stays local, and the answer stays right
SELECT same_rows('SELECT id FROM deals WHERE owner_id = 1 OR owner_id = 2');
SELECT same_rows('SELECT id FROM deals WHERE owner_id IS NULL');
SELECT same_rows('SELECT id FROM deals WHERE value > 50000 AND currency = ''EUR''');
SELECT same_rows('SELECT id FROM deals WHERE owner_id = 3 AND title LIKE ''%renewal%''');
SELECT same_rows('SELECT id FROM deals WHERE owner_id IN (1, 2)');
SELECT same_rows('SELECT id FROM deals WHERE owner_id = 1 AND owner_id = 2');
SELECT same_rows('SELECT id FROM deals WHERE update_time >= ''2026-06-01'' AND update_time >= ''2026-06-15''');

-- comparisons with NULL match nothing and cost nothing
SELECT same_rows('SELECT id FROM deals WHERE id = ANY (''{NULL}''::bigint[])');
SELECT same_rows('SELECT id FROM deals WHERE id = ANY (''{4, NULL, 8}''::bigint[])');
SELECT same_rows('SELECT id FROM deals WHERE update_time < NULL::timestamptz');

-- activities
SELECT same_rows('SELECT id FROM activities WHERE deal_id = 599');
SELECT same_rows('SELECT id FROM activities WHERE person_id = 18 AND done');
SELECT same_rows('SELECT id FROM activities WHERE org_id = 7 AND NOT done');
SELECT same_rows('SELECT id FROM activities WHERE owner_id = 4 AND update_time >= ''2026-06-01'' AND update_time < ''2026-06-08''');
SELECT same_rows('SELECT id FROM activities WHERE id IN (1, 2, 3)');

-- persons, organizations, products, stages
SELECT same_rows('SELECT id FROM persons WHERE org_id = 5');
SELECT same_rows('SELECT id FROM persons WHERE owner_id = 2 AND update_time >= ''2026-01-01''');
SELECT same_rows('SELECT id FROM organizations WHERE owner_id = 1');
SELECT same_rows('SELECT id FROM products WHERE owner_id = 1 AND id IN (1, 2, 3, 4, 5, 6)');
SELECT same_rows('SELECT id, name FROM stages WHERE pipeline_id = 2');
SELECT same_rows('SELECT id, name FROM stages WHERE id = 3');
-- stages have no ids filter: one listing beats several lookups
SELECT same_rows('SELECT id, name FROM stages WHERE id IN (3, 4)');

-- notes (v1): ids of linked items, whole days of add_time, updated_since
SELECT same_rows('SELECT id FROM notes WHERE deal_id = 323');
SELECT same_rows('SELECT id FROM notes WHERE user_id = 2 AND person_id IS NOT NULL');
SELECT same_rows('SELECT id FROM notes WHERE add_time >= ''2026-02-01 12:00+00'' AND add_time < ''2026-03-01''');
SELECT same_rows('SELECT id FROM notes WHERE update_time >= ''2026-05-01T00:00:00Z''');

-- filters (v1)
SELECT same_rows('SELECT id, name FROM filters WHERE type = ''deals''');

-- deal products and deal flow exist only per deal
SELECT same_rows('SELECT id, product_id FROM deal_products WHERE deal_id = 3');
SELECT same_rows('SELECT id, product_id FROM deal_products WHERE deal_id IN (3, 7, 8)');
SELECT same_rows('SELECT id, object FROM deal_flow WHERE deal_id = 3');
SELECT same_rows('SELECT deal_id, id FROM deal_flow WHERE deal_id IN (3, 7)');
SELECT * FROM deal_products;
SELECT * FROM deal_flow WHERE id = 5;

-- LIMIT: when the API applies every condition, the page asks for just enough
SELECT same_rows('SELECT id FROM deals WHERE owner_id = 2 LIMIT 3');
SELECT same_rows('SELECT id FROM deals WHERE status IN (''won'', ''lost'') LIMIT 7');
-- ... but not when PostgreSQL filters or sorts after the scan
SELECT same_rows('SELECT id FROM deals WHERE owner_id = 2 AND value > 1000 LIMIT 3');
SELECT same_rows('SELECT id FROM deals WHERE owner_id = 2 ORDER BY value DESC LIMIT 3');

-- under a collation that ignores case, text conditions stay local: the API
-- compares exactly, and would miss 'won' for 'Won'
CREATE COLLATION case_blind (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
SELECT same_rows('SELECT id FROM deals WHERE status COLLATE case_blind = ''Won''');
DROP COLLATION case_blind;

-- a far-future date against a timestamp column does not wrap around
CREATE FOREIGN TABLE deals_wallclock (id bigint, update_time timestamp) SERVER pd
  OPTIONS (entity 'deals');
SELECT count(*) FROM deals_wallclock WHERE update_time < '294276-01-01'::date;
SELECT * FROM emu_requests();
DROP FOREIGN TABLE deals_wallclock;

-- LATERAL references from a foreign scan's target list
CREATE TABLE outer_rows (x int);
INSERT INTO outer_rows VALUES (100), (200);
SELECT t.x, s.tx, s.name
  FROM outer_rows t
  LEFT JOIN LATERAL (SELECT coalesce(t.x, 0) AS tx, p.name FROM pipelines p) s ON true
 ORDER BY 1, 3;
DROP TABLE outer_rows;
SELECT count(*) FROM emu_requests();

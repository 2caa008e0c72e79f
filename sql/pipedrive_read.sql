--
-- Every Pipedrive entity reads through its documented endpoint (v2 where
-- Pipedrive serves v2, v1 where only v1 exists), with the emulator's rows
-- and the right types.  emu_requests() shows exactly what was sent.
--
SELECT * FROM emu_requests();

-- deals (v2): plain ids, RFC 3339 times, numeric money, label arrays
SELECT id, title, owner_id, person_id, org_id, pipeline_id, stage_id, value,
       currency, status, add_time, update_time, expected_close_date, label_ids
  FROM deals WHERE id IN (1, 2, 3) ORDER BY id;
SELECT pg_typeof(value), pg_typeof(add_time), pg_typeof(label_ids),
       pg_typeof(custom_fields)
  FROM deals WHERE id = 1;
SELECT count(*), count(DISTINCT id), min(id), max(id),
       count(*) FILTER (WHERE status = 'deleted') AS deleted
  FROM deals;
SELECT * FROM emu_requests();

-- activities (v2)
SELECT id, subject, type, owner_id, deal_id, person_id, due_date, due_time,
       duration, done, busy, add_time
  FROM activities WHERE id = 1;
SELECT count(*), count(*) FILTER (WHERE done) AS done FROM activities;
SELECT * FROM emu_requests();

-- persons, organizations, products (v2)
SELECT id, name, first_name, last_name, owner_id, org_id, emails, phones
  FROM persons WHERE id = 1;
SELECT id, name, owner_id, address->>'locality' AS locality, label_ids
  FROM organizations WHERE id = 1;
SELECT id, name, code, unit, tax, billing_frequency, prices
  FROM products WHERE id = 1;
SELECT (SELECT count(*) FROM persons) AS persons,
       (SELECT count(*) FROM organizations) AS organizations,
       (SELECT count(*) FROM products) AS products;
SELECT * FROM emu_requests();

-- pipelines and their stages (v2)
SELECT p.id AS pipeline, p.name AS pipeline_name, s.id AS stage, s.name,
       s.order_nr, s.deal_probability
  FROM pipelines p JOIN stages s ON s.pipeline_id = p.id
 ORDER BY p.id, s.order_nr;
SELECT * FROM emu_requests();

-- deal fields (v2): keyed by field_code, custom ones by a 40-character hash
SELECT field_code, field_name, field_type, is_custom_field,
       jsonb_array_length(options) AS options
  FROM deal_fields WHERE is_custom_field ORDER BY field_name;
SELECT field_code, field_name FROM deal_fields WHERE field_code = 'title';
SELECT * FROM emu_requests();

-- tasks (v2)
SELECT id, title, project_id, is_done, due_date, assignee_ids
  FROM tasks ORDER BY id LIMIT 3;
SELECT * FROM emu_requests();

-- notes (v1): nested objects, "YYYY-MM-DD HH:MM:SS" times in UTC
SELECT id, content, deal_id, user_id, add_time, update_time,
       "user"->>'name' AS user_name, deal->>'title' AS deal_title
  FROM notes WHERE id = 1;
SELECT count(*) FROM notes;
SELECT * FROM emu_requests();

-- users, activity types, currencies, files, filters (v1)
SELECT id, name, email, active_flag, created FROM users ORDER BY id;
SELECT id, name, key_string, active_flag, order_nr FROM activity_types ORDER BY id;
SELECT id, code, name, decimal_points, symbol FROM currencies ORDER BY id;
SELECT id, name, file_name, file_size, deal_id, add_time FROM files WHERE id = 1;
SELECT count(*) FROM files;
SELECT id, name, type, user_id FROM filters ORDER BY id;
SELECT * FROM emu_requests();

-- deal products (v2) and deal flow (v1) are listed per deal
SELECT id, deal_id, product_id, name, item_price, quantity, sum
  FROM deal_products WHERE deal_id = 3 ORDER BY id;
SELECT deal_id, id, object, timestamp FROM deal_flow WHERE deal_id = 1 ORDER BY timestamp;
SELECT * FROM emu_requests();

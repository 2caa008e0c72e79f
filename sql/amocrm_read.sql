--
-- amoCRM (Kommo) API v4 reads: every entity of the seed connector's
-- checklist, from HAL listings paged by page number, items by id (204 is
-- "no such item"), rows unnested from each pipeline (stages) and each
-- lead (custom field values), lists the vendor documents (note and element
-- types), and one table over the notes of three entity types.
--
\getenv url CRM_EMULATOR_URL
\getenv amo_token CRM_TEST_AMOCRM_TOKEN
-- the emulator enforces amoCRM's 7 requests a second; these tests go
-- faster, and amocrm_limits.sql shows the limit held
SELECT emu('POST', '/__emulator/config', '{"amocrm_rate_limit": false}') \g /dev/null
SELECT * FROM emu_requests();

CREATE SERVER amo FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'amocrm', url :'url', requests_per_second '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER amo OPTIONS (access_token :'amo_token');
CREATE SCHEMA amo;
IMPORT FOREIGN SCHEMA amocrm FROM SERVER amo INTO amo;
SELECT c.relname, obj_description(c.oid, 'pg_class') AS comment
  FROM pg_class c WHERE c.relnamespace = 'amo'::regnamespace ORDER BY 1;
\d amo.deals
\d amo.stages

-- a deal by id is read from its own path, which no account setting affects
SELECT id, name, price, status_id, pipeline_id, created_at, updated_at,
       closed_at, tags
  FROM amo.deals WHERE id = 1000001;
SELECT * FROM emu_requests();
SELECT id FROM amo.deals WHERE id = 1000002;
SELECT * FROM emu_requests();

-- ids of linked contacts and the loss reason are asked for (with=) only
-- when the query reads them; a list of ids is a filter, which works only
-- where the account's API filtering is on, so the account is read first
-- (once per connection)
SELECT id, contact_ids, company_id, loss_reason_id, loss_reason_name
  FROM amo.deals WHERE id IN (1000001, 1000003) ORDER BY id;
SELECT * FROM emu_requests();

-- an id that is not there: 204, no rows
SELECT * FROM amo.deals WHERE id = 1999999;
SELECT * FROM emu_requests();

-- the whole listing, page by page (250 a page), against the emulator's own
-- rows; deleted leads are listed by amoCRM only on request
SELECT count(*), count(DISTINCT id), min(id), max(id) FROM amo.deals;
SELECT regexp_replace(r, '^(GET \S+).*$', '\1') FROM emu_requests() r;
SELECT (SELECT count(*) FROM jsonb_array_elements(amo_dump('leads')) l
         WHERE NOT (l ->> 'is_deleted')::boolean) AS live_leads_in_emulator;
SELECT * FROM emu_requests();

-- contacts and companies
SELECT id, name, first_name, last_name, responsible_user_id, company_ids
  FROM amo.contacts WHERE id IN (2000001, 2000002) ORDER BY id;
SELECT id, name, contact_ids FROM amo.companies WHERE id = 3000002;
SELECT (SELECT count(*) FROM amo.contacts) AS contacts,
       (SELECT count(*) FROM amo.companies) AS companies;
SELECT * FROM emu_requests();

-- pipelines, and their stages one row each with the pipeline's fields
SELECT id, name, sort, is_main, jsonb_array_length(statuses) AS statuses
  FROM amo.pipelines ORDER BY sort;
SELECT pipeline_id, pipeline_name, pipeline_is_main, id, name, sort, type
  FROM amo.stages ORDER BY pipeline_sort, sort;
SELECT * FROM emu_requests();

-- the deals with their stage and pipeline names: a join of deals and stages
SELECT s.pipeline_name, s.name AS stage, count(*) AS deals, sum(d.price) AS budget
  FROM amo.deals d JOIN amo.stages s ON s.id = d.status_id AND s.pipeline_id = d.pipeline_id
 GROUP BY s.pipeline_name, s.pipeline_sort, s.name, s.sort
 ORDER BY s.pipeline_sort, s.sort;
SELECT regexp_replace(r, 'page=\d+', 'page=N') FROM emu_requests() r;

-- users, groups, task types, loss reasons
SELECT id, name, email, group_id, role_id, is_admin, is_active, is_free
  FROM amo.users ORDER BY id;
SELECT * FROM amo.groups ORDER BY id;
SELECT * FROM amo.task_types ORDER BY id;
SELECT id, name FROM amo.loss_reasons ORDER BY sort;
SELECT * FROM emu_requests();

-- a lead's tasks and notes
SELECT id, entity_type, entity_id, task_type_id, text, is_completed,
       complete_till, result_text
  FROM amo.tasks WHERE entity_type = 'leads' AND entity_id = 1000001 ORDER BY id;
SELECT id, entity_type, entity_id, note_type, text
  FROM amo.notes WHERE entity_type = 'leads' AND entity_id = 1000001 ORDER BY id;
SELECT * FROM emu_requests();
-- without a condition on entity_type, the notes of each type in turn
SELECT entity_type, count(*) FROM amo.notes GROUP BY 1 ORDER BY 1;
SELECT regexp_replace(r, 'page=\d+', 'page=N') FROM emu_requests() r;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM amo.notes;

-- events, and the stage changes among them
SELECT id, type, entity_type, entity_id FROM amo.events
 WHERE entity_type = 'lead' AND entity_id = 1000001 ORDER BY created_at, id LIMIT 5;
SELECT lead_id, old_pipeline_id, old_status_id, new_pipeline_id, new_status_id,
       created_by, created_at
  FROM amo.deal_stage_changes WHERE lead_id = 1000002 ORDER BY created_at;
SELECT * FROM emu_requests();

-- custom fields: definitions of all three entity types, and the values of
-- a deal's fields one row each
SELECT entity_type, id, name, type, code, jsonb_array_length(enums) AS enums
  FROM amo.custom_fields ORDER BY entity_type, sort, id;
SELECT lead_id, field_id, field_name, field_type, enum_id, value
  FROM amo.deal_custom_field_values WHERE lead_id = 1000001 ORDER BY field_id, value;
SELECT * FROM emu_requests();

-- lists amoCRM documents: no request
SELECT * FROM amo.note_types ORDER BY code;
SELECT * FROM amo.element_types ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM amo.element_types;
SELECT * FROM emu_requests();

-- every entity answers, and each of the seed connector's tables has one
SELECT relname, (xpath('/row/count/text()',
                 query_to_xml(format('SELECT count(*) FROM amo.%I', relname), false, true, '')))[1]::text::int > 0 AS has_rows
  FROM pg_class WHERE relnamespace = 'amo'::regnamespace ORDER BY 1;
SELECT emu_request_count() > 0 AS sent_requests;

--
-- What the APIs do wrong, and what crm_fdw makes of it, for every provider:
-- amoCRM's failures by class (401, 402, 403 blocked, problem+json with
-- validation errors), its 7 requests a second held from the session,
-- retries spaced by backoff, and paging data that would make a scan go
-- wrong silently: a position that does not advance, and fields of the
-- wrong type.
--
\getenv url CRM_EMULATOR_URL
\getenv token CRM_TEST_TOKEN
\getenv amo_token CRM_TEST_AMOCRM_TOKEN
SELECT * FROM emu_requests();

-- amoCRM's failures, one class each
CREATE SERVER amo_bad FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'amocrm', url :'url', requests_per_second '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER amo_bad OPTIONS (access_token 'not-the-token');
CREATE FOREIGN TABLE amo_bad_users (id bigint, name text) SERVER amo_bad OPTIONS (entity 'users');
SELECT * FROM amo_bad_users;
SELECT emu('POST', '/__emulator/config', '{"amocrm_payment_required": true}') \g /dev/null
SELECT count(*) FROM amo.users;
SELECT emu('POST', '/__emulator/config', '{"amocrm_payment_required": false, "amocrm_account_blocked": true}') \g /dev/null
SELECT count(*) FROM amo.users;
SELECT emu('POST', '/__emulator/config', '{"amocrm_account_blocked": false}') \g /dev/null
SELECT emu('POST', '/__emulator/faults', $$[{"method":"GET","path":"^/api/v4/tasks$","status":400,
  "content_type":"application/problem+json",
  "body":{"validation-errors":[{"errors":[{"code":"InvalidType","path":"filter.is_completed","detail":"This value should be of type bool."}]}],
          "title":"Bad Request","type":"https://httpstatus.es/400","status":400,"detail":"Request validation failed"}}]$$) \g /dev/null
SELECT count(*) FROM amo.tasks WHERE is_completed;
-- a 429 is retried after a backoff
SELECT emu('POST', '/__emulator/faults', '[{"method":"GET","path":"^/api/v4/leads/pipelines$","status":429}]') \g /dev/null
SELECT count(*) FROM amo.pipelines;
SELECT * FROM emu_requests();
SELECT 1 AS still_working;

-- retries without Retry-After wait, growing and jittered, never at once
SELECT emu('POST', '/__emulator/faults', '[{"method":"GET","path":"^/api/v4/leads/loss_reasons$","status":503,"times":2}]') \g /dev/null
SELECT crm_fdw_stats_reset();
SELECT count(*) FROM amo.loss_reasons;
SELECT server, requests, retries FROM crm_fdw_stats();
SELECT r->>'status' AS status,
       round(((r->>'at')::numeric - lag((r->>'at')::numeric) OVER (ORDER BY (r->>'seq')::int)) * 1000) >= 10
         AS waited_10ms_or_more
  FROM jsonb_array_elements((SELECT string_agg(l, E'\n')
                               FROM emu('GET', '/__emulator/requests?clear=1') l)::jsonb) r
 ORDER BY (r->>'seq')::int;

-- amoCRM allows 7 requests a second per account; a session never sends
-- faster (requests_per_second, 7 unless set), and the emulator, enforcing
-- the limit again, turns none away
SELECT emu('POST', '/__emulator/config', '{"amocrm_rate_limit": null}') \g /dev/null
CREATE SERVER amo_paced FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'amocrm', url :'url', page_size '40');
CREATE USER MAPPING FOR CURRENT_USER SERVER amo_paced OPTIONS (access_token :'amo_token');
CREATE FOREIGN TABLE amo_paced_notes (id bigint) SERVER amo_paced OPTIONS (entity 'notes');
SELECT count(*) FROM amo_paced_notes;
CREATE TEMP TABLE paced AS
SELECT (r->>'at')::numeric AS at, (r->>'status')::int AS status
  FROM jsonb_array_elements((SELECT string_agg(l, E'\n')
                               FROM emu('GET', '/__emulator/requests?clear=1') l)::jsonb) r;
SELECT count(*) AS requests, count(*) FILTER (WHERE status = 429) AS turned_away,
       (SELECT max(n) FROM (SELECT count(*) AS n FROM paced a JOIN paced b
                             ON b.at >= a.at AND b.at < a.at + 1 GROUP BY a.at) w) AS most_in_any_second
  FROM paced;
SELECT emu('POST', '/__emulator/config', '{"amocrm_rate_limit": false}') \g /dev/null

-- paging data crm_fdw cannot follow: Pipedrive's cursor of the wrong type
-- would end the scan after one page, silently
SELECT emu('POST', '/__emulator/faults', $$[{"method":"GET","path":"^/api/v2/pipelines$","status":200,
  "body":{"success":true,"data":[{"id":1,"name":"Sales"}],"additional_data":{"next_cursor":12345}}}]$$) \g /dev/null
SELECT count(*) FROM pipelines;
-- and a cursor that names the page just read would repeat it for ever
SELECT emu('POST', '/__emulator/faults', $$[{"method":"GET","path":"^/api/v2/pipelines$","status":200,"times":2,
  "body":{"success":true,"data":[{"id":1,"name":"Sales"}],"additional_data":{"next_cursor":"c2FtZQ"}}}]$$) \g /dev/null
SELECT count(*) FROM pipelines;
-- v1's "more items" flag must be a boolean
SELECT emu('POST', '/__emulator/faults', $$[{"method":"GET","path":"^/api/v1/notes$","status":200,
  "body":{"success":true,"data":[{"id":1}],"additional_data":{"pagination":{"start":0,"limit":500,"more_items_in_collection":"yes"}}}}]$$) \g /dev/null
SELECT count(*) FROM notes;
SELECT regexp_replace(r, 'cursor=[A-Za-z0-9_-]+', 'cursor=...') FROM emu_requests() r;
-- amoCRM: a next link back to the same page, and a link that is no string
SELECT emu('POST', '/__emulator/faults', $$[{"method":"GET","path":"^/api/v4/users$","status":200,
  "content_type":"application/hal+json",
  "body":{"_page":1,"_links":{"next":{"href":"http://crm.example/api/v4/users?limit=250&page=1"}},"_embedded":{"users":[{"id":1001}]}}}]$$) \g /dev/null
SELECT count(*) FROM amo.users;
SELECT emu('POST', '/__emulator/faults', $$[{"method":"GET","path":"^/api/v4/users$","status":200,
  "content_type":"application/hal+json",
  "body":{"_page":1,"_links":{"next":{"href":2}},"_embedded":{"users":[{"id":1001}]}}}]$$) \g /dev/null
SELECT count(*) FROM amo.users;
-- items that are not where the entity says
SELECT emu('POST', '/__emulator/faults', $$[{"method":"GET","path":"^/api/v4/users$","status":200,
  "content_type":"application/hal+json", "body":{"_page":1,"_embedded":{"users":{"id":1001}}}}]$$) \g /dev/null
SELECT count(*) FROM amo.users;
SELECT * FROM emu_requests();
SELECT 1 AS still_working;

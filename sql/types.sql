--
-- Type conversion: any column type through its input function, JSON
-- null and missing keys as SQL NULL, nested fields through the field
-- option, and an ERROR naming table, column and value when a value does
-- not fit.  The session keeps working after each error.
--
-- times are instants: the session's zone changes how they print, not
-- what they are; v1's zone-less times are UTC
SET timezone = 'America/New_York';
SELECT id, update_time FROM deals WHERE id = 1;
SELECT id, add_time, update_time FROM notes WHERE id = 1;
RESET timezone;
SELECT id, update_time FROM deals WHERE id = 1;
SELECT id, add_time, update_time FROM notes WHERE id = 1;

-- the same fields, declared with other types and mapped with "field"
CREATE FOREIGN TABLE deal_shapes (
    id integer,
    title varchar(200),
    value_text text OPTIONS (field 'value'),
    value_money numeric(12,2) OPTIONS (field 'value'),
    value_float float8 OPTIONS (field 'value'),
    add_time_local timestamp OPTIONS (field 'add_time'),
    add_day date OPTIONS (field 'add_time'),
    label_ids int[],
    label_texts text[] OPTIONS (field 'label_ids'),
    labels_json json OPTIONS (field 'label_ids'),
    is_archived boolean,
    archived_text text OPTIONS (field 'is_archived'),
    custom_fields json,
    custom_text text OPTIONS (field 'custom_fields'),
    money_value numeric OPTIONS (field 'custom_fields.93f7b042a618535289a11a373ef947fdf30a8ce4.value'),
    money_currency text OPTIONS (field 'custom_fields.93f7b042a618535289a11a373ef947fdf30a8ce4.currency'),
    option_id int OPTIONS (field 'custom_fields.107ec4c1788de8e48b20e5dbb944ac7b20aaa3f0'),
    first_label bigint OPTIONS (field 'label_ids.0'),
    no_such_key text OPTIONS (field 'no_such_key'),
    probability numeric
) SERVER pd OPTIONS (entity 'deals');
\x on
SELECT * FROM deal_shapes WHERE id = 1;
\x off
SELECT * FROM emu_requests();

-- nested v1 objects and arrays of objects
CREATE FOREIGN TABLE note_authors (
    id bigint,
    author text OPTIONS (field 'user.name'),
    author_is_me boolean OPTIONS (field 'user.is_you'),
    deal_title text OPTIONS (field 'deal.title'),
    org_name text OPTIONS (field 'organization.name')
) SERVER pd OPTIONS (entity 'notes');
SELECT * FROM note_authors WHERE id = 1;
CREATE FOREIGN TABLE person_contacts (
    id bigint,
    name text,
    email text OPTIONS (field 'emails.0.value'),
    email_label text OPTIONS (field 'emails.0.label'),
    second_email text OPTIONS (field 'emails.1.value'),
    emails jsonb,
    phones json[]
) SERVER pd OPTIONS (entity 'persons');
SELECT * FROM person_contacts WHERE id = 1;

-- domains are checked
CREATE DOMAIN positive_money AS numeric CHECK (VALUE > 0);
CREATE DOMAIN deal_status AS text CHECK (VALUE IN ('open', 'won', 'lost'));
CREATE DOMAIN small_money AS numeric CHECK (VALUE < 10000);
CREATE FOREIGN TABLE deal_domains (
    id bigint,
    value positive_money,
    status deal_status
) SERVER pd OPTIONS (entity 'deals');
SELECT * FROM deal_domains WHERE id = 2;

-- values that do not fit: each ERROR names the table, the column, the value
CREATE FOREIGN TABLE deal_misfits (
    id bigint,
    title integer,
    value smallint,
    currency varchar(2),
    custom_fields integer,
    label_ids date[],
    value_domain small_money OPTIONS (field 'value')
) SERVER pd OPTIONS (entity 'deals');
SELECT id, title FROM deal_misfits WHERE id = 1;
SELECT 'the session still works' AS ok;
SELECT id, value FROM deal_misfits WHERE id = 1;
SELECT id, currency FROM deal_misfits WHERE id = 1;
SELECT id, custom_fields FROM deal_misfits WHERE id = 1;
SELECT id, label_ids FROM deal_misfits WHERE id = 1;
SELECT id, value_domain FROM deal_misfits WHERE id = 3;
SELECT 'the session still works' AS ok;

-- a column the query does not read is never converted
SELECT id FROM deal_misfits WHERE id = 1;
SELECT count(*) FROM deal_misfits WHERE id IN (1, 2, 3);

DROP FOREIGN TABLE deal_shapes, note_authors, person_contacts, deal_domains, deal_misfits;
DROP DOMAIN positive_money;
DROP DOMAIN deal_status;
DROP DOMAIN small_money;
SELECT * FROM emu_requests();

"""Pipedrive's generated dataset.

This module owns what exists in the emulated Pipedrive account: the fixed
vocabularies (users, pipelines, custom deal field keys, labels, filters...)
and ``PipedriveData``, the mixin that builds every table (users, currencies,
activity types, pipelines, stages, organizations, persons, products, deal
fields, deals, deal products, activities, tasks, notes, files, filters) as a
pure function of the seed, the scale and the anchor shift.  README.md
describes the result.

Internal rows are plain dicts whose keys are the v2 field names; timestamps
are integer Unix seconds (UTC).  Constant fields are left to the renderers,
which keeps 100,000 deals affordable.

It must never render API answers, parse requests or change rows after
generation (writes live in ``pipedrive_writes.py``).
"""

import calendar

from provider_kit import (ADDRESSES, DAY, FIRST_NAMES, LAST_NAMES, NOTE_TEXTS,
                          ORG_SUFFIXES, ORG_WORDS, Table, day_of, rng_uuid,
                          rfc3339_z as v2_time, seeded_rng)

# Generated timestamps lie in [BASE_TIME, END_TIME] (before any --anchor
# shift, which moves both by whole days).
BASE_TIME = calendar.timegm((2025, 1, 1, 0, 0, 0))
END_TIME = calendar.timegm((2026, 6, 30, 23, 59, 59))

# The user the API token and the OAuth token belong to.
ME = 1

# Custom deal fields: fixed keys (they do not depend on the seed), so tests
# can name them.  sha1("crm_fdw emulator deal field <name>").
CF_BUDGET = "93f7b042a618535289a11a373ef947fdf30a8ce4"     # monetary
CF_PRIORITY = "107ec4c1788de8e48b20e5dbb944ac7b20aaa3f0"   # enum (option id)
CF_NOTES = "1ac0d51266bb4e52e73e6079d007a95a1ea796cf"      # text
CUSTOM_KEYS = (CF_BUDGET, CF_PRIORITY, CF_NOTES)
PRIORITY_OPTIONS = ((41, "Low", "green"), (42, "Medium", "yellow"),
                    (43, "High", "red"))
DEAL_LABELS = ((1, "Hot", "red"), (2, "Warm", "yellow"), (3, "Cold", "blue"),
               (4, "Важный", "purple"))

PROJECT_IDS = (1, 2, 3)       # tasks and activities may point at these

# Deal fields whose changes PATCH records in the deal's flow.
FLOW_TRACKED = ("title", "value", "currency", "owner_id", "person_id",
                "org_id", "pipeline_id", "stage_id", "status",
                "expected_close_date", "probability", "lost_reason",
                "visible_to")

# --------------------------------------------------------------------------
# Fixed vocabularies for the generated data
# --------------------------------------------------------------------------

USERS = (
    ("Ada Lovelace", "ada@example.com", "en_US", "Europe/London", "+00:00"),
    ("Jürgen Müller", "juergen.mueller@example.com", "de_DE",
     "Europe/Berlin", "+01:00"),
    ("Зоя Иванова", "zoya.ivanova@example.com", "ru_RU", "Europe/Moscow",
     "+03:00"),
    ("Li Wei", "li.wei@example.com", "en_US", "Asia/Shanghai", "+08:00"),
    ("Olivia O'Connor", "olivia.oconnor@example.com", "en_US",
     "America/New_York", "-05:00"),
)
PIPELINE_NAMES = ("Sales", "Partners", "Renewals")
STAGE_NAMES = ("Qualified", "Contact Made", "Proposal Made",
               "Negotiations Started")
STAGE_PROBABILITIES = (10, 30, 60, 90)
ORG_FIXED = ("Müller GmbH", "ООО «Ромашка»",
             'Quote "Q" & Backslash \\ Ltd')
CURRENCIES = (("EUR", "Euro", 2, "€"), ("USD", "US Dollar", 2, "$"),
              ("GBP", "Pound Sterling", 2, "£"),
              ("RUB", "Russian Ruble", 2, "₽"),
              ("JPY", "Japanese Yen", 0, "¥"),
              ("CHF", "Swiss Franc", 2, "CHF"),
              ("SEK", "Swedish Krona", 2, "kr"),
              ("PLN", "Polish Zloty", 2, "zł"))
ACTIVITY_TYPES = (("Call", "call", "call"), ("Meeting", "meeting", "meeting"),
                  ("Task", "task", "task"), ("Deadline", "deadline",
                                             "deadline"),
                  ("Email", "email", "email"), ("Lunch", "lunch", "lunch"))
PRODUCT_FIXED = ("Mechanical Pencil", "Ручка шариковая", "Güter-Paket",
                 'Adapter 3/4" \\ steel')
PRODUCT_WORDS = ("Licence", "Support plan", "Consulting hour", "Widget",
                 "Gadget", "Onboarding", "Training day", "Cable", "Sensor")
LOST_REASONS = ("Price too high", "Went with a competitor", "Нет бюджета",
                None)
# filters: (name, type, [(object, field_code, operator, value)])
FILTERS = (
    ("All open deals", "deals", [("deal", "status", "=", "open")]),
    ("Won deals", "deals", [("deal", "status", "=", "won")]),
    ("Sales pipeline", "deals", [("deal", "pipeline_id", "=", "1")]),
    ("Deals of Jürgen", "deals", [("deal", "owner_id", "=", "2")]),
    ("Organizations of Ada", "org", [("organization", "owner_id", "=", "1")]),
    ("People without organization", "people",
     [("person", "org_id", "IS NULL", None)]),
    ("Undone activities", "activity", [("activity", "done", "=", "0")]),
    ("Linkable products", "products", [("product", "is_linkable", "=", "1")]),
)
FILTER_ENTITY = {"deals": "deals", "activities": "activity",
                 "persons": "people", "organizations": "org",
                 "products": "products"}


def address_object(addr):
    value, country, area1, locality, route, number, postal = addr
    return {"value": value, "country": country, "admin_area_level_1": area1,
            "admin_area_level_2": None, "locality": locality,
            "sublocality": None, "route": route, "street_number": number,
            "subpremise": None, "postal_code": postal}



class PipedriveData:
    """Mixin of ``PipedriveProvider``: dataset generation."""

    def check_scale(self):
        s = self.scale
        for key, value in s.items():
            if value < 0:
                raise ValueError("--scale %s must be >= 0" % key)
        for key in ("users", "pipelines", "activity_types", "currencies"):
            if s[key] < 1:
                raise ValueError("--scale %s must be >= 1" % key)
        if s["stages"] < s["pipelines"]:
            raise ValueError("--scale stages must be >= pipelines")
        if s["currencies"] > len(CURRENCIES):
            raise ValueError("--scale currencies is at most %d"
                             % len(CURRENCIES))

    def rng(self, entity):
        return seeded_rng("pipedrive", self.seed, entity)

    def generate(self, shift=0):
        """(Re)build every table from the seed and scale; every generated
        time is moved by ``shift`` seconds (whole days, see --anchor)."""
        s = self.scale
        self.base_time = BASE_TIME + shift
        self.end_time = END_TIME + shift
        self.flows = {}             # deal id -> materialized flow entries
        self.flow_seq = 10_000_000  # ids of flow entries made by writes
        self.gen_users(s["users"])
        self.gen_currencies(s["currencies"])
        self.gen_activity_types(s["activity_types"])
        self.gen_pipelines(s["pipelines"], s["stages"])
        self.gen_organizations(s["organizations"])
        self.gen_persons(s["persons"])
        self.gen_products(s["products"])
        self.gen_deal_fields()
        self.gen_deals(s["deals"])
        self.gen_deal_products()
        self.gen_activities(s["activities"])
        self.gen_tasks(s["tasks"])
        self.gen_notes(s["notes"])
        self.gen_files(s["files"])
        self.gen_filters(s["filters"])

    def gen_users(self, n):
        rng = self.rng("users")
        self.users = Table()
        for i in range(1, n + 1):
            if i <= len(USERS):
                name, email, locale, tz, offset = USERS[i - 1]
            else:
                name, email = "User %d" % i, "user%d@example.com" % i
                locale, tz, offset = "en_US", "Europe/Tallinn", "+02:00"
            created = self.base_time - rng.randint(30, 700) * DAY
            inactive = (i == 5)
            self.users.add({
                "id": i, "name": name, "email": email, "locale": locale,
                "timezone_name": tz, "timezone_offset": offset,
                "phone": None if i % 2 == 0 else "+372 5555 %04d" % i,
                "created": created,
                "modified": None if i == 3 else created + rng.randint(1, 300)
                * DAY,
                # the inactive user last logged in before the data begins
                "last_login": created + DAY if inactive else
                self.base_time + rng.randint(0, 540) * DAY,
                "activated": not inactive,
                "admin": i == 1,
                "icon_url": None if i % 3 == 0 else
                "https://example.pipedrive.com/avatars/%d.png" % i,
                "role_id": 1 if i == 1 else 2,
            })

    def gen_currencies(self, n):
        self.currencies = Table()
        for i in range(1, n + 1):
            code, name, dp, symbol = CURRENCIES[i - 1]
            self.currencies.add({"id": i, "code": code, "name": name,
                                 "decimal_points": dp, "symbol": symbol,
                                 "active_flag": True, "is_custom_flag": False})
        self.currency_codes = [c["code"] for c in self.currencies.values()]

    def gen_activity_types(self, n):
        self.activity_types = Table()
        colors = ("FFFFFF", "3D7DCA", "FF8A00", "D84343", "8BC34A", "9C27B0")
        for i in range(1, n + 1):
            if i <= len(ACTIVITY_TYPES):
                name, key, icon = ACTIVITY_TYPES[i - 1]
                custom = False
            else:
                name, key, icon = "Custom %d" % i, "custom_%d" % i, "bell"
                custom = True
            t = self.base_time - (100 - i) * DAY
            self.activity_types.add({
                "id": i, "order_nr": i, "name": name, "key_string": key,
                "icon_key": icon, "active_flag": True,
                "color": colors[(i - 1) % len(colors)],
                "is_custom_flag": custom, "add_time": t,
                "update_time": t + (i % 3) * DAY})
        self.type_by_key = {t["key_string"]: t
                            for t in self.activity_types.values()}

    def gen_pipelines(self, n_pipelines, n_stages):
        self.pipelines = Table()
        self.stages = Table()
        for p in range(1, n_pipelines + 1):
            t = self.base_time - (60 - p) * DAY
            self.pipelines.add({
                "id": p,
                "name": PIPELINE_NAMES[p - 1] if p <= len(PIPELINE_NAMES)
                else "Pipeline %d" % p,
                "order_nr": p, "is_deleted": False,
                "is_deal_probability_enabled": p != 2,
                "add_time": t, "update_time": t + p * DAY})
        per = -(-n_stages // n_pipelines)      # ceil
        self.stages_of = {p: [] for p in range(1, n_pipelines + 1)}
        for s in range(1, n_stages + 1):
            p = min((s - 1) // per + 1, n_pipelines)
            order = len(self.stages_of[p]) + 1
            rot = s % 3 != 0
            t = self.base_time - (50 - s % 50) * DAY
            self.stages.add({
                "id": s, "order_nr": order,
                "name": STAGE_NAMES[order - 1] if order <= len(STAGE_NAMES)
                else "Stage %d" % order,
                "is_deleted": False,
                "deal_probability": STAGE_PROBABILITIES[order - 1]
                if order <= len(STAGE_PROBABILITIES) else 100,
                "pipeline_id": p, "is_deal_rot_enabled": rot,
                "days_to_rotten": 14 + s if rot else None,
                "add_time": t, "update_time": t + s * 3600})
            self.stages_of[p].append(s)

    def gen_organizations(self, n):
        rng = self.rng("organizations")
        self.orgs = Table()
        users = len(self.users)
        for i in range(1, n + 1):
            if i <= len(ORG_FIXED):
                name = ORG_FIXED[i - 1]
            else:
                name = "%s %s %d" % (rng.choice(ORG_WORDS),
                                     rng.choice(ORG_SUFFIXES), i)
            add = self.base_time + rng.randint(0, 300 * DAY)
            upd = rng.randint(add, self.end_time)
            self.orgs.add({
                "id": i, "name": name, "owner_id": rng.randint(1, users),
                "add_time": add, "update_time": upd,
                "address": None if rng.random() < 0.3 else
                address_object(rng.choice(ADDRESSES)),
                "visible_to": 3 if rng.random() < 0.8 else 7,
                "label_ids": [] if rng.random() < 0.6 else
                sorted(rng.sample((5, 6, 7), rng.randint(1, 2))),
            })

    def gen_persons(self, n):
        rng = self.rng("persons")
        self.persons = Table()
        users, orgs = len(self.users), len(self.orgs)
        for i in range(1, n + 1):
            if i == 1:
                first, last = "Zoë", "Müller"
            elif i == 2:
                first, last = "Зоя", "Петрова"
            else:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            add = self.base_time + rng.randint(0, 360 * DAY)
            upd = rng.randint(add, self.end_time)
            emails = []
            if rng.random() >= 0.1:
                emails.append({"value": "person%d@example.com" % i,
                               "primary": True, "label": "work"})
                if rng.random() < 0.2:
                    emails.append({"value": "person%d@home.example.org" % i,
                                   "primary": False, "label": "home"})
            phones = [] if rng.random() < 0.2 else [
                {"value": "+372 5%03d %04d" % (i % 1000, rng.randint(0, 9999)),
                 "primary": True, "label": "mobile"}]
            self.persons.add({
                "id": i, "name": "%s %s" % (first, last), "first_name": first,
                "last_name": last, "owner_id": rng.randint(1, users),
                "org_id": None if (orgs == 0 or rng.random() < 0.1)
                else rng.randint(1, orgs),
                "add_time": add, "update_time": upd, "emails": emails,
                "phones": phones,
                "visible_to": 3 if rng.random() < 0.8 else 7,
                "label_ids": [] if rng.random() < 0.7 else [8],
                "picture_id": None if rng.random() < 0.9 else 1000 + i,
                "postal_address": None if rng.random() < 0.8 else
                address_object(rng.choice(ADDRESSES)),
                "notes": None if rng.random() < 0.9 else
                "Prefers e-mail; «важный» контакт",
                "im": [] if rng.random() < 0.9 else [
                    {"value": "person%d" % i, "primary": True,
                     "label": "skype"}],
                "birthday": None if rng.random() < 0.8 else
                "%04d-%02d-%02d" % (rng.randint(1960, 2000),
                                    rng.randint(1, 12), rng.randint(1, 28)),
                "job_title": None if rng.random() < 0.5 else
                rng.choice(("CEO", "CTO", "Buyer", "Einkäufer", "Менеджер")),
            })

    def gen_products(self, n):
        rng = self.rng("products")
        self.products = Table()
        users = len(self.users)
        for i in range(1, n + 1):
            name = PRODUCT_FIXED[i - 1] if i <= len(PRODUCT_FIXED) else \
                "%s %d" % (rng.choice(PRODUCT_WORDS), i)
            add = self.base_time + rng.randint(0, 200 * DAY)
            recurring = rng.random() < 0.2
            price = round(rng.uniform(5, 2000), 2)
            prices = [{"product_id": i, "price": price, "currency": "EUR",
                       "cost": round(price * 0.6, 2),
                       "direct_cost": round(price * 0.1, 2), "notes": ""}]
            if rng.random() < 0.3:
                prices.append({"product_id": i, "price": round(price * 1.1, 2),
                               "currency": "USD",
                               "cost": round(price * 0.66, 2),
                               "direct_cost": None, "notes": "list price"})
            self.products.add({
                "id": i, "name": name, "code": "P-%03d" % i,
                "description": None if rng.random() < 0.5 else
                "Beschreibung / описание of %s" % name,
                "unit": rng.choice(("pcs", "hours", "", "licences")),
                "tax": rng.choice((0, 9, 20, 22)),
                "category": None if rng.random() < 0.4 else
                rng.choice(("Retail", "Services", "Hardware")),
                "is_linkable": rng.random() < 0.9,
                "visible_to": 3 if rng.random() < 0.7 else 7,
                "owner_id": rng.randint(1, users),
                "add_time": add,
                "update_time": rng.randint(add, self.end_time),
                "billing_frequency": "monthly" if recurring else "one-time",
                "billing_frequency_cycles": (12 if rng.random() < 0.5
                                             else None) if recurring else None,
                "prices": prices,
            })

    def gen_deal_fields(self):
        """Standard deal fields plus the three custom ones (fixed)."""
        t = self.base_time - 90 * DAY
        std = [
            ("id", "ID", "The ID of the deal", "int"),
            ("title", "Title", "The title of the deal", "varchar"),
            ("creator_user_id", "Creator", "The user who created the deal",
             "user"),
            ("owner_id", "Owner", "The user who owns the deal", "user"),
            ("value", "Value", "The monetary value of the deal", "monetary"),
            ("probability", "Probability", "Deal success probability",
             "double"),
            ("org_id", "Organization", "The organization of the deal", "org"),
            ("pipeline_id", "Pipeline", "The pipeline of the deal", "int"),
            ("person_id", "Contact person", "The person of the deal",
             "people"),
            ("stage_id", "Stage", "The stage of the deal", "stage"),
            ("status", "Status", "open, won, lost or deleted", "status"),
            ("add_time", "Deal created", "Creation time", "date"),
            ("update_time", "Update time", "Last update time", "date"),
            ("stage_change_time", "Last stage change", "Stage change time",
             "date"),
            ("close_time", "Deal closed on", "Close time", "date"),
            ("won_time", "Won time", "Won time", "date"),
            ("lost_time", "Lost time", "Lost time", "date"),
            ("expected_close_date", "Expected close date",
             "When the deal is expected to close", "date"),
            ("lost_reason", "Lost reason", "Why the deal was lost",
             "varchar_options"),
            ("visible_to", "Visible to", "Visibility group", "visible_to"),
            ("label_ids", "Label", "Deal labels", "set"),
            ("is_archived", "Archived", "Whether the deal is archived",
             "boolean"),
            ("archive_time", "Archive time", "When it was archived", "date"),
            ("origin", "Source origin", "How the deal was created", "varchar"),
            ("origin_id", "Source origin ID", "Origin identifier", "varchar"),
            ("channel", "Source channel", "Marketing channel", "enum"),
            ("channel_id", "Source channel ID", "Channel identifier",
             "varchar"),
        ]
        fields = []
        for code, name, desc, ftype in std:
            options = subfields = None
            if code == "value":
                subfields = [
                    {"field_code": "value", "field_name": "Amount of Value",
                     "field_type": "double"},
                    {"field_code": "currency",
                     "field_name": "Currency of Value",
                     "field_type": "varchar"}]
            elif code == "label_ids":
                options = [{"id": i, "label": label, "color": color,
                            "update_time": v2_time(t), "add_time": v2_time(t)}
                           for i, label, color in DEAL_LABELS]
            elif code == "channel":
                options = []
            fields.append({
                "field_name": name, "field_code": code, "description": desc,
                "field_type": ftype, "options": options,
                "subfields": subfields, "is_custom_field": False,
                "is_optional_response_field": code in ("origin_id",),
            })
        fields.append({
            "field_name": "Budget", "field_code": CF_BUDGET,
            "description": "Customer budget (custom monetary field)",
            "field_type": "monetary", "options": None,
            "subfields": [
                {"field_code": CF_BUDGET, "field_name": "Amount of Budget",
                 "field_type": "double"},
                {"field_code": CF_BUDGET + "_currency",
                 "field_name": "Currency of Budget", "field_type": "varchar"}],
            "is_custom_field": True, "is_optional_response_field": False})
        fields.append({
            "field_name": "Priority", "field_code": CF_PRIORITY,
            "description": "Priority level for the deal",
            "field_type": "enum",
            "options": [{"id": i, "label": label, "color": color,
                         "update_time": v2_time(t), "add_time": v2_time(t)}
                        for i, label, color in PRIORITY_OPTIONS],
            "subfields": None, "is_custom_field": True,
            "is_optional_response_field": False})
        fields.append({
            "field_name": "Internal notes", "field_code": CF_NOTES,
            "description": "Free text (custom text field)",
            "field_type": "text", "options": None, "subfields": None,
            "is_custom_field": True, "is_optional_response_field": False})
        self.deal_fields = fields
        self.custom_fields = {f["field_code"]: f for f in fields
                              if f["is_custom_field"]}

    def gen_deals(self, n):
        rng = self.rng("deals")
        self.deals = Table()
        users, persons, orgs = len(self.users), len(self.persons), \
            len(self.orgs)
        n_stages = len(self.stages)
        codes = self.currency_codes
        cweights = [70, 15, 10, 3, 2, 1, 1, 1][:len(codes)]
        random_ = rng.random
        randint = rng.randint
        for i in range(1, n + 1):
            stage = self.stages.rows[randint(1, n_stages)]
            person = None if (persons == 0 or random_() < 0.1) \
                else randint(1, persons)
            org = None
            if person is not None and random_() < 0.8:
                org = self.persons.rows[person]["org_id"]
            elif orgs and random_() < 0.85:
                org = randint(1, orgs)
            add = self.base_time + randint(0, 450 * DAY)
            upd = randint(add, self.end_time)
            r = random_()
            status = ("deleted" if r < 0.03 else "won" if r < 0.25 else
                      "lost" if r < 0.40 else "open")
            currency = rng.choices(codes, cweights)[0]
            value = 0 if random_() < 0.05 else round(
                rng.uniform(100, 50000), 2)
            if currency == "JPY":
                value = round(value * 150)
            closed = rng.randint(add, upd) if status in ("won", "lost") \
                else None
            deal = {
                "id": i,
                "title": self.deal_title(i, rng, person, org),
                "creator_user_id": randint(1, users),
                "owner_id": randint(1, users),
                "person_id": person, "org_id": org,
                "pipeline_id": stage["pipeline_id"], "stage_id": stage["id"],
                "value": value, "currency": currency,
                "add_time": add, "update_time": upd,
                "stage_change_time": None if stage["order_nr"] == 1
                else randint(add, upd),
                "status": status,
                "is_archived": False, "archive_time": None,
                "probability": None if random_() < 0.7 else
                rng.choice((10, 25, 50, 75, 90)),
                "lost_reason": rng.choice(LOST_REASONS) if status == "lost"
                else None,
                "visible_to": 3 if random_() < 0.8 else 7,
                "won_time": closed if status == "won" else None,
                "lost_time": closed if status == "lost" else None,
                "close_time": closed,
                "expected_close_date": None if random_() < 0.2 else
                day_of(add + randint(10, 120) * DAY),
                "label_ids": [] if random_() < 0.4 else
                sorted(rng.sample((1, 2, 3, 4), randint(1, 2))),
                "origin": "ManuallyCreated" if random_() < 0.9 else "API",
                "source_lead_id": rng_uuid(rng) if random_() < 0.05 else None,
                CF_BUDGET: None if random_() < 0.3 else
                (round(rng.uniform(500, 20000), 2), currency),
                CF_PRIORITY: None if random_() < 0.25 else
                rng.choice(PRIORITY_OPTIONS)[0],
                CF_NOTES: None if random_() < 0.5 else
                rng.choice(("Needs follow-up", "Rückruf nächste Woche",
                            "Перезвонить", 'Said "maybe" \\ later')),
            }
            if status in ("won", "lost") and random_() < 0.05:
                deal["is_archived"] = True
                deal["archive_time"] = upd
            self.deals.add(deal)

    def deal_title(self, i, rng, person, org):
        if i == 1:
            return 'Deal with "quotes" and a \\backslash'
        if i == 2:
            return "Сделка для Зои"
        if i == 3:
            return "Müller Großauftrag"
        base = self.orgs.rows[org]["name"] if org else (
            self.persons.rows[person]["name"] if person else "Walk-in")
        return "%s %s" % (base, rng.choice(("deal", "renewal", "upgrade",
                                            "pilot", "expansion")))

    def gen_deal_products(self):
        rng = self.rng("deal_products")
        self.deal_products = Table()
        self.deal_products_of = {}
        n_products = len(self.products)
        if n_products == 0:
            return
        next_id = 1
        for deal in self.deals.values():
            if rng.random() >= 0.3:
                continue
            ids = []
            for k in range(rng.randint(1, 3)):
                product = self.products.rows[rng.randint(1, n_products)]
                add = rng.randint(deal["add_time"], deal["update_time"])
                discount = 0 if rng.random() < 0.8 else 10
                row = {
                    "id": next_id, "deal_id": deal["id"],
                    "product_id": product["id"],
                    "order_nr": k + 1,
                    "add_time": add,
                    "update_time": rng.randint(add, deal["update_time"]),
                    "comments": "" if rng.random() < 0.8 else
                    "Rabatt vereinbart / скидка",
                    "discount": discount,
                    "discount_type": "percentage" if discount == 0 or
                    rng.random() < 0.7 else "amount",
                    "quantity": rng.randint(1, 10),
                    "item_price": product["prices"][0]["price"],
                    "tax": product["tax"],
                    "tax_method": rng.choice(("exclusive", "inclusive",
                                              "none")),
                    "is_enabled": True,
                    "billing_frequency": product["billing_frequency"],
                    "billing_frequency_cycles":
                        product["billing_frequency_cycles"],
                    "billing_start_date": day_of(add) if
                    product["billing_frequency"] != "one-time" else None,
                }
                self.deal_products.add(row)
                ids.append(next_id)
                next_id += 1
            self.deal_products_of[deal["id"]] = ids

    def gen_activities(self, n):
        rng = self.rng("activities")
        self.activities = Table()
        users, persons, orgs = len(self.users), len(self.persons), \
            len(self.orgs)
        live = self.live_deal_ids()
        types = [t["key_string"] for t in self.activity_types.values()]
        for i in range(1, n + 1):
            deal = self.deals.rows[rng.choice(live)] \
                if live and rng.random() < 0.6 else None
            person = deal["person_id"] if deal else (
                rng.randint(1, persons) if persons and rng.random() < 0.7
                else None)
            org = deal["org_id"] if deal else (
                self.persons.rows[person]["org_id"] if person else (
                    rng.randint(1, orgs) if orgs and rng.random() < 0.5
                    else None))
            add = self.base_time + rng.randint(0, 500 * DAY)
            upd = rng.randint(add, self.end_time)
            kind = rng.choice(types)
            done = rng.random() < 0.5
            due_time = None if rng.random() < 0.4 else "%02d:%02d:00" % (
                rng.randint(8, 17), rng.choice((0, 15, 30, 45)))
            participants = []
            if person is not None:
                participants.append({"person_id": person, "primary": True})
                if persons > 1 and rng.random() < 0.1:
                    other = rng.randint(1, persons)
                    if other != person:
                        participants.append({"person_id": other,
                                             "primary": False})
            who = self.persons.rows[person]["name"] if person else None
            subject = "Anruf bei Müller" if i == 1 else (
                "%s with %s" % (self.type_by_key[kind]["name"], who) if who
                else self.type_by_key[kind]["name"])
            attendees = []
            if kind == "meeting" and person and rng.random() < 0.5:
                attendees.append({"email": "person%d@example.com" % person,
                                  "name": who, "status": "accepted",
                                  "is_organizer": False, "person_id": person,
                                  "user_id": None})
            conference = kind == "meeting" and rng.random() < 0.3
            self.activities.add({
                "id": i, "subject": subject, "type": kind,
                "owner_id": rng.randint(1, users),
                "creator_user_id": rng.randint(1, users),
                "is_deleted": False, "add_time": add, "update_time": upd,
                "deal_id": deal["id"] if deal else None,
                "lead_id": rng_uuid(rng) if rng.random() < 0.05 else None,
                "person_id": person, "org_id": org,
                "project_id": rng.choice(PROJECT_IDS) if rng.random() < 0.05
                else None,
                "due_date": None if rng.random() < 0.05 else
                day_of(add + rng.randint(0, 60) * DAY),
                "due_time": due_time,
                "duration": None if due_time is None else
                rng.choice(("00:15:00", "00:30:00", "01:00:00")),
                "busy": rng.random() < 0.3, "done": done,
                "marked_as_done_time": rng.randint(add, upd) if done else None,
                "location": None if rng.random() < 0.8 else
                address_object(rng.choice(ADDRESSES)),
                "participants": participants, "attendees": attendees,
                "conference_meeting_client": "google_meet" if conference
                else None,
                "conference_meeting_url": "https://meet.google.com/abc-%04d"
                % i if conference else None,
                "conference_meeting_id": "abc-%04d" % i if conference
                else None,
                "public_description": None if rng.random() < 0.8 else
                "Agenda: Preise & Termine",
                "priority": None if rng.random() < 0.7 else
                rng.choice((1, 2, 3)),
                "note": None if rng.random() < 0.5 else
                "<p>%s</p>" % rng.choice(NOTE_TEXTS),
            })

    def live_deal_ids(self):
        return [d["id"] for d in self.deals.values()
                if d["status"] != "deleted"]

    def gen_tasks(self, n):
        rng = self.rng("tasks")
        self.tasks = Table()
        users = len(self.users)
        roots = {p: [] for p in PROJECT_IDS}    # tasks without a parent
        for i in range(1, n + 1):
            project = rng.choice(PROJECT_IDS)
            add = self.base_time + rng.randint(0, 500 * DAY)
            upd = rng.randint(add, self.end_time)
            done = rng.random() < 0.4
            parent = None
            if i > 5 and rng.random() < 0.2 and roots[project]:
                parent = rng.choice(roots[project])
            start = None if rng.random() < 0.5 else add + rng.randint(0, 20) \
                * DAY
            self.tasks.add({
                "id": i,
                "title": "Prepare proposal" if i == 1 else
                "Task %d: %s" % (i, rng.choice(("review", "call back",
                                                "Angebot prüfen",
                                                "проверить договор"))),
                "creator_id": rng.randint(1, users),
                "description": None if rng.random() < 0.5 else
                "Details for task %d" % i,
                "project_id": project, "is_done": done,
                "is_milestone": rng.random() < 0.1,
                "due_date": None if rng.random() < 0.3 else
                day_of(add + rng.randint(5, 90) * DAY),
                "start_date": day_of(start),
                "parent_task_id": parent,
                "assignee_ids": sorted(rng.sample(range(1, users + 1),
                                                  rng.randint(0, min(2,
                                                                     users)))),
                "priority": None if rng.random() < 0.7 else rng.randint(0, 3),
                "add_time": add, "update_time": upd,
                "marked_as_done_time": rng.randint(add, upd) if done else None,
            })
            if parent is None:
                roots[project].append(i)

    def gen_notes(self, n):
        rng = self.rng("notes")
        self.notes = Table()
        users, persons, orgs = len(self.users), len(self.persons), \
            len(self.orgs)
        live = self.live_deal_ids()
        for i in range(1, n + 1):
            r = rng.random()
            deal = person = org = lead = None
            if r < 0.6 and live:
                deal = rng.choice(live)
            elif r < 0.85 and persons:
                person = rng.randint(1, persons)
            elif r < 0.95 and orgs:
                org = rng.randint(1, orgs)
            else:
                lead = rng_uuid(rng)
            add = self.base_time + rng.randint(0, 540 * DAY)
            upd = add if rng.random() < 0.5 else \
                rng.randint(add, self.end_time)
            user = rng.randint(1, users)
            if i == 1:
                content = '<p>Customer said "ok" \\ see C:\\temp</p>'
            else:
                content = "<p>%s</p>" % rng.choice(NOTE_TEXTS)
            self.notes.add({
                "id": i, "content": content, "deal_id": deal,
                "person_id": person, "org_id": org, "lead_id": lead,
                "project_id": None, "task_id": None, "user_id": user,
                "last_update_user_id": user if upd == add else
                rng.randint(1, users),
                "add_time": add, "update_time": upd, "active_flag": True,
                "pinned_to_lead_flag": lead is not None and rng.random() < 0.2,
                "pinned_to_deal_flag": deal is not None and rng.random() < 0.1,
                "pinned_to_organization_flag": False,
                "pinned_to_person_flag": person is not None and
                rng.random() < 0.1,
                "pinned_to_project_flag": False,
                "pinned_to_task_flag": False,
            })

    def gen_files(self, n):
        rng = self.rng("files")
        self.files = Table()
        users, persons, orgs = len(self.users), len(self.persons), \
            len(self.orgs)
        live = self.live_deal_ids()
        kinds = (("pdf", "contract_%d.pdf", "pdf"),
                 ("jpg", "photo_%d.jpg", "img"),
                 ("docx", "offer_%d.docx", "doc"))
        for i in range(1, n + 1):
            r = rng.random()
            deal = rng.choice(live) if r < 0.5 and live else None
            person = rng.randint(1, persons) if 0.5 <= r < 0.8 and persons \
                else None
            org = rng.randint(1, orgs) if r >= 0.8 and orgs else None
            ext, pattern, ftype = rng.choice(kinds)
            add = self.base_time + rng.randint(0, 540 * DAY)
            self.files.add({
                "id": i, "user_id": rng.randint(1, users), "deal_id": deal,
                "person_id": person, "org_id": org,
                "add_time": add,
                "update_time": rng.randint(add, self.end_time),
                "file_name": pattern % i, "file_type": ftype,
                "file_size": rng.randint(1000, 5_000_000),
                "name": "Vertrag %d" % i if ext == "pdf" else pattern % i,
                "description": "" if rng.random() < 0.6 else
                "Uploaded file / загруженный файл",
            })

    def gen_filters(self, n):
        self.filters = Table()
        for i in range(1, n + 1):
            if i <= len(FILTERS):
                name, ftype, conds = FILTERS[i - 1]
            else:
                owner = (i % len(self.users)) + 1
                name, ftype = "Deals of user %d" % owner, "deals"
                conds = [("deal", "owner_id", "=", str(owner))]
            t = self.base_time + i * 7 * DAY
            self.filters.add({
                "id": i, "name": name, "type": ftype, "conditions": conds,
                "user_id": 1 if i % 2 else 2, "add_time": t,
                "update_time": None if i == 3 else t + DAY,
                "visible_to": "7" if i % 3 else "3",
                "last_used_time": None if i % 2 == 0 else t + 2 * DAY,
            })

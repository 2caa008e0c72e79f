"""Pipedrive provider for the CRM emulator.

Responsible for everything Pipedrive-specific:

* a deterministic dataset generated from the seed (users, pipelines, stages,
  organizations, persons, products, deals with custom fields, deal products,
  activities, notes, activity types, currencies, tasks, files, filters and
  deal flow), see README.md for its exact shape;
* the read endpoints of API v2 (cursor paging) and of the v1 endpoints that
  Pipedrive still serves (start/limit paging), with their filters, sorting and
  envelopes as Pipedrive's OpenAPI specs describe them;
* the writes crm_fdw issues (deals, activities, notes), validated against the
  request-body schemas in ``pipedrive_schemas.json`` (extracted from the
  vendor specs by ``extract_pipedrive_schemas.py``) and stored in memory;
* authentication (``x-api-token`` header or ``Authorization: Bearer``), the
  error envelope and the rate-limit headers.

Internal rows are plain dicts whose keys are the v2 field names; timestamps
are kept as integer Unix seconds (UTC) and formatted on output: RFC 3339 for
v2, ``YYYY-MM-DD HH:MM:SS`` for v1.  Constant fields are filled in by the
renderers, which keeps 100,000 deals affordable.
"""

import base64
import binascii
import bisect
import calendar
import hmac
import json
import os
import random
import re
import time
import uuid
from http import HTTPStatus

from crm_emulator import Provider, Response

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS_FILE = os.path.join(HERE, "pipedrive_schemas.json")

ERROR_INFO = ("Please check developers.pipedrive.com for more information "
              "about Pipedrive API.")

# Generated timestamps lie in [BASE_TIME, END_TIME].
BASE_TIME = calendar.timegm((2025, 1, 1, 0, 0, 0))
END_TIME = calendar.timegm((2026, 6, 30, 23, 59, 59))
DAY = 86400

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


class ApiError(Exception):
    """Answer with Pipedrive's error envelope."""

    def __init__(self, status, message, **extra):
        Exception.__init__(self, message)
        self.status = status
        self.message = message
        self.extra = extra


def validation_error(problems):
    """400 in the shape Pipedrive v2 uses for schema violations."""
    text = "; ".join("%s: %s" % (field, msg) for field, msg in problems)
    return ApiError(400, "Validation failed: " + text,
                    code="ERR_SCHEMA_VALIDATION_FAILED")


def bad_param(name, what):
    return validation_error([(name, "Parameter '%s' %s" % (name, what))])


# --------------------------------------------------------------------------
# Time helpers
# --------------------------------------------------------------------------

def v2_time(t):
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                time.gmtime(t))


def v2_time_ms(t):
    """Tasks: the spec's examples carry milliseconds."""
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                                time.gmtime(t))


def v1_time(t):
    return None if t is None else time.strftime("%Y-%m-%d %H:%M:%S",
                                                time.gmtime(t))


def day_of(t):
    return None if t is None else time.strftime("%Y-%m-%d", time.gmtime(t))


def now():
    return int(time.time())


RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})"
                     r"(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
V1_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})")
DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
CLOCK = re.compile(r"(\d{2}):(\d{2})(?::(\d{2}))?")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _epoch(y, mo, d, h=0, mi=0, s=0):
    y, mo, d, h, mi, s = map(int, (y, mo, d, h, mi, s))
    if not (1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1]
            and h < 24 and mi < 60 and s < 61):
        raise ValueError("out of range")
    return calendar.timegm((y, mo, d, h, mi, s))


def parse_rfc3339(text):
    """RFC 3339 timestamp -> Unix seconds (float); ValueError if malformed."""
    m = RFC3339.fullmatch(text or "")
    if not m:
        raise ValueError(text)
    t = _epoch(*m.groups()[:6])
    if m.group(7):
        t += float("0" + m.group(7))
    zone = m.group(8)
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        t -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return t


def parse_v1_time(text):
    m = V1_TIME.fullmatch(text or "")
    if not m:
        raise ValueError(text)
    return _epoch(*m.groups())


def parse_any_time(text):
    """Body timestamps: RFC 3339 or Pipedrive's 'YYYY-MM-DD HH:MM:SS' UTC."""
    try:
        return int(parse_rfc3339(text))
    except ValueError:
        return parse_v1_time(text)


def parse_date(text):
    m = DATE.fullmatch(text or "")
    if not m:
        raise ValueError(text)
    return _epoch(*m.groups())


def normalize_clock(text):
    """'HH:MM' or 'HH:MM:SS' -> 'HH:MM:SS'; ValueError otherwise."""
    m = CLOCK.fullmatch(text or "")
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59 or \
            int(m.group(3) or 0) > 59:
        raise ValueError(text)
    return "%s:%s:%s" % (m.group(1), m.group(2), m.group(3) or "00")


# --------------------------------------------------------------------------
# Request-body validation against the vendor's schemas
# --------------------------------------------------------------------------

_ARTICLE = {"integer": "an integer", "number": "a number",
            "string": "a string", "boolean": "a boolean",
            "object": "an object", "array": "an array"}


def _type_ok(value, expected):
    if expected == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or \
            (isinstance(value, float) and value.is_integer())
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "object":
        return isinstance(value, dict)
    if expected == "array":
        return isinstance(value, list)
    return True


def validate(value, schema, path, strict, problems):
    """Check ``value`` against an OpenAPI schema; append (field, message).

    ``strict`` rejects properties the schema does not list (what Pipedrive
    v2 does: "Parameter 'x' is not allowed for this request"); objects whose
    schema says ``additionalProperties: true`` (custom_fields) stay open.
    """
    name = path or "body"
    if value is None:
        if not schema.get("nullable"):
            problems.append((name, "Parameter '%s' must not be null" % name))
        return
    if "oneOf" in schema or "anyOf" in schema:
        for option in schema.get("oneOf") or schema.get("anyOf"):
            trial = []
            validate(value, option, path, strict, trial)
            if not trial:
                return
        problems.append((name, "Parameter '%s' has an invalid value" % name))
        return
    expected = schema.get("type")
    if expected and not _type_ok(value, expected):
        problems.append((name, "Parameter '%s' must be %s"
                         % (name, _ARTICLE.get(expected, expected))))
        return
    if "enum" in schema and value not in schema["enum"]:
        problems.append((name, "Parameter '%s' must be one of: %s" % (
            name, ", ".join(str(v) for v in schema["enum"]))))
        return
    fmt = schema.get("format")
    if isinstance(value, str) and fmt:
        try:
            if fmt == "date":
                parse_date(value)
            elif fmt == "uuid" and not UUID_RE.fullmatch(value):
                raise ValueError(value)
            elif fmt == "date-time":
                parse_rfc3339(value)
        except ValueError:
            problems.append((name, "Parameter '%s' is not a valid %s"
                             % (name, fmt)))
            return
    for key, low in (("minimum", True), ("maximum", False)):
        if key in schema and isinstance(value, (int, float)) and \
                not isinstance(value, bool):
            if (value < schema[key]) if low else (value > schema[key]):
                problems.append((name, "Parameter '%s' must be %s %s" % (
                    name, ">=" if low else "<=", schema[key])))
                return
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for req in schema.get("required") or ():
            if req not in value:
                sub = "%s.%s" % (path, req) if path else req
                problems.append((sub, "Parameter '%s' is required" % sub))
        extra = schema.get("additionalProperties")
        for key, sub_value in value.items():
            sub = "%s.%s" % (path, key) if path else key
            if key in props:
                validate(sub_value, props[key], sub, strict, problems)
            elif isinstance(extra, dict):
                validate(sub_value, extra, sub, strict, problems)
            elif strict and extra is not True and (props or extra is False):
                problems.append((sub, "Parameter '%s' is not allowed for "
                                      "this request" % sub))
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            validate(item, schema["items"], "%s[%d]" % (name, i), strict,
                     problems)


# --------------------------------------------------------------------------
# Query-string helpers
# --------------------------------------------------------------------------

INT_RE = re.compile(r"-?\d{1,18}")


def parse_int(name, text):
    if not INT_RE.fullmatch(text.strip()):
        raise bad_param(name, "must be an integer")
    return int(text)


def parse_bool(name, text):
    value = text.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise bad_param(name, "must be a boolean")


def split_list(values):
    """Comma lists, possibly repeated (?a=1,2&a=3) -> ['1', '2', '3']."""
    out = []
    for value in values:
        out.extend(x.strip() for x in value.split(",") if x.strip() != "")
    return out


def encode_cursor(obj):
    raw = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text):
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        obj = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ApiError(400, "Invalid cursor")
    if not isinstance(obj, dict) or set(obj) != {"field", "fieldValue",
                                                 "sortDirection", "id"} or \
            not isinstance(obj["id"], int):
        raise ApiError(400, "Invalid cursor")
    return obj


def sort_key(value, row_id):
    """Total order for keyset paging; None sorts before any value."""
    return (value is not None, 0 if value is None else value, row_id)


# --------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------

class Table:
    """Rows by id, plus the ids in ascending order for keyset paging.

    Sorting a large table for every page would make paging quadratic, so
    the order by a non-id field is cached per field and dropped whenever
    the table changes (``add`` and ``touch``; writers must call ``touch``
    after modifying a row in place).
    """

    def __init__(self):
        self.rows = {}
        self.ids = []
        self.version = 0
        self.orders = {}        # sort field -> (version, sorted keys)

    def add(self, row):
        row_id = row["id"]
        if self.ids and row_id <= self.ids[-1]:
            raise ValueError("ids must grow")
        self.rows[row_id] = row
        self.ids.append(row_id)
        self.version += 1

    def touch(self):
        self.version += 1

    def sorted_keys(self, field, getter):
        """[sort_key(value, id), ...] ascending, for every row."""
        cached = self.orders.get(field)
        if cached is None or cached[0] != self.version:
            keys = sorted(sort_key(getter(r), r["id"])
                          for r in self.rows.values())
            cached = self.orders[field] = (self.version, keys)
        return cached[1]

    def get(self, row_id):
        return self.rows.get(row_id)

    def next_id(self):
        return self.ids[-1] + 1 if self.ids else 1

    def __len__(self):
        return len(self.rows)

    def values(self):
        return self.rows.values()


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
ORG_WORDS = ("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
             "Hooli", "Vandelay", "Nordwind", "Tallinn Tech", "Baltic",
             "Polar", "Riverside", "Summit")
ORG_SUFFIXES = ("Ltd", "GmbH", "OÜ", "Inc", "AS", "LLC")
FIRST_NAMES = ("Zoë", "Зоя", "Anna", "Mark", "José", "Liis", "Peter",
               "Maria", "Jaan", "Olga", "Tom", "Kate", "Ivan", "Eva")
LAST_NAMES = ("Müller", "Петрова", "Smith", "Tamm", "García", "Kask",
              "Brown", "Ivanova", "O'Neil", "Saar", "Novak", "Lee")
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
NOTE_TEXTS = ("Called, will send the offer.", "Kunde wünscht Rückruf.",
              "Клиент просит скидку.", "Meeting went well.",
              "Sent the contract for signature.", "Needs approval from CFO.")
ADDRESSES = (
    ("Mustamäe tee 3, 10616 Tallinn, Estonia", "Estonia", "Harju maakond",
     "Tallinn", "Mustamäe tee", "3", "10616"),
    ("Unter den Linden 77, 10117 Berlin, Germany", "Germany", "Berlin",
     "Berlin", "Unter den Linden", "77", "10117"),
    ("Тверская ул. 7, Москва, Россия", "Россия", "Москва", "Москва",
     "Тверская ул.", "7", "125009"),
    ("123 Main St, Sunnyvale, CA 94085, USA", "USA", "CA", "Sunnyvale",
     "Main St", "123", "94085"),
)

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


def rng_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# --------------------------------------------------------------------------
# The provider
# --------------------------------------------------------------------------

class PipedriveProvider(Provider):
    name = "pipedrive"
    prefixes = ("/api/v1/", "/api/v2/")
    rate_window_seconds = 2.0
    default_scale = {
        "users": 5, "pipelines": 3, "stages": 12, "organizations": 50,
        "persons": 120, "products": 30, "deals": 1200, "activities": 1500,
        "notes": 300, "activity_types": 6, "currencies": 5, "tasks": 40,
        "files": 60, "filters": 8,
    }
    config_defaults = {
        "pipedrive_rate_limit": None,       # requests per 2 s window per token
        "pipedrive_daily_budget": None,     # tokens (x-token-cost) per day
        # deal flow: the spec's schema puts start/limit/more_items directly
        # in additional_data ("flat"); its example nests them in
        # additional_data.pagination ("nested").
        "pipedrive_flow_pagination": "flat",
        # v1 lists with no rows: the spec says "data": [] ("array"); older
        # v1 endpoints answer "data": null ("null").
        "pipedrive_v1_empty_data": "array",
    }
    config_choices = {
        "pipedrive_flow_pagination": ("flat", "nested"),
        "pipedrive_v1_empty_data": ("array", "null"),
    }

    def __init__(self, seed, scale, env):
        Provider.__init__(self, seed, scale, env)
        self.api_token = env.get("CRM_EMULATOR_PIPEDRIVE_API_TOKEN",
                                 "demo-api-token")
        self.oauth_token = env.get("CRM_EMULATOR_PIPEDRIVE_OAUTH_TOKEN",
                                   "demo-oauth-token")
        with open(SCHEMAS_FILE, encoding="utf-8") as f:
            self.ops = json.load(f)["operations"]
        self.check_scale()
        self.routes = self.build_routes()

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

    # ------------------------------------------------------------------
    # Data generation
    # ------------------------------------------------------------------

    def rng(self, entity):
        # string seeds are hashed with SHA-512: stable across runs and
        # independent of PYTHONHASHSEED
        return random.Random("pipedrive:%d:%s" % (self.seed, entity))

    def reset(self):
        s = self.scale
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
            created = BASE_TIME - rng.randint(30, 700) * DAY
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
                BASE_TIME + rng.randint(0, 540) * DAY,
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
            t = BASE_TIME - (100 - i) * DAY
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
            t = BASE_TIME - (60 - p) * DAY
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
            t = BASE_TIME - (50 - s % 50) * DAY
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
            add = BASE_TIME + rng.randint(0, 300 * DAY)
            upd = rng.randint(add, END_TIME)
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
            add = BASE_TIME + rng.randint(0, 360 * DAY)
            upd = rng.randint(add, END_TIME)
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
            add = BASE_TIME + rng.randint(0, 200 * DAY)
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
                "add_time": add, "update_time": rng.randint(add, END_TIME),
                "billing_frequency": "monthly" if recurring else "one-time",
                "billing_frequency_cycles": (12 if rng.random() < 0.5
                                             else None) if recurring else None,
                "prices": prices,
            })

    def gen_deal_fields(self):
        """Standard deal fields plus the three custom ones (fixed)."""
        t = BASE_TIME - 90 * DAY
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
            add = BASE_TIME + randint(0, 450 * DAY)
            upd = randint(add, END_TIME)
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
            add = BASE_TIME + rng.randint(0, 500 * DAY)
            upd = rng.randint(add, END_TIME)
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
            add = BASE_TIME + rng.randint(0, 500 * DAY)
            upd = rng.randint(add, END_TIME)
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
            add = BASE_TIME + rng.randint(0, 540 * DAY)
            upd = add if rng.random() < 0.5 else rng.randint(add, END_TIME)
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
            add = BASE_TIME + rng.randint(0, 540 * DAY)
            self.files.add({
                "id": i, "user_id": rng.randint(1, users), "deal_id": deal,
                "person_id": person, "org_id": org,
                "add_time": add, "update_time": rng.randint(add, END_TIME),
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
            t = BASE_TIME + i * 7 * DAY
            self.filters.add({
                "id": i, "name": name, "type": ftype, "conditions": conds,
                "user_id": 1 if i % 2 else 2, "add_time": t,
                "update_time": None if i == 3 else t + DAY,
                "visible_to": "7" if i % 3 else "3",
                "last_used_time": None if i % 2 == 0 else t + 2 * DAY,
            })

    # ------------------------------------------------------------------
    # Renderers: internal row -> API object
    # ------------------------------------------------------------------

    def render_deal(self, d, include=(), only_custom=None,
                    option_labels=False, labels=False):
        won, lost, closed = d["won_time"], d["lost_time"], d["close_time"]
        custom = {}
        for key in CUSTOM_KEYS:
            if only_custom is not None and key not in only_custom:
                continue
            value = d[key]
            if value is not None:
                if key == CF_BUDGET:
                    value = {"value": value[0], "currency": value[1]}
                elif key == CF_PRIORITY and option_labels:
                    value = {"id": value,
                             "label": dict((o[0], o[1])
                                           for o in PRIORITY_OPTIONS)[value]}
            custom[key] = value
        out = {
            "id": d["id"], "title": d["title"],
            "creator_user_id": d["creator_user_id"],
            "owner_id": d["owner_id"], "value": d["value"],
            "person_id": d["person_id"], "org_id": d["org_id"],
            "stage_id": d["stage_id"], "pipeline_id": d["pipeline_id"],
            "currency": d["currency"],
            "archive_time": v2_time(d["archive_time"]),
            "add_time": v2_time(d["add_time"]),
            "update_time": v2_time(d["update_time"]),
            "stage_change_time": v2_time(d["stage_change_time"]),
            "status": d["status"], "is_archived": d["is_archived"],
            "is_deleted": d["status"] == "deleted",
            "probability": d["probability"], "lost_reason": d["lost_reason"],
            "visible_to": d["visible_to"],
            "close_time": v2_time(closed), "won_time": v2_time(won),
            "lost_time": v2_time(lost),
            "local_won_date": day_of(won), "local_lost_date": day_of(lost),
            "local_close_date": day_of(closed),
            "expected_close_date": d["expected_close_date"],
            "label_ids": list(d["label_ids"]),
            "origin": d["origin"], "origin_id": None, "channel": None,
            "channel_id": None,
        }
        if "source_lead_id" in include:
            out["source_lead_id"] = d["source_lead_id"]
        out.update({"acv": None, "arr": None, "mrr": None,
                    "custom_fields": custom})
        if labels:
            names = dict((label[0], label[1]) for label in DEAL_LABELS)
            out["labels"] = [{"id": i, "label": names.get(i)}
                             for i in d["label_ids"]]
        return out

    def render_activity(self, a, include=()):
        out = {
            "id": a["id"], "subject": a["subject"], "type": a["type"],
            "owner_id": a["owner_id"],
            "creator_user_id": a["creator_user_id"],
            "is_deleted": a["is_deleted"],
            "add_time": v2_time(a["add_time"]),
            "update_time": v2_time(a["update_time"]),
            "deal_id": a["deal_id"], "lead_id": a["lead_id"],
            "person_id": a["person_id"], "org_id": a["org_id"],
            "project_id": a["project_id"], "due_date": a["due_date"],
            "due_time": a["due_time"], "duration": a["duration"],
            "busy": a["busy"], "done": a["done"],
            "marked_as_done_time": v2_time(a["marked_as_done_time"]),
            "location": a["location"],
            "participants": [dict(p) for p in a["participants"]],
        }
        if "attendees" in include:
            out["attendees"] = [dict(x) for x in a["attendees"]]
        out.update({
            "conference_meeting_client": a["conference_meeting_client"],
            "conference_meeting_url": a["conference_meeting_url"],
            "conference_meeting_id": a["conference_meeting_id"],
            "public_description": a["public_description"],
            "priority": a["priority"], "note": a["note"],
        })
        return out

    def render_person(self, p):
        return {
            "id": p["id"], "name": p["name"], "first_name": p["first_name"],
            "last_name": p["last_name"], "owner_id": p["owner_id"],
            "org_id": p["org_id"], "add_time": v2_time(p["add_time"]),
            "update_time": v2_time(p["update_time"]),
            "emails": [dict(e) for e in p["emails"]],
            "phones": [dict(e) for e in p["phones"]],
            "is_deleted": False, "visible_to": p["visible_to"],
            "label_ids": list(p["label_ids"]), "picture_id": p["picture_id"],
            "custom_fields": {}, "notes": p["notes"],
            "im": [dict(e) for e in p["im"]], "birthday": p["birthday"],
            "job_title": p["job_title"],
            "postal_address": p["postal_address"],
        }

    def render_org(self, o):
        return {
            "id": o["id"], "name": o["name"], "owner_id": o["owner_id"],
            "add_time": v2_time(o["add_time"]),
            "update_time": v2_time(o["update_time"]),
            "address": o["address"], "is_deleted": False,
            "visible_to": o["visible_to"], "label_ids": list(o["label_ids"]),
            "custom_fields": {},
        }

    def render_product(self, p):
        return {
            "id": p["id"], "name": p["name"], "code": p["code"],
            "description": p["description"], "unit": p["unit"],
            "tax": p["tax"], "category": p["category"],
            "is_linkable": p["is_linkable"], "is_deleted": False,
            "visible_to": p["visible_to"], "owner_id": p["owner_id"],
            "add_time": v2_time(p["add_time"]),
            "update_time": v2_time(p["update_time"]),
            "billing_frequency": p["billing_frequency"],
            "billing_frequency_cycles": p["billing_frequency_cycles"],
            "prices": [dict(x) for x in p["prices"]],
            "custom_fields": {},
        }

    def render_stage(self, s):
        return {k: (v2_time(v) if k in ("add_time", "update_time") else v)
                for k, v in s.items()}

    render_pipeline = render_stage

    def render_task(self, t):
        return {
            "id": t["id"], "title": t["title"], "creator_id": t["creator_id"],
            "description": t["description"], "project_id": t["project_id"],
            "is_done": t["is_done"], "is_milestone": t["is_milestone"],
            "due_date": t["due_date"], "start_date": t["start_date"],
            "parent_task_id": t["parent_task_id"],
            "assignee_ids": list(t["assignee_ids"]), "priority": t["priority"],
            "add_time": v2_time_ms(t["add_time"]),
            "update_time": v2_time_ms(t["update_time"]),
            "marked_as_done_time": v2_time_ms(t["marked_as_done_time"]),
        }

    def render_deal_product(self, r):
        product = self.products.rows[r["product_id"]]
        deal = self.deals.rows[r["deal_id"]]
        base = r["quantity"] * r["item_price"]
        if r["discount_type"] == "percentage":
            base *= 1 - r["discount"] / 100.0
        else:
            base -= r["discount"]
        if r["tax_method"] == "exclusive":
            base *= 1 + r["tax"] / 100.0
        return {
            "id": r["id"], "sum": round(base, 2), "tax": r["tax"],
            "deal_id": r["deal_id"], "name": product["name"],
            "product_id": r["product_id"], "product_variation_id": None,
            "order_nr": r["order_nr"], "add_time": v2_time(r["add_time"]),
            "update_time": v2_time(r["update_time"]),
            "comments": r["comments"], "currency": deal["currency"],
            "discount": r["discount"], "quantity": r["quantity"],
            "item_price": r["item_price"], "tax_method": r["tax_method"],
            "discount_type": r["discount_type"], "is_enabled": r["is_enabled"],
            "billing_frequency": r["billing_frequency"],
            "billing_frequency_cycles": r["billing_frequency_cycles"],
            "billing_start_date": r["billing_start_date"],
        }

    def render_deal_field(self, f, include=()):
        out = dict(f)
        out["options"] = None if f["options"] is None else \
            [dict(o) for o in f["options"]]
        out["subfields"] = None if f["subfields"] is None else \
            [dict(o) for o in f["subfields"]]
        if "ui_visibility" in include:
            out["ui_visibility"] = {
                "add_visible_flag": True, "details_visible_flag": True,
                "projects_detail_visible_flag": False,
                "show_in_pipelines": {"show_in_all": True,
                                      "pipeline_ids": []}}
        if "important_fields" in include:
            out["important_fields"] = {"enabled": False, "stage_ids": []}
        if "required_fields" in include:
            out["required_fields"] = {
                "enabled": f["field_code"] == "title", "stage_ids": [],
                "statuses": {}}
        return out

    def user_brief(self, user_id):
        u = self.users.rows.get(user_id)
        if u is None:
            return None
        return {"email": u["email"], "icon_url": u["icon_url"],
                "is_you": u["id"] == ME, "name": u["name"]}

    def render_note(self, n):
        deal = self.deals.rows.get(n["deal_id"]) if n["deal_id"] else None
        org = self.orgs.rows.get(n["org_id"]) if n["org_id"] else None
        person = self.persons.rows.get(n["person_id"]) \
            if n["person_id"] else None
        task = self.tasks.rows.get(n["task_id"]) if n["task_id"] else None
        return {
            "id": n["id"], "active_flag": n["active_flag"],
            "add_time": v1_time(n["add_time"]), "content": n["content"],
            "deal": {"title": deal["title"]} if deal else None,
            "lead_id": n["lead_id"], "deal_id": n["deal_id"],
            "last_update_user_id": n["last_update_user_id"],
            "org_id": n["org_id"],
            "organization": {"name": org["name"]} if org else None,
            "person": {"name": person["name"]} if person else None,
            "person_id": n["person_id"], "project_id": n["project_id"],
            "project": {"title": "Project %d" % n["project_id"]}
            if n["project_id"] else None,
            "task_id": n["task_id"],
            "task": {"title": task["title"]} if task else None,
            "pinned_to_lead_flag": n["pinned_to_lead_flag"],
            "pinned_to_deal_flag": n["pinned_to_deal_flag"],
            "pinned_to_organization_flag": n["pinned_to_organization_flag"],
            "pinned_to_person_flag": n["pinned_to_person_flag"],
            "pinned_to_project_flag": n["pinned_to_project_flag"],
            "pinned_to_task_flag": n["pinned_to_task_flag"],
            "update_time": v1_time(n["update_time"]),
            "user": self.user_brief(n["user_id"]),
            "user_id": n["user_id"],
        }

    def render_user(self, u):
        access = [{"app": "sales", "admin": u["admin"],
                   "permission_set_id": str(uuid.UUID(int=u["id"] * 7919,
                                                      version=4))},
                  {"app": "global", "admin": u["admin"],
                   "permission_set_id": str(uuid.UUID(int=u["id"] * 104729,
                                                      version=4))}]
        return {
            "id": u["id"], "name": u["name"], "default_currency": "EUR",
            "locale": u["locale"], "lang": 1, "email": u["email"],
            "phone": u["phone"], "activated": u["activated"],
            "last_login": v1_time(u["last_login"]),
            "created": v1_time(u["created"]),
            "modified": v1_time(u["modified"]),
            "has_created_company": u["id"] == 1, "access": access,
            "active_flag": u["activated"],
            "timezone_name": u["timezone_name"],
            "timezone_offset": u["timezone_offset"], "role_id": u["role_id"],
            "icon_url": u["icon_url"], "is_you": u["id"] == ME,
            "is_deleted": False,
        }

    def render_activity_type(self, t):
        return {"id": t["id"], "order_nr": t["order_nr"], "name": t["name"],
                "key_string": t["key_string"], "icon_key": t["icon_key"],
                "active_flag": t["active_flag"], "color": t["color"],
                "is_custom_flag": t["is_custom_flag"],
                "add_time": v1_time(t["add_time"]),
                "update_time": v1_time(t["update_time"])}

    def render_currency(self, c):
        return dict(c)

    def render_file(self, f):
        deal = self.deals.rows.get(f["deal_id"]) if f["deal_id"] else None
        person = self.persons.rows.get(f["person_id"]) \
            if f["person_id"] else None
        org = self.orgs.rows.get(f["org_id"]) if f["org_id"] else None
        return {
            "id": f["id"], "user_id": f["user_id"], "deal_id": f["deal_id"],
            "person_id": f["person_id"], "org_id": f["org_id"],
            "product_id": None, "activity_id": None, "lead_id": None,
            "log_id": None, "add_time": v1_time(f["add_time"]),
            "update_time": v1_time(f["update_time"]),
            "file_name": f["file_name"], "file_type": f["file_type"],
            "file_size": f["file_size"], "active_flag": True,
            "inline_flag": False, "remote_location": "s3",
            "remote_id": f["file_name"], "cid": "", "s3_bucket": "",
            "mail_message_id": "", "mail_template_id": "",
            "deal_name": deal["title"] if deal else "",
            "person_name": person["name"] if person else "",
            "lead_name": "", "org_name": org["name"] if org else "",
            "product_name": "",
            "url": "https://example.pipedrive.com/api/v1/files/%d/download"
            % f["id"],
            "name": f["name"], "description": f["description"],
        }

    def render_filter(self, f, with_conditions=False, field_codes=False):
        out = {
            "id": f["id"], "name": f["name"], "filter_code": None,
            "is_editable": True, "active_flag": True, "type": f["type"],
            "temporary_flag": None, "user_id": f["user_id"],
            "add_time": v1_time(f["add_time"]),
            "update_time": v1_time(f["update_time"]),
            "visible_to": f["visible_to"],
            "last_used_time": v1_time(f["last_used_time"]),
            "custom_view_id": None,
        }
        if with_conditions:
            conds = []
            for obj, code, op, value in f["conditions"]:
                c = {"object": obj, "field_id": str(self.field_id(code)),
                     "operator": op, "value": value, "extra_value": None,
                     "json_value_flag": False}
                if field_codes:
                    c["field_code"] = code
                conds.append(c)
            out["conditions"] = {"glue": "and", "conditions": [
                {"glue": "and", "conditions": conds},
                {"glue": "or", "conditions": []}]}
        return out

    def field_id(self, code):
        for i, f in enumerate(self.deal_fields, 1):
            if f["field_code"] == code:
                return 12000 + i
        return 13000 + sum(map(ord, code))

    # ------------------------------------------------------------------
    # Deal flow
    # ------------------------------------------------------------------

    def change_entry(self, entry_id, deal_id, user_id, t, key, old, new):
        return {"object": "dealChange", "timestamp": v1_time(t), "data": {
            "id": entry_id, "item_id": deal_id, "user_id": user_id,
            "field_key": key, "old_value": old, "new_value": new,
            "is_bulk_update_flag": None, "log_time": v1_time(t),
            "change_source": "app", "change_source_user_agent": None,
            "additional_data": []}, "_t": t}

    def seeded_flow(self, d):
        """The changes a generated deal went through, derived from it."""
        did, who = d["id"], d["creator_user_id"]
        out = [self.change_entry(did * 10 + 1, did, who, d["add_time"],
                                 "add_time", None, v1_time(d["add_time"]))]
        if d["stage_change_time"] is not None:
            first = self.stages_of[d["pipeline_id"]][0]
            out.append(self.change_entry(did * 10 + 2, did, d["owner_id"],
                                         d["stage_change_time"], "stage_id",
                                         first, d["stage_id"]))
        if d["status"] in ("won", "lost"):
            out.append(self.change_entry(did * 10 + 3, did, d["owner_id"],
                                         d["close_time"], "status", "open",
                                         d["status"]))
        return out

    def flow_of(self, d):
        entries = self.flows.get(d["id"])
        if entries is None:
            entries = self.seeded_flow(d)
        items = list(entries)
        for n in self.notes.values():
            if n["deal_id"] == d["id"] and n["active_flag"]:
                items.append({"object": "note",
                              "timestamp": v1_time(n["add_time"]),
                              "data": self.render_note(n),
                              "_t": n["add_time"]})
        items.sort(key=lambda e: (e["_t"], e["object"] == "note",
                                  e["data"]["id"]), reverse=True)
        return [{k: v for k, v in e.items() if k != "_t"} for e in items]

    def record_changes(self, d, before, user_id, t):
        if d["id"] not in self.flows:
            self.flows[d["id"]] = self.seeded_flow(before)
        for key in FLOW_TRACKED:
            if before.get(key) != d.get(key):
                self.flow_seq += 1
                self.flows[d["id"]].append(self.change_entry(
                    self.flow_seq, d["id"], user_id, t, key, before.get(key),
                    d.get(key)))

    # ------------------------------------------------------------------
    # Dumps for tests
    # ------------------------------------------------------------------

    def dump(self, entity):
        entity = {"dealFields": "deal_fields", "activityTypes":
                  "activity_types", "deals_products": "deal_products"}.get(
            entity, entity)
        full = ("source_lead_id", "attendees")
        if entity == "deals":
            return [self.render_deal(d, include=full)
                    for d in self.deals.values()]
        if entity == "activities":
            return [self.render_activity(a, include=full)
                    for a in self.activities.values()]
        if entity == "deal_fields":
            return [self.render_deal_field(f) for f in self.deal_fields]
        if entity == "filters":
            return [self.render_filter(f, True, True)
                    for f in self.filters.values()]
        if entity == "deal_flow":
            return [dict(e, deal_id=d["id"]) for d in self.deals.values()
                    for e in self.flow_of(d)]
        tables = {
            "persons": (self.persons, self.render_person),
            "organizations": (self.orgs, self.render_org),
            "products": (self.products, self.render_product),
            "stages": (self.stages, self.render_stage),
            "pipelines": (self.pipelines, self.render_pipeline),
            "tasks": (self.tasks, self.render_task),
            "deal_products": (self.deal_products, self.render_deal_product),
            "notes": (self.notes, self.render_note),
            "users": (self.users, self.render_user),
            "activity_types": (self.activity_types,
                               self.render_activity_type),
            "currencies": (self.currencies, self.render_currency),
            "files": (self.files, self.render_file),
        }
        if entity not in tables:
            return None
        table, render = tables[entity]
        return [render(r) for r in table.values()]

    # ------------------------------------------------------------------
    # Auth, errors, rate limits
    # ------------------------------------------------------------------

    def authenticate(self, req):
        api = req.headers.get("x-api-token")
        if api is not None:
            ok = hmac.compare_digest(api.strip().encode(),
                                     self.api_token.encode())
            return "x-api-token", ("x-api-token" if ok else None)
        auth = req.headers.get("Authorization")
        if auth:
            scheme, _, value = auth.strip().partition(" ")
            if scheme.lower() == "bearer":
                ok = hmac.compare_digest(value.strip().encode(),
                                         self.oauth_token.encode())
                return "bearer", ("bearer" if ok else None)
        # A token in the URL (?api_token=...) never authenticates here.
        return None, None

    def envelope(self, status, message, **extra):
        body = {"success": False, "error": message}
        body.update(extra)
        body.update({"error_info": ERROR_INFO, "data": None,
                     "additional_data": None})
        return Response.json(status, body)

    def unauthorized(self, req):
        return self.envelope(401, "unauthorized access", errorCode=401)

    def error(self, status, message=None):
        if status == 401:
            return self.unauthorized(None)
        if message is None:
            message = {400: "Bad request", 402: "Payment required",
                       403: "You do not have permissions to do this.",
                       404: "Not found", 405: "Method not allowed",
                       410: "Gone", 429: "Too many requests",
                       500: "Internal server error", 502: "Bad gateway",
                       503: "Service unavailable",
                       504: "Gateway timeout"}.get(status)
        if message is None:
            try:
                message = HTTPStatus(status).phrase
            except ValueError:
                message = "Error %d" % status
        return self.envelope(status, message)

    def rate_limited(self, retry_after, daily):
        resp = self.envelope(
            429, "Daily API token budget exceeded" if daily else
            "Request over limit")
        resp.headers.append(("Retry-After", retry_after))
        return resp

    def rate_headers(self, limit, remaining, reset, daily_left):
        return [("x-ratelimit-limit", limit),
                ("x-ratelimit-remaining", remaining),
                ("x-ratelimit-reset", reset),
                ("x-daily-requests-left", daily_left)]

    def token_cost(self, req):
        route, _ = self.match(req)
        if route is None:
            return 1
        return self.ops.get(route[2], {}).get("token_cost") or 1

    # ------------------------------------------------------------------
    # Routing
    # ------------------------------------------------------------------

    def build_routes(self):
        table = [
            ("GET", "/api/v2/deals", self.list_deals),
            ("POST", "/api/v2/deals", self.create_deal),
            ("GET", "/api/v2/deals/products", self.list_deal_products),
            ("GET", "/api/v2/deals/{id}", self.get_deal),
            ("PATCH", "/api/v2/deals/{id}", self.update_deal),
            ("DELETE", "/api/v2/deals/{id}", self.delete_deal),
            ("GET", "/api/v2/activities", self.list_activities),
            ("POST", "/api/v2/activities", self.create_activity),
            ("GET", "/api/v2/activities/{id}", self.get_activity),
            ("PATCH", "/api/v2/activities/{id}", self.update_activity),
            ("DELETE", "/api/v2/activities/{id}", self.delete_activity),
            ("GET", "/api/v2/persons", self.list_persons),
            ("GET", "/api/v2/persons/{id}", self.get_simple),
            ("GET", "/api/v2/organizations", self.list_orgs),
            ("GET", "/api/v2/organizations/{id}", self.get_simple),
            ("GET", "/api/v2/products", self.list_products),
            ("GET", "/api/v2/products/{id}", self.get_simple),
            ("GET", "/api/v2/stages", self.list_stages),
            ("GET", "/api/v2/stages/{id}", self.get_simple),
            ("GET", "/api/v2/pipelines", self.list_pipelines),
            ("GET", "/api/v2/pipelines/{id}", self.get_simple),
            ("GET", "/api/v2/dealFields", self.list_deal_fields),
            ("GET", "/api/v2/dealFields/{field_code}", self.get_deal_field),
            ("GET", "/api/v2/tasks", self.list_tasks),
            ("GET", "/api/v2/tasks/{id}", self.get_simple),
            ("GET", "/api/v1/notes", self.list_notes),
            ("POST", "/api/v1/notes", self.create_note),
            ("GET", "/api/v1/notes/{id}", self.get_note),
            ("PUT", "/api/v1/notes/{id}", self.update_note),
            ("DELETE", "/api/v1/notes/{id}", self.delete_note),
            ("GET", "/api/v1/users", self.list_users),
            ("GET", "/api/v1/users/{id}", self.get_user),
            ("GET", "/api/v1/activityTypes", self.list_activity_types),
            ("GET", "/api/v1/currencies", self.list_currencies),
            ("GET", "/api/v1/files", self.list_files),
            ("GET", "/api/v1/files/{id}", self.get_simple),
            ("GET", "/api/v1/filters", self.list_filters),
            ("GET", "/api/v1/filters/{id}", self.get_filter),
            ("GET", "/api/v1/deals/{id}/flow", self.list_deal_flow),
        ]
        routes = []
        for method, template, func in table:
            pattern = re.escape(template)
            pattern = pattern.replace(r"\{id\}", r"(?P<id>\d{1,18})")
            pattern = pattern.replace(r"\{field_code\}",
                                      r"(?P<field_code>[A-Za-z0-9_]+)")
            routes.append((method, re.compile(pattern), "%s %s"
                           % (method, template), func))
        return routes

    def match(self, req):
        """(route, match) for the request; (None, allowed methods) if not."""
        allowed = []
        for route in self.routes:
            m = route[1].fullmatch(req.path)
            if m:
                if route[0] == req.method:
                    return route, m
                allowed.append(route[0])
        return None, allowed

    def handle(self, req, config):
        route, m = self.match(req)
        if route is None:
            if m:
                resp = self.error(405, "Method %s is not allowed here"
                                  % req.method)
                resp.headers.append(("Allow", ", ".join(sorted(set(m)))))
                return resp
            return self.error(404, "Unknown method %s %s"
                              % (req.method, req.path))
        self.config = config
        self.op = self.ops.get(route[2], {})
        self.op_key = route[2]
        try:
            status, body = route[3](req, m.groupdict())
        except ApiError as e:
            return self.envelope(e.status, e.message, **e.extra)
        return Response.json(status, body)

    # ------------------------------------------------------------------
    # Query parsing shared by the read endpoints
    # ------------------------------------------------------------------

    # parameters parsed by hand (lists, times, cursors...)
    SPECIAL_PARAMS = {"ids", "status", "deal_ids", "updated_since",
                      "updated_until", "include_fields", "custom_fields",
                      "limit", "cursor", "start", "sort", "start_date",
                      "end_date", "parent_task_id", "lead_id", "items",
                      "term"}

    def parse_query(self, req):
        """Validate the declared query parameters; unknown ones are ignored
        (as Pipedrive does).  Returns {name: parsed value}."""
        q = {}
        declared = self.op.get("query", {})
        for name, values in req.query.items():
            if name not in declared:
                continue
            schema = declared[name]
            text = values[-1]
            if name in self.SPECIAL_PARAMS:
                q[name] = values
                continue
            kind = schema.get("type")
            if kind == "integer":
                value = parse_int(name, text)
            elif kind == "boolean":
                value = parse_bool(name, text)
            elif kind == "number":
                try:
                    value = float(text)
                except ValueError:
                    raise bad_param(name, "must be a number")
                if value.is_integer():
                    value = int(value)
            else:
                value = text
            if "enum" in schema and value not in schema["enum"]:
                raise bad_param(name, "must be one of: %s" % ", ".join(
                    str(v) for v in schema["enum"]))
            q[name] = value
        for name, schema in declared.items():
            if schema.get("required") and name not in req.query:
                raise bad_param(name, "is required")
        return q

    def id_list(self, q, name, limit=100):
        if name not in q:
            return None
        out = []
        for item in split_list(q[name]):
            out.append(parse_int(name, item))
        if not out:                 # "ids=" counts as not given
            return None
        if len(out) > limit:
            raise bad_param(name, "must contain at most %d ids" % limit)
        return set(out)

    def time_bound(self, q, name):
        if name not in q:
            return None
        try:
            return parse_rfc3339(q[name][-1].strip())
        except ValueError:
            raise bad_param(name, "must be a date-time in RFC 3339 format, "
                                  "e.g. 2025-01-01T10:20:00Z")

    def enum_list(self, q, name):
        if name not in q:
            return None
        allowed = (self.op["query"][name].get("enum") or [])
        # include_fields may be declared as combinations: split them too
        allowed = set(x for a in allowed for x in str(a).split(","))
        out = split_list(q[name])
        for item in out:
            if item not in allowed:
                raise bad_param(name, "must be one of: %s"
                                % ", ".join(sorted(allowed)))
        return out

    def updated_window(self, q):
        since = self.time_bound(q, "updated_since")
        until = self.time_bound(q, "updated_until")
        return since, until

    def v2_filter(self, q, entity):
        """The saved filter given as filter_id, as a row predicate."""
        if "filter_id" not in q:
            return None
        f = self.filters.get(q["filter_id"])
        if f is None:
            raise ApiError(400, "Filter not found")
        if f["type"] != FILTER_ENTITY[entity]:
            raise ApiError(400, "Filter %d is not a %s filter"
                           % (f["id"], FILTER_ENTITY[entity]))
        conds = f["conditions"]

        def text(v):
            if isinstance(v, bool):
                return "1" if v else "0"
            return None if v is None else str(v)

        def pred(row):
            for _, code, op, value in conds:
                v = text(row.get(code))
                if op == "=" and v != value:
                    return False
                if op == "IS NULL" and v is not None:
                    return False
                if op == "IS NOT NULL" and v is None:
                    return False
            return True
        return pred

    # ------------------------------------------------------------------
    # v2 paging
    # ------------------------------------------------------------------

    def v2_page(self, q, source, pred, render, sort_fields=None):
        """One page of a v2 list with keyset cursor paging.

        ``source`` is a Table (ids ascending) or a list of rows;
        ``sort_fields`` maps sort_by values to row getters.
        """
        limit = 100
        if "limit" in q:
            limit = parse_int("limit", q["limit"][-1])
            if limit < 1 or limit > 500:
                raise bad_param("limit", "must be between 1 and 500")
        sort_by = q.get("sort_by", "id")
        direction = q.get("sort_direction", "asc")
        desc = direction == "desc"
        getter = (sort_fields or {}).get(sort_by) or (lambda r: r["id"])
        cursor = None
        if "cursor" in q and q["cursor"][-1] != "":
            cursor = decode_cursor(q["cursor"][-1])
            if cursor["field"] != sort_by or \
                    cursor["sortDirection"] != direction:
                raise ApiError(400, "Invalid cursor: it was made for "
                                    "sort_by=%s sort_direction=%s"
                               % (cursor["field"], cursor["sortDirection"]))
        if isinstance(source, Table):
            # walk an ascending index from the cursor; stop after limit + 1
            if sort_by == "id":
                keys, ck = source.ids, cursor and cursor["id"]
            else:
                keys = source.sorted_keys(sort_by, getter)
                ck = cursor and sort_key(cursor["fieldValue"], cursor["id"])
            rows = source.rows
        else:
            # small lists (deal products of some deals, deal fields)
            rows = {r["id"]: r for r in source}
            keys = sorted(sort_key(getter(r), r["id"]) for r in source)
            ck = cursor and sort_key(cursor["fieldValue"], cursor["id"])
        try:
            if desc:
                start = (bisect.bisect_right(keys, ck) - 1 if cursor
                         else len(keys) - 1)
                positions = range(start, -1, -1)
            else:
                start = bisect.bisect_left(keys, ck) if cursor else 0
                positions = range(start, len(keys))
        except TypeError:               # a cursor value of the wrong type
            raise ApiError(400, "Invalid cursor")
        out = []
        for i in positions:
            key = keys[i]
            row = rows.get(key if sort_by == "id" and
                           isinstance(source, Table) else key[2])
            if row is not None and pred(row):
                out.append(row)
                if len(out) > limit:
                    break
        nxt = None
        if len(out) > limit:
            last = out[limit]
            nxt = encode_cursor({"field": sort_by,
                                 "fieldValue": getter(last),
                                 "sortDirection": direction,
                                 "id": last["id"]})
            out = out[:limit]
        return 200, {"success": True, "data": [render(r) for r in out],
                     "additional_data": {"next_cursor": nxt}}

    def sort_by_fields(self, *names):
        return {name: (lambda r, n=name: r[n]) for name in names}

    # ------------------------------------------------------------------
    # v1 paging
    # ------------------------------------------------------------------

    def v1_page(self, q, rows, render, max_limit=500, nested=True):
        start = 0
        if "start" in q:
            start = parse_int("start", q["start"][-1])
            if start < 0:
                raise bad_param("start", "must be >= 0")
        limit = 100
        if "limit" in q:
            limit = parse_int("limit", q["limit"][-1])
            if limit < 1 or limit > max_limit:
                raise bad_param("limit", "must be between 1 and %d"
                                % max_limit)
        page = rows[start:start + limit]
        more = start + limit < len(rows)
        pagination = {"start": start, "limit": limit,
                      "more_items_in_collection": more}
        if more and nested:
            pagination["next_start"] = start + limit
        data = [render(r) for r in page]
        if not data and self.config.get("pipedrive_v1_empty_data") == "null":
            data = None
        return data, pagination

    def v1_sort(self, q, rows, allowed):
        """Apply v1 'sort' ("field ASC, other DESC"); default id ASC."""
        if "sort" not in q or not q["sort"][-1].strip():
            return rows
        keys = []
        for part in q["sort"][-1].split(","):
            bits = part.split()
            if not bits or len(bits) > 2 or bits[0] not in allowed or \
                    (len(bits) == 2 and bits[1].upper() not in ("ASC",
                                                                "DESC")):
                raise bad_param("sort", "must be 'field ASC|DESC, ...' with "
                                "fields from: %s" % ", ".join(allowed))
            keys.append((bits[0], len(bits) == 2 and
                         bits[1].upper() == "DESC"))
        rows = sorted(rows, key=lambda r: r["id"])
        for field, desc in reversed(keys):     # stable multi-key sort
            rows.sort(key=lambda r: sort_key(r[field], 0)[:2], reverse=desc)
        return rows

    # ------------------------------------------------------------------
    # Read endpoints: v2
    # ------------------------------------------------------------------

    def list_deals(self, req, params):
        q = self.parse_query(req)
        include = self.enum_list(q, "include_fields") or ()
        saved = self.v2_filter(q, "deals")
        since, until = self.updated_window(q)
        ids = self.id_list(q, "ids")
        statuses = None
        if split_list(q.get("status", ())):
            statuses = set(split_list(q["status"]))
            bad = statuses - {"open", "won", "lost", "deleted"}
            if bad:
                raise bad_param("status", "must be one of: open, won, lost, "
                                          "deleted")
        eq = {k: q[k] for k in ("owner_id", "person_id", "org_id",
                                "pipeline_id", "stage_id") if k in q}
        if saved is not None:       # filter_id wins over the other filters
            ids, statuses, eq = None, None, {}

        def pred(d):
            if statuses is None:
                if d["status"] == "deleted":
                    return False
            elif d["status"] not in statuses:
                return False
            if ids is not None and d["id"] not in ids:
                return False
            for k, v in eq.items():
                if d[k] != v:
                    return False
            if since is not None and d["update_time"] < since:
                return False
            if until is not None and d["update_time"] >= until:
                return False
            return saved is None or saved(d)
        only = None
        if "custom_fields" in q:
            only = set(split_list(q["custom_fields"]))
            if len(only) > 15:
                raise bad_param("custom_fields", "must list at most 15 keys")
        opts = q.get("include_option_labels", False)
        labels = q.get("include_labels", False)
        return self.v2_page(
            q, self.deals, pred,
            lambda d: self.render_deal(d, include, only, opts, labels),
            self.sort_by_fields("update_time", "add_time"))

    def get_deal(self, req, params):
        q = self.parse_query(req)
        include = self.enum_list(q, "include_fields") or ()
        d = self.live_deal(int(params["id"]))
        only = set(split_list(q["custom_fields"])) if "custom_fields" in q \
            else None
        return 200, {"success": True, "data": self.render_deal(
            d, include, only, q.get("include_option_labels", False),
            q.get("include_labels", False))}

    def live_deal(self, deal_id):
        d = self.deals.get(deal_id)
        if d is None or d["status"] == "deleted":
            raise ApiError(404, "Deal not found")
        return d

    def list_deal_products(self, req, params):
        q = self.parse_query(req)
        deal_ids = self.id_list(q, "deal_ids")
        if not deal_ids:
            raise bad_param("deal_ids", "is required")
        rows = [self.deal_products.rows[i] for did in sorted(deal_ids)
                for i in self.deal_products_of.get(did, ())]
        return self.v2_page(q, rows, lambda r: True, self.render_deal_product,
                            self.sort_by_fields("deal_id", "add_time",
                                                "update_time", "order_nr"))

    def list_activities(self, req, params):
        q = self.parse_query(req)
        include = self.enum_list(q, "include_fields") or ()
        saved = self.v2_filter(q, "activities")
        since, until = self.updated_window(q)
        ids = self.id_list(q, "ids")
        eq = {k: q[k] for k in ("owner_id", "deal_id", "person_id", "org_id",
                                "done") if k in q}
        if "lead_id" in q:
            eq["lead_id"] = q["lead_id"][-1]
        if saved is not None:
            ids, eq = None, {}

        def pred(a):
            if a["is_deleted"]:
                return False
            if ids is not None and a["id"] not in ids:
                return False
            for k, v in eq.items():
                if a[k] != v:
                    return False
            if since is not None and a["update_time"] < since:
                return False
            if until is not None and a["update_time"] >= until:
                return False
            return saved is None or saved(a)
        return self.v2_page(q, self.activities, pred,
                            lambda a: self.render_activity(a, include),
                            self.sort_by_fields("update_time", "add_time",
                                                "due_date"))

    def get_activity(self, req, params):
        q = self.parse_query(req)
        include = self.enum_list(q, "include_fields") or ()
        a = self.live_activity(int(params["id"]))
        return 200, {"success": True,
                     "data": self.render_activity(a, include)}

    def live_activity(self, activity_id):
        a = self.activities.get(activity_id)
        if a is None or a["is_deleted"]:
            raise ApiError(404, "Activity not found")
        return a

    def list_persons(self, req, params):
        q = self.parse_query(req)
        self.enum_list(q, "include_fields")
        saved = self.v2_filter(q, "persons")
        since, until = self.updated_window(q)
        ids = self.id_list(q, "ids")
        eq = {k: q[k] for k in ("owner_id", "org_id") if k in q}
        deal_person = None
        if "deal_id" in q:
            d = self.deals.get(q["deal_id"])
            deal_person = d["person_id"] if d else -1
        if saved is not None:
            ids, eq, deal_person = None, {}, None

        def pred(p):
            if ids is not None and p["id"] not in ids:
                return False
            if deal_person is not None and p["id"] != deal_person:
                return False
            for k, v in eq.items():
                if p[k] != v:
                    return False
            if since is not None and p["update_time"] < since:
                return False
            if until is not None and p["update_time"] >= until:
                return False
            return saved is None or saved(p)
        return self.v2_page(q, self.persons, pred, self.render_person,
                            self.sort_by_fields("update_time", "add_time"))

    def list_orgs(self, req, params):
        q = self.parse_query(req)
        self.enum_list(q, "include_fields")
        saved = self.v2_filter(q, "organizations")
        since, until = self.updated_window(q)
        ids = self.id_list(q, "ids")
        owner = q.get("owner_id")
        if saved is not None:
            ids, owner = None, None

        def pred(o):
            if ids is not None and o["id"] not in ids:
                return False
            if owner is not None and o["owner_id"] != owner:
                return False
            if since is not None and o["update_time"] < since:
                return False
            if until is not None and o["update_time"] >= until:
                return False
            return saved is None or saved(o)
        return self.v2_page(q, self.orgs, pred, self.render_org,
                            self.sort_by_fields("update_time", "add_time"))

    def list_products(self, req, params):
        q = self.parse_query(req)
        saved = self.v2_filter(q, "products")
        ids = self.id_list(q, "ids")
        owner = q.get("owner_id")
        if saved is not None:
            ids = None

        def pred(p):
            if ids is not None and p["id"] not in ids:
                return False
            if owner is not None and p["owner_id"] != owner:
                return False
            return saved is None or saved(p)
        return self.v2_page(q, self.products, pred, self.render_product,
                            self.sort_by_fields("name", "add_time",
                                                "update_time"))

    def list_stages(self, req, params):
        q = self.parse_query(req)
        pipeline = q.get("pipeline_id")
        return self.v2_page(
            q, self.stages,
            lambda s: pipeline is None or s["pipeline_id"] == pipeline,
            self.render_stage,
            self.sort_by_fields("update_time", "add_time", "order_nr"))

    def list_pipelines(self, req, params):
        q = self.parse_query(req)
        return self.v2_page(q, self.pipelines, lambda p: True,
                            self.render_pipeline,
                            self.sort_by_fields("update_time", "add_time"))

    def list_tasks(self, req, params):
        q = self.parse_query(req)
        eq = {k: q[k] for k in ("is_done", "is_milestone", "project_id")
              if k in q}
        assignee = q.get("assignee_id")
        parent = "any"
        if "parent_task_id" in q:
            text = q["parent_task_id"][-1].strip()
            parent = None if text == "null" else parse_int("parent_task_id",
                                                           text)

        def pred(t):
            for k, v in eq.items():
                if t[k] != v:
                    return False
            if assignee is not None and assignee not in t["assignee_ids"]:
                return False
            if parent != "any" and t["parent_task_id"] != parent:
                return False
            return True
        return self.v2_page(q, self.tasks, pred, self.render_task)

    def get_simple(self, req, params):
        """GET /{entity}/{id} for the read-only entities."""
        self.parse_query(req)
        kind = req.path.split("/")[3]
        table, render, what = {
            "persons": (self.persons, self.render_person, "Person"),
            "organizations": (self.orgs, self.render_org, "Organization"),
            "products": (self.products, self.render_product, "Product"),
            "stages": (self.stages, self.render_stage, "Stage"),
            "pipelines": (self.pipelines, self.render_pipeline, "Pipeline"),
            "tasks": (self.tasks, self.render_task, "Task"),
            "files": (self.files, self.render_file, "File"),
        }[kind]
        row = table.get(int(params["id"]))
        if row is None:
            raise ApiError(404, "%s not found" % what)
        return 200, {"success": True, "data": render(row)}

    def list_deal_fields(self, req, params):
        q = self.parse_query(req)
        include = self.enum_list(q, "include_fields") or ()
        rows = [dict(f, id=i) for i, f in enumerate(self.deal_fields, 1)]
        status, body = self.v2_page(
            q, rows, lambda f: True,
            lambda f: self.render_deal_field(
                {k: v for k, v in f.items() if k != "id"}, include))
        return status, body

    def get_deal_field(self, req, params):
        q = self.parse_query(req)
        include = self.enum_list(q, "include_fields") or ()
        for f in self.deal_fields:
            if f["field_code"] == params["field_code"]:
                return 200, {"success": True,
                             "data": self.render_deal_field(f, include)}
        raise ApiError(404, "Field not found")

    # ------------------------------------------------------------------
    # Read endpoints: v1
    # ------------------------------------------------------------------

    def v1_list(self, q, rows, render, max_limit=500):
        data, pagination = self.v1_page(q, rows, render, max_limit)
        return 200, {"success": True, "data": data,
                     "additional_data": {"pagination": pagination}}

    def list_notes(self, req, params):
        q = self.parse_query(req)
        eq = {k: q[k] for k in ("user_id", "deal_id", "person_id", "org_id",
                                "project_id", "task_id") if k in q}
        for flag in ("pinned_to_lead_flag", "pinned_to_deal_flag",
                     "pinned_to_organization_flag", "pinned_to_person_flag",
                     "pinned_to_project_flag", "pinned_to_task_flag"):
            if flag in q:
                eq[flag] = bool(q[flag])
        if "lead_id" in q:
            lead = q["lead_id"][-1].strip()
            if not UUID_RE.fullmatch(lead):
                raise bad_param("lead_id", "must be a UUID")
            eq["lead_id"] = lead
        start_day = end_day = None      # whole days, both ends inclusive
        for name in ("start_date", "end_date"):
            if name not in q:
                continue
            try:
                day = parse_date(q[name][-1].strip())
            except ValueError:
                raise bad_param(name, "must be a date in YYYY-MM-DD format")
            if name == "start_date":
                start_day = day
            else:
                end_day = day + DAY
        since = self.time_bound(q, "updated_since")
        rows = []
        for n in self.notes.values():
            if not n["active_flag"]:
                continue
            if any(n[k] != v for k, v in eq.items()):
                continue
            if start_day is not None and n["add_time"] < start_day:
                continue
            if end_day is not None and n["add_time"] >= end_day:
                continue
            if since is not None and n["update_time"] < since:
                continue
            rows.append(n)
        rows = self.v1_sort(q, rows, ("id", "user_id", "deal_id",
                                      "person_id", "org_id", "content",
                                      "add_time", "update_time"))
        return self.v1_list(q, rows, self.render_note)

    def get_note(self, req, params):
        n = self.live_note(int(params["id"]))
        return 200, {"success": True, "data": self.render_note(n)}

    def live_note(self, note_id):
        n = self.notes.get(note_id)
        if n is None or not n["active_flag"]:
            raise ApiError(404, "Note not found")
        return n

    def list_users(self, req, params):
        return 200, {"success": True, "data": [
            self.render_user(u) for u in self.users.values()]}

    def get_user(self, req, params):
        u = self.users.get(int(params["id"]))
        if u is None:
            raise ApiError(404, "User not found or not accessible.")
        return 200, {"success": True, "data": self.render_user(u)}

    def list_activity_types(self, req, params):
        return 200, {"success": True, "data": [
            self.render_activity_type(t)
            for t in self.activity_types.values()]}

    def list_currencies(self, req, params):
        q = self.parse_query(req)
        term = q["term"][-1].strip().lower() if "term" in q else ""
        return 200, {"success": True, "data": [
            self.render_currency(c) for c in self.currencies.values()
            if term in c["code"].lower() or term in c["name"].lower()]}

    def list_files(self, req, params):
        q = self.parse_query(req)
        rows = self.v1_sort(q, list(self.files.values()),
                            ("id", "update_time"))
        return self.v1_list(q, rows, self.render_file, max_limit=100)

    def list_filters(self, req, params):
        q = self.parse_query(req)
        ftype = q.get("type")
        return 200, {"success": True, "data": [
            self.render_filter(f) for f in self.filters.values()
            if ftype is None or f["type"] == ftype]}

    def get_filter(self, req, params):
        q = self.parse_query(req)
        f = self.filters.get(int(params["id"]))
        if f is None:
            raise ApiError(404, "Filter not found")
        return 200, {"success": True, "data": self.render_filter(
            f, True, q.get("include_field_code", False))}

    def list_deal_flow(self, req, params):
        q = self.parse_query(req)
        d = self.live_deal(int(params["id"]))
        entries = self.flow_of(d)
        if "items" in q:
            wanted = set(split_list(q["items"]))
            entries = [e for e in entries if e["object"] in wanted]
        nested = self.config.get("pipedrive_flow_pagination") == "nested"
        data, pagination = self.v1_page(q, entries, lambda e: e,
                                        nested=nested)
        related = {"deal": {str(d["id"]): {
            "id": d["id"], "title": d["title"], "status": d["status"],
            "value": d["value"], "currency": d["currency"],
            "stage_id": d["stage_id"], "pipeline_id": d["pipeline_id"]}}}
        users = {e["data"].get("user_id") for e in (data or ())}
        users.discard(None)
        related["user"] = {str(u["id"]): {
            "id": u["id"], "name": u["name"], "email": u["email"],
            "has_pic": 0 if u["icon_url"] is None else 1, "pic_hash": None,
            "active_flag": u["activated"]}
            for u in (self.users.get(i) for i in sorted(users)) if u}
        if d["person_id"] and d["person_id"] in self.persons.rows:
            p = self.persons.rows[d["person_id"]]
            related["person"] = {str(p["id"]): {
                "active_flag": True, "id": p["id"], "name": p["name"],
                "email": [dict(e) for e in p["emails"]],
                "phone": [dict(e) for e in p["phones"]],
                "owner_id": p["owner_id"]}}
        if d["org_id"] and d["org_id"] in self.orgs.rows:
            o = self.orgs.rows[d["org_id"]]
            related["organization"] = {str(o["id"]): {
                "id": o["id"], "name": o["name"],
                "people_count": sum(1 for p in self.persons.values()
                                    if p["org_id"] == o["id"]),
                "owner_id": o["owner_id"],
                "address": o["address"]["value"] if o["address"] else None,
                "active_flag": True, "cc_email": None}}
        additional = {"pagination": pagination} if nested else pagination
        return 200, {"success": True, "data": data,
                     "additional_data": additional,
                     "related_objects": related}

    # ------------------------------------------------------------------
    # Writes
    # ------------------------------------------------------------------

    def body_object(self, req, strict):
        """The JSON body, validated against the operation's schema."""
        if not req.body.strip():
            body = {}
        elif not req.json_ok:
            raise ApiError(400, "Invalid JSON in request body")
        else:
            body = req.json
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        schema = self.op.get("body") or {"type": "object"}
        problems = []
        validate(body, schema, "", strict, problems)
        if problems:
            raise validation_error(problems)
        return body

    def check_ref(self, table, value, what, field):
        if value is None:
            return
        if table.get(value) is None:
            raise validation_error([(field, "%s with id %s not found"
                                     % (what, value))])

    def check_user(self, value, field="owner_id"):
        self.check_ref(self.users, value, "User", field)

    def check_deal_ref(self, value, field="deal_id"):
        if value is None:
            return
        d = self.deals.get(value)
        if d is None or d["status"] == "deleted":
            raise validation_error([(field, "Deal with id %s not found"
                                     % value)])

    def check_project(self, value):
        if value is not None and value not in PROJECT_IDS:
            raise validation_error([("project_id", "Project with id %s not "
                                                   "found" % value)])

    def check_lead(self, value):
        if value is not None and not UUID_RE.fullmatch(value):
            raise validation_error([("lead_id", "Lead with id %s not found"
                                     % value)])

    def as_int(self, body, key):
        value = body.get(key)
        return int(value) if isinstance(value, float) else value

    def parse_body_time(self, body, key):
        try:
            return parse_any_time(body[key])
        except ValueError:
            raise validation_error([(key, "Parameter '%s' must be a date-time "
                                          "(YYYY-MM-DD HH:MM:SS or RFC 3339)"
                                     % key)])

    # -- deals --

    def apply_deal(self, d, body, creating):
        """Apply a validated POST/PATCH body to deal ``d`` (in place)."""
        t = now()
        for key in ("owner_id", "person_id", "org_id", "pipeline_id",
                    "stage_id", "visible_to"):
            if key in body:
                body[key] = self.as_int(body, key)
        self.check_user(body.get("owner_id"))
        self.check_ref(self.persons, body.get("person_id"), "Person",
                       "person_id")
        self.check_ref(self.orgs, body.get("org_id"), "Organization",
                       "org_id")
        self.check_ref(self.pipelines, body.get("pipeline_id"), "Pipeline",
                       "pipeline_id")
        self.check_ref(self.stages, body.get("stage_id"), "Stage", "stage_id")
        if "visible_to" in body and body["visible_to"] not in (1, 3, 5, 7):
            raise bad_param("visible_to", "must be one of: 1, 3, 5, 7")
        if "currency" in body and body["currency"] not in self.currency_codes:
            raise bad_param("currency", "must be one of: %s"
                            % ", ".join(self.currency_codes))
        if "status" in body and body["status"] not in ("open", "won", "lost"):
            raise bad_param("status", "must be one of: open, won, lost")
        if "probability" in body and body["probability"] is not None and \
                not 0 <= body["probability"] <= 100:
            raise bad_param("probability", "must be between 0 and 100")
        if "label_ids" in body:
            known = {label[0] for label in DEAL_LABELS}
            for label in body["label_ids"]:
                if int(label) not in known:
                    raise validation_error([("label_ids", "Label with id %s "
                                             "not found" % label)])
        custom = self.check_custom_fields(body.get("custom_fields") or {},
                                          body.get("currency",
                                                   d.get("currency")))

        status = body.get("status", d.get("status", "open"))
        for key, needs in (("lost_reason", ("lost",)),
                           ("lost_time", ("lost",)), ("won_time", ("won",)),
                           ("close_time", ("won", "lost"))):
            if body.get(key) is not None and status not in needs:
                raise validation_error([(key, "Parameter '%s' can only be set "
                                              "if deal status is %s"
                                         % (key, " or ".join(needs)))])
        times = {}
        for key in ("archive_time", "close_time", "won_time", "lost_time"):
            if body.get(key) is not None:
                times[key] = self.parse_body_time(body, key)

        # stage and pipeline: a stage implies its pipeline
        stage_id = body.get("stage_id")
        pipeline_id = body.get("pipeline_id")
        if stage_id is not None:
            stage_pipeline = self.stages.rows[stage_id]["pipeline_id"]
            if pipeline_id is not None and pipeline_id != stage_pipeline:
                raise validation_error([("stage_id", "Stage %d does not "
                                         "belong to pipeline %d"
                                         % (stage_id, pipeline_id))])
            pipeline_id = stage_pipeline
        elif pipeline_id is not None and pipeline_id != d.get("pipeline_id"):
            stage_id = self.stages_of[pipeline_id][0]
        elif creating:
            pipeline_id = min(self.pipelines.values(),
                              key=lambda p: (p["order_nr"], p["id"]))["id"]
            stage_id = self.stages_of[pipeline_id][0]
        if stage_id is not None and stage_id != d.get("stage_id"):
            if not creating:
                d["stage_change_time"] = t
            d["stage_id"], d["pipeline_id"] = stage_id, pipeline_id

        for key in ("title", "owner_id", "person_id", "org_id", "value",
                    "currency", "probability", "visible_to",
                    "expected_close_date"):
            if key in body:
                d[key] = body[key]
        if "label_ids" in body:
            d["label_ids"] = sorted({int(x) for x in body["label_ids"]})
        if "title" in body and not body["title"].strip():
            raise bad_param("title", "must not be empty")

        if "status" in body and body["status"] != d.get("status"):
            d["status"] = body["status"]
            d["won_time"] = d["lost_time"] = d["close_time"] = None
            if body["status"] != "lost":
                d["lost_reason"] = None
            if body["status"] == "won":
                d["won_time"] = d["close_time"] = t
            elif body["status"] == "lost":
                d["lost_time"] = d["close_time"] = t
        if "lost_reason" in body:
            d["lost_reason"] = body["lost_reason"]
        for key, value in times.items():
            if key != "archive_time":
                d[key] = value
        if d.get("status") == "won" and "won_time" in times:
            d["close_time"] = times.get("close_time", times["won_time"])
        if d.get("status") == "lost" and "lost_time" in times:
            d["close_time"] = times.get("close_time", times["lost_time"])
        if "is_archived" in body:
            d["is_archived"] = body["is_archived"]
            d["archive_time"] = times.get("archive_time", t) \
                if body["is_archived"] else None
        elif "archive_time" in times:
            d["archive_time"] = times["archive_time"]
        for key, value in custom.items():
            d[key] = value
        if body.get("is_deleted"):
            d["status"] = "deleted"
        d["update_time"] = t

    def check_custom_fields(self, values, currency):
        out = {}
        problems = []
        for key, value in values.items():
            field = self.custom_fields.get(key)
            name = "custom_fields.%s" % key
            if field is None:
                problems.append((name, "Parameter '%s' is not allowed for "
                                       "this request" % name))
                continue
            if value is None:
                out[key] = None
                continue
            ftype = field["field_type"]
            if ftype == "monetary":
                if _type_ok(value, "number"):
                    out[key] = (value, currency or "EUR")
                elif isinstance(value, dict) and \
                        set(value) <= {"value", "currency"} and \
                        _type_ok(value.get("value"), "number"):
                    cur = value.get("currency", currency or "EUR")
                    if cur not in self.currency_codes:
                        problems.append((name + ".currency",
                                         "Unknown currency %s" % cur))
                    out[key] = (value["value"], cur)
                else:
                    problems.append((name, "Parameter '%s' must be a number "
                                           "or {value, currency}" % name))
            elif ftype == "enum":
                ids = [o["id"] for o in field["options"]]
                if not _type_ok(value, "integer") or int(value) not in ids:
                    problems.append((name, "Parameter '%s' must be one of "
                                           "the option ids: %s" % (
                                               name, ", ".join(map(str,
                                                                   ids)))))
                else:
                    out[key] = int(value)
            else:
                if not isinstance(value, str):
                    problems.append((name, "Parameter '%s' must be a string"
                                     % name))
                else:
                    out[key] = value
        if problems:
            raise validation_error(problems)
        return out

    def create_deal(self, req, params):
        body = self.body_object(req, strict=True)
        if not body.get("title", "").strip():
            raise bad_param("title", "is required")
        t = now()
        d = {
            "id": self.deals.next_id(), "title": body["title"],
            "creator_user_id": ME, "owner_id": ME, "person_id": None,
            "org_id": None, "pipeline_id": None, "stage_id": None,
            "value": 0, "currency": "EUR", "add_time": t, "update_time": t,
            "stage_change_time": None, "status": "open", "is_archived": False,
            "archive_time": None, "probability": None, "lost_reason": None,
            "visible_to": 3, "won_time": None, "lost_time": None,
            "close_time": None, "expected_close_date": None, "label_ids": [],
            "origin": "API", "source_lead_id": None,
            CF_BUDGET: None, CF_PRIORITY: None, CF_NOTES: None,
        }
        self.apply_deal(d, body, creating=True)
        d["add_time"] = d["update_time"]
        self.deals.add(d)
        self.flows[d["id"]] = [self.change_entry(
            d["id"] * 10 + 1 if d["id"] * 10 + 1 < 10_000_000 else
            self.next_flow_id(), d["id"], ME, t, "add_time", None,
            v1_time(t))]
        return 200, {"success": True, "data": self.render_deal(d)}

    def next_flow_id(self):
        self.flow_seq += 1
        return self.flow_seq

    def update_deal(self, req, params):
        d = self.live_deal(int(params["id"]))
        body = self.body_object(req, strict=True)
        before = dict(d)
        work = dict(d)
        self.apply_deal(work, body, creating=False)   # raises before changes
        d.update(work)
        self.deals.touch()
        self.record_changes(d, before, ME, d["update_time"])
        return 200, {"success": True, "data": self.render_deal(d)}

    def delete_deal(self, req, params):
        d = self.live_deal(int(params["id"]))
        before = dict(d)
        d["status"] = "deleted"
        d["update_time"] = now()
        self.deals.touch()
        self.record_changes(d, before, ME, d["update_time"])
        return 200, {"success": True, "data": {"id": d["id"]}}

    # -- activities --

    def apply_activity(self, a, body, creating):
        t = now()
        for key in ("owner_id", "deal_id", "person_id", "org_id",
                    "project_id", "priority"):
            if key in body:
                body[key] = self.as_int(body, key)
        self.check_user(body.get("owner_id"))
        self.check_deal_ref(body.get("deal_id"))
        self.check_ref(self.persons, body.get("person_id"), "Person",
                       "person_id")
        self.check_ref(self.orgs, body.get("org_id"), "Organization",
                       "org_id")
        self.check_project(body.get("project_id"))
        self.check_lead(body.get("lead_id"))
        if "type" in body and body["type"] not in self.type_by_key:
            raise bad_param("type", "must be one of the activity types: %s"
                            % ", ".join(sorted(self.type_by_key)))
        if body.get("due_date") is not None:
            try:
                parse_date(body["due_date"])
            except ValueError:
                raise validation_error([("due_date", "This value is not a "
                                                     "valid date.")])
        for key in ("due_time", "duration"):
            if body.get(key) is not None:
                try:
                    body[key] = normalize_clock(body[key])
                except ValueError:
                    raise validation_error([(
                        key, "This value is not a valid time (HH:MM or "
                             "HH:MM:SS).")])
        participants = None
        if "participants" in body:
            participants = []
            for i, p in enumerate(body["participants"]):
                if "person_id" not in p:
                    raise validation_error([(
                        "participants[%d].person_id" % i,
                        "Parameter 'participants[%d].person_id' is required"
                        % i)])
                pid = int(p["person_id"])
                self.check_ref(self.persons, pid, "Person",
                               "participants[%d].person_id" % i)
                participants.append({"person_id": pid,
                                     "primary": bool(p.get("primary"))})
            if participants and not any(p["primary"] for p in participants):
                participants[0]["primary"] = True
        elif "person_id" in body:
            participants = [] if body["person_id"] is None else [
                {"person_id": body["person_id"], "primary": True}]
        if participants is not None:
            a["participants"] = participants
            primary = [p["person_id"] for p in participants if p["primary"]]
            a["person_id"] = primary[0] if primary else None
        for key in ("subject", "type", "owner_id", "deal_id", "lead_id",
                    "org_id", "project_id", "due_date", "due_time",
                    "duration", "busy", "public_description", "priority",
                    "note", "location"):
            if key in body:
                a[key] = body[key]
        if "attendees" in body:
            a["attendees"] = [dict(x) for x in body["attendees"]]
        if "done" in body and body["done"] != a.get("done"):
            a["done"] = body["done"]
            a["marked_as_done_time"] = t if body["done"] else None
        if creating and not a.get("subject"):
            a["subject"] = self.type_by_key[a["type"]]["name"]
        a["update_time"] = t

    def create_activity(self, req, params):
        body = self.body_object(req, strict=True)
        t = now()
        a = {
            "id": self.activities.next_id(), "subject": None, "type": "task",
            "owner_id": ME, "creator_user_id": ME, "is_deleted": False,
            "add_time": t, "update_time": t, "deal_id": None, "lead_id": None,
            "person_id": None, "org_id": None, "project_id": None,
            "due_date": None, "due_time": None, "duration": None,
            "busy": False, "done": False, "marked_as_done_time": None,
            "location": None, "participants": [], "attendees": [],
            "conference_meeting_client": None, "conference_meeting_url": None,
            "conference_meeting_id": None, "public_description": None,
            "priority": None, "note": None,
        }
        self.apply_activity(a, body, creating=True)
        a["add_time"] = a["update_time"]
        self.activities.add(a)
        return 200, {"success": True, "data": self.render_activity(a)}

    def update_activity(self, req, params):
        a = self.live_activity(int(params["id"]))
        body = self.body_object(req, strict=True)
        work = dict(a)
        self.apply_activity(work, body, creating=False)
        a.update(work)
        self.activities.touch()
        return 200, {"success": True, "data": self.render_activity(a)}

    def delete_activity(self, req, params):
        a = self.live_activity(int(params["id"]))
        a["is_deleted"] = True
        a["update_time"] = now()
        self.activities.touch()
        return 200, {"success": True, "data": {"id": a["id"]}}

    # -- notes (v1) --

    ATTACHMENTS = ("deal_id", "person_id", "org_id", "lead_id", "project_id",
                   "task_id")
    PINS = {"pinned_to_lead_flag": "lead_id",
            "pinned_to_deal_flag": "deal_id",
            "pinned_to_organization_flag": "org_id",
            "pinned_to_person_flag": "person_id",
            "pinned_to_project_flag": "project_id",
            "pinned_to_task_flag": "task_id"}

    def apply_note(self, n, body):
        t = now()
        for key in ("deal_id", "person_id", "org_id", "project_id",
                    "task_id", "user_id"):
            if key in body:
                body[key] = self.as_int(body, key)
        if "content" in body and not body["content"].strip():
            raise ApiError(400, "Note content cannot be empty.")
        self.check_deal_ref(body.get("deal_id"))
        self.check_ref(self.persons, body.get("person_id"), "Person",
                       "person_id")
        self.check_ref(self.orgs, body.get("org_id"), "Organization",
                       "org_id")
        self.check_ref(self.tasks, body.get("task_id"), "Task", "task_id")
        self.check_project(body.get("project_id"))
        self.check_lead(body.get("lead_id"))
        self.check_user(body.get("user_id"), "user_id")
        add_time = None
        if body.get("add_time") is not None:
            try:
                add_time = parse_v1_time(body["add_time"])
            except ValueError:
                raise validation_error([("add_time", "Parameter 'add_time' "
                                         "must be in YYYY-MM-DD HH:MM:SS "
                                         "format")])
        for key in ("content", "user_id") + self.ATTACHMENTS:
            if key in body:
                n[key] = body[key]
        for flag, target in self.PINS.items():
            if flag in body:
                if body[flag] == 1 and n.get(target) is None:
                    raise validation_error([(flag, "Parameter '%s' needs %s"
                                             % (flag, target))])
                n[flag] = body[flag] == 1
        if add_time is not None:
            n["add_time"] = add_time
        n["last_update_user_id"] = ME
        n["update_time"] = t

    def create_note(self, req, params):
        body = self.body_object(req, strict=False)
        if not any(body.get(k) is not None for k in self.ATTACHMENTS):
            raise ApiError(400, "The note must be attached to a deal, person, "
                                "organization, lead, project or task.")
        t = now()
        n = {
            "id": self.notes.next_id(), "content": None, "deal_id": None,
            "person_id": None, "org_id": None, "lead_id": None,
            "project_id": None, "task_id": None, "user_id": ME,
            "last_update_user_id": ME, "add_time": None, "update_time": t,
            "active_flag": True,
        }
        n.update({flag: False for flag in self.PINS})
        self.apply_note(n, body)
        if n["add_time"] is None:
            n["add_time"] = n["update_time"]
        self.notes.add(n)
        return 200, {"success": True, "data": self.render_note(n)}

    def update_note(self, req, params):
        n = self.live_note(int(params["id"]))
        body = self.body_object(req, strict=False)
        work = dict(n)
        self.apply_note(work, body)
        if not any(work.get(k) is not None for k in self.ATTACHMENTS):
            raise ApiError(400, "The note must be attached to a deal, person, "
                                "organization, lead, project or task.")
        n.update(work)
        self.notes.touch()
        return 200, {"success": True, "data": self.render_note(n)}

    def delete_note(self, req, params):
        n = self.live_note(int(params["id"]))
        n["active_flag"] = False
        n["update_time"] = now()
        self.notes.touch()
        return 200, {"success": True, "data": True}


PROVIDER = PipedriveProvider

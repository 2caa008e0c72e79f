"""Vendor-neutral building blocks that every CRM provider of the emulator
shares.

This module owns:

* ``ApiError``: an error a provider answers in its *own* envelope;
* time: formatting Unix seconds (RFC 3339, SQL-style, dates), parsing what
  clients send (RFC 3339, ``YYYY-MM-DD HH:MM:SS``, dates, clock times), and
  the anchor-time shift (``--anchor``) that moves a generated dataset so that
  its latest day falls on a chosen day;
* ``validate``: checking a JSON value against an OpenAPI-style schema;
* small query-string helpers (integers, booleans, comma lists, PHP-style
  bracket parameters such as ``filter[id][]=1``), opaque base64url cursors
  and the total sort order used by keyset paging;
* ``Table``: rows by id with cached sort orders;
* vendor-neutral name pools for generated data (first and last names,
  organization words, addresses, note texts) and seeded random streams.

It must never know about a vendor: no envelopes, no paths, no error texts of
a particular API, no import of a provider module or of ``crm_emulator``.
Standard library only.
"""

import base64
import binascii
import calendar
import datetime
import json
import random
import re
import time
import urllib.parse
import uuid

DAY = 86400


class ApiError(Exception):
    """An error answer; the provider renders it in its own envelope.

    ``status`` is the HTTP status, ``message`` the human text and ``extra``
    any further fields the provider's envelope carries.
    """

    def __init__(self, status, message, **extra):
        Exception.__init__(self, message)
        self.status = status
        self.message = message
        self.extra = extra


# --------------------------------------------------------------------------
# Time: formatting
# --------------------------------------------------------------------------

def rfc3339_z(t):
    """Unix seconds -> ``2026-01-02T03:04:05Z`` (None stays None)."""
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                time.gmtime(t))


def rfc3339_ms(t):
    """Unix seconds -> ``2026-01-02T03:04:05.000Z`` (None stays None)."""
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                                time.gmtime(t))


def sql_time(t):
    """Unix seconds -> ``2026-01-02 03:04:05`` UTC (None stays None)."""
    return None if t is None else time.strftime("%Y-%m-%d %H:%M:%S",
                                                time.gmtime(t))


def day_of(t):
    """Unix seconds -> ``2026-01-02`` (UTC day; None stays None)."""
    return None if t is None else time.strftime("%Y-%m-%d", time.gmtime(t))


def now():
    """The wall clock in whole Unix seconds (what writes stamp)."""
    return int(time.time())


# --------------------------------------------------------------------------
# Time: parsing
# --------------------------------------------------------------------------

RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})"
                     r"(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
SQL_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})")
DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
CLOCK = re.compile(r"(\d{2}):(\d{2})(?::(\d{2}))?")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def epoch(y, mo, d, h=0, mi=0, s=0):
    """Calendar fields (UTC) -> Unix seconds; ValueError when out of range."""
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
    t = epoch(*m.groups()[:6])
    if m.group(7):
        t += float("0" + m.group(7))
    zone = m.group(8)
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        t -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return t


def parse_sql_time(text):
    """``YYYY-MM-DD HH:MM:SS`` (UTC) -> Unix seconds; ValueError otherwise."""
    m = SQL_TIME.fullmatch(text or "")
    if not m:
        raise ValueError(text)
    return epoch(*m.groups())


def parse_any_time(text):
    """RFC 3339 or ``YYYY-MM-DD HH:MM:SS`` UTC -> whole Unix seconds."""
    try:
        return int(parse_rfc3339(text))
    except ValueError:
        return parse_sql_time(text)


def parse_date(text):
    """``YYYY-MM-DD`` -> Unix seconds of its UTC midnight."""
    m = DATE.fullmatch(text or "")
    if not m:
        raise ValueError(text)
    return epoch(*m.groups())


def normalize_clock(text):
    """'HH:MM' or 'HH:MM:SS' -> 'HH:MM:SS'; ValueError otherwise."""
    m = CLOCK.fullmatch(text or "")
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59 or \
            int(m.group(3) or 0) > 59:
        raise ValueError(text)
    return "%s:%s:%s" % (m.group(1), m.group(2), m.group(3) or "00")


# --------------------------------------------------------------------------
# Anchor time: shifting a generated dataset in whole days
# --------------------------------------------------------------------------

def parse_anchor(text):
    """``--anchor`` value -> None, ``"now"`` or Unix seconds.

    Accepts ``now``, a date (``2026-03-01``) or an RFC 3339 / ISO 8601
    timestamp with ``Z`` or an offset (``2026-03-01T12:00:00Z``).  Raises
    ValueError for anything else.
    """
    if text is None:
        return None
    text = text.strip()
    if text.lower() == "now":
        return "now"
    for parse in (parse_date, parse_rfc3339):
        try:
            return int(parse(text))
        except ValueError:
            pass
    raise ValueError("--anchor wants 'now', YYYY-MM-DD or an ISO 8601 UTC "
                     "timestamp such as 2026-03-01T12:00:00Z, got %r" % text)


def anchor_seconds(anchor):
    """Resolve a parsed anchor (None, "now", seconds) to seconds or None."""
    if anchor is None:
        return None
    if anchor == "now":
        return int(time.time())
    return int(anchor)


def anchor_shift(latest, anchor, tz=None):
    """Seconds (a whole number of days) to add to every generated time so
    that the day of ``latest`` (Unix seconds) becomes the day of ``anchor``.

    ``anchor`` is None (no shift: 0), "now" or Unix seconds.  Days are UTC
    days, or calendar days in ``tz`` (a ``datetime.tzinfo``) for a provider
    whose API speaks the wall time of an account's zone.
    """
    at = anchor_seconds(anchor)
    if at is None:
        return 0
    if tz is None:
        return (at - at % DAY) - (latest - latest % DAY)
    days = (datetime.datetime.fromtimestamp(at, tz).date() -
            datetime.datetime.fromtimestamp(latest, tz).date()).days
    return days * DAY


# --------------------------------------------------------------------------
# Schema validation (OpenAPI subset)
# --------------------------------------------------------------------------

_ARTICLE = {"integer": "an integer", "number": "a number",
            "string": "a string", "boolean": "a boolean",
            "object": "an object", "array": "an array"}


def type_ok(value, expected):
    """Whether a JSON value has an OpenAPI type (``1.0`` is an integer)."""
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
    if expected and not type_ok(value, expected):
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
# Query-string values, cursors, sort order
# --------------------------------------------------------------------------

INT_RE = re.compile(r"-?\d{1,18}")


def to_int(text):
    """A query-string integer (surrounding blanks allowed); ValueError."""
    if not INT_RE.fullmatch(text.strip()):
        raise ValueError(text)
    return int(text)


def to_bool(text):
    """``true``/``1`` and ``false``/``0`` (any case); ValueError otherwise."""
    value = text.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ValueError(text)


def split_list(values):
    """Comma lists, possibly repeated (?a=1,2&a=3) -> ['1', '2', '3']."""
    out = []
    for value in values:
        out.extend(x.strip() for x in value.split(",") if x.strip() != "")
    return out


BRACKET_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")


def bracket_params(raw_query):
    """Parse a query string the way PHP does: ``a[b][]=1&a[b][]=2`` ->
    ``{"a": {"b": ["1", "2"]}}``, ``a[0][x]=1`` -> ``{"a": {"0": {"x":
    "1"}}}``.  A later plain value replaces an earlier one; a name that
    does not parse is kept as it is.
    """
    out = {}
    for key, value in urllib.parse.parse_qsl(raw_query,
                                             keep_blank_values=True):
        m = BRACKET_KEY.fullmatch(key)
        if not m:
            out[key] = value
            continue
        parts = [m.group(1)] + re.findall(r"\[([^\[\]]*)\]", m.group(2))
        node = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            following = None if last else parts[i + 1]
            if isinstance(node, list):
                if last:
                    node.append(value)
                    break
                child = [] if following == "" else {}
                node.append(child)
                node = child
                continue
            if last:
                node[part] = value
                break
            child = node.get(part)
            want_list = following == ""
            if want_list and not isinstance(child, list):
                child = node[part] = []
            elif not want_list and not isinstance(child, dict):
                child = node[part] = {}
            node = child
    return out


def encode_cursor(obj):
    """A JSON object -> opaque base64url text without padding."""
    raw = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text):
    """The inverse of ``encode_cursor``; ValueError if it does not decode."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValueError("bad cursor")


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
# Generated data: random streams and name pools
# --------------------------------------------------------------------------

def seeded_rng(provider, seed, entity):
    """One random stream per provider and entity.

    String seeds are hashed with SHA-512: stable across runs and
    independent of PYTHONHASHSEED; a stream per entity means changing one
    entity's count does not reshuffle the others.
    """
    return random.Random("%s:%d:%s" % (provider, seed, entity))


def rng_uuid(rng):
    """A version-4 UUID string drawn from ``rng``."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


ORG_WORDS = ("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
             "Hooli", "Vandelay", "Nordwind", "Tallinn Tech", "Baltic",
             "Polar", "Riverside", "Summit")
ORG_SUFFIXES = ("Ltd", "GmbH", "OÜ", "Inc", "AS", "LLC")
FIRST_NAMES = ("Zoë", "Зоя", "Anna", "Mark", "José", "Liis", "Peter",
               "Maria", "Jaan", "Olga", "Tom", "Kate", "Ivan", "Eva")
LAST_NAMES = ("Müller", "Петрова", "Smith", "Tamm", "García", "Kask",
              "Brown", "Ivanova", "O'Neil", "Saar", "Novak", "Lee")
NOTE_TEXTS = ("Called, will send the offer.", "Kunde wünscht Rückruf.",
              "Клиент просит скидку.", "Meeting went well.",
              "Sent the contract for signature.", "Needs approval from CFO.")
# (full line, country, region, city, street, number, postal code)
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

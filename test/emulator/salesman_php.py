"""What PHP 8.2 and MariaDB do to values on their way through SalesMan CRM.

The SalesMan API is a PHP application on MySQL/MariaDB; much of what a client
sees is not SalesMan's design but the language's and the database's value
semantics.  This module owns those, as pure functions without state:

* PHP's loose comparisons and casts as the API's code applies them to JSON
  parameters (``php_int``, ``php_blank``, ``php_truthy``, ``php_eq``), and
  its parsing of query strings and form bodies into arrays (``parse_str``);
* the text cleaners the server runs over input and output (tag stripping,
  quote handling, ``nl2br``) and the 3-byte ``utf8`` columns that turn each
  4-byte character (emoji) into ``????``;
* MariaDB's lenient DATETIME parsing (invalid -> ``0000-00-00 00:00:00``,
  offsets and fractions dropped), ``LIKE`` matching and string equality
  under its case-insensitive collation (``sql_equal``);
* PHP's ``json_encode`` as the server calls it: ``\\/`` for slashes, non-ASCII
  escaped as ``\\uXXXX`` except the basic Cyrillic letters, which the server
  turns back into literal characters;
* the HTML page PHP prints for an uncaught exception.

Everything here was learned by reading the server's behaviour (its source in
developer/v3 and inc/, and answers of a live install); nothing is copied.
"""

import calendar
import json
import re
import urllib.parse

ZERO_DATETIME = "0000-00-00 00:00:00"


# --------------------------------------------------------------------------
# PHP casts and loose comparisons
# --------------------------------------------------------------------------

_LEADING_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def php_number(value):
    """PHP's numeric reading of a value: int or float (0 if not numeric)."""
    if value is None or value is False:
        return 0
    if value is True:
        return 1
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, dict)):
        return 1 if value else 0
    m = _LEADING_NUMBER.match(str(value))
    if not m:
        return 0
    text = m.group(0).strip()
    if m.group(2) is None and m.group(3) is None and "." not in text:
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return 0
    return number


def php_int(value):
    """``(int)$value``: leading digits of a string, truncated floats."""
    if type(value) is int:
        return value
    number = php_number(value)
    if isinstance(number, float):
        if number != number or number in (float("inf"), float("-inf")):
            return 0
        return int(number)
    return number


def is_numeric(value):
    """PHP ``is_numeric``: ints, floats and fully numeric strings."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if not isinstance(value, str):
        return False
    return re.fullmatch(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*",
                        value) is not None


def php_blank(value):
    """``$value == ''`` in PHP 8: null, false and "" (not 0, not [])."""
    return value is None or value is False or value == ""


def php_truthy(value):
    """PHP's boolean reading: "", "0", 0, 0.0, null, false, [] are false."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value not in ("", "0")
    return bool(value)


def php_eq(a, b):
    """PHP 8 ``==`` between a JSON value ``a`` and a string ``b``."""
    if a is None:
        return b == ""
    if isinstance(a, bool):
        return a == php_truthy(b)
    if isinstance(a, (int, float)):
        if is_numeric(b):
            return a == php_number(b)
        return str(a) == b
    if isinstance(a, str):
        if is_numeric(a) and is_numeric(b):
            return php_number(a) == php_number(b)
        return a == b
    return False


def php_str(value):
    """``(string)$value`` for scalars (arrays read "Array")."""
    if type(value) is str:
        return value
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (list, dict)):
        return "Array"
    return str(value)


# --------------------------------------------------------------------------
# Text cleaners
# --------------------------------------------------------------------------

def strip_tags(text):
    """PHP ``strip_tags``: drop ``<...>`` tags (a ``<`` followed by white
    space is not a tag); an unclosed tag swallows the rest."""
    text = php_str(text)
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "<" and (i + 1 >= n or not text[i + 1].isspace()):
            j, quote = i + 1, None
            while j < n:
                c = text[j]
                if quote:
                    if c == quote:
                        quote = None
                elif c in "\"'":
                    quote = c
                elif c == ">":
                    break
                j += 1
            i = j + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out).replace("\x00", "")


PHP_TRIM = " \t\n\r\x00\x0b"


def untag(text):
    """The deep cleaner applied to history content, task fields, deal
    titles: tags, quotes of every kind, backslashes and angle brackets go;
    a literal backslash-r-backslash-n becomes CRLF."""
    s = strip_tags(text).strip(PHP_TRIM)
    for old, new in (("\\r\\n", "\r\n"), ('"', ""), ("\\", ""), ("'", ""),
                     ("&laquo;", ""), ("&raquo;", ""), ("`", ""),
                     ("\u00ab", ""), ("\u00bb", ""), ("<", ""), (">", "")):
        s = s.replace(old, new)
    return s


def untag_display(text):
    """The cleaner history/list applies on output: straight quotes and
    guillemets become a closing curly quote, slashes become hyphens."""
    s = strip_tags(text).strip(PHP_TRIM)
    for old, new in (("<", ""), (">", ""), ('"', "\u201d"), ("&laquo;", ""),
                     ("&raquo;", ""), ("/", "-"), ("\u00ab", "\u201d"),
                     ("\u00bb", "\u201d")):
        s = s.replace(old, new)
    return s


def field_clean(text):
    """Cleaner for client/person/deal form fields: angle brackets become
    square ones, quotes become a closing curly quote."""
    s = strip_tags(text).strip(PHP_TRIM)
    for old, new in (("<", "["), (">", "]"), ('"', "\u201d"), ("&laquo;", ""),
                     ("&raquo;", ""), ("\u00ab", "\u201d"),
                     ("\u00bb", "\u201d")):
        s = s.replace(old, new)
    return s


def cleaner(text):
    """index.php's cleaner for search words and form parameters."""
    s = php_str(text).strip(PHP_TRIM)
    return s.replace('"', "\u201d").replace("\\n\\r", "").replace(
        "'", "&acute;")


def nl2br(text):
    """PHP ``nl2br``: ``<br />`` before each line break (CRLF, LFCR, LF, CR
    count once each)."""
    return re.sub(r"(\r\n|\n\r|\n|\r)", r"<br />\1", text)


def utf8mb3(text):
    """A 3-byte ``utf8`` column stores each character outside the Basic
    Multilingual Plane (emoji) as four question marks."""
    if text is None:
        return None
    text = php_str(text)
    if all(ord(c) < 0x10000 for c in text):
        return text
    return "".join("????" if ord(c) >= 0x10000 else c for c in text)


def first_two_words(name):
    """How the server shortens a contact's name in history and tasks:
    the first two words (a one-word name keeps a trailing space)."""
    words = [w.strip() for w in php_str(name).split(" ") if w != ""]
    words += ["", ""]
    return "%s %s" % (words[0], words[1])


def split_ids(text, sep=";"):
    """The server's ``yexplode``: split, drop empty parts, trim."""
    if text is None or text == "":
        return []
    return [p.strip() for p in php_str(text).split(sep) if p != ""]


# --------------------------------------------------------------------------
# Request parameters
# --------------------------------------------------------------------------

def parse_str(text, into):
    """PHP's parsing of a query string or form body into ``into``:
    ``a[]=1`` appends, ``a[k]=1`` nests; later plain keys win."""
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        name = urllib.parse.unquote_plus(name)
        value = urllib.parse.unquote_plus(value)
        base, bracket, rest = name.partition("[")
        if not base:
            continue
        if not bracket:
            into[base] = value
            continue
        key = rest.split("]", 1)[0]
        holder = into.get(base)
        if not isinstance(holder, dict):
            holder = {}
            into[base] = holder
        if key == "":
            key = len([k for k in holder if isinstance(k, int)])
        holder[key] = value


def array_value(value):
    """A parsed PHP array as JSON shows it: keys 0..n-1 make a list (as
    json_decode makes), other keys an object."""
    if isinstance(value, dict):
        keys = list(value)
        if keys == list(range(len(keys))):
            return [array_value(value[k]) for k in keys]
        return {str(k): array_value(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------
# MariaDB values
# --------------------------------------------------------------------------

def sql_equal(a, b):
    """String equality under MariaDB's case-insensitive PAD SPACE
    collation."""
    if a is None or b is None:
        return False
    return php_str(a).rstrip(" ").casefold() == \
        php_str(b).rstrip(" ").casefold()


def _valid(y, mo, d, h, mi, s):
    if y == 0 and mo == 0 and d == 0:
        return h == mi == s == 0
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60
            and s < 60):
        return False
    return d <= calendar.monthrange(max(y, 1), mo)[1]


def _year(text):
    y = int(text)
    if len(text) <= 2:
        y += 2000 if y < 70 else 1900
    return y


def mysql_datetime(value):
    """A value stored into a DATETIME/TIMESTAMP column, as MariaDB in a
    non-strict sql_mode reads it: ``YYYY-MM-DD HH:MM:SS``; anything it
    cannot read is the zero datetime.  Any punctuation separates the parts,
    ``T`` or spaces separate date and time, fractions are truncated and a
    trailing zone or junk is ignored; ``YYYYMMDDHHMMSS`` digits work too."""
    if value is None or isinstance(value, (bool, list, dict)):
        return ZERO_DATETIME
    text = php_str(value).strip()
    m = re.fullmatch(r"(\d{4}|\d{2})(\d\d)(\d\d)(?:(\d\d)(\d\d)(\d\d))?"
                     r"(?:\.\d*)?", text)
    if m and len(text.split(".")[0]) in (6, 8, 12, 14):
        y = _year(m.group(1))
        mo, d = int(m.group(2)), int(m.group(3))
        h, mi, s = (int(m.group(i) or 0) for i in (4, 5, 6))
    else:
        m = re.match(r"(\d+)[^\w\s](\d+)[^\w\s](\d+)"
                     r"(?:(?:T|\s+)(\d+)(?:[^\w\s](\d+)"
                     r"(?:[^\w\s](\d+))?)?)?", text)
        if not m:
            return ZERO_DATETIME
        if len(m.group(1)) > 4:
            return ZERO_DATETIME
        y = _year(m.group(1))
        mo, d = int(m.group(2)), int(m.group(3))
        h, mi, s = (int(m.group(i) or 0) for i in (4, 5, 6))
    if not _valid(y, mo, d, h, mi, s):
        return ZERO_DATETIME
    return "%04d-%02d-%02d %02d:%02d:%02d" % (y, mo, d, h, mi, s)


def mysql_date(value):
    """A value stored into a DATE column (``YYYY-MM-DD``)."""
    return mysql_datetime(value)[:10]


def like(value, pattern):
    """SQL ``value LIKE pattern`` under a case-insensitive collation."""
    if value is None:
        return False
    parts = []
    escaped = False
    for ch in php_str(pattern):
        if escaped:
            parts.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "%":
            parts.append(".*")
        elif ch == "_":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.fullmatch("".join(parts), php_str(value),
                        re.IGNORECASE | re.DOTALL) is not None


def contains(value, word):
    """``value LIKE '%word%'``."""
    return like(value, "%" + php_str(word) + "%")


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

# The letters the server turns back from \uXXXX into literal characters:
# А-Я, а-я, Ё, ё (and no other Cyrillic letter).
_CYRILLIC = [chr(c) for c in range(0x410, 0x450)] + ["\u0401", "\u0451"]
_CYRILLIC_ESCAPES = [("\\u%04x" % ord(c), c) for c in _CYRILLIC]


def php_json(obj):
    """The body bytes the server prints for ``obj``."""
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    text = text.replace("/", "\\/")
    if "\\u04" in text:
        for escape, letter in _CYRILLIC_ESCAPES:
            text = text.replace(escape, letter)
    return text.encode("utf-8")


FATAL_LIB = ("/var/www/salesman/vendor/colshrapnel/safemysql/"
             "safemysql.class.php")


def fatal_page(exception, message, where=FATAL_LIB, line=466):
    """The HTML PHP prints (display_errors on, html_errors on) when an
    exception is not caught: the server still says ``application/json``."""
    message = (message.replace("&", "&amp;").replace("<", "&lt;")
               .replace(">", "&gt;"))
    return ("<br />\n<b>Fatal error</b>:  Uncaught %s: %s in %s:%d\n"
            "Stack trace:\n#0 %s(%d): mysqli_query()\n#1 {main}\n"
            "  thrown in <b>%s</b> on line <b>%d</b><br />\n"
            % (exception, message, where, line, where, line, where, line))

#!/usr/bin/env python3
"""CRM emulator for crm_fdw's tests: entry point and provider-neutral core.

This file owns everything that is not about one vendor's API:

* the command line (``--host --port --port-file --seed --scale --anchor
  --quiet``),
* the HTTP/1.1 keep-alive server (``ThreadingHTTPServer``),
* dispatch of a request to the provider that owns its path prefix
  (Pipedrive: ``/api/v1/``, ``/api/v2/``; amoCRM: ``/api/v4/``; SalesMan:
  ``/developer/v3/``; each a sibling module listed in ``PROVIDER_MODULES``,
  added without touching the others),
* the request log, stateless (``/__fault/<spec>/...``) and stateful
  (``/__emulator/faults``) fault injection, the per-token rolling-window rate
  limiter with a daily budget, and the ``/__emulator/...`` control API.

What a provider must offer is described by ``Provider`` below; the vendor
specifics (data, envelopes, paging, validation, auth headers) live in the
provider module.  Standard library only: runs on Debian 12's python3 3.11.
"""

import argparse
import collections
import gc
import importlib
import json
import math
import os
import re
import select
import signal
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import provider_kit                                     # noqa: E402

sys.dont_write_bytecode = True          # never write __pycache__ beside us
# Provider modules import this file as "crm_emulator"; when it runs as the
# main script, make that name refer to this very module, not a second copy.
sys.modules.setdefault("crm_emulator", sys.modules[__name__])

# Provider modules, each exposing a ``PROVIDER`` class (see ``Provider``).
PROVIDER_MODULES = ("pipedrive", "amocrm", "salesman")

CONTROL_PREFIX = "/__emulator/"
FAULT_PREFIX = "/__fault/"

# Query parameters whose values are credentials: redacted in every log.
SECRET_QUERY_PARAMS = ("api_token", "access_token", "apikey", "token")

# Delays are slept in steps of this many seconds, checking the client.
DELAY_STEP = 0.02


# --------------------------------------------------------------------------
# Requests, responses and the provider contract
# --------------------------------------------------------------------------

class Request:
    """One API request as a provider sees it."""

    def __init__(self, method, path, raw_query, headers, body):
        self.method = method
        self.path = path                    # without any /__fault/ prefix
        self.raw_query = raw_query          # exactly as received, "" if none
        self.query = urllib.parse.parse_qs(raw_query, keep_blank_values=True)
        self.headers = headers              # email.message.Message
        self.body = body                    # bytes
        self.content_type = headers.get("Content-Type")
        self.json = None                    # parsed body, if it is JSON
        self.json_ok = False
        if body:
            try:
                self.json = json.loads(body.decode("utf-8"))
                self.json_ok = True
            except (ValueError, UnicodeDecodeError):
                pass
        self.base_path = ""                 # its /__fault/<spec> prefix
        self.arrived = None                 # Unix seconds, set by the server
        self.auth_scheme = None             # e.g. "x-api-token", "bearer"
        self.principal = None               # provider's idea of the caller

    def log_body(self):
        """The body for the request log, exactly as sent: JSON parsed afresh
        from the bytes (handlers may normalize self.json), else text, else
        None."""
        if not self.body:
            return None
        if self.json_ok:
            return json.loads(self.body.decode("utf-8"))
        return self.body.decode("utf-8", "replace")


class Response:
    """An answer: status, body bytes, content type and extra headers."""

    def __init__(self, status, body=b"", content_type="application/json",
                 headers=None):
        self.status = int(status)
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.content_type = content_type
        self.headers = list(headers or [])
        self.declared_length = None     # set to lie about Content-Length
        self.close = False              # close the connection afterwards
        self.rate_headers = True        # may carry rate-limit headers

    @classmethod
    def json(cls, status, obj, headers=None):
        return cls(status, dump_json(obj), "application/json", headers)


def dump_json(obj):
    """Compact UTF-8 JSON: what every emulated API answers with."""
    return json.dumps(obj, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


class Provider:
    """What the core needs from a CRM provider module.

    A provider module defines ``PROVIDER``, a subclass of this class.  One
    instance serves every request whose path starts with one of
    ``prefixes``.  The core calls ``handle`` with the data lock held.
    """

    name = "base"
    prefixes = ()
    rate_window_seconds = 2.0           # rolling burst window
    default_scale = {}                  # entity -> row count
    config_defaults = {}                # provider config keys (with prefix)
    config_choices = {}                 # key -> allowed values, if a choice

    def __init__(self, seed, scale, env):
        self.seed = seed
        self.scale = scale
        self.env = env
        self.anchor = None              # --anchor: None, "now" or seconds
        self.shift = 0                  # seconds the last reset moved data

    def time_shift(self, latest, tz=None):
        """Seconds (whole days) to add to every generated time so that
        ``latest``, the dataset's latest generated time (Unix seconds),
        falls on the anchor's UTC day, or on its day in ``tz`` for a
        provider whose data is an account's wall time; 0 without
        ``--anchor``.  Call it from ``reset``.
        """
        self.shift = provider_kit.anchor_shift(latest, self.anchor, tz)
        return self.shift

    # data
    def reset(self):
        """Regenerate every row from the seed and scale, shifted by
        ``time_shift(latest)`` when an anchor is set."""
        raise NotImplementedError

    def dump(self, entity, host=None):
        """All current rows of an entity, or None if unknown.  ``host`` is
        the Host header of the control request, for providers whose rows
        carry absolute links."""
        return None

    # requests
    def authenticate(self, req):
        """Return (scheme, token) for the credentials the request presents.

        ``scheme`` is what the log shows (never the value); ``token`` is a
        hashable key for rate limiting when the credentials are valid and
        None otherwise.
        """
        raise NotImplementedError

    def unauthorized(self, req):
        raise NotImplementedError

    def error(self, status, message=None):
        """The provider's error envelope for a status."""
        raise NotImplementedError

    def rate_limited(self, retry_after, daily):
        raise NotImplementedError

    def rate_headers(self, limit, remaining, reset, daily_left):
        return []

    def token_cost(self, req):
        return 1

    def handle(self, req, config):
        raise NotImplementedError


# --------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------

STATELESS_KINDS = ("status", "notjson", "html403", "empty", "delay",
                   "truncated")
FAULT_KINDS = ("notjson", "html403", "empty", "truncated", "close")

HTML_403 = ("<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head>"
            "<body><h1>Access denied</h1><p>The request was blocked by the "
            "content delivery network in front of this site.</p>"
            "<p>Ray ID: 0000000000000000</p></body></html>\n")
NOT_JSON = "<html><body>Bad Gateway</body></html>"


def parse_fault_prefix(path):
    """Split ``/__fault/<spec>/rest`` into (spec dict, "/rest").

    Returns (None, path) when there is no prefix and raises ValueError for
    a malformed spec.
    """
    if not path.startswith(FAULT_PREFIX):
        return None, path
    parts = path[len(FAULT_PREFIX):].split("/")
    kind = parts[0]
    if kind in ("status", "delay"):
        if len(parts) < 2 or not re.fullmatch(r"\d{1,7}", parts[1]):
            raise ValueError("/__fault/%s/ needs a number" % kind)
        value = int(parts[1])
        if kind == "status" and not 100 <= value <= 599:
            raise ValueError("status must be 100..599")
        rest = parts[2:]
        spec = {"kind": kind, "value": value}
    elif kind in STATELESS_KINDS:
        rest = parts[1:]
        spec = {"kind": kind}
    else:
        raise ValueError("unknown fault %r (one of %s)"
                         % (kind, ", ".join(STATELESS_KINDS)))
    return spec, "/" + "/".join(rest)


def check_fault(body):
    """Validate a POST /__emulator/faults body; return the stored fault."""
    if not isinstance(body, dict):
        raise ValueError("a fault is a JSON object")
    known = {"method", "path", "status", "times", "body", "content_type",
             "delay_ms", "retry_after", "after_processing", "kind"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise ValueError("unknown fault field(s): %s" % ", ".join(unknown))
    fault = {
        "method": body.get("method"),
        "path": body.get("path", ""),
        "status": body.get("status"),
        "times": body.get("times", 1),
        "body": body.get("body"),
        "content_type": body.get("content_type"),
        "delay_ms": body.get("delay_ms", 0),
        "retry_after": body.get("retry_after"),
        "after_processing": bool(body.get("after_processing", False)),
        "kind": body.get("kind"),
    }
    if fault["method"] is not None:
        if not isinstance(fault["method"], str):
            raise ValueError("method must be a string")
        fault["method"] = fault["method"].upper()
    if not isinstance(fault["path"], str):
        raise ValueError("path must be a regular expression string")
    try:
        fault["regex"] = re.compile(fault["path"])
    except re.error as e:
        raise ValueError("bad path regex: %s" % e)
    for key, low, high in (("status", 100, 599), ("times", 1, 10 ** 6),
                           ("delay_ms", 0, 600000), ("retry_after", 0, 86400)):
        value = fault[key]
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or \
                not low <= value <= high:
            raise ValueError("%s must be an integer in %d..%d"
                             % (key, low, high))
    if fault["kind"] is not None and fault["kind"] not in FAULT_KINDS:
        raise ValueError("kind must be one of %s" % ", ".join(FAULT_KINDS))
    if fault["body"] is not None and not isinstance(fault["body"], str):
        fault["body"] = json.dumps(fault["body"], ensure_ascii=False)
    if fault["status"] is None and fault["kind"] is None and \
            not fault["delay_ms"]:
        raise ValueError("a fault needs status, kind or delay_ms")
    return fault


def public_fault(fault):
    return {k: v for k, v in fault.items() if k != "regex"}


# --------------------------------------------------------------------------
# The emulator: providers, log, faults, config, rate limits
# --------------------------------------------------------------------------

class Emulator:
    def __init__(self, seed=42, scale=None, quiet=False, env=None,
                 anchor=None):
        self.seed = seed
        self.quiet = quiet
        # None, "now" (resolved at every reset) or Unix seconds
        self.anchor = provider_kit.parse_anchor(anchor) \
            if isinstance(anchor, str) else anchor
        self.env = dict(os.environ if env is None else env)
        self.lock = threading.RLock()       # log, faults, config, rates
        self.data_lock = threading.RLock()  # provider data
        self.providers = []
        scale = dict(scale or {})
        for module_name in PROVIDER_MODULES:
            module = importlib.import_module(module_name)
            cls = module.PROVIDER
            own = dict(cls.default_scale)
            for key, value in list(scale.items()):
                pname, _, entity = key.rpartition(".")
                if pname and pname != cls.name:
                    continue
                if entity in own:
                    own[entity] = value
            provider = cls(seed, own, self.env)
            provider.anchor = self.anchor
            self.providers.append(provider)
        known = set()
        for p in self.providers:
            known.update(p.default_scale)
            known.update("%s.%s" % (p.name, k) for k in p.default_scale)
        bad = sorted(k for k in scale if k not in known)
        if bad:
            raise ValueError("unknown --scale key(s): %s (known: %s)"
                             % (", ".join(bad), ", ".join(sorted(
                                 k for k in known if "." not in k))))
        self.reset()

    # -- state --

    def reset(self):
        with self.data_lock, self.lock:
            # generation makes millions of objects at large scales; the
            # cyclic collector would rescan them all again and again
            collecting = gc.isenabled()
            gc.disable()
            try:
                for p in self.providers:
                    p.reset()
            finally:
                if collecting:
                    gc.enable()
            self.log = []
            self.seq = 0
            self.faults = []
            self.config = {}
            for p in self.providers:
                self.config.update(p.config_defaults)
            self.windows = {}           # (provider, token) -> deque of times
            self.daily_used = collections.Counter()

    def provider_for(self, path):
        best = None
        for p in self.providers:
            for prefix in p.prefixes:
                if path.startswith(prefix) and (
                        best is None or len(prefix) > len(best[1])):
                    best = (p, prefix)
        return best[0] if best else None

    def record(self, req, status):
        with self.lock:
            self.seq += 1
            self.log.append({
                # when the request arrived, Unix seconds: rate and backoff
                # tests measure the client's pace with it
                "at": req.arrived,
                "seq": self.seq,
                "method": req.method,
                "path": req.path,
                "query": redact_query(req.raw_query),
                "body": req.log_body(),
                "status": status,
                "auth": req.auth_scheme,
                "content_type": req.content_type,
            })

    def take_fault(self, method, path):
        """Consume and return the first queued fault matching, or None."""
        with self.lock:
            for fault in self.faults:
                if fault["method"] not in (None, method):
                    continue
                if not fault["regex"].search(path):
                    continue
                fault["times"] -= 1
                if fault["times"] <= 0:
                    self.faults.remove(fault)
                return dict(fault)
        return None

    def rate_check(self, provider, token, cost):
        """Count a request; return (allowed, daily_exceeded, headers)."""
        name = provider.name
        window = provider.rate_window_seconds
        with self.lock:
            limit = self.config.get(name + "_rate_limit")
            budget = self.config.get(name + "_daily_budget")
            if limit is False:
                limit = None
            if budget is False:
                budget = None
            now = time.monotonic()
            hits = self.windows.setdefault((name, token), collections.deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            shown_limit = limit if limit is not None else 10000
            shown_budget = budget if budget is not None else 1000000
            used = self.daily_used[(name, token)]
            allowed = True
            daily = False
            if budget is not None and used + cost > budget:
                allowed, daily = False, True
            elif limit is not None and len(hits) >= limit:
                allowed = False
            if allowed:
                hits.append(now)
                self.daily_used[(name, token)] = used = used + cost
            remaining = max(0, shown_limit - len(hits))
            if hits:
                reset = max(1, math.ceil(hits[0] + window - now))
            else:
                reset = int(math.ceil(window))
            if daily:
                reset = seconds_to_utc_midnight()
            daily_left = max(0, shown_budget - used)
            headers = provider.rate_headers(shown_limit, remaining, reset,
                                            daily_left)
            return allowed, daily, reset, headers

    # -- control API --

    def control(self, method, path, query, body_bytes, headers=None):
        """Serve /__emulator/...; returns a Response."""
        sub = path[len(CONTROL_PREFIX):].rstrip("/")
        params = urllib.parse.parse_qs(query, keep_blank_values=True)

        def flag(name):
            return params.get(name, [""])[-1].lower() in ("1", "true", "yes")

        def body_json():
            if not body_bytes.strip():
                return {}
            return json.loads(body_bytes.decode("utf-8"))

        try:
            if sub == "requests":
                if method == "GET":
                    with self.lock:
                        entries = list(self.log)
                        if flag("clear"):
                            self.log = []
                    if params.get("format", [""])[-1] == "text":
                        text = "".join(format_log_line(e) + "\n"
                                       for e in entries)
                        return Response(200, text, "text/plain; charset=utf-8")
                    return Response.json(200, entries)
                if method == "DELETE":
                    with self.lock:
                        n = len(self.log)
                        self.log = []
                    return Response.json(200, {"cleared": n})
                return control_error(405, "use GET or DELETE")
            if sub == "reset":
                if method != "POST":
                    return control_error(405, "use POST")
                self.reset()
                return Response.json(200, {"reset": True, "seed": self.seed})
            if sub == "config":
                if method == "GET":
                    with self.lock:
                        return Response.json(200, dict(self.config))
                if method == "POST":
                    changes = body_json()
                    if not isinstance(changes, dict):
                        return control_error(400, "config is a JSON object")
                    with self.lock:
                        defaults, choices = {}, {}
                        for p in self.providers:
                            defaults.update(p.config_defaults)
                            choices.update(p.config_choices)
                        bad = sorted(set(changes) - set(defaults))
                        if bad:
                            return control_error(
                                400, "unknown config key(s): %s (known: %s)"
                                % (", ".join(bad),
                                   ", ".join(sorted(defaults))))
                        for key, value in changes.items():
                            error = check_config_value(
                                key, value, defaults[key], choices.get(key))
                            if error:
                                return control_error(400, error)
                        for key, value in changes.items():
                            self.config[key] = (defaults[key] if value is None
                                                else value)
                        # a new limit starts with fresh windows and budgets
                        self.windows = {}
                        self.daily_used = collections.Counter()
                        return Response.json(200, dict(self.config))
                return control_error(405, "use GET or POST")
            if sub == "faults":
                if method == "GET":
                    with self.lock:
                        return Response.json(
                            200, [public_fault(f) for f in self.faults])
                if method == "POST":
                    body = body_json()
                    items = body if isinstance(body, list) else [body]
                    faults = [check_fault(item) for item in items]
                    with self.lock:
                        self.faults.extend(faults)
                        return Response.json(
                            200, [public_fault(f) for f in self.faults])
                if method == "DELETE":
                    with self.lock:
                        n = len(self.faults)
                        self.faults = []
                    return Response.json(200, {"cleared": n})
                return control_error(405, "use GET, POST or DELETE")
            if sub.startswith("dump/"):
                if method != "GET":
                    return control_error(405, "use GET")
                parts = sub.split("/")
                if len(parts) != 3:
                    return control_error(404, "use /__emulator/dump/"
                                              "{provider}/{entity}")
                provider = next((p for p in self.providers
                                 if p.name == parts[1]), None)
                if provider is None:
                    return control_error(404, "unknown provider %r" % parts[1])
                host = headers.get("Host") if headers is not None else None
                with self.data_lock:
                    rows = provider.dump(parts[2], host=host)
                if rows is None:
                    return control_error(404, "unknown entity %r" % parts[2])
                return Response.json(200, rows)
            if sub == "health":
                anchor = self.anchor
                if anchor is not None and anchor != "now":
                    anchor = provider_kit.rfc3339_z(anchor)
                return Response.json(200, {
                    "ok": True, "providers": [p.name for p in self.providers],
                    "anchor": anchor,
                    "shift_days": {p.name: p.shift // provider_kit.DAY
                                   for p in self.providers}})
        except ValueError as e:         # bad JSON, bad fault
            return control_error(400, str(e))
        return control_error(404, "unknown control endpoint %s" % path)


def control_error(status, message):
    return Response.json(status, {"error": message})


def check_config_value(key, value, default, choices=None):
    if value is None:
        return None
    if choices is not None and value not in choices:
        return "%s must be one of: %s" % (key, ", ".join(map(str, choices)))
    if key.endswith("_rate_limit") or key.endswith("_daily_budget"):
        if value is False:              # off, whatever the default is
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return "%s must be a non-negative integer, false or null" % key
        return None
    if isinstance(default, str) and not isinstance(value, str):
        return "%s must be a string" % key
    if isinstance(default, bool) and not isinstance(value, bool):
        return "%s must be true or false" % key
    return None


def seconds_to_utc_midnight():
    now = time.time()
    return max(1, int(86400 - now % 86400))


def redact_query(raw_query):
    """The raw query, with the values of credential parameters hidden."""
    if not raw_query:
        return raw_query

    def fix(part):
        name, eq, _ = part.partition("=")
        secret = urllib.parse.unquote_plus(name).lower() in \
            SECRET_QUERY_PARAMS
        if eq and secret:
            return name + "=REDACTED"
        return part
    return "&".join(fix(p) for p in raw_query.split("&"))


def format_log_line(entry):
    line = "%s %s" % (entry["method"], entry["path"])
    if entry["query"]:
        line += "?" + entry["query"]
    if entry["body"] is not None:
        line += " " + json.dumps(entry["body"], ensure_ascii=False,
                                 sort_keys=True, separators=(",", ":"))
    status = entry["status"]
    if status is None or not 200 <= status < 300:
        line += " -> %s" % status
    return line


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

class ClientGone(Exception):
    """The client closed the connection while we were waiting."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True      # else reused connections stall 40 ms
    server_version = "crm-emulator/1.0"
    sys_version = ""
    emulator = None                     # set by make_server

    def log_message(self, fmt, *args):  # the base class logs to stderr
        pass

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # -- plumbing --

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n",
                                                             b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = self.headers.get("Content-Length")
        if length:
            return self.rfile.read(int(length))
        return b""

    def client_gone(self):
        """True if the peer has closed its end of the connection."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def sleep(self, ms):
        deadline = time.monotonic() + ms / 1000.0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self.client_gone():
                raise ClientGone()
            time.sleep(min(DELAY_STEP, left))

    def send(self, resp):
        self.send_response(resp.status)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        length = resp.declared_length
        if resp.status not in (204, 304):   # they must not carry a length
            self.send_header("Content-Length",
                             str(len(resp.body) if length is None
                                 else length))
        for name, value in resp.headers:
            self.send_header(name, str(value))
        if resp.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and resp.body:
            self.wfile.write(resp.body)
        self.wfile.flush()
        if resp.close:
            try:
                self.connection.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    # -- the request pipeline --

    def dispatch(self):
        emu = self.emulator
        started = time.monotonic()
        arrived = round(time.time(), 6)
        split = urllib.parse.urlsplit(self.path)
        path, raw_query = split.path or "/", split.query
        method = self.command
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return

        if path.startswith(CONTROL_PREFIX) or path == CONTROL_PREFIX[:-1]:
            self.send(emu.control(method, path, raw_query, body,
                                  self.headers))
            return

        full_path = path
        try:
            fault, path = parse_fault_prefix(path)
        except ValueError as e:
            self.send(control_error(400, "bad fault prefix: %s" % e))
            return

        req = Request(method, path, raw_query, self.headers, body)
        req.arrived = arrived
        req.base_path = full_path[:len(full_path) - len(path)] \
            if fault is not None else ""
        try:
            resp = self.serve(req, fault)
        except ClientGone:
            emu.record(req, 499)        # nginx's "client closed request"
            self.close_connection = True
            self.note(req, 499, started)
            return
        emu.record(req, resp.status)
        self.note(req, resp.status, started)
        try:
            self.send(resp)
        except OSError:
            self.close_connection = True

    def note(self, req, status, started):
        if self.emulator.quiet:
            return
        query = redact_query(req.raw_query)
        sys.stderr.write("%s %s%s -> %s (%.1f ms)\n" % (
            req.method, req.path, "?" + query if query else "", status,
            (time.monotonic() - started) * 1000))

    def serve(self, req, fault):
        emu = self.emulator
        provider = emu.provider_for(req.path)
        if provider is None:
            return Response.json(404, {"success": False,
                                       "error": "Unknown path " + req.path})

        scheme, token = provider.authenticate(req)
        req.auth_scheme = scheme
        if token is None:
            return provider.unauthorized(req)
        req.principal = token

        allowed, daily, reset, rate_headers = emu.rate_check(
            provider, token, provider.token_cost(req))
        if not allowed:
            resp = provider.rate_limited(reset, daily)
            resp.headers.extend(rate_headers)
            return resp

        resp = self.serve_with_faults(provider, req, fault)
        if resp.rate_headers:
            resp.headers.extend(rate_headers)
        return resp

    def process(self, provider, req):
        emu = self.emulator
        with emu.lock:
            config = dict(emu.config)
        with emu.data_lock:
            try:
                return provider.handle(req, config)
            except Exception:           # a bug: say so, keep serving
                traceback.print_exc()
                return provider.error(500, "Internal emulator error")

    def serve_with_faults(self, provider, req, fault):
        # Stateless faults from the /__fault/<spec>/ prefix.
        if fault is not None:
            kind = fault["kind"]
            if kind == "status":
                return provider.error(fault["value"])
            if kind == "delay":
                self.sleep(fault["value"])
                return self.process(provider, req)
            if kind == "truncated":
                return truncate(self.process(provider, req))
            return raw_fault(kind)

        # Stateful faults queued through /__emulator/faults.
        queued = self.emulator.take_fault(req.method, req.path)
        if queued is None:
            return self.process(provider, req)
        real = None
        if queued["after_processing"]:
            real = self.process(provider, req)
        if queued["delay_ms"]:
            self.sleep(queued["delay_ms"])
        if queued["status"] is None and queued["kind"] is None:
            # a pure delay: answer normally
            return real if real is not None else self.process(provider, req)
        if queued["kind"] == "truncated":
            base = real if real is not None else self.process(provider, req)
            return truncate(base)
        if queued["kind"] is not None:
            resp = raw_fault(queued["kind"])
            if queued["status"] is not None:
                resp.status = queued["status"]
        elif queued["body"] is not None:
            resp = Response(queued["status"], queued["body"],
                            queued["content_type"] or "application/json")
        else:
            resp = provider.error(queued["status"])
            if queued["content_type"]:
                resp.content_type = queued["content_type"]
        if queued["retry_after"] is not None:
            resp.headers.append(("Retry-After", queued["retry_after"]))
        return resp


def raw_fault(kind):
    """Answers that come from something in front of the API, not from it."""
    if kind == "notjson":
        resp = Response(200, NOT_JSON, "application/json")
    elif kind == "html403":
        resp = Response(403, HTML_403, "text/html; charset=UTF-8")
    elif kind == "empty":
        resp = Response(200, b"", "application/json")
    elif kind == "close":
        resp = Response(200, b"", None)
        resp.declared_length = 1    # promise a byte, then hang up
        resp.close = True
    else:
        raise ValueError(kind)
    resp.rate_headers = False
    return resp


def truncate(resp):
    """Declare the full length, send half of the body, then close."""
    full = resp.body or b"{}"
    resp.declared_length = len(full) + 64
    resp.body = full[:len(full) // 2]
    resp.close = True
    return resp


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # a client hanging up mid-request is routine in fault tests
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        ThreadingHTTPServer.handle_error(self, request, client_address)


def make_server(emulator, host="127.0.0.1", port=0):
    handler = type("BoundHandler", (Handler,), {"emulator": emulator})
    return Server((host, port), handler)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def parse_scale(text):
    scale = {}
    if not text:
        return scale
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, eq, value = item.partition("=")
        if not eq or not value.strip().isdigit():
            raise argparse.ArgumentTypeError(
                "--scale wants name=count[,name=count...], got %r" % item)
        scale[name.strip()] = int(value)
    return scale


def anchor_arg(text):
    try:
        return provider_kit.parse_anchor(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))


def write_port_file(path, port):
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, ".%s.%d.tmp"
                       % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="CRM API emulator for crm_fdw tests (Pipedrive, "
                    "amoCRM, SalesMan CRM).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0,
                        help="0 picks a free port (default)")
    parser.add_argument("--port-file", help="write the bound port here")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=parse_scale, default={},
                        help="row counts, e.g. deals=1200,amocrm.leads=600,"
                             "salesman.history=1500; a key without a "
                             "provider prefix sets every provider that has "
                             "it (README.md lists the keys)")
    parser.add_argument("--anchor", type=anchor_arg, default=None,
                        help="shift generated times by whole days so the "
                             "latest falls on this day: 'now', YYYY-MM-DD "
                             "or an ISO 8601 UTC time (default: no shift)")
    parser.add_argument("--quiet", action="store_true",
                        help="no per-request log lines on stderr")
    args = parser.parse_args(argv)

    try:
        emulator = Emulator(seed=args.seed, scale=args.scale, quiet=args.quiet,
                            anchor=args.anchor)
    except ValueError as e:
        parser.error(str(e))
    server = make_server(emulator, args.host, args.port)
    host, port = server.server_address[:2]

    def stop(signum, frame):
        # shutdown() waits for serve_forever to return: not from its thread
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.port_file:
        write_port_file(args.port_file, port)
    print("listening on %s:%d" % (host, port), flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip freeing every generated row one by one (slow at large scales):
    # there is nothing else to clean up.
    os._exit(status)

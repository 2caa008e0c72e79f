"""Shared helpers of the emulator's self-tests (not a test module).

``Client`` is a keep-alive HTTP client; ``ServerCase`` serves one
in-process emulator per test class on an ephemeral port and resets it
before each test.  The tokens below are what the tests' emulators accept
(Pipedrive's, amoCRM's and SalesMan's).
"""

import calendar
import http.client
import json
import os
import re
import sys
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import crm_emulator                                     # noqa: E402
import pipedrive                                        # noqa: E402

API_TOKEN = "test-api-token-s3cr3t"
OAUTH_TOKEN = "test-oauth-token-s3cr3t"
AMOCRM_TOKEN = "test-amocrm-token-s3cr3t"
SALESMAN_API_KEY = "test-salesman-key-s3cr3t"
SALESMAN_LOGIN = "admin@example.com"
ENV = {"CRM_EMULATOR_PIPEDRIVE_API_TOKEN": API_TOKEN,
       "CRM_EMULATOR_PIPEDRIVE_OAUTH_TOKEN": OAUTH_TOKEN,
       "CRM_EMULATOR_AMOCRM_TOKEN": AMOCRM_TOKEN,
       "CRM_EMULATOR_SALESMAN_API_KEY": SALESMAN_API_KEY,
       "CRM_EMULATOR_SALESMAN_LOGIN": SALESMAN_LOGIN}
AUTH = {"x-api-token": API_TOKEN}
AMOCRM_AUTH = {"Authorization": "Bearer " + AMOCRM_TOKEN}
with open(os.path.join(HERE, "pipedrive_schemas.json"),
          encoding="utf-8") as _f:
    SCHEMAS = json.load(_f)["operations"]
RFC3339_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
V1_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
RFC3339_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
DATE_ONLY = re.compile(r"\d{4}-\d\d-\d\d$")


def shifted(value, days):
    """A rendered or stored value with every timestamp and date moved by
    ``days`` (what --anchor does); MariaDB's zero datetime
    ``0000-00-00 00:00:00`` is no time and stays."""
    if isinstance(value, dict):
        return {k: shifted(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [shifted(v, days) for v in value]
    if isinstance(value, str) and not value.startswith("0000-"):
        for pattern, fmt in ((RFC3339_Z, "%Y-%m-%dT%H:%M:%SZ"),
                             (RFC3339_MS, "%Y-%m-%dT%H:%M:%S.000Z"),
                             (V1_TIME, "%Y-%m-%d %H:%M:%S"),
                             (DATE_ONLY, "%Y-%m-%d")):
            if pattern.fullmatch(value):
                t = calendar.timegm(time.strptime(value, fmt))
                return time.strftime(fmt, time.gmtime(t + days * 86400))
    return value


class Client:
    """A keep-alive HTTP client for one emulator."""

    def __init__(self, port, auth_headers=None):
        self.port = port
        self.auth_headers = dict(AUTH if auth_headers is None
                                 else auth_headers)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def raw(self, method, path, body=None, headers=None, auth=True):
        hdrs = dict(self.auth_headers if auth else {})
        hdrs.update(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            resp = self.conn.getresponse()
            data = resp.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                   timeout=10)
            raise
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return resp.status, resp, data

    def call(self, method, path, body=None, headers=None, auth=True):
        status, resp, data = self.raw(method, path, body, headers, auth)
        try:
            parsed = json.loads(data.decode("utf-8")) if data else None
        except ValueError:
            parsed = data
        return status, parsed, resp

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def close(self):
        self.conn.close()

    def ok(self, method, path, body=None):
        status, parsed, _ = self.call(method, path, body)
        assert status == 200, (method, path, status, parsed)
        return parsed

    def all_v2(self, path, limit=500):
        """Follow next_cursor to the end; return every item."""
        items, cursor = [], None
        sep = "&" if "?" in path else "?"
        while True:
            url = "%s%slimit=%d" % (path, sep, limit)
            if cursor:
                url += "&cursor=" + urllib.parse.quote(cursor)
            page = self.ok("GET", url)
            items.extend(page["data"])
            cursor = page["additional_data"]["next_cursor"]
            if not cursor:
                return items


class ServerCase(unittest.TestCase):
    """One in-process emulator shared by a test class; reset per test.

    ``provider`` names the provider whose rows ``dump`` reads and whose
    credentials the client sends (``auth_headers``); ``client_class`` is
    the client the class talks through.
    """

    scale = None
    anchor = None
    provider = "pipedrive"
    auth_headers = AUTH
    client_class = Client

    @classmethod
    def setUpClass(cls):
        cls.emu = crm_emulator.Emulator(seed=42, scale=cls.scale, quiet=True,
                                        env=ENV, anchor=cls.anchor)
        cls.server = crm_emulator.make_server(cls.emu)
        cls.port = cls.server.server_address[1]
        cls.thread = threading.Thread(target=cls.server.serve_forever,
                                      kwargs={"poll_interval": 0.05},
                                      daemon=True)
        cls.thread.start()
        cls.c = cls.client_class(cls.port, cls.auth_headers)

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        self.control("POST", "/__emulator/reset")

    def control(self, method, path, body=None):
        status, parsed, _ = self.c.call(method, path, body, auth=False)
        self.assertLess(status, 300, parsed)
        return parsed

    def log(self):
        return self.control("GET", "/__emulator/requests")

    def dump(self, entity, provider=None):
        return self.control("GET", "/__emulator/dump/%s/%s"
                            % (provider or self.provider, entity))

    def assertError(self, status, resp, expect_status, text=None):
        """A Pipedrive error envelope with this status (and text)."""
        self.assertEqual(status, expect_status, resp)
        self.assertIs(resp["success"], False)
        self.assertIn("error", resp)
        self.assertEqual(resp["error_info"], pipedrive.ERROR_INFO)
        self.assertIsNone(resp["data"])
        self.assertIsNone(resp["additional_data"])
        if text:
            self.assertIn(text, resp["error"])


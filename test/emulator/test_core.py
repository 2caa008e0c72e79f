"""Self-tests of the emulator's provider-neutral core: request log and
control API, rate limits, faults, HTTP plumbing, the command line and the
anchor-time shift (exercised through the Pipedrive provider).

    cd test/emulator && /usr/bin/python3 -m unittest -q test_core
"""

import calendar
import datetime
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from emulator_testlib import (API_TOKEN, ENV, HERE, OAUTH_TOKEN, Client,
                              ServerCase, crm_emulator, shifted)
import provider_kit



class TestLogAndControl(ServerCase):
    def test_log_entries_and_text(self):
        self.c.get("/api/v2/deals?ids=1,2&status=open%2Cwon")
        self.c.call("POST", "/api/v2/deals", {"title": "Log me", "value": 1})
        self.c.call("POST", "/api/v1/notes", "plain text",
                    headers={"Content-Type": "text/plain"})
        self.c.get("/api/v2/deals/999999")
        log = self.log()
        self.assertEqual([e["seq"] for e in log], [1, 2, 3, 4])
        self.assertEqual(log[0]["query"], "ids=1,2&status=open%2Cwon")
        self.assertEqual(log[0]["body"], None)
        self.assertEqual(log[1]["body"], {"title": "Log me", "value": 1})
        self.assertEqual(log[1]["content_type"], "application/json")
        self.assertEqual(log[2]["body"], "plain text")
        self.assertEqual(log[3]["status"], 404)
        self.assertEqual(log[1]["auth"], "x-api-token")
        _, _, text = self.c.raw("GET", "/__emulator/requests?format=text",
                                auth=False)
        self.assertEqual(text.decode().splitlines(), [
            "GET /api/v2/deals?ids=1,2&status=open%2Cwon",
            'POST /api/v2/deals {"title":"Log me","value":1}',
            'POST /api/v1/notes "plain text" -> 400',
            "GET /api/v2/deals/999999 -> 404"])
        self.assertEqual(len(self.control(
            "GET", "/__emulator/requests?clear=1")), 4)
        self.assertEqual(self.log(), [])
        self.c.get("/api/v1/users")
        self.control("DELETE", "/__emulator/requests")
        self.assertEqual(self.log(), [])

    def test_reset_and_dump(self):
        self.c.call("DELETE", "/api/v2/deals/1")
        self.control("POST", "/__emulator/config",
                     {"pipedrive_rate_limit": 50})
        self.control("POST", "/__emulator/faults",
                     {"path": "^/api/v2/x", "status": 500})
        self.control("POST", "/__emulator/reset")
        self.assertEqual(self.c.ok("GET", "/api/v2/deals/1")["data"]["id"], 1)
        self.assertIsNone(self.control("GET", "/__emulator/config")
                          ["pipedrive_rate_limit"])
        self.assertEqual(self.control("GET", "/__emulator/faults"), [])
        self.assertEqual(len(self.log()), 1)
        s, r, _ = self.c.get("/__emulator/dump/pipedrive/nothing", auth=False)
        self.assertEqual(s, 404)
        for body in ({"bogus": 1}, {"pipedrive_rate_limit": -1},
                     {"pipedrive_flow_pagination": "sideways"}):
            s, r, _ = self.c.call("POST", "/__emulator/config", body,
                                  auth=False)
            self.assertEqual(s, 400, body)


class TestRateLimit(ServerCase):
    def test_burst_window(self):
        self.control("POST", "/__emulator/config",
                     {"pipedrive_rate_limit": 3,
                      "pipedrive_daily_budget": 1000})
        got = [self.c.get("/api/v1/users") for _ in range(4)]
        self.assertEqual([g[0] for g in got], [200, 200, 200, 429])
        first = got[0][2]
        self.assertEqual(first.getheader("x-ratelimit-limit"), "3")
        self.assertEqual(first.getheader("x-ratelimit-remaining"), "2")
        self.assertIn(first.getheader("x-ratelimit-reset"), ("1", "2"))
        # GET /users costs 20 tokens (x-token-cost in the spec)
        self.assertEqual(first.getheader("x-daily-requests-left"), "980")
        s, r, resp = got[3]
        self.assertError(s, r, 429)
        self.assertGreaterEqual(int(resp.getheader("Retry-After")), 1)
        self.assertEqual(resp.getheader("x-ratelimit-remaining"), "0")
        self.assertEqual(self.log()[-1]["status"], 429)

    def test_daily_budget_and_headers_when_off(self):
        s, r, resp = self.c.get("/api/v2/deals/1")
        for h in ("x-ratelimit-limit", "x-ratelimit-remaining",
                  "x-ratelimit-reset", "x-daily-requests-left"):
            self.assertIsNotNone(resp.getheader(h), h)
        self.control("POST", "/__emulator/config",
                     {"pipedrive_daily_budget": 25})
        self.assertEqual(self.c.get("/api/v1/users")[0], 200)  # 20 tokens
        s, r, resp = self.c.get("/api/v1/users")
        self.assertError(s, r, 429, "Daily")
        self.assertEqual(self.c.get("/api/v2/deals/1")[0], 200)  # 1 token


class TestFaults(ServerCase):
    def test_stateful_fault_times(self):
        self.control("POST", "/__emulator/faults", {
            "method": "GET", "path": "^/api/v2/deals", "status": 503,
            "times": 2, "retry_after": 1})
        s1, r1, resp = self.c.get("/api/v2/deals?limit=1")
        s2, _, _ = self.c.get("/api/v2/deals/1")
        s3, _, _ = self.c.get("/api/v2/deals/1")
        self.assertEqual((s1, s2, s3), (503, 503, 200))
        self.assertError(s1, r1, 503)
        self.assertEqual(resp.getheader("Retry-After"), "1")
        self.assertEqual([e["status"] for e in self.log()], [503, 503, 200])

    def test_fault_body_and_method_match(self):
        self.control("POST", "/__emulator/faults", {
            "method": "POST", "path": "/api/v2/activities$", "status": 502,
            "body": "<html>oops</html>", "content_type": "text/html"})
        s, _, _ = self.c.get("/api/v2/activities?limit=1")
        self.assertEqual(s, 200)
        s, resp, body = self.c.raw("POST", "/api/v2/activities", "{}",
                                   {"Content-Type": "application/json"})
        self.assertEqual((s, body), (502, b"<html>oops</html>"))
        self.assertEqual(resp.getheader("Content-Type"), "text/html")
        self.assertEqual(len(self.dump("activities")), 1500)

    def test_after_processing(self):
        self.control("POST", "/__emulator/faults", {
            "method": "POST", "path": "^/api/v2/deals$", "status": 500,
            "after_processing": True, "delay_ms": 20})
        s, r, _ = self.c.call("POST", "/api/v2/deals", {"title": "Maybe"})
        self.assertEqual(s, 500)
        self.assertEqual(self.dump("deals")[-1]["title"], "Maybe")
        self.control("POST", "/__emulator/faults", {
            "path": "^/api/v1/notes$", "kind": "truncated",
            "after_processing": True})
        with self.assertRaises(http.client.HTTPException):
            self.c.raw("POST", "/api/v1/notes",
                       {"content": "lost answer", "deal_id": 5})
        self.assertEqual(self.dump("notes")[-1]["content"], "lost answer")

    def test_bad_fault(self):
        for body in ({"path": "("}, {"path": "x"},
                     {"path": "x", "status": 99},
                     {"path": "x", "status": 500, "colour": 1}):
            s, r, _ = self.c.call("POST", "/__emulator/faults", body,
                                  auth=False)
            self.assertEqual(s, 400, body)

    def test_stateless_prefixes(self):
        s, r, _ = self.c.get("/__fault/status/500/api/v2/deals")
        self.assertError(s, r, 500)
        s, r, _ = self.c.get("/__fault/status/404/api/v2/deals", auth=False)
        self.assertEqual(s, 401)            # auth is checked first
        s, resp, body = self.c.raw("GET", "/__fault/notjson/api/v2/deals")
        self.assertEqual((s, body), (200, b"<html><body>Bad Gateway</body>"
                                          b"</html>"))
        self.assertEqual(resp.getheader("Content-Type"), "application/json")
        s, resp, body = self.c.raw("GET", "/__fault/html403/api/v2/deals")
        self.assertEqual(s, 403)
        self.assertTrue(resp.getheader("Content-Type").startswith("text/html"))
        s, resp, body = self.c.raw("GET", "/__fault/empty/api/v2/deals")
        self.assertEqual((s, body), (200, b""))
        t = time.monotonic()
        s, r, _ = self.c.get("/__fault/delay/150/api/v2/deals/1")
        self.assertEqual(s, 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.14)
        with self.assertRaises(http.client.HTTPException):
            self.c.raw("GET", "/__fault/truncated/api/v2/deals")
        s, r, _ = self.c.get("/__fault/bogus/api/v2/deals")
        self.assertEqual(s, 400)
        paths = [(e["path"], e["status"]) for e in self.log()]
        self.assertEqual(paths, [
            ("/api/v2/deals", 500), ("/api/v2/deals", 401),
            ("/api/v2/deals", 200), ("/api/v2/deals", 403),
            ("/api/v2/deals", 200), ("/api/v2/deals/1", 200),
            ("/api/v2/deals", 200)])

    def test_delay_stops_when_client_leaves(self):
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.sendall(("GET /__fault/delay/5000/api/v2/deals HTTP/1.1\r\n"
                      "Host: x\r\nx-api-token: %s\r\n\r\n"
                      % API_TOKEN).encode())
        time.sleep(0.1)
        sock.close()
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            log = self.log()
            if log:
                break
            time.sleep(0.02)
        self.assertEqual([e["status"] for e in log], [499])


class TestHttp(ServerCase):
    def test_keep_alive_is_fast(self):
        c = Client(self.port)
        c.get("/api/v2/deals/1")
        t = time.monotonic()
        for _ in range(20):
            s, r, resp = c.get("/api/v2/deals/1")
            self.assertEqual(s, 200)
            self.assertIsNotNone(resp.getheader("Content-Length"))
        # no 40 ms Nagle/delayed-ACK stall per reused request
        self.assertLess((time.monotonic() - t) / 20, 0.03)
        c.close()

    def test_expect_100_continue_and_chunked(self):
        body = json.dumps({"title": "x" * 2000}).encode()
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.sendall(("POST /api/v2/deals HTTP/1.1\r\nHost: x\r\n"
                      "x-api-token: %s\r\nContent-Type: application/json\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n" % API_TOKEN)
                     .encode() + b"%x\r\n" % len(body) + body +
                     b"\r\n0\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(4096)
        sock.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:100])


class TestCommandLine(unittest.TestCase):
    def start(self, *args, env=None):
        tmp = tempfile.TemporaryDirectory(prefix="crm_emulator_test_")
        self.addCleanup(tmp.cleanup)
        port_file = os.path.join(tmp.name, "port")
        full_env = dict(os.environ, **ENV)
        full_env.update(env or {})
        proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "crm_emulator.py"),
             "--port", "0", "--port-file", port_file] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env)
        self.addCleanup(self.reap, proc)
        line = proc.stdout.readline().decode()
        m = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)\n", line)
        if m is None:
            proc.kill()
            self.fail(line + proc.communicate()[1].decode())
        with open(port_file) as f:
            self.assertEqual(f.read().strip(), m.group(1))
        return proc, int(m.group(1))

    def reap(self, proc):
        """Never leave an emulator behind, whatever the test did."""
        if proc.poll() is None:
            proc.kill()
        proc.communicate()

    def stop(self, proc, sig=signal.SIGTERM):
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0)
        return err.decode()

    def test_quiet_and_sigterm(self):
        proc, port = self.start("--quiet", "--scale", "deals=50,persons=10",
                                "--seed", "3")
        c = Client(port)
        self.assertEqual(len(c.all_v2("/api/v2/deals")),
                         sum(1 for d in json.loads(c.raw(
                             "GET", "/__emulator/dump/pipedrive/deals")[2])
                             if not d["is_deleted"]))
        c.close()
        self.assertEqual(self.stop(proc), "")

    def test_sigterm_with_an_idle_keep_alive_client(self):
        proc, port = self.start("--quiet")
        c = Client(port)
        c.get("/api/v2/pipelines")         # the connection stays open
        t = time.monotonic()
        self.assertEqual(self.stop(proc), "")
        self.assertLess(time.monotonic() - t, 3)
        c.close()

    def test_logs_never_show_tokens(self):
        proc, port = self.start()
        c = Client(port)
        c.get("/api/v2/deals/1")
        c.get("/api/v2/deals?api_token=" + API_TOKEN, auth=False)
        c.get("/api/v2/deals/1", auth=False,
              headers={"Authorization": "Bearer " + OAUTH_TOKEN})
        c.close()
        err = self.stop(proc, signal.SIGINT)
        self.assertIn("GET /api/v2/deals/1 -> 200", err)
        self.assertNotIn(API_TOKEN, err)
        self.assertNotIn(OAUTH_TOKEN, err)

    def test_bad_scale(self):
        proc = subprocess.run(
            [sys.executable, os.path.join(HERE, "crm_emulator.py"),
             "--scale", "unicorns=5"], capture_output=True, timeout=10)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"unicorns", proc.stderr)



class TestAnchor(unittest.TestCase):
    """--anchor moves every generated time by whole days."""

    def emulator(self, anchor):
        return crm_emulator.Emulator(seed=42, quiet=True, env=ENV,
                                     anchor=anchor,
                                     scale={"deals": 200, "activities": 100,
                                            "notes": 50})

    def test_parse_anchor(self):
        self.assertIsNone(provider_kit.parse_anchor(None))
        self.assertEqual(provider_kit.parse_anchor(" NOW "), "now")
        self.assertEqual(provider_kit.parse_anchor("2027-03-10"),
                         calendar.timegm((2027, 3, 10, 0, 0, 0)))
        self.assertEqual(provider_kit.parse_anchor("2027-03-10T23:30:00Z"),
                         calendar.timegm((2027, 3, 10, 23, 30, 0)))
        self.assertEqual(
            provider_kit.parse_anchor("2027-03-11T01:30:00+02:00"),
            calendar.timegm((2027, 3, 10, 23, 30, 0)))
        for bad in ("", "yesterday", "2027-02-30", "2027-03-10T10:00:00"):
            with self.assertRaises(ValueError):
                provider_kit.parse_anchor(bad)
        latest = calendar.timegm((2026, 6, 30, 23, 59, 59))
        self.assertEqual(provider_kit.anchor_shift(latest, None), 0)
        self.assertEqual(provider_kit.anchor_shift(
            latest, calendar.timegm((2026, 7, 2, 0, 0, 1))), 2 * 86400)
        self.assertEqual(provider_kit.anchor_shift(
            latest, calendar.timegm((2026, 6, 29, 23, 0, 0))), -86400)
        # days counted in an account's zone (UTC+3): 22:30 UTC is already
        # the next day there
        moscow = datetime.timezone(datetime.timedelta(hours=3))
        late = calendar.timegm((2027, 3, 10, 22, 30, 0))
        wall_end = calendar.timegm((2026, 6, 30, 20, 59, 59))
        self.assertEqual(provider_kit.anchor_shift(wall_end, late) // 86400,
                         253)
        self.assertEqual(provider_kit.anchor_shift(
            wall_end, late, moscow) // 86400, 254)
        self.assertEqual(provider_kit.anchor_shift(wall_end, None, moscow),
                         0)

    def test_every_time_moves_by_whole_days(self):
        plain = self.emulator(None)
        moved = self.emulator("2027-03-10T15:00:00Z")
        days = (calendar.timegm((2027, 3, 10, 0, 0, 0)) -
                calendar.timegm((2026, 6, 30, 0, 0, 0))) // 86400
        self.assertEqual(moved.providers[0].shift, days * 86400)
        p, m = plain.providers[0], moved.providers[0]
        for entity in ("deals", "activities", "persons", "organizations",
                       "products", "stages", "pipelines", "deal_fields",
                       "tasks", "deal_products", "notes", "users",
                       "activity_types", "files", "filters", "deal_flow"):
            before, after = p.dump(entity), m.dump(entity)
            if entity == "persons":     # birthdays are not moved
                for row in before + after:
                    row.pop("birthday")
            self.assertEqual(shifted(before, days), after, entity)
        latest = max(d["update_time"] for d in m.dump("deals"))
        self.assertEqual(latest[:10], "2027-03-10")
        self.assertEqual(plain.providers[0].shift, 0)

    def test_now_and_health(self):
        emu = self.emulator("now")
        today = time.strftime("%Y-%m-%d", time.gmtime())
        latest = max(d["update_time"] for d in emu.providers[0].dump("deals"))
        self.assertEqual(latest[:10], today)
        health = json.loads(emu.control("GET", "/__emulator/health", "",
                                        b"").body)
        self.assertEqual(health["anchor"], "now")
        self.assertEqual(health["providers"],
                         ["pipedrive", "amocrm", "salesman"])
        self.assertEqual(health["shift_days"]["pipedrive"],
                         emu.providers[0].shift // 86400)
        plain = json.loads(self.emulator(None).control(
            "GET", "/__emulator/health", "", b"").body)
        self.assertIsNone(plain["anchor"])
        self.assertEqual(plain["shift_days"]["pipedrive"], 0)

    def test_command_line(self):
        proc = subprocess.run(
            [sys.executable, os.path.join(HERE, "crm_emulator.py"),
             "--anchor", "someday"], capture_output=True, timeout=10)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"--anchor", proc.stderr)


if __name__ == "__main__":
    unittest.main()

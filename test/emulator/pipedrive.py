"""Pipedrive provider for the CRM emulator.

This module owns ``PipedriveProvider``, the class the core talks to: its
path prefixes, scale and config keys, authentication (``x-api-token`` header
or ``Authorization: Bearer``), Pipedrive's error envelope and rate-limit
headers, the route table that dispatches a request to its handler, and the
rows the control API dumps.  The rest lives in sibling modules, combined
here as mixins:

* ``pipedrive_data.py``: the generated dataset;
* ``pipedrive_render.py``: internal row -> API object, deal flow;
* ``pipedrive_reads.py``: GET endpoints, filters, paging;
* ``pipedrive_writes.py``: POST/PATCH/PUT/DELETE with validation;
* ``pipedrive_errors.py``: Pipedrive's error texts.

It must never generate, filter, render or change rows itself.
"""

import hmac
import json
import os
import re
from http import HTTPStatus

from crm_emulator import Provider, Response
from pipedrive_data import END_TIME, PipedriveData
from pipedrive_errors import ERROR_INFO
from pipedrive_reads import PipedriveReads
from pipedrive_render import PipedriveRender
from pipedrive_writes import PipedriveWrites
from provider_kit import ApiError

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS_FILE = os.path.join(HERE, "pipedrive_schemas.json")


class PipedriveProvider(PipedriveData, PipedriveRender, PipedriveReads,
                        PipedriveWrites, Provider):
    """The Pipedrive provider: see the module docstring."""

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

    def reset(self):
        self.generate(self.time_shift(END_TIME))

    # ------------------------------------------------------------------
    # Dumps for tests
    # ------------------------------------------------------------------

    def dump(self, entity, host=None):
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


PROVIDER = PipedriveProvider

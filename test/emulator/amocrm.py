"""amoCRM (Kommo) API v4 provider for the CRM emulator.

This module owns ``AmoProvider``, the class the core talks to: the path
prefix ``/api/v4/``, scale and config keys, authentication
(``Authorization: Bearer``), amoCRM's ``application/problem+json`` error
bodies (also for faults and the rate limit), the account switches (API
filtering, blocked, unpaid), the route table that dispatches a request to
its handler, the HAL/204 answer framing, and the rows the control API
dumps.  The rest lives in sibling modules, combined here as mixins:

* ``amocrm_data.py``: the generated dataset and shared indexes;
* ``amocrm_render.py``: internal row -> API object;
* ``amocrm_reads.py``: GET endpoints, filters, order, paging;
* ``amocrm_writes.py``: validated batch POST/PATCH and their events;
* ``amocrm_errors.py``: amoCRM's error shapes, codes and texts.

It must never generate, filter, render or change rows itself.
"""

import hmac
import re

from amocrm_data import (END_TIME, EVENT_TYPES, GROUPS, ROLES, TASK_TYPES,
                         AmoData)
from amocrm_errors import problem
from amocrm_reads import AmoReads
from amocrm_render import AmoRender
from amocrm_writes import AmoWrites
from crm_emulator import Provider, Response, dump_json
from provider_kit import ApiError

ENTITY = r"(?P<entity>leads|contacts|companies)"
HAL = "application/hal+json"
PROBLEM = "application/problem+json"


class AmoProvider(AmoData, AmoRender, AmoReads, AmoWrites, Provider):
    """The amoCRM provider: see the module docstring."""

    name = "amocrm"
    prefixes = ("/api/v4/",)
    rate_window_seconds = 1.0           # "at most 7 requests per second"
    default_scale = {
        "users": 8, "pipelines": 3, "loss_reasons": 4, "companies": 80,
        "contacts": 250, "leads": 600, "tasks": 400, "notes": 500,
    }
    config_defaults = {
        # requests per 1 s window per token; amoCRM's documented 7, on
        # by default (null switches it off)
        "amocrm_rate_limit": 7,
        # lead/contact/company list filters work (the "API filtering"
        # feature); false: they are ignored, as on such accounts
        "amocrm_api_filters": True,
        # every API request answers 403 "account blocked" / 402 "unpaid"
        "amocrm_account_blocked": False,
        "amocrm_payment_required": False,
    }

    def __init__(self, seed, scale, env):
        Provider.__init__(self, seed, scale, env)
        self.token = env.get("CRM_EMULATOR_AMOCRM_TOKEN",
                             "demo-amocrm-token")
        self.check_scale()
        self.routes = self.build_routes()

    def reset(self):
        self.version = 0                # bumped by every write
        self.list_cache = {}
        self.filters_on = True
        self.generate(self.time_shift(END_TIME))

    # ------------------------------------------------------------------
    # Auth, errors, rate limits
    # ------------------------------------------------------------------

    def authenticate(self, req):
        auth = req.headers.get("Authorization")
        if auth:
            scheme, _, value = auth.strip().partition(" ")
            if scheme.lower() == "bearer":
                ok = hmac.compare_digest(value.strip().encode(),
                                         self.token.encode())
                return "bearer", ("bearer" if ok else None)
        return None, None

    def problem(self, status, detail=None, **extra):
        return Response(status, dump_json(problem(status, detail, **extra)),
                        PROBLEM)

    def unauthorized(self, req):
        return self.problem(401)

    def error(self, status, message=None):
        return self.problem(status, message)

    def rate_limited(self, retry_after, daily):
        # amoCRM sends no Retry-After (amocrm/amocrm-api-php#526)
        return self.problem(429)

    def rate_headers(self, limit, remaining, reset, daily_left):
        return []                       # amoCRM documents none

    # ------------------------------------------------------------------
    # Routing
    # ------------------------------------------------------------------

    def build_routes(self):
        n = r"(?P<id>\d{1,18})"
        eid = r"(?P<eid>\d{1,18})"
        table = [
            ("GET", r"/api/v4/account", self.get_account),
            ("GET", r"/api/v4/leads", self.list_leads),
            ("POST", r"/api/v4/leads", self.create_leads),
            ("PATCH", r"/api/v4/leads", self.update_leads),
            ("POST", r"/api/v4/leads/complex", self.create_complex),
            ("GET", r"/api/v4/leads/" + n, self.get_lead),
            ("PATCH", r"/api/v4/leads/" + n, self.update_leads),
            ("GET", r"/api/v4/leads/pipelines", self.list_pipelines),
            ("GET", r"/api/v4/leads/pipelines/" + n, self.get_pipeline),
            ("GET", r"/api/v4/leads/pipelines/%s/statuses" % n,
             self.list_statuses),
            ("GET", r"/api/v4/leads/pipelines/%s/statuses/(?P<sid>\d{1,18})"
             % n, self.get_status),
            ("GET", r"/api/v4/leads/loss_reasons", self.list_loss_reasons),
            ("GET", r"/api/v4/leads/loss_reasons/" + n,
             self.get_loss_reason),
            ("GET", r"/api/v4/contacts", self.list_contacts),
            ("POST", r"/api/v4/contacts", self.create_contacts),
            ("PATCH", r"/api/v4/contacts", self.update_contacts),
            ("GET", r"/api/v4/contacts/" + n, self.get_contact),
            ("PATCH", r"/api/v4/contacts/" + n, self.update_contacts),
            ("GET", r"/api/v4/companies", self.list_companies),
            ("POST", r"/api/v4/companies", self.create_companies),
            ("PATCH", r"/api/v4/companies", self.update_companies),
            ("GET", r"/api/v4/companies/" + n, self.get_company),
            ("PATCH", r"/api/v4/companies/" + n, self.update_companies),
            ("GET", r"/api/v4/%s/custom_fields" % ENTITY, self.list_fields),
            ("GET", r"/api/v4/%s/custom_fields/%s" % (ENTITY, n),
             self.get_field),
            ("GET", r"/api/v4/%s/tags" % ENTITY, self.list_tags),
            ("GET", r"/api/v4/%s/notes" % ENTITY, self.list_notes),
            ("POST", r"/api/v4/%s/notes" % ENTITY, self.create_notes),
            ("PATCH", r"/api/v4/%s/notes" % ENTITY, self.update_notes),
            ("GET", r"/api/v4/%s/notes/%s" % (ENTITY, n), self.get_note),
            ("PATCH", r"/api/v4/%s/notes/%s" % (ENTITY, n),
             self.update_notes),
            ("GET", r"/api/v4/%s/%s/notes" % (ENTITY, eid), self.list_notes),
            ("POST", r"/api/v4/%s/%s/notes" % (ENTITY, eid),
             self.create_notes),
            ("PATCH", r"/api/v4/%s/%s/notes" % (ENTITY, eid),
             self.update_notes),
            ("GET", r"/api/v4/%s/%s/notes/%s" % (ENTITY, eid, n),
             self.get_note),
            ("PATCH", r"/api/v4/%s/%s/notes/%s" % (ENTITY, eid, n),
             self.update_notes),
            ("GET", r"/api/v4/tasks", self.list_tasks),
            ("POST", r"/api/v4/tasks", self.create_tasks),
            ("PATCH", r"/api/v4/tasks", self.update_tasks),
            ("GET", r"/api/v4/tasks/" + n, self.get_task),
            ("PATCH", r"/api/v4/tasks/" + n, self.update_tasks),
            ("GET", r"/api/v4/events", self.list_events),
            ("GET", r"/api/v4/events/types", self.list_event_types),
            ("GET", r"/api/v4/events/(?P<eid>[0-9a-z]{26})",
             self.get_event),
            ("GET", r"/api/v4/users", self.list_users),
            ("GET", r"/api/v4/users/" + n, self.get_user),
            ("GET", r"/api/v4/roles", self.list_roles),
            ("GET", r"/api/v4/roles/" + n, self.get_role),
        ]
        return [(method, re.compile(pattern), func)
                for method, pattern, func in table]

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
        self.filters_on = bool(config.get("amocrm_api_filters", True))
        # absolute links: the Host the client used, and the /__fault/...
        # prefix it asked through, so that following them keeps both
        self.base = "http://%s%s" % (req.headers.get("Host") or "localhost",
                                     req.base_path)
        if config.get("amocrm_account_blocked"):
            return self.problem(403)
        if config.get("amocrm_payment_required"):
            return self.problem(402)
        route, m = self.match(req)
        if route is None:
            if m:
                resp = self.problem(405)
                resp.headers.append(("Allow", ", ".join(sorted(set(m)))))
                return resp
            return self.problem(404, "Unknown method %s %s"
                                % (req.method, req.path))
        try:
            status, body = route[2](req, m.groupdict())
        except ApiError as e:
            return self.problem(e.status, e.message, **e.extra)
        if status == 204:
            return Response(204, b"", None)
        return Response(status, dump_json(body), HAL)

    # ------------------------------------------------------------------
    # Dumps for tests
    # ------------------------------------------------------------------

    def dump(self, entity, host=None):
        self.base = "http://" + (host or "localhost")
        every = ("contacts", "loss_reason", "leads", "catalog_elements",
                 "customers", "is_price_modified_by_robot")
        if entity == "leads":
            return [self.render_lead(x, every) for x in self.leads.values()]
        if entity == "contacts":
            return [self.render_contact(x, every)
                    for x in self.contacts.values()]
        if entity == "companies":
            return [self.render_company(x, every)
                    for x in self.companies.values()]
        if entity == "tasks":
            return [self.render_task(x) for x in self.tasks.values()]
        if entity == "notes":
            return [dict(self.render_note(x), entity_type=x["entity_type"])
                    for x in self.notes.values()]
        if entity == "events":
            names = ("lead_name", "contact_name", "company_name")
            return [self.render_event(x, names) for x in self.events]
        if entity == "pipelines":
            return [self.render_pipeline(x)
                    for x in sorted(self.pipelines.values(),
                                    key=lambda p: (p["sort"], p["id"]))]
        if entity == "statuses":
            return [self.render_status(s, True)
                    for p in self.pipelines.values()
                    for s in self.statuses_of[p["id"]]]
        if entity == "loss_reasons":
            return [self.render_loss_reason(x)
                    for x in self.loss_reasons.values()]
        if entity == "users":
            return [self.render_user(x, ("role", "group", "uuid", "amojo_id",
                                         "user_rank", "phone_number"))
                    for x in self.users.values()]
        if entity == "roles":
            return [self.render_role(r, ("users",)) for r, _ in ROLES]
        if entity == "groups":
            return [{"id": gid, "name": name} for gid, name in GROUPS]
        if entity == "task_types":
            return [self.render_task_type(t) for t in TASK_TYPES]
        if entity == "custom_fields":
            return [self.render_field(f) for e in ("leads", "contacts",
                                                  "companies")
                    for f in self.custom_fields[e].values()]
        if entity == "tags":
            return [dict(self.render_tag(t), entity_type=e)
                    for e in ("leads", "contacts", "companies")
                    for t in self.tags[e].values()]
        if entity == "event_types":
            return [{"key": k, "type": c, "ru": ru, "en": en}
                    for k, c, ru, en in EVENT_TYPES]
        if entity == "account":
            return [self.render_account(
                ("amojo_id", "amojo_rights", "users_groups", "task_types",
                 "version", "entity_names", "datetime_settings", "drive_url",
                 "invoices_settings"))]
        return None


PROVIDER = AmoProvider

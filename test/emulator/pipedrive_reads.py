"""Pipedrive's read endpoints: query parameters, filters, paging.

This module owns ``PipedriveReads``, the mixin behind every GET of the
emulated API v2 (keyset cursor paging, ``sort_by``/``sort_direction``, the
filters each operation declares in ``pipedrive_schemas.json``, saved filters
via ``filter_id``) and of the v1 endpoints Pipedrive still serves
(start/limit paging, ``sort``), with their envelopes.

It must never change data (writes live in ``pipedrive_writes.py``) nor
render a row itself (``pipedrive_render.py`` does).
"""

import bisect

from pipedrive_data import FILTER_ENTITY
from pipedrive_errors import bad_param, parse_bool, parse_int
from provider_kit import (DAY, UUID_RE, ApiError, Table, encode_cursor,
                          parse_date, parse_rfc3339, sort_key, split_list)
import provider_kit


def decode_cursor(text):
    """A v2 cursor: base64url JSON ``{field, fieldValue, sortDirection,
    id}``, as in Pipedrive's examples; 400 ``Invalid cursor`` otherwise."""
    try:
        obj = provider_kit.decode_cursor(text)
    except ValueError:
        raise ApiError(400, "Invalid cursor")
    if not isinstance(obj, dict) or set(obj) != {"field", "fieldValue",
                                                 "sortDirection", "id"} or \
            not isinstance(obj["id"], int):
        raise ApiError(400, "Invalid cursor")
    return obj


class PipedriveReads:
    """Mixin of ``PipedriveProvider``: GET endpoints."""

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

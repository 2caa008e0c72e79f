"""Pipedrive's writes: POST, PATCH, PUT and DELETE with validation.

This module owns ``PipedriveWrites``, the mixin behind the writes crm_fdw
issues (deals and activities in v2, notes in v1): bodies are validated
against the request-body schemas in ``pipedrive_schemas.json`` plus the
references and rules Pipedrive enforces, then applied to the in-memory rows
(including the deal flow entries a change adds).  A failed write changes
nothing.

It must never answer a read (``pipedrive_reads.py``) nor format an error
envelope (``pipedrive.py``); it raises ``ApiError``.
"""

from pipedrive_data import (CF_BUDGET, CF_NOTES, CF_PRIORITY, DEAL_LABELS,
                            FLOW_TRACKED, ME, PROJECT_IDS)
from pipedrive_errors import bad_param, validation_error
from provider_kit import (UUID_RE, ApiError, normalize_clock, now,
                          parse_any_time, parse_date,
                          parse_sql_time as parse_v1_time,
                          sql_time as v1_time, type_ok as _type_ok, validate)


class PipedriveWrites:
    """Mixin of ``PipedriveProvider``: validated writes."""

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

    def record_changes(self, d, before, user_id, t):
        if d["id"] not in self.flows:
            self.flows[d["id"]] = self.seeded_flow(before)
        for key in FLOW_TRACKED:
            if before.get(key) != d.get(key):
                self.flow_seq += 1
                self.flows[d["id"]].append(self.change_entry(
                    self.flow_seq, d["id"], user_id, t, key, before.get(key),
                    d.get(key)))

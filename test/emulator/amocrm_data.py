"""amoCRM's generated dataset.

This module owns what exists in the emulated amoCRM (Kommo) account: the
fixed vocabularies (account, users, groups, roles, task types, pipelines
with their statuses, loss reasons, tags, custom field definitions) and
``AmoData``, the mixin that builds every table (companies, contacts, leads
with their links, tasks, notes, and the events that history implies) as a
pure function of the seed, the scale and the anchor shift.  It also keeps
the reverse indexes (leads of a contact, tasks of an entity...) that reads
and writes share, and mints event ids.  README.md describes the result.

Internal rows are plain dicts; times are integer Unix seconds; custom field
values are kept as ``{field_id: [{"value": ..., "enum_id": ...}, ...]}``
and rendered by ``amocrm_render.py``.

It must never render API answers or parse requests; writes change rows
only through ``amocrm_writes.py``.
"""

import calendar

from provider_kit import (DAY, FIRST_NAMES, LAST_NAMES, NOTE_TEXTS,
                          ORG_SUFFIXES, ORG_WORDS, Table, rng_uuid,
                          seeded_rng)

# Generated event times (created_at, updated_at, closed_at, event times) lie
# in [BASE_TIME, END_TIME], moved as a whole by --anchor; deadlines of open
# tasks may lie up to 30 days after END_TIME.
BASE_TIME = calendar.timegm((2025, 1, 1, 0, 0, 0))
END_TIME = calendar.timegm((2026, 6, 30, 23, 59, 59))

ACCOUNT_ID = 31415926
ACCOUNT_NAME = "crm_fdw demo"
SUBDOMAIN = "crmfdw"
ME = 1001               # the user the token belongs to (an admin)

WON, LOST = 142, 143    # in every pipeline

# First ids (exclusive) of the generated entities: distinct ranges make an
# id of the wrong entity easy to spot.
LEAD_BASE = 1_000_000
CONTACT_BASE = 2_000_000
COMPANY_BASE = 3_000_000
TASK_BASE = 4_000_000
NOTE_BASE = 5_000_000
SYSTEM_NOTE_BASE = 9_000_000    # notes that *_added events point at

# (id, name)
GROUPS = ((0, "Отдел продаж"), (101, "Vertrieb Berlin"), (102, "Поддержка"))
# (id, name)
ROLES = ((1, "Менеджер"), (2, "Support / Поддержка"))
# (name, email, lang, group_id, role_id, is_admin, is_free, is_active)
USERS = (
    ("Анна Смирнова", "anna.smirnova@example.com", "ru", 0, None, True,
     False, True),
    ("Jürgen Müller", "juergen.mueller@example.com", "en", 101, 1, False,
     False, True),
    ("Зоя Иванова", "zoya.ivanova@example.com", "ru", 0, 1, False, False,
     True),
    ("Li Wei", "li.wei@example.com", "en", 101, 1, False, False, True),
    ("Olivia O'Connor", "olivia.oconnor@example.com", "en", 102, 2, False,
     False, True),
    ("Пётр Кузнецов", "petr.kuznetsov@example.com", "ru", 102, 2, False,
     False, True),
    ("María García", "maria.garcia@example.com", "es", 101, 1, False, True,
     True),
    ("Иван Уволенный", "ivan.old@example.com", "ru", 0, 1, False, False,
     False),
)
USER_BASE = 1000                # users are 1001, 1002, ...

# (id, name, code, color, icon_id); 1 and 2 are amoCRM's standard types
TASK_TYPES = ((1, "Связаться", "FOLLOW_UP", None, None),
              (2, "Встреча", "MEETING", None, None),
              (2101, "Отправить КП", None, "#ff8f92", 5))

# (id, name, sort, is_unsorted_on, won name, lost name, share of leads,
#  [(status id, name, color)])
PIPELINES = (
    (7001, "Воронка", 1, True, "Успешно реализовано",
     "Закрыто и не реализовано", 0.64,
     [(700101, "Неразобранное", "#c1c1c1"),
      (700102, "Первичный контакт", "#99ccff"),
      (700103, "Переговоры", "#ffcc66"),
      (700104, "Принимают решение", "#ffff99"),
      (700105, "Согласование договора", "#ff8f92")]),
    (7002, "Partner-Pipeline", 2, False, "Gewonnen", "Verloren", 0.345,
     [(700201, "Neu", "#fffeb2"),
      (700202, "Qualifiziert", "#d6eaff"),
      (700203, 'Angebot "Final"', "#87f2c0")]),
    (7003, "Продления", 3, False, "Продлено", "Не продлено", 0.015,
     [(700301, "Напоминание", "#f9deff"),
      (700302, "Счёт выставлен", "#ccc8f9")]),
)
WON_COLOR, LOST_COLOR = "#CCFF66", "#D5D8DB"

# (id, name)
LOSS_REASONS = ((8001, "Дорого"), (8002, "Пропала потребность"),
                (8003, "Ушёл к конкуренту"),
                (8004, 'Kein Budget \\ "zu teuer"'))

# per entity type: (id, name, color); only lead tags have colors
TAGS = {
    "leads": ((6001, "VIP", "FF8F92"), (6002, "Заявка с сайта", "EBEBEB"),
              (6003, "Messe 2025", None),
              (6004, 'tag "quoted" \\ slash', "D1A4DC")),
    "contacts": ((6101, "Ключевой клиент", None), (6102, "Newsletter",
                                                   None)),
    "companies": ((6201, "Partner", None), (6202, "Госсектор", None)),
}

# amoCRM's numeric field type codes (events report them)
FIELD_TYPE_CODES = {"text": 1, "numeric": 2, "checkbox": 3, "select": 4,
                    "multiselect": 5, "date": 6, "url": 7, "multitext": 8,
                    "textarea": 9, "radiobutton": 10, "streetaddress": 11,
                    "smart_address": 13, "birthday": 14, "legal_entity": 15,
                    "date_time": 19, "monetary": 24}
ENUM_TYPES = ("select", "multiselect", "radiobutton", "multitext")
PHONE_ENUMS = ("WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER")
EMAIL_ENUMS = ("WORK", "PRIV", "OTHER")

# per entity type: (id, name, type, code, [enum values] or enum ids base)
CUSTOM_FIELDS = {
    "leads": (
        (900101, "Источник", "select", None,
         (910101, ("Сайт", "Реклама", "Рекомендация", "Messe / Выставка"))),
        (900102, "Бюджет клиента", "numeric", None, None),
        (900103, "Договор подписан", "checkbox", None, None),
        (900104, "Дата договора", "date", None, None),
        (900105, "Продукты", "multiselect", None,
         (910111, ("CRM", "Telephony", "Поддержка 24/7"))),
        (900106, "Комментарий", "textarea", None, None),
        (900107, "Сайт клиента", "url", None, None),
        (900108, "Kundennummer", "text", None, None),
    ),
    "contacts": (
        (900201, "Телефон", "multitext", "PHONE", (910201, PHONE_ENUMS)),
        (900202, "Email", "multitext", "EMAIL", (910211, EMAIL_ENUMS)),
        (900203, "Должность", "text", "POSITION", None),
        (900204, "Newsletter", "checkbox", None, None),
        (900205, "Дата первого контакта", "date", None, None),
    ),
    "companies": (
        (900301, "Телефон", "multitext", "PHONE", (910301, PHONE_ENUMS)),
        (900302, "Email", "multitext", "EMAIL", (910311, EMAIL_ENUMS)),
        (900303, "Web", "url", "WEB", None),
        (900304, "Адрес", "textarea", "ADDRESS", None),
        (900305, "Отрасль", "select", None,
         (910321, ("IT", "Handel", "Производство"))),
        (900306, "Сотрудников", "numeric", None, None),
    ),
}
PREDEFINED_CODES = ("PHONE", "EMAIL", "POSITION", "WEB", "ADDRESS")

COMPANY_FIXED = ("ООО «Ромашка»", "Müller GmbH",
                 'Quote "Q" & Backslash \\ Ltd')
CONTACT_FIXED = (("Zoë", "Müller"), ("Зоя", "Петрова"),
                 ('Jan "Johnny"', "Back\\slash"))
LEAD_FIXED = ('Сделка с "кавычками" и \\ слешем', "Großauftrag Müller GmbH",
              "Сделка для Зои")
# the fixed leads' (pipeline, status, loss reason, [(contact, is_main)],
# company, tags); ids are offsets from the bases
LEAD_FIXED_LINKS = ((7001, 700103, None, [(1, True), (2, False)], 2,
                     [6001, 6004]),
                    (7002, 142, None, [(1, True)], 2, []),
                    (7001, 143, 8004, [(2, True)], 1, [6002]))
LEAD_WORDS = ("Lizenz", "Внедрение", "Renewal", "Pilot", "Расширение",
              "Wartung", "Обучение")
TASK_TEXTS = ("Перезвонить клиенту", "Angebot nachfassen",
              "Send the contract", "Назначить встречу",
              'Prüfen: "Rabatt" \\ 10%', "Подготовить КП")
RESULT_TEXTS = ("Удалось связаться с клиентом", "Kunde erreicht",
                "Sent, waiting for signature", "Нет ответа")
POSITIONS = ("Директор", "Einkäufer", "CTO", "Менеджер", "Buyer")
# the first tasks and notes: (entity type, id offset, done / note type)
FIXED_TASKS = (("leads", 1, False), ("leads", 1, True),
               ("contacts", 1, False))
FIXED_NOTES = (("leads", 1, "common"), ("leads", 1, "call_in"),
               ("contacts", 1, "common"), ("companies", 2,
                                           "service_message"))

# note_type -> (share, event type of its *_added event)
NOTE_TYPES = (("common", 0.45, "common_note_added"),
              ("call_in", 0.12, "incoming_call"),
              ("call_out", 0.12, "outgoing_call"),
              ("service_message", 0.08, "service_note_added"),
              ("sms_in", 0.06, "incoming_sms"),
              ("sms_out", 0.06, "outgoing_sms"),
              ("attachment", 0.06, "attachment_note_added"),
              ("geolocation", 0.05, "geo_note_added"))
NOTE_EVENT = {t: e for t, _, e in NOTE_TYPES}
NOTE_EVENT.update({"extended_service_message": "service_note_added",
                   "message_cashier": "message_to_cashier_note_added"})
ALL_NOTE_TYPES = ("common", "call_in", "call_out", "service_message",
                  "message_cashier", "geolocation", "sms_in", "sms_out",
                  "extended_service_message", "attachment")

# entity types as paths name them and as events name them
ENTITY_TYPES = ("leads", "contacts", "companies")
EVENT_ENTITY = {"leads": "lead", "contacts": "contact",
                "companies": "company", "tasks": "task",
                "customers": "customer"}

# Event types with their numeric type and names (GET /events/types).
EVENT_TYPES = (
    ("lead_added", 1, "Новая сделка", "New lead"),
    ("lead_deleted", 7, "Сделка удалена", "Lead deleted"),
    ("lead_restored", 8, "Сделка восстановлена", "Lead restored"),
    ("lead_status_changed", 2, "Изменение этапа продажи",
     "Lead status changed"),
    ("lead_linked", 9, "Прикрепление сделки", "Lead linked"),
    ("lead_unlinked", 10, "Открепление сделки", "Lead unlinked"),
    ("contact_added", 3, "Новый контакт", "New contact"),
    ("contact_deleted", 11, "Контакт удален", "Contact deleted"),
    ("contact_restored", 12, "Контакт восстановлен", "Contact restored"),
    ("contact_linked", 13, "Прикрепление контакта", "Contact linked"),
    ("contact_unlinked", 14, "Открепление контакта", "Contact unlinked"),
    ("company_added", 4, "Новая компания", "New company"),
    ("company_deleted", 15, "Компания удалена", "Company deleted"),
    ("company_restored", 16, "Компания восстановлена", "Company restored"),
    ("company_linked", 17, "Прикрепление компании", "Company linked"),
    ("company_unlinked", 18, "Открепление компании", "Company unlinked"),
    ("task_added", 5, "Новая задача", "New task"),
    ("task_deleted", 19, "Задача удалена", "Task deleted"),
    ("task_completed", 20, "Завершение задачи", "Task completed"),
    ("task_type_changed", 21, "Изменение типа задачи", "Task type changed"),
    ("task_text_changed", 22, "Изменение текста задачи",
     "Task text changed"),
    ("task_deadline_changed", 23, "Изменение даты исполнения задачи",
     "Task deadline changed"),
    ("task_result_added", 24, "Результат по задаче", "Task result added"),
    ("incoming_call", 25, "Входящий звонок", "Incoming call"),
    ("outgoing_call", 26, "Исходящий звонок", "Outgoing call"),
    ("incoming_sms", 27, "Входящее SMS", "Incoming SMS"),
    ("outgoing_sms", 28, "Исходящее SMS", "Outgoing SMS"),
    ("entity_tag_added", 29, "Теги добавлены", "Tags added"),
    ("entity_tag_deleted", 30, "Теги убраны", "Tags removed"),
    ("sale_field_changed", 31, "Изменение поля “Бюджет”",
     "Sale field changed"),
    ("name_field_changed", 32, "Изменение поля “Название”",
     "Name field changed"),
    ("custom_field_value_changed", 33, "Изменение поля",
     "Field value changed"),
    ("entity_responsible_changed", 34, "Ответственный изменен",
     "Responsible changed"),
    ("common_note_added", 35, "Новое примечание", "New note"),
    ("common_note_deleted", 36, "Примечание удалено", "Note deleted"),
    ("attachment_note_added", 37, "Добавлен новый файл", "New file"),
    ("geo_note_added", 38, "Новое примечание с гео-меткой",
     "New geo note"),
    ("service_note_added", 39, "Новое системное примечание",
     "New service note"),
    ("message_to_cashier_note_added", 40, "LifePay: Сообщение кассиру",
     "Message to cashier"),
    ("customer_added", 41, "Новый покупатель", "New customer"),
    ("customer_deleted", 42, "Покупатель удален", "Customer deleted"),
    ("customer_status_changed", 43, "Изменение этапа покупателя",
     "Customer status changed"),
    ("customer_linked", 44, "Прикрепление покупателя", "Customer linked"),
    ("customer_unlinked", 45, "Открепление покупателя",
     "Customer unlinked"),
    ("incoming_chat_message", 46, "Входящее сообщение",
     "Incoming chat message"),
    ("outgoing_chat_message", 47, "Исходящее сообщение",
     "Outgoing chat message"),
    ("entity_direct_message", 48, "Сообщение внутреннего чата",
     "Direct message"),
    ("entity_linked", 49, "Прикрепление", "Linked"),
    ("entity_unlinked", 50, "Открепление", "Unlinked"),
    ("ltv_field_changed", 51, "Сумма покупок", "LTV changed"),
    ("robot_replied", 52, "Ответ робота", "Robot replied"),
    ("intent_identified", 53, "Тема вопроса определена",
     "Intent identified"),
    ("nps_rate_added", 54, "Новая оценка NPS", "New NPS rate"),
    ("link_followed", 55, "Переход по ссылке", "Link followed"),
    ("transaction_added", 56, "Добавлена покупка", "Transaction added"),
    ("targeting_in_note_added", 57, "Добавление в ретаргетинг",
     "Added to retargeting"),
    ("targeting_out_note_added", 58, "Удаление из ретаргетинга",
     "Removed from retargeting"),
    ("site_visit_note_added", 59, "Заход на сайт", "Site visit"),
    ("key_action_completed", 60, "Ключевое действие",
     "Key action completed"),
    ("entity_merged", 61, "Выполнено объединение", "Entities merged"),
)

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
# every 10-bit value as two Crockford digits
CROCKFORD_PAIRS = [CROCKFORD[i >> 5] + CROCKFORD[i & 31] for i in range(1024)]


def ulid(ms, rng):
    """An event id as amoCRM shows them: a lower-case ULID (48-bit
    millisecond time, 80 random bits) in Crockford base32."""
    value = (ms << 80) | rng.getrandbits(80)
    return "".join([CROCKFORD_PAIRS[(value >> shift) & 1023]
                    for shift in range(120, -1, -10)])


class AmoData:
    """Mixin of ``AmoProvider``: dataset generation and shared indexes."""

    def check_scale(self):
        s = self.scale
        for key, value in s.items():
            if value < 0:
                raise ValueError("--scale amocrm.%s must be >= 0" % key)
        for key in ("users", "pipelines", "loss_reasons"):
            if s[key] < 1:
                raise ValueError("--scale amocrm.%s must be >= 1" % key)

    def rng(self, entity):
        return seeded_rng("amocrm", self.seed, entity)

    def generate(self, shift=0):
        """(Re)build every table; generated times move by ``shift``."""
        s = self.scale
        self.base_time = BASE_TIME + shift
        self.end_time = END_TIME + shift
        self.gen_users(s["users"])
        self.gen_pipelines(s["pipelines"])
        self.gen_loss_reasons(s["loss_reasons"])
        self.gen_tags()
        self.gen_custom_fields()
        self.gen_companies(s["companies"])
        self.gen_contacts(s["contacts"])
        self.gen_leads(s["leads"])
        self.gen_tasks(s["tasks"])
        self.gen_notes(s["notes"])
        self.build_indexes()
        self.gen_events()

    # -- setup rows --

    def gen_users(self, n):
        rng = self.rng("users")
        self.users = Table()
        for i in range(1, n + 1):
            if i <= len(USERS):
                name, email, lang, group, role, admin, free, active = \
                    USERS[i - 1]
            else:
                name, email = "User %d" % i, "user%d@example.com" % i
                lang, group, role = "en", GROUPS[i % len(GROUPS)][0], 1
                admin, free, active = False, False, True
            self.users.add({
                "id": USER_BASE + i, "name": name, "email": email,
                "lang": lang, "group_id": group, "role_id": role,
                "is_admin": admin, "is_free": free, "is_active": active,
                "phone": None if i % 2 == 0 else "+7 900 000-%02d-%02d"
                % (i, rng.randint(0, 99)),
                "uuid": rng_uuid(rng),
                "rank": ("newbie", "candidate", "master")[i % 3],
            })
        self.user_ids = list(self.users.rows)
        self.active_user_ids = [u["id"] for u in self.users.values()
                                if u["is_active"]]

    def gen_pipelines(self, n):
        self.pipelines = Table()
        self.statuses_of = {}        # pipeline id -> [status rows] by sort
        shares = []
        t = self.base_time - 200 * DAY
        for p in range(1, n + 1):
            if p <= len(PIPELINES):
                pid, name, sort, unsorted, won, lost, share, stages = \
                    PIPELINES[p - 1]
            else:
                pid, name, sort, unsorted = 7000 + p, "Pipeline %d" % p, p, \
                    False
                won, lost, share = "Won", "Lost", 0.01
                stages = [(pid * 100 + k, "Stage %d" % k, "#e6e8ea")
                          for k in (1, 2, 3)]
            self.pipelines.add({
                "id": pid, "name": name, "sort": sort, "is_main": p == 1,
                "is_unsorted_on": unsorted, "is_archive": False,
                "created_at": t + p * DAY})
            rows = []
            for k, (sid, sname, color) in enumerate(stages):
                is_unsorted = unsorted and k == 0
                rows.append({"id": sid, "name": sname,
                             "sort": 10 * (k + 1), "is_editable":
                             not is_unsorted, "pipeline_id": pid,
                             "color": color, "type": 1 if is_unsorted
                             else 0})
            rows.append({"id": WON, "name": won, "sort": 10000,
                         "is_editable": False, "pipeline_id": pid,
                         "color": WON_COLOR, "type": 0})
            rows.append({"id": LOST, "name": lost, "sort": 11000,
                         "is_editable": False, "pipeline_id": pid,
                         "color": LOST_COLOR, "type": 0})
            self.statuses_of[pid] = rows
            shares.append(share)
        total = sum(shares)
        self.pipeline_shares = [x / total for x in shares]
        self.main_pipeline = next(p["id"] for p in self.pipelines.values()
                                  if p["is_main"])

    def status(self, pipeline_id, status_id):
        for s in self.statuses_of.get(pipeline_id, ()):
            if s["id"] == status_id:
                return s
        return None

    def open_statuses(self, pipeline_id):
        """The regular (not unsorted, not closed) statuses, by sort."""
        return [s for s in self.statuses_of[pipeline_id]
                if s["type"] == 0 and s["id"] not in (WON, LOST)]

    def entry_status(self, pipeline_id):
        """Where a lead enters a pipeline: its first regular status."""
        return self.open_statuses(pipeline_id)[0]["id"]

    def gen_loss_reasons(self, n):
        self.loss_reasons = Table()
        t = self.base_time - 150 * DAY
        for i in range(1, n + 1):
            rid, name = LOSS_REASONS[i - 1] if i <= len(LOSS_REASONS) else \
                (8000 + i, "Reason %d" % i)
            self.loss_reasons.add({"id": rid, "name": name,
                                   "sort": 100000 + 100 * i,
                                   "created_at": t + i * DAY,
                                   "updated_at": t + i * DAY + 3600})

    def gen_tags(self):
        self.tags = {}
        for entity, rows in TAGS.items():
            table = Table()
            for tid, name, color in rows:
                table.add({"id": tid, "name": name, "color": color})
            self.tags[entity] = table

    def gen_custom_fields(self):
        self.custom_fields = {}      # entity type -> {field id: field}
        for entity, fields in CUSTOM_FIELDS.items():
            out = {}
            for k, (fid, name, ftype, code, enums) in enumerate(fields):
                enum_rows = None
                if enums is not None:
                    first, values = enums
                    enum_rows = [{"id": first + j, "value": v,
                                  "sort": 500 + 10 * j}
                                 for j, v in enumerate(values)]
                out[fid] = {
                    "id": fid, "name": name, "type": ftype, "code": code,
                    "sort": 500 + 10 * k, "entity_type": entity,
                    "enums": enum_rows, "is_api_only": False,
                    "group_id": None, "required_statuses": [],
                    "is_deletable": code not in PREDEFINED_CODES,
                    "is_predefined": code in PREDEFINED_CODES,
                }
            self.custom_fields[entity] = out

    def field_by_code(self, entity, code):
        for f in self.custom_fields[entity].values():
            if f["code"] == code:
                return f
        return None

    def enum_of(self, field, value):
        """The enum row of a field whose value is ``value``."""
        for e in field["enums"] or ():
            if e["value"] == value:
                return e
        return None

    # -- entities --

    def pick_user(self, rng):
        return rng.choice(self.active_user_ids)

    def author(self, rng):
        """created_by/updated_by: a user, or 0 (robot / API) now and then."""
        return 0 if rng.random() < 0.05 else rng.choice(self.user_ids)

    def gen_companies(self, n):
        rng = self.rng("companies")
        self.companies = Table()
        fields = self.custom_fields["companies"]
        tag_ids = [t["id"] for t in self.tags["companies"].values()]
        for i in range(1, n + 1):
            name = COMPANY_FIXED[i - 1] if i <= len(COMPANY_FIXED) else \
                "%s %s %d" % (rng.choice(ORG_WORDS), rng.choice(ORG_SUFFIXES),
                              i)
            add = self.base_time + rng.randint(0, 300 * DAY)
            upd = rng.randint(add, self.end_time)
            cf = {}
            if rng.random() < 0.8:
                cf[900301] = [{"value": "+49 30 %07d" % rng.randint(0, 10**7),
                               "enum_id": 910301}]
            if rng.random() < 0.7:
                cf[900302] = [{"value": "info@company%d.example" % i,
                               "enum_id": 910311}]
            if rng.random() < 0.5:
                cf[900303] = [{"value": "https://company%d.example" % i}]
            if rng.random() < 0.4:
                cf[900304] = [{"value": rng.choice((
                    "Unter den Linden 77\n10117 Berlin",
                    "г. Москва, Тверская ул., 7",
                    "Mustamäe tee 3, Tallinn"))}]
            if rng.random() < 0.6:
                e = rng.choice(fields[900305]["enums"])
                cf[900305] = [{"value": e["value"], "enum_id": e["id"]}]
            if rng.random() < 0.5:
                cf[900306] = [{"value": str(rng.choice((5, 12, 50, 250,
                                                        1200)))}]
            self.companies.add({
                "id": COMPANY_BASE + i, "name": name,
                "responsible_user_id": self.pick_user(rng),
                "created_by": self.author(rng),
                "updated_by": self.author(rng),
                "created_at": add, "updated_at": upd, "is_deleted": False,
                "cf": cf,
                "tags": sorted(rng.sample(tag_ids, rng.randint(0, 1)))
                if rng.random() < 0.3 else [],
            })

    def gen_contacts(self, n):
        rng = self.rng("contacts")
        self.contacts = Table()
        company_ids = list(self.companies.rows)
        tag_ids = [t["id"] for t in self.tags["contacts"].values()]
        for i in range(1, n + 1):
            first, last = CONTACT_FIXED[i - 1] if i <= len(CONTACT_FIXED) \
                else (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
            add = self.base_time + rng.randint(0, 360 * DAY)
            upd = rng.randint(add, self.end_time)
            cf = {}
            if rng.random() < 0.85:
                phones = [{"value": "+7 9%02d %03d-%02d-%02d" % (
                    i % 100, rng.randint(0, 999), rng.randint(0, 99),
                    rng.randint(0, 99)), "enum_id": 910201 +
                    rng.choice((0, 2, 4))}]
                if rng.random() < 0.2:
                    phones.append({"value": "+49 171 %07d"
                                   % rng.randint(0, 10**7),
                                   "enum_id": 910203})
                cf[900201] = phones
            if rng.random() < 0.8:
                cf[900202] = [{"value": "contact%d@example.com" % i,
                               "enum_id": 910211 + rng.choice((0, 1))}]
            if rng.random() < 0.5:
                cf[900203] = [{"value": rng.choice(POSITIONS)}]
            if rng.random() < 0.3:
                cf[900204] = [{"value": rng.random() < 0.5}]
            if rng.random() < 0.3:
                cf[900205] = [{"value": add - add % DAY}]
            self.contacts.add({
                "id": CONTACT_BASE + i, "name": "%s %s" % (first, last),
                "first_name": first, "last_name": last,
                "responsible_user_id": self.pick_user(rng),
                "created_by": self.author(rng),
                "updated_by": self.author(rng),
                "created_at": add, "updated_at": upd, "is_deleted": False,
                "company_id": rng.choice(company_ids)
                if company_ids and rng.random() < 0.8 else None,
                "cf": cf,
                "tags": [rng.choice(tag_ids)] if rng.random() < 0.2 else [],
            })

    def gen_leads(self, n):
        rng = self.rng("leads")
        self.leads = Table()
        pipelines = list(self.pipelines.rows)
        contact_ids = list(self.contacts.rows)
        reason_ids = list(self.loss_reasons.rows)
        fields = self.custom_fields["leads"]
        tag_ids = [t["id"] for t in self.tags["leads"].values()]
        self.lead_history = {}       # lead id -> [(time, kind, before, after)]
        for i in range(1, n + 1):
            lid = LEAD_BASE + i
            pid = rng.choices(pipelines, self.pipeline_shares)[0]
            add = self.base_time + rng.randint(0, 450 * DAY)
            upd = rng.randint(add, self.end_time)
            r = rng.random()
            unsorted = [s["id"] for s in self.statuses_of[pid]
                        if s["type"] == 1]
            regular = [s["id"] for s in self.open_statuses(pid)]
            if r < 0.18:
                status = WON
            elif r < 0.32:
                status = LOST
            elif r < 0.36 and unsorted:
                status = unsorted[0]
            else:
                status = rng.choice(regular)
            closed = rng.randint(add, upd) if status in (WON, LOST) else None
            contacts = []
            if contact_ids and rng.random() < 0.85:
                for k, cid in enumerate(rng.sample(
                        contact_ids, min(len(contact_ids),
                                         rng.choice((1, 1, 1, 2, 3))))):
                    contacts.append([cid, k == 0])
            company = None
            if contacts and rng.random() < 0.8:
                company = self.contacts.rows[contacts[0][0]]["company_id"]
            elif self.companies.rows and rng.random() < 0.3:
                company = rng.choice(list(self.companies.rows))
            if i <= len(LEAD_FIXED):
                name = LEAD_FIXED[i - 1]
            else:
                base = self.companies.rows[company]["name"] if company else (
                    self.contacts.rows[contacts[0][0]]["name"] if contacts
                    else "Сделка")
                name = "%s: %s" % (base, rng.choice(LEAD_WORDS))
            cf = {}
            if rng.random() < 0.7:
                e = rng.choice(fields[900101]["enums"])
                cf[900101] = [{"value": e["value"], "enum_id": e["id"]}]
            if rng.random() < 0.5:
                cf[900102] = [{"value": str(rng.choice((
                    1000, 2500, 10000, 12500.5, 99999)))}]
            if rng.random() < 0.4:
                cf[900103] = [{"value": status == WON or rng.random() < 0.3}]
            if rng.random() < 0.3:
                day = add + rng.randint(5, 60) * DAY
                cf[900104] = [{"value": day - day % DAY}]
            if rng.random() < 0.3:
                picked = rng.sample(fields[900105]["enums"],
                                    rng.randint(1, 3))
                cf[900105] = [{"value": e["value"], "enum_id": e["id"]}
                              for e in sorted(picked, key=lambda e: e["id"])]
            if i == 1:
                cf[900106] = [{"value": 'Сказал "может быть" \\ позже\n'
                               "Zweite Zeile"}]
            elif rng.random() < 0.2:
                cf[900106] = [{"value": rng.choice(NOTE_TEXTS)}]
            if rng.random() < 0.2:
                cf[900107] = [{"value": "https://shop%d.example/" % i}]
            if rng.random() < 0.25:
                cf[900108] = [{"value": "K-%05d" % rng.randint(1, 99999)}]
            reason = rng.choice(reason_ids) \
                if status == LOST and rng.random() < 0.7 else None
            tags = sorted(rng.sample(tag_ids, rng.randint(1, 2))) \
                if rng.random() < 0.35 else []
            deleted = rng.random() < 0.02
            if i <= len(LEAD_FIXED_LINKS) and \
                    len(self.pipelines) >= 2 and \
                    len(contact_ids) >= 2 and len(self.companies) >= 2:
                deleted = False
                pid, status, reason, links, company, tags = \
                    LEAD_FIXED_LINKS[i - 1]
                contacts = [[CONTACT_BASE + c, main] for c, main in links]
                company = COMPANY_BASE + company
                if reason not in self.loss_reasons.rows:
                    reason = None
                if i == 1:      # the latest change: the anchor's day
                    upd = self.end_time - 3600
                closed = (add + upd) // 2 if status in (WON, LOST) else None
                unsorted, regular = [], [s["id"] for s in
                                         self.open_statuses(pid)]
            lead = {
                "id": lid, "name": name,
                "price": 0 if rng.random() < 0.05 else
                rng.randint(1, 5000) * 100,
                "responsible_user_id": self.pick_user(rng),
                "status_id": status, "pipeline_id": pid,
                "loss_reason_id": reason,
                "created_by": self.author(rng),
                "updated_by": self.author(rng),
                "created_at": add, "updated_at": upd, "closed_at": closed,
                "is_deleted": deleted,
                "score": None,
                "labor_cost": None if rng.random() < 0.9 else
                rng.randint(1, 40) * 900,
                "contacts": contacts, "company_id": company, "cf": cf,
                "tags": tags,
            }
            self.leads.add(lead)
            self.lead_history[lid] = self.lead_story(rng, lead, unsorted,
                                                     regular)

    def lead_story(self, rng, lead, unsorted, regular):
        """The status changes that brought a generated lead where it is:
        [(time, "status", (status, pipeline) before, after)], plus the
        occasional responsible or budget change; all between created_at
        and updated_at, the closing one at closed_at."""
        add, upd = lead["created_at"], lead["updated_at"]
        pid, status = lead["pipeline_id"], lead["status_id"]
        story = []
        if unsorted and status == unsorted[0]:
            return story
        path = [regular[0]]
        if rng.random() < 0.04 and len(self.statuses_of) > 1:
            other = rng.choice([p for p in self.statuses_of if p != pid])
            path = [(self.entry_status(other), other)]
        else:
            path = [(regular[0], pid)]
        if status in (WON, LOST):
            mid = rng.choice(regular)
            if (mid, pid) != path[-1]:
                path.append((mid, pid))
        elif status != regular[0]:
            between = [s for s in regular[1:regular.index(status)]]
            if between and rng.random() < 0.4:
                path.append((rng.choice(between), pid))
        if (status, pid) != path[-1]:
            path.append((status, pid))
        end = lead["closed_at"] if lead["closed_at"] is not None else upd
        times = sorted(rng.randint(add, end) for _ in range(len(path) - 1))
        if lead["closed_at"] is not None and times:
            times[-1] = lead["closed_at"]
        for t, before, after in zip(times, path, path[1:]):
            story.append((t, "status", before, after))
        if rng.random() < 0.1:
            other = rng.choice(self.user_ids)
            if other != lead["responsible_user_id"]:
                story.append((rng.randint(add, upd), "responsible", other,
                              lead["responsible_user_id"]))
        if rng.random() < 0.1 and lead["price"]:
            story.append((rng.randint(add, upd), "sale",
                          lead["price"] // 2, lead["price"]))
        if rng.random() < 0.1 and 900101 in lead["cf"]:
            story.append((rng.randint(add, upd), "field", None,
                          lead["cf"][900101][0]))
        return story

    def gen_tasks(self, n):
        rng = self.rng("tasks")
        self.tasks = Table()
        leads = [lead["id"] for lead in self.leads.values()
                 if not lead["is_deleted"]]
        contacts = list(self.contacts.rows)
        companies = list(self.companies.rows)
        type_ids = [t[0] for t in TASK_TYPES]
        for i in range(1, n + 1):
            r = rng.random()
            if r < 0.6 and leads:
                etype, eid = "leads", rng.choice(leads)
            elif r < 0.85 and contacts:
                etype, eid = "contacts", rng.choice(contacts)
            elif r < 0.92 and companies:
                etype, eid = "companies", rng.choice(companies)
            else:
                etype = eid = None
            add = self.base_time + rng.randint(0, 540 * DAY)
            done = rng.random() < 0.5
            upd = rng.randint(add, self.end_time) if done else \
                rng.randint(add, min(self.end_time, add + 30 * DAY))
            till = add + rng.randint(1, 30) * DAY
            if not done and rng.random() < 0.3:     # due soon or overdue
                till = self.end_time + rng.randint(-10, 30) * DAY
            till = till - till % 60
            if rng.random() < 0.15:                 # "all day": 23:59
                till = till - till % DAY + DAY - 60
            fixed = FIXED_TASKS[i - 1] if i <= len(FIXED_TASKS) and \
                len(self.leads) and len(self.contacts) else None
            if fixed:
                etype, offset, done = fixed
                eid = (LEAD_BASE if etype == "leads" else CONTACT_BASE) + \
                    offset
                if not done:
                    till = self.end_time + 2 * DAY - self.end_time % 60
            if etype is not None:       # not before its entity
                born = self.row_of(etype, eid)["created_at"]
                if add < born:
                    add = born
                    upd = max(upd, add)
                    till = max(till, add + 3600)
            self.tasks.add({
                "id": TASK_BASE + i, "created_by": self.author(rng),
                "updated_by": self.author(rng), "created_at": add,
                "updated_at": upd,
                "responsible_user_id": self.pick_user(rng),
                "entity_id": eid, "entity_type": etype,
                "is_completed": done, "task_type_id": rng.choice(type_ids),
                "text": rng.choice(TASK_TEXTS),
                "duration": rng.choice((0, 0, 1800, 3600)),
                "complete_till": till,
                "result": (rng.choice(RESULT_TEXTS)
                           if done and (rng.random() < 0.7 or fixed)
                           else None),
            })

    def gen_notes(self, n):
        rng = self.rng("notes")
        self.notes = Table()
        pools = {"leads": [lead for lead in self.leads.values()
                           if not lead["is_deleted"]],
                 "contacts": list(self.contacts.values()),
                 "companies": list(self.companies.values())}
        kinds = [t for t, _, _ in NOTE_TYPES]
        shares = [s for _, s, _ in NOTE_TYPES]
        for i in range(1, n + 1):
            r = rng.random()
            etype = "leads" if r < 0.6 else "contacts" if r < 0.9 else \
                "companies"
            if not pools[etype]:
                etype = next((e for e in ENTITY_TYPES if pools[e]), None)
            if etype is None:
                break
            parent = rng.choice(pools[etype])
            fixed = FIXED_NOTES[i - 1] if i <= len(FIXED_NOTES) and \
                len(self.leads) and len(self.contacts) and \
                len(self.companies) >= 2 else None
            if fixed:
                etype, offset, _ = fixed
                parent = {"leads": self.leads, "contacts": self.contacts,
                          "companies": self.companies}[etype].rows[
                    {"leads": LEAD_BASE, "contacts": CONTACT_BASE,
                     "companies": COMPANY_BASE}[etype] + offset]
            add = rng.randint(parent["created_at"], self.end_time)
            upd = add if rng.random() < 0.7 else rng.randint(add,
                                                             self.end_time)
            ntype = rng.choices(kinds, shares)[0]
            if fixed:
                ntype = fixed[2]
            user = self.pick_user(rng)
            self.notes.add({
                "id": NOTE_BASE + i, "entity_type": etype,
                "entity_id": parent["id"], "created_by": user,
                "updated_by": user if upd == add else self.pick_user(rng),
                "created_at": add, "updated_at": upd,
                "responsible_user_id": user, "note_type": ntype,
                "params": self.note_params(rng, ntype, i),
            })

    def note_params(self, rng, ntype, i):
        if ntype == "common":
            if i == 1:
                return {"text": 'Kunde sagt "ok" \\ см. C:\\temp'}
            return {"text": rng.choice(NOTE_TEXTS)}
        if ntype in ("call_in", "call_out"):
            return {"uniq": rng_uuid(rng),
                    "duration": rng.randint(5, 900),
                    "source": "onlinePBX",
                    "link": "https://pbx.example/rec/%d.mp3" % i,
                    "phone": "+7999%07d" % rng.randint(0, 10**7)}
        if ntype == "service_message":
            return {"service": "crm_fdw", "text": "Синхронизация завершена"}
        if ntype in ("sms_in", "sms_out"):
            return {"text": rng.choice(("Спасибо!", "Bitte zurückrufen",
                                        "OK")),
                    "phone": "+7999%07d" % rng.randint(0, 10**7)}
        if ntype == "attachment":
            return {"file_uuid": rng_uuid(rng),
                    "version_uuid": rng_uuid(rng),
                    "file_name": "Договор_%d.pdf" % i,
                    "original_name": "Договор %d.pdf" % i,
                    "text": "Договор %d.pdf" % i,
                    "is_drive_attachment": True}
        return {"text": "Встреча у клиента", "address":
                "ул. Пушкина, дом Колотушкина",
                "longitude": "37.6173", "latitude": "55.7558"}

    # -- reverse indexes shared by reads and writes --

    def build_indexes(self):
        self.leads_of_contact = {}
        self.leads_of_company = {}
        self.contacts_of_company = {}
        for c in self.contacts.values():
            if c["company_id"] is not None:
                self.contacts_of_company.setdefault(c["company_id"],
                                                    set()).add(c["id"])
        for lead in self.leads.values():
            self.link_lead(lead)
        self.tasks_of = {}
        for t in self.tasks.values():
            self.index_task(t)

    def link_lead(self, lead):
        for cid, _ in lead["contacts"]:
            self.leads_of_contact.setdefault(cid, set()).add(lead["id"])
        if lead["company_id"] is not None:
            self.leads_of_company.setdefault(lead["company_id"],
                                             set()).add(lead["id"])

    def unlink_lead(self, lead):
        for cid, _ in lead["contacts"]:
            self.leads_of_contact.get(cid, set()).discard(lead["id"])
        if lead["company_id"] is not None:
            self.leads_of_company.get(lead["company_id"],
                                      set()).discard(lead["id"])

    def index_task(self, task):
        if task["entity_type"] is not None:
            self.tasks_of.setdefault((task["entity_type"],
                                      task["entity_id"]),
                                     []).append(task["id"])

    def row_of(self, entity_type, entity_id):
        """The lead, contact or company row (or None)."""
        table = {"leads": self.leads, "contacts": self.contacts,
                 "companies": self.companies}.get(entity_type)
        return table.rows.get(entity_id) if table else None

    def closest_task_at(self, entity_type, entity_id):
        """The deadline of the entity's nearest open task, or None."""
        best = None
        for tid in self.tasks_of.get((entity_type, entity_id), ()):
            t = self.tasks.rows[tid]
            if not t["is_completed"] and (best is None or
                                          t["complete_till"] < best):
                best = t["complete_till"]
        return best

    # -- events --

    def gen_events(self):
        """Events implied by the generated history, oldest first."""
        rng = self.rng("events")
        self.event_rng = self.rng("event-writes")
        raw = []        # (time, order, entity_type, entity_id, type, user,
        #                  value_before, value_after)
        for c in self.companies.values():
            raw.append((c["created_at"], 0, "company", c["id"],
                        "company_added", c["created_by"]))
        for c in self.contacts.values():
            raw.append((c["created_at"], 0, "contact", c["id"],
                        "contact_added", c["created_by"]))
        for lead in self.leads.values():
            raw.append((lead["created_at"], 0, "lead", lead["id"],
                        "lead_added", lead["created_by"]))
            for t, kind, before, after in self.lead_history[lead["id"]]:
                user = lead["updated_by"] if t == lead["updated_at"] else \
                    rng.choice(self.user_ids)
                if kind == "status":
                    raw.append((t, 1, "lead", lead["id"],
                                "lead_status_changed", user,
                                [{"lead_status": {"id": before[0],
                                                  "pipeline_id": before[1]}}],
                                [{"lead_status": {"id": after[0],
                                                  "pipeline_id": after[1]}}]))
                elif kind == "responsible":
                    raw.append((t, 1, "lead", lead["id"],
                                "entity_responsible_changed", user,
                                [{"responsible_user": {"id": before}}],
                                [{"responsible_user": {"id": after}}]))
                elif kind == "sale":
                    raw.append((t, 1, "lead", lead["id"],
                                "sale_field_changed", user,
                                [{"sale_field_value": {"sale": before}}],
                                [{"sale_field_value": {"sale": after}}]))
                elif kind == "field":
                    raw.append((t, 1, "lead", lead["id"],
                                "custom_field_value_changed", user, [],
                                [self.cf_event("leads", 900101, after)]))
            if lead["is_deleted"]:
                raw.append((lead["updated_at"], 2, "lead", lead["id"],
                            "lead_deleted", lead["updated_by"], [], []))
        for t in self.tasks.values():
            raw.append((t["created_at"], 0, "task", t["id"], "task_added",
                        t["created_by"], [], []))
            if t["is_completed"]:
                raw.append((t["updated_at"], 1, "task", t["id"],
                            "task_completed", t["updated_by"], [], []))
        for n in self.notes.values():
            raw.append((n["created_at"], 1, EVENT_ENTITY[n["entity_type"]],
                        n["entity_id"], NOTE_EVENT[n["note_type"]],
                        n["created_by"], [], [{"note": {"id": n["id"]}}]))
        raw.sort(key=lambda e: (e[0], e[1], e[2], e[3], e[4]))
        self.events = []
        self.event_by_id = {}
        self.system_note_seq = SYSTEM_NOTE_BASE
        for item in raw:
            t, _, etype, eid, kind, user = item[:6]
            if len(item) > 6:
                before, after = item[6], item[7]
            elif kind.endswith("_added") and kind != "task_added":
                before, after = [], [{"note": {"id": self.next_system_note()}}]
            else:
                before, after = [], []
            self.add_event(kind, etype, eid, user, t, before, after,
                           rng=rng)

    def next_system_note(self):
        self.system_note_seq += 1
        return self.system_note_seq

    def cf_event(self, entity, field_id, value):
        """One value as custom_field_value_changed events show it."""
        field = self.custom_fields[entity][field_id]
        return {"custom_field_value": {
            "field_id": field_id,
            "field_type": FIELD_TYPE_CODES[field["type"]],
            "enum_id": value.get("enum_id"),
            "text": str(value["value"])}}

    def add_event(self, kind, entity_type, entity_id, user, t, before, after,
                  rng=None):
        """Append an event (times never go backwards in the list)."""
        ms = t * 1000 + (rng or self.event_rng).randint(0, 999)
        event = {"seq": len(self.events) + 1,
                 "id": ulid(ms, rng or self.event_rng),
                 "type": kind, "entity_id": entity_id,
                 "entity_type": entity_type, "created_by": user,
                 "created_at": t, "value_after": after,
                 "value_before": before}
        self.events.append(event)
        self.event_by_id[event["id"]] = event
        return event

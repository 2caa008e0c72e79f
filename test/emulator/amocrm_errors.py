"""amoCRM's error vocabulary, shared by its reads and writes.

This module owns the texts and shapes of amoCRM's errors as RFC 7807
``application/problem+json`` bodies: the ``title``/``type``/``status``/
``detail`` fields, the ``validation-errors`` list (per batch item, named by
its ``request_id``, each error a ``{code, path, detail}``), the error codes
and detail texts amoCRM uses (``InvalidType``, ``NotSupportedChoice``...),
and the typed parsing of PHP-style query values that fails with them.

It raises ``ApiError`` (or returns error lists); it must never build a
response, touch data or know about routes (``amocrm.py`` renders).
"""

from http import HTTPStatus

from provider_kit import ApiError, to_int

PROBLEM_TYPE = "https://httpstatus.es/%d"

# detail texts: amoCRM's error-code page where it has one
DETAILS = {
    400: "Request validation failed",
    401: "Неверный логин или пароль",
    402: "Подписка закончилась",
    403: "Аккаунт заблокирован, за неоднократное превышение количества "
         "запросов в секунду",
    404: "Not Found",
    405: "Запрашиваемый HTTP-метод не поддерживается",
    422: "Входящие данные не могут быть обработаны",
    429: "Превышено допустимое количество запросов в секунду",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

INVALID_TYPE = "InvalidType"
NOT_CHOICE = "NotSupportedChoice"
NOT_BLANK = "NotBlank"
COUNT = "InvalidCount"

TYPE_TEXT = "This value should be of type %s."
CHOICE_TEXT = "The value you selected is not a valid choice."
BLANK_TEXT = "This value should not be blank."


def title(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(status, detail=None, **extra):
    """The problem+json body as a dict (validation errors first)."""
    body = {}
    if "validation-errors" in extra:
        body["validation-errors"] = extra.pop("validation-errors")
    body.update({"title": title(status), "type": PROBLEM_TYPE % status,
                 "status": status,
                 "detail": detail or DETAILS.get(status, title(status))})
    body.update(extra)
    return body


def error(code, path, detail):
    return {"code": code, "path": path, "detail": detail}


def invalid_type(path, kind):
    return error(INVALID_TYPE, path, TYPE_TEXT % kind)


def not_choice(path, detail=CHOICE_TEXT):
    return error(NOT_CHOICE, path, detail)


def not_blank(path):
    return error(NOT_BLANK, path, BLANK_TEXT)


def validation_failed(groups):
    """400 with ``validation-errors``: groups are ``{"request_id": ...,
    "errors": [...]}`` (batch items) or ``{"errors": [...]}``."""
    return ApiError(400, DETAILS[400], **{"validation-errors": groups})


def query_error(err):
    """A 400 for a bad query parameter or path id (no request_id)."""
    return validation_failed([{"errors": [err]}])


# --------------------------------------------------------------------------
# PHP-style query values (see provider_kit.bracket_params)
# --------------------------------------------------------------------------

def q_items(node, path, split_commas=False):
    """A scalar, list or index-keyed dict -> list of strings (blank ones
    dropped); nested structures are an InvalidType error."""
    if node is None:
        return []
    if isinstance(node, str):
        items = [node]
    elif isinstance(node, list):
        items = node
    else:
        items = [node[k] for k in sorted(
            node, key=lambda k: (not k.isdigit(), int(k) if k.isdigit()
                                 else 0, k))]
    out = []
    for item in items:
        if not isinstance(item, str):
            raise query_error(invalid_type(path, "string"))
        parts = item.split(",") if split_commas else [item]
        out.extend(p.strip() for p in parts if p.strip() != "")
    return out


def q_ints(node, path, split_commas=False):
    """int|array -> list of ints, or None when absent/blank."""
    out = []
    for item in q_items(node, path, split_commas):
        try:
            out.append(to_int(item))
        except ValueError:
            raise query_error(invalid_type(path, "int"))
    return out or None


def q_strings(node, path, split_commas=False):
    return q_items(node, path, split_commas) or None


def q_range(node, path):
    """``[from]``/``[to]`` (each optional, inclusive) or a single value
    (taken as ``from``) -> (from, to); None when absent."""
    if node is None:
        return None
    if isinstance(node, str):
        if not node.strip():
            return None
        try:
            return (to_int(node), None)
        except ValueError:
            raise query_error(invalid_type(path, "int"))
    if not isinstance(node, dict):
        raise query_error(invalid_type(path, "object"))
    bounds = []
    for key in ("from", "to"):
        value = node.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            bounds.append(None)
            continue
        if not isinstance(value, str):
            raise query_error(invalid_type("%s.%s" % (path, key), "int"))
        try:
            bounds.append(to_int(value))
        except ValueError:
            raise query_error(invalid_type("%s.%s" % (path, key), "int"))
    if bounds == [None, None]:
        return None
    return tuple(bounds)


def in_range(value, bounds):
    if bounds is None:
        return True
    low, high = bounds
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def q_bools(node, path):
    """bool|array ("1"/"0"/"true"/"false") -> set of bools, or None."""
    out = set()
    for item in q_items(node, path):
        value = item.lower()
        if value in ("1", "true"):
            out.add(True)
        elif value in ("0", "false"):
            out.add(False)
        else:
            raise query_error(invalid_type(path, "bool"))
    return out or None

"""Pipedrive's error vocabulary, shared by its reads and writes.

This module owns the texts and shapes of Pipedrive's error answers: the
``error_info`` line, schema-validation failures (``Validation failed: ...``
with ``code: ERR_SCHEMA_VALIDATION_FAILED``) and the typed parsing of query
values that fails with them.  It raises ``ApiError``; it must never build a
response, touch data or know about paths (``pipedrive.py`` turns an
``ApiError`` into Pipedrive's envelope).
"""

from provider_kit import ApiError, to_bool, to_int

ERROR_INFO = ("Please check developers.pipedrive.com for more information "
              "about Pipedrive API.")


def validation_error(problems):
    """400 in the shape Pipedrive v2 uses for schema violations."""
    text = "; ".join("%s: %s" % (field, msg) for field, msg in problems)
    return ApiError(400, "Validation failed: " + text,
                    code="ERR_SCHEMA_VALIDATION_FAILED")


def bad_param(name, what):
    return validation_error([(name, "Parameter '%s' %s" % (name, what))])


def parse_int(name, text):
    try:
        return to_int(text)
    except ValueError:
        raise bad_param(name, "must be an integer")


def parse_bool(name, text):
    try:
        return to_bool(text)
    except ValueError:
        raise bad_param(name, "must be a boolean")

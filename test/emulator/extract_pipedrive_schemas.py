#!/usr/bin/env python3
"""Regenerate pipedrive_schemas.json from Pipedrive's OpenAPI specs.

Development-only tool: it needs PyYAML, which the emulator itself must not
depend on (the emulator runs on Debian's system python3 with the standard
library only).  Run it whenever the reference specs change:

    python3 test/emulator/extract_pipedrive_schemas.py [SPEC_DIR] [-o OUT]

SPEC_DIR defaults to ``../shared/reference/pipedrive`` beside the checkout
(that is, ``<repo>/../shared/reference/pipedrive``) and must hold
``pipedrive-v1-openapi.yml`` and ``pipedrive-v2-openapi.yml``.  OUT defaults
to ``pipedrive_schemas.json`` next to this script.

For every operation the emulator serves, the JSON keeps:

* ``operation_id`` and ``token_cost`` (the spec's ``x-token-cost``),
* ``query``: the declared query parameters with their (normalized) schema,
* ``body``: the request-body schema for writes (``$ref`` resolved, ``allOf``
  merged, descriptions dropped), and ``body_required``,
* ``response_properties``: the property names of the returned item (the
  element of ``data`` or ``data[]``), used by the self-tests to check that
  the emulator answers with every property the vendor documents.

The output is stable (sorted keys, fixed operation list), so regenerating
from unchanged specs gives a byte-identical file.
"""

import argparse
import json
import os
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - dev tool only
    sys.exit("extract_pipedrive_schemas.py needs PyYAML (pip install pyyaml); "
             "the emulator itself does not")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_SPEC_DIR = os.path.join(os.path.dirname(REPO), "shared", "reference",
                                "pipedrive")
DEFAULT_OUT = os.path.join(HERE, "pipedrive_schemas.json")

# (spec version, method, path in the spec) for every operation served.
OPERATIONS = [
    ("v2", "get", "/deals"),
    ("v2", "post", "/deals"),
    ("v2", "get", "/deals/{id}"),
    ("v2", "patch", "/deals/{id}"),
    ("v2", "delete", "/deals/{id}"),
    ("v2", "get", "/deals/products"),
    ("v2", "get", "/activities"),
    ("v2", "post", "/activities"),
    ("v2", "get", "/activities/{id}"),
    ("v2", "patch", "/activities/{id}"),
    ("v2", "delete", "/activities/{id}"),
    ("v2", "get", "/persons"),
    ("v2", "get", "/persons/{id}"),
    ("v2", "get", "/organizations"),
    ("v2", "get", "/organizations/{id}"),
    ("v2", "get", "/products"),
    ("v2", "get", "/products/{id}"),
    ("v2", "get", "/stages"),
    ("v2", "get", "/stages/{id}"),
    ("v2", "get", "/pipelines"),
    ("v2", "get", "/pipelines/{id}"),
    ("v2", "get", "/dealFields"),
    ("v2", "get", "/dealFields/{field_code}"),
    ("v2", "get", "/tasks"),
    ("v2", "get", "/tasks/{id}"),
    ("v1", "get", "/notes"),
    ("v1", "post", "/notes"),
    ("v1", "get", "/notes/{id}"),
    ("v1", "put", "/notes/{id}"),
    ("v1", "delete", "/notes/{id}"),
    ("v1", "get", "/users"),
    ("v1", "get", "/users/{id}"),
    ("v1", "get", "/activityTypes"),
    ("v1", "get", "/currencies"),
    ("v1", "get", "/files"),
    ("v1", "get", "/files/{id}"),
    ("v1", "get", "/filters"),
    ("v1", "get", "/filters/{id}"),
    ("v1", "get", "/deals/{id}/flow"),
]

# Schema keywords kept in the output; everything else (descriptions,
# examples, titles) is documentation the validator does not need.
KEEP = ("type", "properties", "required", "items", "enum", "nullable",
        "format", "additionalProperties", "minimum", "maximum", "minItems",
        "maxItems", "oneOf", "anyOf", "default")


def resolve_ref(doc, ref):
    node = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def normalize(doc, node, seen=()):
    """Resolve $ref, merge allOf and keep only validation keywords."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            return {}
        merged = dict(resolve_ref(doc, ref))
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        return normalize(doc, merged, seen + (ref,))
    if "allOf" in node:
        out = {}
        parts = [normalize(doc, sub, seen) for sub in node["allOf"]]
        parts.append(normalize(doc, {k: v for k, v in node.items()
                                     if k != "allOf"}, seen))
        for part in parts:
            for key, value in part.items():
                if key == "properties":
                    out.setdefault("properties", {}).update(value)
                elif key == "required":
                    req = out.setdefault("required", [])
                    req.extend(x for x in value if x not in req)
                elif key == "additionalProperties":
                    # any part that explicitly allows extra keys wins
                    if value is True or key not in out:
                        out[key] = value
                else:
                    out.setdefault(key, value)
        if not out.get("required"):
            out.pop("required", None)
        return out
    out = {}
    for key in KEEP:
        if key not in node:
            continue
        value = node[key]
        if key == "properties":
            value = {name: normalize(doc, sub, seen)
                     for name, sub in value.items()}
        elif key in ("items",) or (key == "additionalProperties"
                                   and isinstance(value, dict)):
            value = normalize(doc, value, seen)
        elif key in ("oneOf", "anyOf"):
            value = [normalize(doc, sub, seen) for sub in value]
        elif key == "required" and not value:
            continue
        out[key] = value
    return out


def item_properties(schema):
    """Property names of the item in data (object) or data[] (array)."""
    data = (schema.get("properties") or {}).get("data") or {}
    if data.get("type") == "array":
        data = data.get("items") or {}
    props = list((data.get("properties") or {}).keys())
    return props


def extract(spec_dir):
    docs = {}
    for version in ("v1", "v2"):
        path = os.path.join(spec_dir, "pipedrive-%s-openapi.yml" % version)
        with open(path, encoding="utf-8") as f:
            docs[version] = yaml.load(f, Loader=getattr(yaml, "CSafeLoader",
                                                        yaml.SafeLoader))
    operations = {}
    for version, method, path in OPERATIONS:
        doc = docs[version]
        op = doc["paths"][path][method]
        entry = {
            "operation_id": op.get("operationId"),
            "token_cost": op.get("x-token-cost"),
            "query": {},
            "body": None,
            "body_required": False,
            "response_properties": [],
        }
        for param in op.get("parameters", []):
            param = normalize(doc, param) if "$ref" in param else param
            if param.get("in") != "query":
                continue
            schema = normalize(doc, param.get("schema") or {})
            schema["required"] = bool(param.get("required"))
            entry["query"][param["name"]] = schema
        body = op.get("requestBody")
        if body:
            content = body.get("content", {})
            media = content.get("application/json")
            if media:
                entry["body"] = normalize(doc, media.get("schema") or {})
                entry["body_required"] = bool(body.get("required"))
        ok = (op.get("responses") or {}).get("200") or \
            (op.get("responses") or {}).get("201") or {}
        media = (ok.get("content") or {}).get("application/json") or {}
        if media.get("schema"):
            entry["response_properties"] = item_properties(
                normalize(doc, media["schema"]))
        key = "%s /api/%s%s" % (method.upper(), version, path)
        operations[key] = entry
    return {
        "comment": "Generated by extract_pipedrive_schemas.py from "
                   "Pipedrive's OpenAPI specs; do not edit by hand.",
        "sources": {
            version: {"file": "pipedrive-%s-openapi.yml" % version,
                      "title": docs[version]["info"].get("title"),
                      "version": docs[version]["info"].get("version")}
            for version in ("v1", "v2")
        },
        "operations": operations,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("spec_dir", nargs="?", default=DEFAULT_SPEC_DIR,
                        help="folder with pipedrive-v1/v2-openapi.yml "
                             "(default: %(default)s)")
    parser.add_argument("-o", "--output", default=DEFAULT_OUT,
                        help="where to write the JSON (default: %(default)s)")
    args = parser.parse_args(argv)
    result = extract(args.spec_dir)
    text = json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False)
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.replace(tmp, args.output)
    print("wrote %s (%d operations)"
          % (args.output, len(result["operations"])))


if __name__ == "__main__":
    main()

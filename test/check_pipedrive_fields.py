#!/usr/bin/env python3
"""Cross-checks Pipedrive's fields, declared twice for good reasons: in the
C provider (src/providers/pipedrive.c, the columns crm_fdw reads and
writes) and in the emulator's schemas (test/emulator/pipedrive_schemas.json,
extracted from Pipedrive's OpenAPI specs).  Every column the provider
declares must be a property the spec gives the entity's answers, so that a
field renamed or dropped on one side fails here, not in a user's query.

Standard library only.  Exits 1 and names the mismatches if there are any.
"""

import json
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(REPO, "src", "providers", "pipedrive.c")
SCHEMAS = os.path.join(REPO, "test", "emulator", "pipedrive_schemas.json")

# columns that are not in the answer's schema, each for a reason
NOT_IN_ANSWER = {
    ("deal_flow", "deal_id"),   # taken from the request path
    # in the spec's examples, not in its schemas (the emulator renders
    # them, README "Every property the spec lists...")
    ("deals", "archive_time"),
    ("products", "description"),
    ("products", "category"),
    ("products", "add_time"),
    ("products", "update_time"),
    ("notes", "pinned_to_lead_flag"),
}


def declared_columns(source):
    """{array name: [(column, field)]} from the CrmColumn tables."""
    tables = {}
    for m in re.finditer(r"static const CrmColumn (\w+)\[\] = \{(.*?)\n\};",
                         source, re.S):
        columns = []
        for c in re.finditer(r'\{"(\w+)", "[^"]+", [^,]+,\s*"(?:[^"\\]|\\.)*"'
                             r'(?:,\s*"([^"]+)")?', m.group(2)):
            columns.append((c.group(1), c.group(2)))
        tables[m.group(1)] = columns
    return tables


def declared_entities(source):
    """[(entity, list path, item path, columns array)]"""
    entities = []
    for m in re.finditer(r"\t\{\n(.*?)\n\t\},", source, re.S):
        body = m.group(1)
        fields = dict(re.findall(r'\.(\w+) = ([^,\n]+),', body))
        if "name" not in fields:
            continue
        entities.append((fields["name"].strip('"'),
                         fields.get("list_path", "").strip('"'),
                         fields.get("item_path", "NULL").strip('"'),
                         fields["columns"]))
    return entities


def main():
    with open(SOURCE, encoding="utf-8") as f:
        source = f.read()
    with open(SCHEMAS, encoding="utf-8") as f:
        operations = json.load(f)["operations"]
    tables = declared_columns(source)
    problems = []
    checked = 0
    for entity, list_path, item_path, array in declared_entities(source):
        spec_path = re.sub(r"\{\w+\}", "{id}", list_path)
        props = set()
        for path in (spec_path, re.sub(r"\{\w+\}", "{id}", item_path)):
            op = operations.get("GET " + path)
            if op:
                props.update(op["response_properties"])
        # the products list's item schema wraps each product in another
        # {success, data} (README, Interpretations): its item's counts
        if entity == "products":
            props = set(operations["GET /api/v2/products/{id}"]["response_properties"])
        if not props:
            problems.append("%s: no GET operation for %s in the schemas"
                            % (entity, list_path))
            continue
        for column, field in tables.get(array, []):
            top = (field or column).split(".")[0]
            checked += 1
            if (entity, column) in NOT_IN_ANSWER:
                continue
            if top not in props:
                problems.append("%s.%s: the spec's answers have no %r"
                                % (entity, column, top))
    for p in problems:
        print(p)
    print("%d columns checked, %d mismatches" % (checked, len(problems)))
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())

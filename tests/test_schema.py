from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from kb.schema import DRAFT_07, SCHEMA_FILE_NAME, runbook_schema, schema_text
from tests.conftest import DATA, RUNBOOKS

COMMITTED = RUNBOOKS / SCHEMA_FILE_NAME

# Every keyword JSON Schema draft-07 defines (validation, applicators, annotations and core).
DRAFT_07_KEYWORDS = {
    "$schema",
    "$id",
    "$ref",
    "$comment",
    "title",
    "description",
    "default",
    "readOnly",
    "writeOnly",
    "examples",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "additionalItems",
    "items",
    "maxItems",
    "minItems",
    "uniqueItems",
    "contains",
    "maxProperties",
    "minProperties",
    "required",
    "additionalProperties",
    "definitions",
    "properties",
    "patternProperties",
    "dependencies",
    "propertyNames",
    "const",
    "enum",
    "type",
    "format",
    "contentMediaType",
    "contentEncoding",
    "if",
    "then",
    "else",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
}
NAME_MAPS = {"properties", "definitions", "patternProperties", "dependencies"}


def keywords(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            yield key
            if key in NAME_MAPS:
                for sub in value.values():
                    yield from keywords(sub)
            elif key in ("enum", "const", "default", "examples", "required"):
                continue
            else:
                yield from keywords(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from keywords(item)


def test_committed_schema_matches_the_model() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), "stale: run `kb schema --write`"


def test_schema_uses_only_draft_07() -> None:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert schema["$schema"] == DRAFT_07
    assert set(keywords(schema)) <= DRAFT_07_KEYWORDS, set(keywords(schema)) - DRAFT_07_KEYWORDS
    jsonschema.Draft7Validator.check_schema(schema)
    refs = [value for key, value in _pairs(schema) if key == "$ref"]
    assert refs and all(ref.startswith("#/definitions/") for ref in refs)


def _pairs(schema: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            yield key, value
            yield from _pairs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _pairs(item)


def test_keyword_walk_catches_newer_keywords() -> None:
    assert "prefixItems" in set(keywords({"properties": {"a": {"prefixItems": [{"type": "string"}]}}}))


SHIPPED = sorted(RUNBOOKS.rglob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_runbook_validates_against_the_schema(path: Path) -> None:
    jsonschema.Draft7Validator(runbook_schema()).validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_schema_rejects_what_the_model_rejects() -> None:
    data = yaml.safe_load((DATA / "invalid" / "unknown-field.yaml").read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft7Validator(runbook_schema()).iter_errors(data))
    assert {e.message for e in errors} >= {"'symptoms' is a required property"}
    assert any("'symptom' was unexpected" in e.message for e in errors)


def test_shipped_runbooks_point_editors_at_the_schema() -> None:
    for path in SHIPPED:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        target = (path.parent / first.removeprefix("# yaml-language-server: $schema=")).resolve()
        assert first.startswith("# yaml-language-server: $schema="), path
        assert target == COMMITTED.resolve(), path

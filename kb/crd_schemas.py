"""Fix manifests checked against the OpenAPI schemas of Istio's CRDs and Gateway API at release tags.

kb/data/crd-schemas.json is written by scripts/vendor_schemas.py from Istio's own CRD files. A resource of an
Istio or Gateway API group is validated against the oldest and the newest snapshot its releases admit, so
an unknown field, a wrong type or an apiVersion a release does not serve fails `kb lint` at its line.
Other groups (Kubernetes core, cert-manager, IstioOperator) are not checked here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from kb.versions import Range, parse_release

SCHEMAS_FILE = "crd-schemas.json"
CHECKED_GROUPS = frozenset(
    {
        "networking.istio.io",
        "security.istio.io",
        "telemetry.istio.io",
        "extensions.istio.io",
        "gateway.networking.k8s.io",
    }
)
_UNEXPECTED = re.compile(r"'([^']+)' was unexpected")
Lines = Mapping[tuple[str | int, ...], int]


@cache
def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(files("kb").joinpath("data", SCHEMAS_FILE).read_text(encoding="utf-8"))
    return loaded


@cache
def _validator(digest: str) -> Draft7Validator:
    return Draft7Validator(_data()["schemas"][digest])


def snapshots(span: Range) -> list[str]:
    """The vendored releases to check a range against: the oldest and the newest it admits; when it admits
    none, the nearest one below its lowest release. A field added between two snapshots is only caught by
    the next snapshot, never reported against a release the range does not claim."""
    tags = sorted(_data()["releases"], key=lambda tag: parse_release(tag).first)
    admitted = [tag for tag in tags if span.admits(parse_release(tag))]
    if admitted:
        return list(dict.fromkeys([admitted[0], admitted[-1]]))
    below = [tag for tag in tags if span.low is None or parse_release(tag).first <= span.low]
    return [below[-1] if below else tags[0]]


def schema_problems(resource: Mapping[str, Any], lines: Lines, span: Range) -> Iterator[tuple[int, str]]:
    """(line inside the manifest, message) for everything the CRD schemas refuse in one resource."""
    api_version, kind = str(resource.get("apiVersion", "")), str(resource.get("kind", ""))
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    if group not in CHECKED_GROUPS:
        return
    start = lines.get((), 1)
    for tag in snapshots(span):
        index: dict[str, str] = _data()["releases"][tag]
        if not any(key.startswith(f"{group}/") for key in index):
            continue  # this snapshot has no CRDs of the group at all (Gateway API before Istio tested it)
        digest = index.get(f"{api_version}/{kind}")
        if digest is None:
            served = sorted(key.rsplit("/", 1)[0] for key in index if key.endswith(f"/{kind}"))
            hint = f"; it serves {', '.join(served)}" if served else f"; it has no {kind}"
            yield lines.get(("apiVersion",), start), f"{kind} {api_version} is not served by Istio {tag}{hint}"
            continue
        for error in sorted(_validator(digest).iter_errors(dict(resource)), key=lambda e: list(map(str, e.path))):
            yield _line(error, lines, start), f"{_where(error)}: {_message(error)} (Istio {tag} CRD schema)"


def _line(error: ValidationError, lines: Lines, start: int) -> int:
    path: tuple[str | int, ...] = tuple(error.absolute_path)
    unexpected = _UNEXPECTED.search(error.message) if error.validator == "additionalProperties" else None
    if unexpected:
        path = (*path, unexpected.group(1))
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return start


def _where(error: ValidationError) -> str:
    text = ""
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(resource)"


def _message(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        unexpected = _UNEXPECTED.search(error.message)
        if unexpected:
            return f"unknown field {unexpected.group(1)!r}"
    if error.validator == "type":
        return f"{error.instance!r} is not of type {error.validator_value!r}"[:200]
    return str(error.message)[:200]

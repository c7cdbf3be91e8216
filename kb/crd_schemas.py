"""Fix manifests checked against the OpenAPI schemas of Istio's CRDs and Gateway API at release tags.

kb/data/crd-schemas.json is written by scripts/vendor_schemas.py from Istio's own CRD files, one snapshot per
minor release. A resource of an Istio or Gateway API group is validated against every snapshot its releases
admit (each distinct schema once), so an unknown field, a wrong type or an apiVersion a release does not serve
fails `kb lint` at its line, naming the releases it fails for. Other groups (Kubernetes core, cert-manager,
IstioOperator) are not checked here.
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


def _expand(node: Any, shared: dict[str, Any]) -> Any:
    """A schema with its `{"shared": digest}` subtrees put back (the same object wherever one is reused)."""
    if isinstance(node, dict):
        if set(node) == {"shared"}:
            return _shared(node["shared"])
        return {key: _expand(value, shared) for key, value in node.items()}
    if isinstance(node, list):
        return [_expand(value, shared) for value in node]
    return node


@cache
def _shared(digest: str) -> Any:
    shared = _data().get("shared", {})
    return _expand(shared[digest], shared)


@cache
def _validator(digest: str) -> Draft7Validator:
    return Draft7Validator(_expand(_data()["schemas"][digest], _data().get("shared", {})))


@cache
def _tags() -> tuple[str, ...]:
    return tuple(sorted(_data()["releases"], key=lambda tag: parse_release(tag).first))


def snapshots(span: Range) -> list[str]:
    """The vendored releases to check a range against: every one it admits; when it admits none, the
    nearest one below its lowest release."""
    tags = _tags()
    admitted = [tag for tag in tags if span.admits(parse_release(tag))]
    if admitted:
        return admitted
    low = span.low
    below = [tag for tag in tags if low is not None and parse_release(tag).first <= low]
    return [below[-1] if below else tags[0]]


def schema_problems(resource: Mapping[str, Any], lines: Lines, span: Range) -> Iterator[tuple[int, str]]:
    """(line inside the manifest, message) for everything the CRD schemas refuse in one resource."""
    api_version, kind = str(resource.get("apiVersion", "")), str(resource.get("kind", ""))
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    if group not in CHECKED_GROUPS:
        return
    start = lines.get((), 1)
    # The same problem from several snapshots is one problem naming the releases: message template -> (line, tags).
    found: dict[str, tuple[int, list[str]]] = {}
    checked: dict[str, list[tuple[int, str]]] = {}
    admitted = snapshots(span)
    for tag in admitted:
        index: dict[str, str] = _data()["releases"][tag]
        if not any(key.startswith(f"{group}/") for key in index):
            continue  # this snapshot has no CRDs of the group at all (Gateway API before Istio tested it)
        digest = index.get(f"{api_version}/{kind}")
        if digest is None:
            served = sorted(key.rsplit("/", 1)[0] for key in index if key.endswith(f"/{kind}"))
            hint = f"; it serves {', '.join(served)}" if served else f"; it has no {kind}"
            message = f"{kind} {api_version} is not served by Istio {{releases}}{hint}"
            found.setdefault(message, (lines.get(("apiVersion",), start), []))[1].append(tag)
            continue
        if digest not in checked:
            errors = sorted(_validator(digest).iter_errors(dict(resource)), key=lambda e: list(map(str, e.path)))
            checked[digest] = [
                (_line(e, lines, start), f"{_where(e)}: {_message(e)}".replace("{", "{{").replace("}", "}}"))
                for e in errors
            ]
        for line, message in checked[digest]:
            found.setdefault(message + " (Istio {releases} CRD schema)", (line, []))[1].append(tag)
    for message, (line, tags) in found.items():
        yield line, message.format(releases=_releases(tags, admitted))


def _releases(tags: list[str], order: list[str]) -> str:
    """`1.10.0..1.21.0, 1.30.3`: runs of consecutive snapshots."""
    runs: list[list[str]] = []
    for tag in tags:
        if runs and order.index(runs[-1][-1]) == order.index(tag) - 1:
            runs[-1].append(tag)
        else:
            runs.append([tag])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}..{run[-1]}" for run in runs)


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

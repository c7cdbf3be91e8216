"""kb.yamldoc builds the same data PyYAML's safe loader builds, on runbooks and on unusual documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.yamldoc import YamlProblem, parse_document, parse_manifest

from .conftest import RUNBOOKS


def pyyaml(text: str) -> Any:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@pytest.mark.parametrize("path", sorted(RUNBOOKS.rglob("*.yaml")), ids=lambda p: p.stem)
def test_every_runbook_parses_to_what_pyyaml_builds(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert parse_document(text).data == pyyaml(text)


UNUSUAL = [
    "a: 1\nb: 2.5\nc: true\nd: null\ne: ~\nf: 0x1f\ng: .inf\n",
    "when: 2021-03-04\nat: 2021-03-04 05:06:07\n",
    "200: ok\ntrue: yes\n~: nothing\n1.5: float key\n",
    "base: &b {x: 1}\n",  # an anchor without an alias is fine
    "<<: {x: 1, y: 2}\ny: 3\n",  # a merge key
    "s: !!set {a, b}\n",
    "o: !!omap [{a: 1}, {b: 2}]\n",
    "blob: !!binary aGVsbG8=\n",
    "n: !!str 5\nm: !!int '7'\n",
    "dup: 1\ndup: 2\n",
    "? [a, b]\n: c\n",  # a collection as a key
    "list:\n- a\n- - nested\n  - more\n- {k: v}\n",
    "text: |\n  block\n  lines\nfolded: >\n  one\n  two\n",
    "'quoted key': \"quoted\\tvalue\"\n",
    "tags: !!seq oops\n",  # a collection tag on plain text: PyYAML refuses it
    "a: !!map x\n",
    "s: !!set x\n",
    "p: !!pairs x\n",
    "when: 2021-13-45\n",  # PyYAML raises a bare ValueError for an impossible date
]


@pytest.mark.parametrize("text", UNUSUAL)
def test_unusual_documents_parse_to_what_pyyaml_builds(text: str) -> None:
    try:
        expected = pyyaml(text)
    except (yaml.YAMLError, ValueError):
        with pytest.raises(YamlProblem):
            parse_document(text)
        return
    assert parse_document(text).data == expected


scalars = st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
documents = st.recursive(
    st.dictionaries(st.text(min_size=1, max_size=10), scalars, max_size=4),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(min_size=1, max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(documents, st.booleans())
def test_any_dumped_document_parses_to_what_pyyaml_builds(data: Any, flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    try:
        expected = pyyaml(text)
    except yaml.YAMLError:
        return  # PyYAML cannot read back all it writes (e.g. some control characters); not our concern
    if any(separator in text for separator in "\u2028\u2029\x85"):
        return  # refused on purpose: YAML counts them as line breaks, editors do not
    assert parse_document(text).data == expected


def test_a_manifest_value_yaml_cannot_read_is_a_problem_not_a_crash() -> None:
    documents, problems = parse_manifest("apiVersion: v1\nkind: ConfigMap\ndata:\n  when: 2021-13-45\n")
    assert documents == [] and problems and "cannot read" in problems[0][1]

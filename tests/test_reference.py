from __future__ import annotations

import json

from kb.loader import load_runbooks
from kb.reference import load_reference, reference_table
from kb.signals.mesh_ports import PORTS
from kb.signals.response_flags import FLAGS

from .conftest import RUNBOOKS, run_kb

CATALOG = load_runbooks(RUNBOOKS).catalog


def keys(section: str) -> set[str]:
    return {entry.key for entry in load_reference() if entry.section == section}


def test_every_flag_the_extractor_knows_is_explained_and_no_other() -> None:
    assert keys("flags") == set(FLAGS)


def test_every_port_the_extractor_knows_is_explained() -> None:
    assert set(PORTS) | {"53"} <= keys("ports")


def test_entries_link_the_runbooks_that_declare_them() -> None:
    rows = {(row["section"], row.get("flag") or row.get("detail") or row.get("port")): row for row in
            reference_table(CATALOG)}  # fmt: skip
    assert "subset-no-healthy-upstream" in rows[("flags", "UH")]["runbooks"]
    assert "circuit-breaker-overflow" in rows[("flags", "UO")]["runbooks"]
    assert "istiod-unreachable" in rows[("ports", "15012")]["runbooks"]
    assert "authorization-policy-denied" in rows[("details", "rbac_access_denied_matched_policy[...]")]["runbooks"]
    assert rows[("flags", "RFCF")]["runbooks"] == []


def test_cli_prints_a_section_as_text_and_json() -> None:
    text = run_kb("reference", "ports")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("PORTS\n") and "15012 (istiod)" in text.stdout
    rows = json.loads(run_kb("reference", "flags", "--json").stdout)
    assert {row["flag"] for row in rows} == set(FLAGS)
    assert all(row["section"] == "flags" and row["meaning"] for row in rows)

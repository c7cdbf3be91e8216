"""Hostile inputs shared by the tests of every edge (library, CLI, HTTP API): pastes, manifests, folders.

Each builder is small and deterministic so a test can say exactly what it fed. `PASTES` are bodies a
`kb match` or a `POST /v1/match` must answer without a traceback, a hang or a 500.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
MINIMAL = DATA / "valid" / "minimal-incident.yaml"


def deep_json(depth: int = 1000) -> str:
    """One JSON access-log line whose `response_code` holds `depth` nested arrays (2 KB at 1,000)."""
    return '{"response_code": ' + "[" * depth + "]" * depth + ', "response_flags": "UH"}'


def deep_object(depth: int = 1000) -> str:
    """The same with nested objects, which json parses through another path."""
    return '{"response_flags": "UH", "x": ' + '{"a": ' * depth + "1" + "}" * depth + "}"


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """Billion-laughs YAML: `levels` anchors, each a list of `width` aliases of the one before, and `kind`
    naming the last, which expands to width**levels items wherever it is turned into text."""
    lines = ["apiVersion: v1", "metadata:", "  name: bomb", "data:", '  a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"  a{level}: &a{level} [{aliases}]")
    return "\n".join([*lines, f"kind: *a{levels}"]) + "\n"


def deep_manifest(depth: int = 200) -> str:
    """A manifest nested `depth` flow lists deep (libyaml itself refuses past 1,000)."""
    return "apiVersion: v1\nkind: ConfigMap\ndata: " + "[" * depth + "]" * depth + "\n"


# Text that is not valid Unicode: lone surrogates, as JSON `"\ud800"` escapes and surrogateescape'd argv give.
LONE_SURROGATES = ("\ud800", "caf\udce9 503", "503 UH \udfff no_healthy_upstream", "\udc80" * 100)

PASTES: dict[str, str] = {
    "deep-json-arrays": deep_json(),
    "deep-json-objects": deep_object(),
    "deep-json-in-a-log": "2024-01-01T00:00:00Z info access\n" + deep_json(5000) + "\nHTTP/1.1 503\n",
    **{f"lone-surrogate-{n}": text for n, text in enumerate(LONE_SURROGATES)},
    "curl-I-repeated": "HTTP/1.1 503 Service Unavailable\nserver: envoy\ncontent-length: 19\n\n" * 2000,
}


def runbook_text(runbook_id: str, manifest: str | None = None) -> str:
    """The minimal valid runbook under another id, its fix manifest replaced by `manifest` if given."""
    text = MINIMAL.read_text(encoding="utf-8").replace("id: minimal-incident", f"id: {runbook_id}")
    if manifest is not None:
        head, _, _ = text.partition("    manifest: |\n")
        _, _, tail = text.partition("        host: example\n")
        text = head + "    manifest: |\n" + "".join(f"      {line}\n" for line in manifest.splitlines()) + tail
    return text


def library_with(root: Path, *ids: str) -> Path:
    """A runbooks folder `root/area` holding minimal valid runbooks with these ids."""
    area = root / "area"
    area.mkdir(parents=True, exist_ok=True)
    for runbook_id in ids:
        (area / f"{runbook_id}.yaml").write_text(runbook_text(runbook_id), encoding="utf-8")
    return root


def broken_entries(area: Path) -> dict[str, str]:
    """Add every kind of entry the loader must report but never read: name -> what it is."""
    made = {
        "loop.yaml": "a symlink to itself",
        "dangling.yaml": "a symlink to nowhere",
        "zero.yaml": "a symlink to /dev/zero",
        "fifo.yaml": "a FIFO",
    }
    os.symlink("loop.yaml", area / "loop.yaml")
    os.symlink("nowhere-at-all.yaml", area / "dangling.yaml")
    os.symlink("/dev/zero", area / "zero.yaml")
    os.mkfifo(area / "fifo.yaml")
    return made


def editor_lock(area: Path, of: str) -> Path:
    """The lock file Emacs leaves beside a file being edited: a dangling symlink named `.#NAME`."""
    lock = area / f".#{of}"
    os.symlink("user@host.12345:1700000000", lock)
    return lock

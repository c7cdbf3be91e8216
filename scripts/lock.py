"""Regenerate scripts/constraints.txt, the exact versions the README's commands and CI install.

    python3 -m pip install uv && python3 scripts/lock.py

`pyproject.toml` keeps ranges for library users; this lock pins every package (direct and transitive, all
extras) for Python 3.11 on Linux, so a fresh machine gets the versions the tests passed with. The first
line records a digest of pyproject's dependency lists; tests/test_packaging.py fails when it is stale.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "scripts" / "constraints.txt"
DIGEST_PREFIX = "# pyproject dependencies sha256: "


def dependency_digest(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """A digest of the dependency ranges, independent of key order and whitespace."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    optional = {name: sorted(requirements) for name, requirements in extras.items()}
    ranges = {"dependencies": sorted(project.get("dependencies", [])), "optional": optional}
    return hashlib.sha256(json.dumps(ranges, sort_keys=True).encode()).hexdigest()


def main() -> int:
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        print("scripts/lock.py needs uv: python3 -m pip install uv", file=sys.stderr)
        return 2
    command = [uv, "pip", "compile", "pyproject.toml", "--all-extras", "--python-version", "3.11",
               "--python-platform", "linux", "--no-header", "--quiet"]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return done.returncode
    header = (
        f"{DIGEST_PREFIX}{dependency_digest()}\n"
        "# Exact versions for the README's commands and .ci/run; regenerate with: python3 scripts/lock.py\n"
    )
    LOCK.write_text(header + done.stdout, encoding="utf-8")
    print(f"wrote {LOCK.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

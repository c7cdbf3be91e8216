"""Configuration at the edge: one settings object read from `KB_*` variables by the CLI and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_runbooks_dir() -> Path:
    """The runbooks shipped with kb: inside the package when installed, beside it in a source checkout."""
    for candidate in (PACKAGE_DIR / "runbooks", PACKAGE_DIR.parent / "runbooks"):
        if candidate.is_dir():
            return candidate
    return PACKAGE_DIR.parent / "runbooks"


@dataclass(frozen=True)
class Settings:
    runbooks_dir: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from `KB_RUNBOOKS`; zero config uses the bundled runbooks."""
        configured = environ.get("KB_RUNBOOKS", "").strip()
        return cls(runbooks_dir=Path(configured) if configured else bundled_runbooks_dir())

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


def default_cache_dir(environ: Mapping[str, str]) -> Path | None:
    """`$XDG_CACHE_HOME/kb`, else `~/.cache/kb`; None when there is no home to put it in."""
    base = environ.get("XDG_CACHE_HOME", "").strip()
    if base:
        return Path(base) / "kb"
    home = environ.get("HOME", "").strip()
    return Path(home) / ".cache" / "kb" if home else None


LANGUAGES = ("auto", "en", "zh")


@dataclass(frozen=True)
class Settings:
    runbooks_dir: Path
    cache_dir: Path | None
    lang: str = "auto"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from `KB_RUNBOOKS` and `KB_CACHE_DIR`; zero config uses the bundled runbooks.

        `KB_CACHE_DIR=off` keeps the index in memory only (nothing written to disk). `KB_LANG` (`auto`, `en`,
        `zh`) picks the language of titles and summaries; an unknown value falls back to `auto`.
        """
        configured = environ.get("KB_RUNBOOKS", "").strip()
        cache = environ.get("KB_CACHE_DIR", "").strip()
        lang = environ.get("KB_LANG", "").strip().lower()
        return cls(
            runbooks_dir=Path(configured) if configured else bundled_runbooks_dir(),
            cache_dir=None if cache == "off" else Path(cache) if cache else default_cache_dir(environ),
            lang=lang if lang in LANGUAGES else "auto",
        )

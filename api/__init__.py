"""kb's HTTP API (installed as `kb_api`): the search API, chat adapters and an MCP server on one FastAPI app."""

from __future__ import annotations

from .app import app_from_env, create_app
from .settings import ApiSettings

__all__ = ["ApiSettings", "app_from_env", "create_app"]

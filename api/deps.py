"""What a route needs from the app: the settings and the library loaded now."""

from __future__ import annotations

from fastapi import Request

import kb

from .settings import ApiSettings
from .state import LibraryState


def state_of(request: Request) -> LibraryState:
    state: LibraryState = request.app.state.kb
    return state


def settings_of(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def library(request: Request) -> kb.Library:
    """The library at the start of this request; a reload during the request does not change it."""
    return state_of(request).current()

"""The API's own failures, as members of kb's error tree so one handler maps every failure to one body."""

from __future__ import annotations

from collections.abc import Sequence

from kb import KBError


class BodyTooLarge(KBError):
    status = 413


class BadEncoding(KBError):
    status = 400


class InvalidBody(KBError):
    """The body parsed but is not what the endpoint takes; `errors` says where."""

    status = 422

    def __init__(self, message: str, errors: Sequence[dict[str, object]] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


class Unauthorized(KBError):
    status = 401


class AdapterDisabled(KBError):
    """A chat adapter without its secret: it does not exist, rather than being open to anyone."""

    status = 404


class NotReady(KBError):
    status = 503

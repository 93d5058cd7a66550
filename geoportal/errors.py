"""The portal's error family.

Every error that bad input can cause derives from GeoportalError and from the
matching builtin, carries the HTTP status it maps to and a message that says
what is wrong and where, without internals.
"""

from __future__ import annotations


class GeoportalError(Exception):
    """Base of all errors the portal raises on purpose."""

    status = 500
    code = "ServerError"

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class InvalidInputError(GeoportalError, ValueError):
    """The caller sent something malformed (a file, a parameter, a value)."""

    status = 400
    code = "InvalidParameterValue"


class InvalidGeometryError(InvalidInputError):
    """A geometry that cannot be read or repaired."""


class UnknownCRSError(InvalidInputError):
    """A file or request names a coordinate reference system we cannot use."""


class NotFoundError(GeoportalError, LookupError):
    status = 404
    code = "NotFound"


class PermissionDeniedError(GeoportalError, PermissionError):
    status = 403
    code = "Forbidden"


class ImportFailed(GeoportalError, RuntimeError):
    """An import was rolled back; ``problems`` lists what was wrong, each with its place."""

    status = 400
    code = "ImportFailed"

    def __init__(self, message: str, *, where: str | None = None, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message, where=where)

"""Errors of ingest, each naming the input at fault."""

from __future__ import annotations

from omniretail.platform.errors import Conflict, InvalidInput


class MappingError(InvalidInput):
    title = "Invalid mapping"


class ImportFileError(InvalidInput):
    title = "Cannot read import file"


class UnsafeExpression(InvalidInput):
    title = "Unsafe expression"


class AlreadyImported(Conflict):
    title = "Already imported"


class EventRejected(InvalidInput):
    title = "Event rejected"


class BodyTooLarge(EventRejected):
    status = 413
    title = "Body too large"

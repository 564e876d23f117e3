"""Client writes logged the way Chainsaw's runner client logs them (``pkg/engine/client``): one line per
CREATE / PATCH / DELETE. An update is logged as ``PATCH`` when it succeeds and as ``UPDATE`` when it
fails (a quirk of that client, kept).

A deliberate difference: Chainsaw logs a failed request with status ``OK`` (in yellow) followed by its
error section, so a rejected object reads ``CREATE | OK`` again and again while apply retries it. Here a
failed request is logged ``ERROR`` (red) with the same section — except a ``DELETE`` of an object that is
already gone, which is logged ``WARN``: the object is gone, as wanted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from chainsaw_py.client.errors import NotFoundError
from chainsaw_py.steplog import ObjectRef, StepLogger, error_section

T = TypeVar("T")


def logged(logger: StepLogger, operation: str, obj: dict[str, Any], call: Callable[[], T],
           failed_operation: str | None = None) -> T:
    try:
        result = call()
    except Exception as err:
        status = "WARN" if operation == "DELETE" and isinstance(err, NotFoundError) else "ERROR"
        logger.log(failed_operation or operation, status, ObjectRef.of(obj), error_section([str(err)]))
        raise
    logger.log(operation, "OK", ObjectRef.of(obj))
    return result

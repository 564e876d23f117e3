"""Client writes logged the way Chainsaw's runner client logs them (``pkg/engine/client``): one line per
CREATE / PATCH / DELETE with status ``OK`` (an error keeps ``OK`` and adds the error section — a
Chainsaw quirk kept for identical output; its colour is yellow instead of green). An update is logged
as ``PATCH`` when it succeeds and as ``UPDATE`` when it fails (another quirk of the same client)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from chainsaw_py.steplog import ObjectRef, StepLogger, error_section

T = TypeVar("T")


def logged(logger: StepLogger, operation: str, obj: dict[str, Any], call: Callable[[], T],
           failed_operation: str | None = None) -> T:
    try:
        result = call()
    except Exception as err:
        logger.log(failed_operation or operation, "OK", ObjectRef.of(obj), error_section([str(err)]),
                   color="yellow")
        raise
    logger.log(operation, "OK", ObjectRef.of(obj))
    return result

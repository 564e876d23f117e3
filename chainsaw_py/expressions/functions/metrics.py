"""``x_metrics_decode``: Prometheus text exposition decoded into samples, the way Chainsaw's
``pkg/metrics/decode.go`` does with ``expfmt`` (a flat vector sorted by Prometheus' sample order).

Each sample is ``{"metric": {"__name__": ..., <labels>}, "value": <float>, "timestamp": <ms>}``
for JMESPath; JSON-encoding it (``to_string``) gives Prometheus' own shape
``{"metric": {...}, "value": [<seconds>, "<value>"]}``, as ``model.Sample`` marshals itself.
"""

from __future__ import annotations

import functools
import math
import re
import time
from typing import Any

from chainsaw_py.expressions.functions.registry import STRING, FunctionEntry, arg, function
from chainsaw_py.golang.fmt import format_float, go_number
from chainsaw_py.grammar.errors import ExpressionError


class Sample(dict[str, Any]):
    """A decoded sample; a dict for expressions, with Prometheus' JSON form for ``to_string``."""

    def go_json(self) -> dict[str, Any]:
        return {"metric": self["metric"], "value": [_seconds(self["timestamp"]), _sample_value(self["value"])]}


def _seconds(milliseconds: int) -> Any:
    whole, rest = divmod(milliseconds, 1000)
    return whole if rest == 0 else float(f"{whole}.{rest:03d}".rstrip("0"))


def _sample_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return _go_format_float_g(value)


def _go_format_float_g(value: float) -> str:
    # model.SampleValue.String() is strconv.FormatFloat(v, 'f', -1, 64)
    text = format_float(value)
    if "e" in text:
        from decimal import Decimal

        text = format(Decimal(repr(value)), "f")
        text = text.rstrip("0").rstrip(".") if "." in text else text
    return text


_SAMPLE_NAME = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)", re.MULTILINE)


def decode(text: str, now_ms: int | None = None) -> list[Sample]:
    """Decode Prometheus text format; samples without a timestamp get ``now_ms`` (default: now)."""
    from prometheus_client.parser import text_string_to_metric_families

    timestamp_now = now_ms if now_ms is not None else int(time.time() * 1000)
    written = _written_names(text)
    samples: list[Sample] = []
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = {"__name__": _original_name(sample.name, written), **sample.labels}
                stamp = timestamp_now if sample.timestamp is None else round(float(sample.timestamp) * 1000)
                samples.append(Sample(metric=labels, value=go_number(float(sample.value)), timestamp=stamp))
    except (ValueError, TypeError, IndexError) as error:
        raise ExpressionError(f"text format parsing error: {error}") from None
    samples.sort(key=functools.cmp_to_key(_compare_samples))
    return samples


def _written_names(text: str) -> set[str]:
    lines = (line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    return {match.group(1) for line in lines if (match := _SAMPLE_NAME.match(line))}


def _original_name(name: str, written: set[str]) -> str:
    # prometheus-client renames counter samples to <name>_total; expfmt keeps the name as written
    if name not in written and name.endswith("_total") and name[:-len("_total")] in written:
        return name[:-len("_total")]
    return name


def _label_set_before(left: dict[str, str], right: dict[str, str]) -> bool:
    """``model.LabelSet.Before``: fewer labels first, then label values in label-name order."""
    if len(left) != len(right):
        return len(left) < len(right)
    for name in sorted([*left, *right]):
        if name not in left:
            return True
        if name not in right:
            return False
        if left[name] != right[name]:
            return left[name] < right[name]
    return False


def _compare_samples(left: Sample, right: Sample) -> int:
    if _label_set_before(left["metric"], right["metric"]):
        return -1
    if _label_set_before(right["metric"], left["metric"]):
        return 1
    return (left["timestamp"] > right["timestamp"]) - (left["timestamp"] < right["timestamp"])


@function("x_metrics_decode", arg(STRING), description="Decodes metrics in the Prometheus text format.")
def _metrics_decode(text: str) -> list[Any]:
    return list(decode(text))


FUNCTIONS: tuple[FunctionEntry, ...] = (_metrics_decode,)

"""Chainsaw's example suite on the embedded cluster, run the way upstream runs it (../shared/README.md),
with ``--selector '!no-ko-test'`` (``dynamic-clusters`` needs kind): every test passes except ``proxy``,
which its own file skips. Skipped when ../shared is absent.

    python -m chainsaw_py test <corpus> --config config.yaml --values values.yaml --set env=poc \\
        --set clusterDirectory=my-cluster --set-string image.tag=01 --remarshal --selector '!no-ko-test' --embedded
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chainsaw_py.api import TestOptions, run_to_string

pytestmark = pytest.mark.slow


def test_example_suite_passes_on_the_embedded_cluster(corpus: Path, tmp_path: Path) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("the suite's scripts call kubectl")
    options = TestOptions(
        test_dirs=[str(corpus)], config=str(corpus / "config.yaml"), values=[str(corpus / "values.yaml")],
        set_values=["env=poc", "clusterDirectory=my-cluster"], set_string_values=["image.tag=01"], remarshal=True,
        selector=["!no-ko-test"], embedded=True, no_color=True, report_format="JSON", report_path=str(tmp_path))
    outcome, output = run_to_string(options)
    failed = sorted(r.full_name for r in outcome.results if r.status == "failed")
    assert not failed, output
    skipped = sorted(r.name for r in outcome.results if r.status == "skipped")
    assert skipped == ["proxy"], output
    assert outcome.summary.passed == len(outcome.results) - 1 >= 40, output
    assert "Using an embedded cluster" in output
    report = json.loads((tmp_path / "chainsaw-report.json").read_text())
    assert {t["name"]: t["status"] for t in report["tests"]}["proxy"] == "skipped"

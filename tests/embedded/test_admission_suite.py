"""The e2e/admission-offline Chainsaw suite on the embedded cluster, with its webhook server on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.embedded.webhook_server import WebhookServer, allow, deny, patch

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "e2e" / "admission-offline"


def respond(path: str, review: dict[str, Any]) -> dict[str, Any]:
    labels = (review["request"]["object"].get("metadata") or {}).get("labels") or {}
    if path.startswith("/mutate"):
        if not labels:
            return patch(review, [{"op": "add", "path": "/metadata/labels", "value": {}},
                                  {"op": "add", "path": "/metadata/labels/admission.example.com~1mutated",
                                   "value": "true"}])
        return patch(review, [{"op": "add", "path": "/metadata/labels/admission.example.com~1mutated",
                               "value": "true"}])
    if labels.get("forbidden") == "true":
        return deny(review, "configmaps labelled forbidden=true are not allowed")
    return allow(review)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_admission_offline_suite(tmp_path: Path) -> None:
    with WebhookServer(respond, ["admission-hook.admission-offline.svc"]) as server:
        values = tmp_path / "values.yaml"
        values.write_text(yaml.safe_dump({"port": server.port, "caBundle": server.ca_bundle}))
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("KUBECONFIG", None)
        result = subprocess.run([sys.executable, "-m", "chainsaw_py", "test", str(SUITE), "--embedded",
                                 "--values", str(values), "--no-color", "--report-format", "JSON",
                                 "--report-path", str(tmp_path), "--report-name", "report"],
                                capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "Passed  tests 5" in output or "Passed tests 5" in output, output
        assert any(path.startswith("/validate") for path, _review in server.requests)

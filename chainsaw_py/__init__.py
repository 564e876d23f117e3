"""chainsaw_py: a Python reimplementation of Kyverno Chainsaw with an embedded Kubernetes cluster."""

from __future__ import annotations

__version__ = "0.1.0"

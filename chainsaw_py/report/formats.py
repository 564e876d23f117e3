"""The report formats, known without loading their writers (``report.writers``)."""

from __future__ import annotations

FORMATS = ("JSON", "XML", "JUNIT-TEST", "JUNIT-STEP", "JUNIT-OPERATION", "HTML")
"""Chainsaw's formats, and chainsaw_py's ``HTML``."""

"""Where the tests find third-party reference data: ``../shared``, the folder beside the repository (upstream
Chainsaw's example suite, its ``testdata/``, its schemas, the upstream TempoStack suite). It is the only
place outside the repository the tests read. In a git worktree, "the repository" is the main checkout, so
its ``../shared`` counts too. Tests that need a part of it skip, saying which, when it is absent (a user's
clone).
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _checkouts() -> list[Path]:
    """The repository root, and the main checkout's when this is a git worktree (``.git`` is a file)."""
    roots = [REPO]
    marker = REPO / ".git"
    if marker.is_file():
        text = marker.read_text(encoding="utf-8").strip()
        if text.startswith("gitdir:"):
            git_dir = (REPO / text.removeprefix("gitdir:").strip()).resolve()
            common = git_dir / "commondir"
            main_git = (git_dir / common.read_text(encoding="utf-8").strip()).resolve() if common.is_file() \
                else git_dir
            roots.append(main_git.parent)
    return roots


def find_shared() -> Path:
    """``../shared`` of the first checkout that has one (``REPO/../shared`` when none has)."""
    for root in _checkouts():
        candidate = root.parent / "shared"
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared"


SHARED = find_shared()


def shared(*parts: str) -> Path:
    return SHARED.joinpath(*parts)


def requires_shared(*parts: str) -> pytest.MarkDecorator:
    """Skip unless ``../shared/<parts>`` exists, naming what is missing."""
    return pytest.mark.skipif(not shared(*parts).exists(),
                              reason=f"../shared/{'/'.join(parts)} is not available")


CORPUS = shared("corpus", "chainsaw-examples")
TESTDATA = shared("reference", "chainsaw-testdata")
UPSTREAM_SCHEMAS = shared("reference", "upstream-schemas")
TEMPOSTACK_UPSTREAM = shared("reference", "tempostack-aws-upstream")

"""The one error the Kubernetes CEL libraries raise; callers turn it into their own."""

from __future__ import annotations


class LibraryError(ValueError):
    """A library function refused its arguments (the message is cel-go's, e.g. ``path must not be empty``)."""

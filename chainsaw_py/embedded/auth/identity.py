"""A request's user (``user.Info``) and the context variable that carries it from HTTP to admission and RBAC.

Requests made in-process (controllers, plugins) run as the loopback identity, which is in ``system:masters``
like the apiserver's own loopback client.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UserInfo:
    username: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """The ``authentication.k8s.io/v1`` UserInfo shape (empty fields omitted)."""
        result: dict[str, Any] = {"username": self.username}
        if self.uid:
            result["uid"] = self.uid
        if self.groups:
            result["groups"] = list(self.groups)
        if self.extra:
            result["extra"] = {key: list(values) for key, values in self.extra.items()}
        return result


ADMIN = UserInfo("kubernetes-admin", ("kubeadm:cluster-admins", "system:masters", "system:authenticated"))
LOOPBACK = UserInfo("system:apiserver", ("system:authenticated", "system:masters"))

_current: contextvars.ContextVar[UserInfo] = contextvars.ContextVar("chainsaw_embedded_user", default=LOOPBACK)


def current_user() -> UserInfo:
    return _current.get()


class acting_as:
    """Run the enclosed API calls as ``user`` (the HTTP layer wraps each request in this). A class rather than
    a generator-based context manager: it is entered once per request."""

    __slots__ = ("_token", "_user")

    def __init__(self, user: UserInfo) -> None:
        self._user = user

    def __enter__(self) -> UserInfo:
        self._token = _current.set(self._user)
        return self._user

    def __exit__(self, *_exc: object) -> None:
        _current.reset(self._token)

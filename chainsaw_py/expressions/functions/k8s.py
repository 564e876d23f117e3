"""Chainsaw's experimental Kubernetes functions. They call the objects bound as ``$client`` and
``$config`` (see docs/architecture.md) and never import a Kubernetes library themselves:

- ``client.get(api_version, kind, namespace, name) -> dict``
- ``client.list(api_version, kind, namespace) -> dict`` (a List object with ``items``)
- ``client.exists(api_version, kind, namespace, name) -> bool``
- ``client.resource_exists(api_version, kind) -> bool``
- ``config.server_version() -> dict``
"""

from __future__ import annotations

from typing import Any

from chainsaw_py.errors import ChainsawError
from chainsaw_py.expressions.functions.registry import ANY, STRING, FunctionEntry, arg, function
from chainsaw_py.grammar.errors import ExpressionError


def _require(handle: Any, method: str) -> Any:
    if handle is None:
        raise ExpressionError("cluster client not set")
    if isinstance(handle, (dict, list, str, int, float)):   # a JSON value, whose own methods are no client's
        raise ExpressionError("invalid type")
    bound = getattr(handle, method, None)
    if not callable(bound):
        raise ExpressionError("invalid type")
    return bound


def _call(handle: Any, method: str, *args: Any) -> Any:
    bound = _require(handle, method)
    try:
        return bound(*args)
    except ExpressionError:
        raise
    except ChainsawError as error:
        raise ExpressionError(str(error)) from None


@function("x_k8s_get", arg(ANY), arg(STRING), arg(STRING), arg(STRING), arg(STRING),
          description="Gets a resource from a Kubernetes cluster.")
def _get(client: Any, api_version: str, kind: str, namespace: str, name: str) -> Any:
    return _call(client, "get", api_version, kind, namespace, name)


@function("x_k8s_list", arg(ANY), arg(STRING), arg(STRING), arg(STRING, optional=True),
          description="Lists resources from a Kubernetes cluster.")
def _list(client: Any, api_version: str, kind: str, namespace: str = "") -> Any:
    return _call(client, "list", api_version, kind, namespace)


@function("x_k8s_exists", arg(ANY), arg(STRING), arg(STRING), arg(STRING), arg(STRING),
          description="Checks if a given resource exists in a Kubernetes cluster.")
def _exists(client: Any, api_version: str, kind: str, namespace: str, name: str) -> bool:
    return bool(_call(client, "exists", api_version, kind, namespace, name))


@function("x_k8s_resource_exists", arg(ANY), arg(STRING), arg(STRING),
          description="Checks if a given resource type is available in a Kubernetes cluster.")
def _resource_exists(client: Any, api_version: str, kind: str) -> bool:
    return bool(_call(client, "resource_exists", api_version, kind))


@function("x_k8s_server_version", arg(ANY), description="Returns the version of a Kubernetes cluster.")
def _server_version(config: Any) -> Any:
    return _call(config, "server_version")


FUNCTIONS: tuple[FunctionEntry, ...] = (_get, _list, _exists, _resource_exists, _server_version)

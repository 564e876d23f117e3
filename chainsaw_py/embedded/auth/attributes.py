"""What a request asks to do (``authorizer.Attributes``): verb, API group, resource, subresource, namespace,
name — or, for other paths, the path and the lower-cased HTTP verb."""

from __future__ import annotations

from dataclasses import dataclass

from chainsaw_py.embedded.auth.identity import UserInfo
from chainsaw_py.embedded.routing import GroupVersionPath, ResourcePath, parse_path

_METHOD_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


@dataclass(frozen=True)
class RequestAttributes:
    user: UserInfo
    verb: str
    resource_request: bool
    api_group: str = ""
    api_version: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""

    def forbidden_message(self) -> str:
        """The apiserver's ``forbiddenMessage`` + ``NewForbidden`` texts."""
        username = self.user.username
        if not self.resource_request:
            return f'forbidden: User "{username}" cannot {self.verb} path "{self.path}"'
        resource = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        where = (f'in the namespace "{self.namespace}"' if self.namespace else "at the cluster scope")
        reason = f'User "{username}" cannot {self.verb} resource "{resource}" in API group "{self.api_group}" {where}'
        qualified = f"{self.resource}.{self.api_group}" if self.api_group else self.resource
        if self.name:
            return f'{qualified} "{self.name}" is forbidden: {reason}'
        return f"{qualified} is forbidden: {reason}"


def request_attributes(user: UserInfo, method: str, path: str, watch: bool,
                       is_resource: object) -> RequestAttributes:
    """Attributes of an HTTP request (``is_resource(group, version, plural) -> bool`` as for ``parse_path``)."""
    parsed = parse_path(path.rstrip("/") or "/", is_resource)  # type: ignore[arg-type]
    if not isinstance(parsed, ResourcePath):
        verb = method.lower()
        if isinstance(parsed, GroupVersionPath) or verb == "head":
            verb = "get" if verb in ("get", "head") else verb
        return RequestAttributes(user, verb, False, path=path)
    verb = _resource_verb(method, parsed, watch)
    namespace = parsed.namespace or ""
    if parsed.group == "" and parsed.plural == "namespaces" and parsed.name:
        namespace = parsed.name
    return RequestAttributes(user, verb, True, parsed.group, parsed.version, parsed.plural, parsed.subresource,
                             namespace, parsed.name)


def _resource_verb(method: str, parsed: ResourcePath, watch: bool) -> str:
    if method in ("GET", "HEAD"):
        if parsed.legacy_watch or watch:
            return "watch"
        return "get" if parsed.name else "list"
    if method == "DELETE":
        return "delete" if parsed.name else "deletecollection"
    return _METHOD_VERBS.get(method, method.lower())

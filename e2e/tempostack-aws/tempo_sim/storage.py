"""The Tempo operator's storage checks for a TempoStack, as pure functions.

Modelled on tempo-operator ``internal/handlers/storage`` (storage.go, s3_secret.go, secret.go, tls.go): the
secret must exist; its S3 form (static keys, or the short-lived token form) is discovered from its keys unless
``spec.storage.secret.credentialMode`` says it; mixing both forms, an empty required key, and an ``endpoint``
that is not a URL with a scheme are configuration errors whose messages are the operator's. The operator
joins the details of all errors with ", " into the ``ConfigurationError`` condition's message.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ConfigurationError, NotSimulated

STATIC = "static"
TOKEN = "token"
TOKEN_CCO = "token-cco"

SHORT_LIVED_KEYS = ("bucket", "region", "role_arn")
CCO_KEYS = ("bucket", "region")
LONG_LIVED_KEYS = ("bucket", "endpoint", "access_key_id", "access_key_secret")
CA_KEYS = ("service-ca.crt", "ca.crt", "ca-bundle.crt")

FETCH_SECRET_ERROR = "could not fetch storage configuration secret"
FETCH_CONFIGMAP_ERROR = "could not fetch ConfigMap"

# Go's url.getScheme: a letter, then letters, digits, "+", "-" or ".", then ":".
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class S3Storage:
    """What the operator derives from a valid S3 secret (``manifestutils.S3`` plus the credential mode)."""

    credential_mode: str
    bucket: str
    endpoint: str = ""
    """Host[:port] without the scheme (static form), or the regional AWS endpoint (token forms)."""
    insecure: bool = False
    region: str = ""
    role_arn: str = ""
    ca_name: str = ""
    ca_key: str = ""


SecretLookup = Callable[[str], "dict[str, Any] | None"]
ConfigMapLookup = Callable[[str], "dict[str, Any] | None"]


def secret_data(secret: dict[str, Any]) -> dict[str, bytes]:
    """A Secret's ``data`` decoded (``stringData`` is folded in by the API server before we see it)."""
    decoded: dict[str, bytes] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            decoded[key] = base64.b64decode(str(value or ""), validate=True)
        except ValueError:
            decoded[key] = b""
    return decoded


def not_found(kind_plural: str, name: str) -> str:
    """client-go's NotFound error text, as the operator prints it."""
    return f'{kind_plural} "{name}" not found'


def s3_storage(stack: dict[str, Any], secret: SecretLookup, config_map: ConfigMapLookup) -> S3Storage:
    """Validate the stack's storage like ``GetStorageParamsForTempoStack``; raise ConfigurationError."""
    storage = (stack.get("spec") or {}).get("storage") or {}
    secret_spec = storage.get("secret") or {}
    name = str(secret_spec.get("name") or "")
    storage_type = str(secret_spec.get("type") or "")
    mode = str(secret_spec.get("credentialMode") or "")
    if mode == TOKEN_CCO:
        # The operator checks this before anything else: the embedded cluster is no OpenShift with CCO.
        raise ConfigurationError(["cannot configure tempo in CCO mode without CCO environment"])
    found = secret(name)
    if found is None:
        detail = (f"{FETCH_SECRET_ERROR}: {not_found('secrets', name)}. "
                  "Tempo will start once the storage secret is available")
        raise ConfigurationError([detail])
    if storage_type == "":
        raise ConfigurationError(["storage secret type is required"])
    if storage_type != "s3":
        raise NotSimulated(f"spec.storage.secret.type: {storage_type} (only s3 is simulated)")
    data = secret_data(found)
    if mode == "":
        mode = discover_credential_mode(data)
    params = s3_params(data, mode, tls_enabled=bool((storage.get("tls") or {}).get("enabled")))
    return _with_tls(params, storage.get("tls") or {}, config_map)


def discover_credential_mode(data: dict[str, bytes]) -> str:
    """``discoverS3CredentialType``: any short-lived key (besides bucket) means the token form."""
    short_lived = any(key in data for key in SHORT_LIVED_KEYS[1:])
    long_lived = any(key in data for key in LONG_LIVED_KEYS[1:])
    if short_lived and long_lived:
        raise ConfigurationError(["storage secret contains fields for long lived and short lived configuration"])
    return TOKEN if short_lived else STATIC


def validation_errors(data: dict[str, bytes], mode: str) -> list[str]:
    """``validateS3Secret``: the detail of every field error, in the operator's order."""
    if mode == STATIC:
        details = _missing(data, LONG_LIVED_KEYS)
        if "endpoint" in data and not is_request_uri_with_scheme(data["endpoint"].decode(errors="replace")):
            details.append('"endpoint" field of storage secret must be a valid URL')
        return details
    if mode == TOKEN:
        return _missing(data, SHORT_LIVED_KEYS)
    return _missing(data, CCO_KEYS)


def s3_params(data: dict[str, bytes], mode: str, tls_enabled: bool) -> S3Storage:
    """``getS3Params`` and the insecure flag: static keys use the TLS toggle, token forms always HTTPS."""
    details = validation_errors(data, mode)
    if details:
        raise ConfigurationError(details)
    text = {key: value.decode(errors="replace") for key, value in data.items()}
    if mode == STATIC:
        endpoint = text["endpoint"].removeprefix("https://").removeprefix("http://")
        return S3Storage(STATIC, text["bucket"], endpoint=endpoint, insecure=not tls_enabled)
    region = text["region"]
    return S3Storage(mode, text["bucket"], endpoint=f"s3.{region}.amazonaws.com", insecure=False, region=region,
                     role_arn=text.get("role_arn", ""))


def is_request_uri_with_scheme(value: str) -> bool:
    """Go's ``url.ParseRequestURI(value)`` succeeds and yields a scheme (``localhost:9000`` counts: Go reads
    ``localhost`` as the scheme)."""
    if not value or _CONTROL.search(value) or _SCHEME.match(value) is None:
        return False
    rest = value[value.index(":") + 1:]
    if rest.startswith("//"):
        authority = rest[2:].split("/", 1)[0].split("?", 1)[0]
        return " " not in authority
    return True


def _missing(data: dict[str, bytes], keys: tuple[str, ...]) -> list[str]:
    return [f'storage secret must contain "{key}" field' for key in keys if not data.get(key)]


def _with_tls(params: S3Storage, tls: dict[str, Any], config_map: ConfigMapLookup) -> S3Storage:
    """``getTLSParams``: with TLS enabled and a CA ConfigMap named, it must exist and hold a CA key."""
    ca_name = str(tls.get("caName") or "")
    if not tls.get("enabled") or not ca_name:
        return params
    found = config_map(ca_name)
    if found is None:
        raise ConfigurationError([f"{FETCH_CONFIGMAP_ERROR}: {not_found('configmaps', ca_name)}"])
    data = found.get("data") or {}
    key = next((candidate for candidate in CA_KEYS if data.get(candidate)), None)
    if key is None:
        keys = f"'{CA_KEYS[0]}', '{CA_KEYS[1]}', or '{CA_KEYS[2]}'"
        raise ConfigurationError([f"CA ConfigMap must contain a {keys} key"])
    return S3Storage(params.credential_mode, params.bucket, params.endpoint, params.insecure, params.region,
                     params.role_arn, ca_name, key)

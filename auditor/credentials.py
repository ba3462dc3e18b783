"""Sign-in for the live path: the ``--auth`` choices and the credential each one builds.

The CLI offers the choices when it builds its parser, so this module imports no Azure SDK
at import time: azure-identity is imported inside :func:`make_credential`, which only a
live collection calls. Tokens never leave azure-identity.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from .clouds import CLOUDS

AUTH_MODES = ("default", "cli", "environment", "managed-identity", "workload-identity")


class _Options(Protocol):
    """An argparse parser or argument group: what :func:`add_sign_in_options` needs."""

    def add_argument(self, *names: str, **kwargs: Any) -> Any: ...


def add_sign_in_options(p: _Options, cloud_help: str, cloud_default: str | None = None) -> None:
    """``--tenant``, ``--auth`` and ``--cloud``: one sign-in for every command that calls
    Azure (a live scan, ``upload``); only what ``--cloud`` decides differs, in its help."""
    p.add_argument("--tenant", metavar="ID", help="tenant to authenticate in")
    p.add_argument(
        "--auth",
        default="default",
        choices=AUTH_MODES,
        help="credential (default: azure-identity's DefaultAzureCredential chain)",
    )
    p.add_argument("--cloud", choices=tuple(CLOUDS), default=cloud_default, help=cloud_help)


def use_ssl_cert_file() -> None:
    """requests (under azure-core) honours REQUESTS_CA_BUNDLE itself; SSL_CERT_FILE is the
    OpenSSL name for the same CA file, so a run given only that trusts it too (unless
    REQUESTS_CA_BUNDLE already names one)."""
    if os.environ.get("SSL_CERT_FILE") and not os.environ.get("REQUESTS_CA_BUNDLE"):
        os.environ["REQUESTS_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"]


class CredentialSetupError(Exception):
    """``--auth`` names a credential whose configuration is missing (azure-identity refuses
    to build it): the message is the one line to print, for every command that signs in."""


def make_credential(auth: str, tenant: str | None, cloud: str) -> Any:
    """An azure-identity credential for ``--auth``, signing in at ``cloud``'s authority;
    CredentialSetupError when azure-identity cannot build it from the configuration."""
    try:
        return _credential(auth, tenant, cloud)
    except (TypeError, ValueError) as exc:  # azure-identity: missing configuration
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise CredentialSetupError(f"--auth {auth}: {first}") from None


def _credential(auth: str, tenant: str | None, cloud: str) -> Any:
    from azure import identity

    kw: dict[str, Any] = {"authority": CLOUDS[cloud].authority}
    if auth == "cli":
        return identity.AzureCliCredential(tenant_id=tenant or "")
    if auth == "environment":
        return identity.EnvironmentCredential(**kw)
    if auth == "managed-identity":
        return identity.ManagedIdentityCredential()
    if auth == "workload-identity":
        # tenant, client id and token file come from AZURE_* variables unless --tenant
        return identity.WorkloadIdentityCredential(
            **({"tenant_id": tenant} if tenant else {}), **kw
        )
    tenants = (
        {
            f"{c}_tenant_id": tenant
            for c in (
                "workload_identity",
                "shared_cache",
                "visual_studio_code",
                "interactive_browser",
            )
        }
        if tenant
        else {}
    )
    return identity.DefaultAzureCredential(
        exclude_interactive_browser_credential=True, **tenants, **kw
    )

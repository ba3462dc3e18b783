"""Sign-in for the live path: the ``--auth`` choices and the credential each one builds.

The CLI offers the choices when it builds its parser, so this module imports no Azure SDK
at import time: azure-identity is imported inside :func:`make_credential`, which only a
live collection calls. Tokens never leave azure-identity.
"""

from __future__ import annotations

from typing import Any

from .clouds import CLOUDS

AUTH_MODES = ("default", "cli", "environment", "managed-identity", "workload-identity")


def make_credential(auth: str, tenant: str | None, cloud: str) -> Any:
    """An azure-identity credential for ``--auth``, signing in at ``cloud``'s authority."""
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

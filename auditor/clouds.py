"""Cloud facts, written down once: each Azure cloud's ARM endpoint, token scope, sign-in
authority, and the private DNS zone names each private link group id needs there.

The live path takes the endpoints from here, the DNS relations take the zone names, and
the CLI's ``--cloud`` choices and the snapshot reader's accepted ``cloud`` values are this
table's keys. Importing it imports nothing from the Azure SDK.
"""

from __future__ import annotations

from dataclasses import dataclass

# Source: Microsoft's "Azure Private Endpoint private DNS zone values"
# (https://learn.microsoft.com/azure/private-link/private-endpoint-dns, 2026-08) and, for
# China's registry zone, its docs.azure.cn counterpart. The China table there lists no
# Azure Monitor (azuremonitor) zones: an endpoint of that group is left unjudged there.
_STORAGE = ("blob", "file", "queue", "table", "dfs", "web")

# Group ids whose zones are alternatives, not all required: an AI services (Foundry)
# account exposes up to three endpoints and needs the zone of each one its workload uses
# ("Configure DNS for each endpoint that your workload uses"), so at least one of them.
ANY_ZONE_OF = frozenset({"account"})


def _storage(suffix: str) -> dict[str, tuple[str, ...]]:
    zones = {g: (f"privatelink.{g}.{suffix}",) for g in _STORAGE}
    return {**zones, **{f"{g}_secondary": z for g, z in zones.items()}}


@dataclass(frozen=True)
class Cloud:
    name: str
    arm_endpoint: str
    token_scope: str
    authority: str  # Entra ID authority host
    zones: dict[str, tuple[str, ...]]  # private link group id (lower case) -> zone names
    # the Logs Ingestion API's token scope (mlops-audit upload): the audiences
    # azure-monitor-ingestion's README and the .NET client's LogsIngestionAudience name
    monitor_scope: str


CLOUDS: dict[str, Cloud] = {
    "public": Cloud(
        "public",
        "https://management.azure.com",
        "https://management.azure.com/.default",
        "login.microsoftonline.com",
        {
            "amlworkspace": ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
            "amlregistry": ("privatelink.api.azureml.ms",),
            **_storage("core.windows.net"),
            "vault": ("privatelink.vaultcore.azure.net",),
            "registry": ("privatelink.azurecr.io",),
            "account": (
                "privatelink.cognitiveservices.azure.com",
                "privatelink.openai.azure.com",
                "privatelink.services.ai.azure.com",
            ),
            "azuremonitor": (
                "privatelink.monitor.azure.com",
                "privatelink.oms.opinsights.azure.com",
                "privatelink.ods.opinsights.azure.com",
                "privatelink.agentsvc.azure-automation.net",
                "privatelink.blob.core.windows.net",
            ),
        },
        monitor_scope="https://monitor.azure.com/.default",
    ),
    "usgov": Cloud(
        "usgov",
        "https://management.usgovcloudapi.net",
        "https://management.core.usgovcloudapi.net/.default",
        "login.microsoftonline.us",
        {
            "amlworkspace": (
                "privatelink.api.ml.azure.us",
                "privatelink.notebooks.usgovcloudapi.net",
            ),
            **_storage("core.usgovcloudapi.net"),
            "vault": ("privatelink.vaultcore.usgovcloudapi.net",),
            "registry": ("privatelink.azurecr.us",),
            "account": ("privatelink.cognitiveservices.azure.us", "privatelink.openai.azure.us"),
            "azuremonitor": (
                "privatelink.monitor.azure.us",
                "privatelink.adx.monitor.azure.us",
                "privatelink.oms.opinsights.azure.us",
                "privatelink.ods.opinsights.azure.us",
                "privatelink.agentsvc.azure-automation.us",
                "privatelink.blob.core.usgovcloudapi.net",
            ),
        },
        monitor_scope="https://monitor.azure.us/.default",
    ),
    "china": Cloud(
        "china",
        "https://management.chinacloudapi.cn",
        "https://management.chinacloudapi.cn/.default",
        "login.chinacloudapi.cn",
        {
            "amlworkspace": (
                "privatelink.api.ml.azure.cn",
                "privatelink.notebooks.chinacloudapi.cn",
            ),
            **_storage("core.chinacloudapi.cn"),
            "vault": ("privatelink.vaultcore.azure.cn",),
            "registry": ("privatelink.azurecr.cn",),
        },
        monitor_scope="https://monitor.azure.cn/.default",
    ),
}
DEFAULT_CLOUD = "public"

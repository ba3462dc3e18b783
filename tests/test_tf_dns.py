"""Private DNS on Terraform: zones, links, records, private endpoints and zone groups map
to the rows the Resource Graph path reads, so MLA-DNS-001/002/003 give the verdicts of
each rule fixture's ARM form — without inventing the IPs Azure allocates at apply."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.inputs.terraform.resources import TfResource
from auditor.unknown import UnknownValue
from tests.conftest import scan_files
from tests.tf_rows import FIXTURES, mapped, res, rid, row_of, scan, verdicts

VNETS = {"microsoft.network/virtualnetworks"}
BLOB = "privatelink.blob.core.windows.net"
ZONE_ID = rid("rg-dns", f"Microsoft.Network/privateDnsZones/{BLOB}")
VNET_AML = rid("rg-aml", "Microsoft.Network/virtualNetworks/vnet-aml")
VNET_HUB = rid("rg-hub", "Microsoft.Network/virtualNetworks/vnet-hub")
SUBNET_PE = f"{VNET_AML}/subnets/snet-endpoints"
STORAGE_ID = rid("rg-aml", "Microsoft.Storage/storageAccounts/stmlopsdemo")


def storage(name: str = "stmlopsdemo", **values: Any) -> TfResource:
    return res(
        "azurerm_storage_account",
        name,
        name=name,
        resource_group_name="rg-aml",
        location="West Europe",
        account_tier="Standard",
        account_replication_type="LRS",
        **values,
    )


def zone(name: str = BLOB, address: str = "blob") -> TfResource:
    return res("azurerm_private_dns_zone", address, name=name, resource_group_name="rg-dns")


def link(address: str, vnet_id: str, zone_name: str = BLOB) -> TfResource:
    return res(
        "azurerm_private_dns_zone_virtual_network_link",
        address,
        {"virtual_network_id": 12},
        name=f"link-{address}",
        resource_group_name="rg-dns",
        private_dns_zone_name=zone_name,
        virtual_network_id=vnet_id,
    )


def endpoint(
    *,
    zone_ids: list[Any] | None = None,
    manual: Any = False,
    target: str = STORAGE_ID,
    groups: tuple[str, ...] = ("blob",),
    ip_configuration: list[dict[str, Any]] | None = None,
    name: str = "pe-blob",
) -> TfResource:
    values: dict[str, Any] = {
        "name": name,
        "resource_group_name": "rg-aml",
        "location": "westeurope",
        "subnet_id": SUBNET_PE,
        "private_service_connection": [
            {
                "name": name,
                "private_connection_resource_id": target,
                "subresource_names": list(groups),
                "is_manual_connection": manual,
            }
        ],
    }
    if zone_ids is not None:
        values["private_dns_zone_group"] = [{"name": "default", "private_dns_zone_ids": zone_ids}]
    if ip_configuration is not None:
        values["ip_configuration"] = ip_configuration
    return res(
        "azurerm_private_endpoint",
        name.replace("-", "_"),
        {"private_dns_zone_group": 20, "private_dns_zone_group.0.private_dns_zone_ids": 22},
        **values,
    )


def dns001(linked_to_hub: bool) -> list[TfResource]:
    links = [link("aml", VNET_AML)] + ([link("hub", VNET_HUB)] if linked_to_hub else [])
    return [storage(), zone(), *links, endpoint(zone_ids=[ZONE_ID])]


# -- rows ----------------------------------------------------------------------------------
def test_endpoint_rows_are_what_resource_graph_gives() -> None:
    result = mapped([storage(), zone(), endpoint(zone_ids=[ZONE_ID])])
    pe_id = rid("rg-aml", "Microsoft.Network/privateEndpoints/pe-blob")
    pe = row_of(result, pe_id)
    assert pe["type"] == "microsoft.network/privateendpoints"
    conn = pe["properties"]["privateLinkServiceConnections"][0]
    assert conn["properties"]["privateLinkServiceId"] == STORAGE_ID
    assert conn["properties"]["groupIds"] == ["blob"]
    assert conn["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
    assert pe["properties"]["manualPrivateLinkServiceConnections"] == []
    assert "customDnsConfigs" not in pe["properties"]  # known only after apply
    group = row_of(result, f"{pe_id}/privateDnsZoneGroups/default")
    assert group["type"].lower() == "microsoft.network/privateendpoints/privatednszonegroups"
    (cfg,) = group["properties"]["privateDnsZoneConfigs"]
    assert cfg["properties"]["privateDnsZoneId"] == ZONE_ID
    (rs,) = cfg["properties"]["recordSets"]
    assert rs["recordSetName"] == "stmlopsdemo"
    assert rs["fqdn"] == f"stmlopsdemo.{BLOB}"
    assert isinstance(rs["ipAddresses"], UnknownValue)  # no IP is invented


def test_a_manual_connection_is_pending_until_the_owner_approves() -> None:
    result = mapped([storage(), endpoint(manual=True)])
    pe = row_of(result, rid("rg-aml", "Microsoft.Network/privateEndpoints/pe-blob"))
    assert pe["properties"]["privateLinkServiceConnections"] == []
    (conn,) = pe["properties"]["manualPrivateLinkServiceConnections"]
    assert conn["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending"


def test_a_static_ip_configuration_is_the_record_sets_ip() -> None:
    static = [{"name": "ip", "private_ip_address": "10.0.8.6", "subresource_name": "blob"}]
    result = mapped([storage(), zone(), endpoint(zone_ids=[ZONE_ID], ip_configuration=static)])
    pe_id = rid("rg-aml", "Microsoft.Network/privateEndpoints/pe-blob")
    pe = row_of(result, pe_id)
    assert pe["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] == "10.0.8.6"
    group = row_of(result, f"{pe_id}/privateDnsZoneGroups/default")
    (rs,) = group["properties"]["privateDnsZoneConfigs"][0]["properties"]["recordSets"]
    assert rs["ipAddresses"] == ["10.0.8.6"]


def test_workspace_names_carry_a_guid_known_after_apply() -> None:
    ws = rid("rg-aml", "Microsoft.MachineLearningServices/workspaces/mlw")
    api = rid("rg-dns", "Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms")
    result = mapped([endpoint(target=ws, groups=("amlworkspace",), zone_ids=[api], name="pe")])
    pe_id = rid("rg-aml", "Microsoft.Network/privateEndpoints/pe")
    group = row_of(result, f"{pe_id}/privateDnsZoneGroups/default")
    assert "recordSets" not in group["properties"]["privateDnsZoneConfigs"][0]["properties"]


def test_a_link_terraform_creates_is_completed() -> None:
    result = mapped([link("aml", VNET_AML)])
    row = row_of(result, f"{ZONE_ID}/virtualNetworkLinks/link-aml")
    assert row["properties"]["virtualNetworkLinkState"] == "Completed"
    assert row["properties"]["registrationEnabled"] is False  # the provider's default


# -- the rules: the same verdicts as the ARM form ------------------------------------------
@pytest.mark.parametrize(("form", "linked_to_hub"), [("fail", False), ("pass", True)])
def test_dns001_same_verdict_as_arm_form(form: str, linked_to_hub: bool) -> None:
    arm_result = scan_files([FIXTURES / "MLA-DNS-001" / f"{form}.json"], select=["MLA-DNS-001"])
    vnets = [
        r
        for r in __import__("json").loads(
            (FIXTURES / "MLA-DNS-001" / f"{form}.json").read_text(encoding="utf-8")
        )
        if r["type"].lower() in VNETS
    ]
    tf_result = scan(dns001(linked_to_hub), ["MLA-DNS-001"], vnets, relabel=False)
    assert verdicts(tf_result) == verdicts(arm_result)
    assert not tf_result.not_evaluated


def test_dns001_finding_lands_on_the_zone_address() -> None:
    vnets = _vnets("MLA-DNS-001", "fail")
    result = scan(dns001(False), ["MLA-DNS-001"], vnets)
    (finding,) = result.findings
    assert finding.resource_id == "azurerm_private_dns_zone.blob"
    assert finding.location == {"file": "main.tf", "line": 1}


def _vnets(rule: str, form: str) -> list[dict[str, Any]]:
    import json

    rows = json.loads((FIXTURES / rule / f"{form}.json").read_text(encoding="utf-8"))
    return [r for r in rows if r["type"].lower() in VNETS]


def test_a_zone_group_record_written_at_apply_answers_private() -> None:
    """The record a zone group writes at apply holds the endpoint's own IP (Azure writes it
    from the endpoint): private and never stale, though its digits are unknown."""
    from auditor.estate import Estate, Reading
    from auditor.graph import build
    from auditor.inputs.terraform.azurerm.dns import TERRAFORM_COLLECTIONS
    from auditor.relations.dns_answer import AT_APPLY, PRIVATE, answers_by_zone

    result = scan(dns001(True), ["MLA-DNS-005"], _vnets("MLA-DNS-001", "pass"))
    assert result.findings == [] and result.not_evaluated == []
    assert next(o for o in result.outcomes if o.rule_id == "MLA-DNS-005").status == "pass"
    rows = [*_vnets("MLA-DNS-001", "pass"), *mapped(dns001(True)).rows]
    estate = Estate()
    estate.add("main.tf", "terraform", Reading(rows, collections=list(TERRAFORM_COLLECTIONS)))
    answers = [a for found in answers_by_zone(build(estate)).values() for _, _, a in found]
    assert answers and {(a.answer, a.address) for a in answers} == {(PRIVATE, AT_APPLY)}


def test_a_planned_record_answers_even_if_the_input_claims_the_zones_records() -> None:
    """Whatever collections a Terraform reader claims, the record a zone group writes at
    apply is the one that answers: no NXDOMAIN, no missing record."""
    from auditor.collections import NAMES

    result = scan(
        dns001(True), ["MLA-DNS-005"], _vnets("MLA-DNS-001", "pass"), collections=list(NAMES)
    )
    assert result.findings == [] and result.not_evaluated == []


def test_a_static_ip_makes_the_answer_known() -> None:
    """With a static ip_configuration the zone group's record holds the endpoint's own IP:
    the answer is judged (private), not left unknown."""
    static = [{"name": "ip", "private_ip_address": "10.0.8.6", "subresource_name": "blob"}]
    resources = dns001(True)
    resources[-1] = endpoint(zone_ids=[ZONE_ID], ip_configuration=static)
    result = scan(resources, ["MLA-DNS-005"], _vnets("MLA-DNS-001", "pass"))
    assert result.findings == []
    assert result.not_evaluated == []


def test_a_record_resource_with_an_ip_known_after_apply_is_unknown() -> None:
    """A record resource whose IP is another resource's output answers nothing known."""
    rec = res(
        "azurerm_private_dns_a_record",
        "pe",
        name="stmlopsdemo",
        zone_name=BLOB,
        resource_group_name="rg-dns",
        ttl=10,
        records=[UnknownValue("azurerm_private_endpoint.pe_blob.private_service_connection")],
    )
    resources = [*dns001(True), rec]
    resources[-2] = endpoint(zone_ids=[ZONE_ID])  # registers, IP unknown
    result = mapped(resources)
    row = row_of(result, f"{ZONE_ID}/A/stmlopsdemo")
    assert row["type"] == "microsoft.network/privatednszones/a"
    assert isinstance(row["properties"]["aRecords"][0]["ipv4Address"], UnknownValue)


def test_zone_lookup_reads_record_resources_when_the_zone_is_not_held() -> None:
    """Without dnsresources, a record the configuration holds answers for its name; one
    whose IP is known only after apply makes the answer unknown."""
    from auditor import arm
    from auditor.estate import Estate, Reading
    from auditor.graph import build
    from auditor.inputs.terraform.azurerm.dns import TERRAFORM_COLLECTIONS
    from auditor.relations.dns_answer import zone_lookup

    def lookup(ip: Any) -> Any:
        rec = res(
            "azurerm_private_dns_a_record",
            "r",
            name="stmlopsdemo",
            zone_name=BLOB,
            resource_group_name="rg-dns",
            ttl=10,
            records=[ip],
        )
        result = mapped([zone(), rec])
        estate = Estate()
        # as the Terraform input reads it: rows from source code carry their origins, which
        # tell the graph its rows may hold values known only after apply
        reading = Reading(
            result.rows, collections=list(TERRAFORM_COLLECTIONS), origins=result.origins
        )
        estate.add("main.tf", "terraform", reading)
        return zone_lookup(build(estate), arm.key(ZONE_ID), f"stmlopsdemo.{BLOB}")

    assert lookup("10.0.8.6") == (f"{ZONE_ID}/A/stmlopsdemo", ["10.0.8.6"])
    unknown = lookup(UnknownValue("known after apply"))
    assert isinstance(unknown, str) and "known only after apply" in unknown


# -- a resolver topology: the same verdicts as its ARM form ---------------------------------
def test_private_resolver_topology_same_verdicts_as_arm() -> None:
    """fixtures/topologies/dns-private-resolver in Terraform form: the AML VNet names the
    resolver's inbound endpoint (static IP) as its DNS server, spoke rulesets forward (or
    send on-premises, or are disabled). MLA-DNS-001 flags spoke4 and cannot judge spoke3,
    as on the ARM form, though the endpoint's IP is known only after apply."""
    import json
    from pathlib import Path

    from auditor import arm

    folder = Path(FIXTURES).parent / "topologies" / "dns-private-resolver"
    estate = json.loads((folder / "estate.json").read_text(encoding="utf-8"))
    vnets = [r for r in estate if r["type"].lower() in VNETS]
    net = "Microsoft.Network/virtualNetworks"
    vnet = {
        v: rid("rg-net", f"{net}/vnet-{v}") for v in ("hub", "aml", "spoke2", "spoke3", "spoke4")
    }
    resolver_id = rid("rg-dns", "Microsoft.Network/dnsResolvers/dnspr-hub")
    out_id = f"{resolver_id}/outboundEndpoints/out-hub"
    st_id = rid("rg-data", "Microsoft.Storage/storageAccounts/stmlops")
    resources = [
        res(
            "azurerm_storage_account",
            "st",
            name="stmlops",
            resource_group_name="rg-data",
            location="westeurope",
            account_tier="Standard",
            account_replication_type="LRS",
        ),
        zone(),
        link("hub", vnet["hub"]),
        res(
            "azurerm_private_endpoint",
            "pe",
            name="pe-blob",
            resource_group_name="rg-net",
            location="westeurope",
            subnet_id=f"{vnet['aml']}/subnets/snet-pe",
            private_service_connection=[
                {
                    "name": "pe-blob",
                    "private_connection_resource_id": st_id,
                    "subresource_names": ["blob"],
                    "is_manual_connection": False,
                }
            ],
            private_dns_zone_group=[{"name": "default", "private_dns_zone_ids": [ZONE_ID]}],
        ),
        res(
            "azurerm_private_dns_resolver",
            "hub",
            name="dnspr-hub",
            resource_group_name="rg-dns",
            location="westeurope",
            virtual_network_id=vnet["hub"],
        ),
        res(
            "azurerm_private_dns_resolver_inbound_endpoint",
            "in",
            name="in-hub",
            private_dns_resolver_id=resolver_id,
            location="westeurope",
            ip_configurations=[
                {
                    "subnet_id": f"{vnet['hub']}/subnets/snet-inbound",
                    "private_ip_allocation_method": "Static",
                    "private_ip_address": "10.0.2.4",
                }
            ],
        ),
        res(
            "azurerm_private_dns_resolver_outbound_endpoint",
            "out",
            name="out-hub",
            private_dns_resolver_id=resolver_id,
            location="westeurope",
            subnet_id=f"{vnet['hub']}/subnets/snet-outbound",
        ),
    ]
    rules = {
        "spokes": [
            ("privatelink-blob", "privatelink.blob.core.windows.net.", "10.0.2.4", True),
            ("corp", "corp.contoso.com.", "192.168.10.10", True),
        ],
        "onprem": [("blob", "blob.core.windows.net.", "192.168.10.10", True)],
        "disabled": [("privatelink-blob", "privatelink.blob.core.windows.net.", "10.0.2.4", False)],
    }
    spoke = {"spokes": "spoke2", "onprem": "spoke3", "disabled": "spoke4"}
    for rs, entries in rules.items():
        rs_id = rid("rg-dns", f"Microsoft.Network/dnsForwardingRulesets/rs-{rs}")
        resources.append(
            res(
                "azurerm_private_dns_resolver_dns_forwarding_ruleset",
                rs,
                name=f"rs-{rs}",
                resource_group_name="rg-dns",
                location="westeurope",
                private_dns_resolver_outbound_endpoint_ids=[out_id],
            )
        )
        resources.append(
            res(
                "azurerm_private_dns_resolver_virtual_network_link",
                rs,
                name=f"link-vnet-{spoke[rs]}",
                dns_forwarding_ruleset_id=rs_id,
                virtual_network_id=vnet[spoke[rs]],
            )
        )
        for name, domain, ip, on in entries:
            resources.append(
                res(
                    "azurerm_private_dns_resolver_forwarding_rule",
                    f"{rs}_{name.replace('-', '_')}",
                    name=name,
                    dns_forwarding_ruleset_id=rs_id,
                    domain_name=domain,
                    enabled=on,
                    target_dns_servers=[{"ip_address": ip, "port": 53}],
                )
            )
    tf = scan(resources, ["MLA-DNS-001"], vnets, relabel=False)
    live = scan_files([folder / "estate.json"], select=["MLA-DNS-001"])

    def related(result: Any) -> list[tuple[str, str]]:
        return sorted(
            (arm.key(f.resource_id), arm.key(f.related_id or "")) for f in result.findings
        )

    assert related(tf) == related(live)
    assert related(tf) == [(arm.key(ZONE_ID), arm.key(vnet["spoke4"]))]
    assert verdicts(tf) == verdicts(live)


def test_registry_records_include_the_data_endpoint_whatever_the_order() -> None:
    """A registry's zone group writes <name> and <name>.<region>.data; the region is the
    registry's own, read after every resource's row exists (the endpoint may come first)."""
    acr_zone = rid("rg-dns", "Microsoft.Network/privateDnsZones/privatelink.azurecr.io")
    acr_id = rid("rg-aml", "Microsoft.ContainerRegistry/registries/crmlops")
    pe = endpoint(target=acr_id, groups=("registry",), zone_ids=[acr_zone], name="pe-acr")
    registry = res(
        "azurerm_container_registry",
        "cr",
        name="crmlops",
        resource_group_name="rg-aml",
        location="West Europe",
        sku="Premium",
    )
    result = mapped([pe, registry])
    pe_id = rid("rg-aml", "Microsoft.Network/privateEndpoints/pe-acr")
    group = row_of(result, f"{pe_id}/privateDnsZoneGroups/default")
    names = [
        rs["recordSetName"]
        for rs in group["properties"]["privateDnsZoneConfigs"][0]["properties"]["recordSets"]
    ]
    assert names == ["crmlops", "crmlops.westeurope.data"]


def test_a_plans_existing_endpoint_brings_its_current_ip() -> None:
    """In a plan, an endpoint that already exists exports its IP (private_service_connection
    private_ip_address, custom_dns_configs): the answer is judged with it; a new one's
    (known after apply) stays unknown."""
    resources = dns001(True)
    pe = resources[-1]
    pe.values["private_service_connection"][0]["private_ip_address"] = "10.0.8.6"
    pe.values["custom_dns_configs"] = [
        {"fqdn": "stmlopsdemo.blob.core.windows.net", "ip_addresses": ["10.0.8.6"]}
    ]
    result = mapped(resources)
    pe_id = rid("rg-aml", "Microsoft.Network/privateEndpoints/pe-blob")
    assert row_of(result, pe_id)["properties"]["customDnsConfigs"] == [
        {"fqdn": "stmlopsdemo.blob.core.windows.net", "ipAddresses": ["10.0.8.6"]}
    ]
    group = row_of(result, f"{pe_id}/privateDnsZoneGroups/default")
    (rs,) = group["properties"]["privateDnsZoneConfigs"][0]["properties"]["recordSets"]
    assert rs["ipAddresses"] == ["10.0.8.6"]
    judged = scan(resources, ["MLA-DNS-005"], _vnets("MLA-DNS-001", "pass"))
    assert judged.findings == [] and judged.not_evaluated == []
    fresh = dns001(True)
    fresh[-1].values["private_service_connection"][0]["private_ip_address"] = UnknownValue("ip")
    # a new endpoint's zone group writes its IP at apply: private, never stale
    new = scan(fresh, ["MLA-DNS-005"], _vnets("MLA-DNS-001", "pass"))
    assert new.findings == [] and new.not_evaluated == []


def test_a_record_at_an_endpoints_future_ip_is_a_reported_gap() -> None:
    """The pre-zone-group pattern (a record whose IP is the endpoint's output) cannot be
    matched before apply: said as a coverage gap, not dropped silently."""
    rec = res(
        "azurerm_private_dns_a_record",
        "r",
        name="stmlopsdemo",
        zone_name=BLOB,
        resource_group_name="rg-dns",
        ttl=10,
        records=[UnknownValue("azurerm_private_endpoint.pe_blob ... known only after apply")],
    )
    rec.references = {"records": ["azurerm_private_endpoint.pe_blob"]}
    (gap,) = mapped([storage(), zone(), endpoint(), rec]).gaps
    assert gap.startswith("azurerm_private_dns_a_record.r:") and "private_dns_zone_group" in gap

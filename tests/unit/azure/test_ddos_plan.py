"""DDoS protection: the plan's planner and the VNet's link to it, where the contract cannot reach (the VNet contract
does not link a plan; the teardown's keep-if-used path is in the ddos_protection molecule scenario)."""
from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ddos_protection_plan import plan_ddos_plan
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.virtual_network import plan_virtual_network

SUB, RG = "00000000-0000-0000-0000-000000000000", "rg-cf-westeu-prod-1"
PLAN_ID = f"/subscriptions/{SUB}/resourceGroups/rg-cf-prod-westeu-ddos/providers/Microsoft.Network/ddosProtectionPlans/ddos-cf-prod-westeu"
VNET = {"id": f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/vnet", "name": "vnet",
        "location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.30.0.0/16"]}, "subnets": []}}


def _spec(plan):
    return {"name": "vnet", "location": "westeurope", "address_prefixes": ["10.30.0.0/16"], "dns_servers": None,
            "ddos_protection_plan": plan, "subnets": None, "purge_subnets": False, "tags": None, "purge_tags": True}


def test_vnet_links_to_the_plan_once_and_unlinks_with_an_empty_value():
    linked = plan_virtual_network(VNET, _spec(PLAN_ID), SUB, RG)
    assert linked.action == "put" and linked.after["ddos_protection_plan"] == PLAN_ID
    assert (linked.body["properties"]["enableDdosProtection"], linked.body["properties"]["ddosProtectionPlan"]) == (True, {"id": PLAN_ID})
    again = plan_virtual_network(linked.body, _spec(PLAN_ID.upper().replace("/SUBSCRIPTIONS", "/subscriptions")), SUB, RG)
    assert again.action == "none"   # ids compare without case, as ARM's
    unlinked = plan_virtual_network(linked.body, _spec(""), SUB, RG)
    assert unlinked.action == "put" and unlinked.body["properties"]["enableDdosProtection"] is False
    assert "ddosProtectionPlan" not in unlinked.body["properties"]
    assert plan_virtual_network(VNET, _spec(None), SUB, RG).action == "none"   # omitted: left alone


def test_plan_is_created_with_its_location_and_then_only_its_tags_change():
    params = {"name": "ddos-cf-prod-westeu", "location": "westeurope", "tags": {"Environment": "prod"}, "purge_tags": False}
    created = plan_ddos_plan(None, params)
    assert created.action == "create" and created.body == {"location": "westeurope", "properties": {}, "tags": {"Environment": "prod"}}
    existing = {"name": "ddos-cf-prod-westeu", "location": "westeurope", "tags": {"Environment": "prod", "Other": "x"},
                "properties": {"virtualNetworks": [{"id": VNET["id"]}]}}
    assert plan_ddos_plan(existing, params).action == "none"   # purge_tags false: another deployment's tag stays
    assert plan_ddos_plan(existing, dict(params, tags={"Environment": "prd"})).action == "tags"

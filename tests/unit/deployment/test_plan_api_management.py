"""The plan's API Management (prod only) and the NSG rules of its subnet."""
from __future__ import annotations

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import load_registry
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import DeploymentError
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan, plan_summary

REGISTRY = load_registry()


def test_prod_plans_premium_internal_in_the_apim_subnet_and_dev_plans_none():
    plan = build_plan("westeu-prod-1", registry=REGISTRY)
    apim = plan["api_management"]
    assert (apim["name"], apim["sku_name"], apim["sku_capacity"], apim["virtual_network_type"]) == \
        ("apim-cf-westeu-prod-1", "Premium", 1, "Internal")
    assert apim["subnet"] == "vnet-cf-westeu-prod-1/snet-cf-westeu-prod-1-apim"
    assert apim["disable_legacy_tls"] is True and apim["identity"] == "SystemAssigned"
    assert "Microsoft.ApiManagement" in plan["resource_providers"]
    assert any(line.startswith("api management  apim-cf-westeu-prod-1 Premium x1, VNet Internal") for line in plan_summary(plan))
    dev = build_plan("westeu-dev-1", registry=REGISTRY)
    assert "api_management" not in dev and not any(line.startswith("api management") for line in plan_summary(dev))
    off = build_plan("westeu-prod-1", {"features": {"api_management": False}}, registry=REGISTRY)
    assert "api_management" not in off


def test_publisher_and_sku_come_from_the_inventory_and_bad_values_are_refused():
    plan = build_plan("westeu-prod-1", {"api_management": {"publisher_email": "api@example.org", "publisher_name": "CF",
                                                           "sku_capacity": 2}}, registry=REGISTRY)
    assert (plan["api_management"]["publisher_email"], plan["api_management"]["sku_capacity"]) == ("api@example.org", 2)
    with pytest.raises(DeploymentError, match=r"api_management.sku_name='Standard'.*Developer, Premium"):
        build_plan("westeu-prod-1", {"api_management": {"sku_name": "Standard"}}, registry=REGISTRY)
    with pytest.raises(DeploymentError, match=r"api_management.publisher_email='nobody'.*email address"):
        build_plan("westeu-prod-1", {"api_management": {"publisher_email": "nobody"}}, registry=REGISTRY)
    with pytest.raises(DeploymentError, match=r"api_management.*features.api_management is false"):
        build_plan("westeu-dev-1", {"api_management": {"sku_capacity": 1}}, registry=REGISTRY)


def test_the_apim_nsg_has_the_documented_inbound_and_outbound_rules():
    plan = build_plan("westeu-prod-1", registry=REGISTRY)
    cidr = plan["subnets"]["api_management"]
    rules = {r["name"]: r for r in plan["subnet_tiers"]["api_management"]["network_security_group"]["rules"]}
    assert rules["allow-apim-management"]["source_address_prefixes"] == ["ApiManagement"]
    assert rules["allow-apim-management"]["destination_port_ranges"] == ["3443"]
    assert rules["allow-azure-load-balancer"]["destination_port_ranges"] == ["6390"]
    assert rules["allow-https-from-vnet"]["source_address_prefixes"] == ["VirtualNetwork"]
    outbound = {(r["destination_address_prefixes"][0], tuple(r["destination_port_ranges"]))
                for r in rules.values() if r.get("direction") == "Outbound"}
    assert outbound == {("Storage", ("443",)), ("Sql", ("1433",)), ("AzureKeyVault", ("443",)), ("AzureMonitor", ("1886", "443"))}
    assert all(r["source_address_prefixes"] == [cidr] for r in rules.values() if r.get("direction") == "Outbound")
    # The other tiers keep inbound-only rules without a direction key.
    others = [r for key, tier in plan["subnet_tiers"].items() if key != "api_management" and tier["network_security_group"]
              for r in tier["network_security_group"]["rules"]]
    assert others and not any("direction" in r for r in others)


def test_every_deployment_takes_at_most_15_tags_before_anything_is_created():
    """Private DNS zones (every deployment) and API Management refuse a 16th tag (Azure's 400s): the plan says so,
    not the zone's create in the network role, nor the APIM create at its end."""
    six = {f"Extra{i}": "x" for i in range(6)}
    assert len(build_plan("westeu-prod-1", {"tags": six}, registry=REGISTRY)["tags"]) == 15
    seven = dict(six, Extra6="x")
    with pytest.raises(DeploymentError, match=r"16 tags \(9 computed, 7 extra\).*at most 15: Azure refuses more on the "
                                              r"deployment's private DNS zones and on API Management; at most 6 extra"):
        build_plan("westeu-prod-1", {"tags": seven}, registry=REGISTRY)
    for name, overrides in (("westeu-prod-1", {"features": {"api_management": False}}), ("westeu-dev-1", {})):
        with pytest.raises(DeploymentError, match=r"16 tags .*at most 15: Azure refuses more on the deployment's private DNS "
                                                  r"zones; at most 6 extra"):
            build_plan(name, dict(overrides, tags=seven), registry=REGISTRY)

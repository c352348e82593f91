"""Azure Bastion in the deployment model: off by default, AzureBastionSubnet 10.x.11.0/26 in the CIDR model only when on."""
from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import load_registry
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import DeploymentError
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan, plan_summary

REGISTRY = load_registry()
ON = {"features": {"bastion": True}}
# The seed's "Subnet Structure" (third octet of each /24) and its reserved block .20-.255.
SEED_OCTETS = {"container_apps": 1, "database": 2, "redis": 3, "storage": 4, "api_management": 5, "management": 10}


@pytest.mark.parametrize("name", REGISTRY.names())
def test_bastion_is_off_by_default_and_the_vnet_stays_as_the_seed_has_it(name):
    plan = build_plan(name, registry=REGISTRY)
    assert plan["features"]["bastion"] is False and "bastion" not in plan
    assert "bastion" not in plan["subnets"] and "bastion" not in plan["subnet_tiers"]
    rules = [r["name"] for r in plan["subnet_tiers"]["management"]["network_security_group"]["rules"]]
    assert "allow-ssh-rdp-from-bastion" not in rules
    assert "bastion         off" in "\n".join(plan_summary(plan))


@pytest.mark.parametrize("name", REGISTRY.names())
def test_bastion_subnet_lands_at_11_0_26_beside_every_seed_subnet_unchanged(name):
    off, on = build_plan(name, registry=REGISTRY), build_plan(name, ON, registry=REGISTRY)
    vnet = ipaddress.ip_network(on["vnet_cidr"])
    bastion = ipaddress.ip_network(on["subnets"]["bastion"])
    assert bastion == ipaddress.ip_network(f"{vnet.network_address + 11 * 256}/26") and bastion.subnet_of(vnet)
    assert {k: v for k, v in on["subnets"].items() if k != "bastion"} == off["subnets"]   # every seed subnet where it was
    for key, cidr in off["subnets"].items():
        assert int(cidr.split(".")[2]) == SEED_OCTETS[key] and not bastion.overlaps(ipaddress.ip_network(cidr))
    reserved = ipaddress.ip_network(f"{vnet.network_address + 20 * 256}/24")
    assert bastion.network_address < reserved.network_address   # the seed's RESERVED .20-.255 stays whole
    tier = on["subnet_tiers"]["bastion"]
    assert on["names"]["subnets"]["bastion"] == tier["subnet"]["name"] == "AzureBastionSubnet"
    assert tier["network_security_group"] is None and "network_security_group" not in tier["subnet"]
    assert "bastion" not in on["names"]["network_security_groups"]


def test_bastion_plan_facts_and_the_management_rule():
    plan = build_plan("westeu-dev-1", ON, registry=REGISTRY)
    assert plan["bastion"] == {"name": "bas-cf-westeu-dev-1", "sku": "Basic", "public_ip_name": "pip-cf-westeu-dev-1-bastion",
                               "public_ip_sku": "Standard", "public_ip_allocation": "Static",
                               "subnet": "vnet-cf-westeu-dev-1/AzureBastionSubnet", "subnet_cidr": "10.10.11.0/26"}
    rules = {r["name"]: r for r in plan["subnet_tiers"]["management"]["network_security_group"]["rules"]}
    assert rules["allow-ssh-rdp-from-bastion"]["source_address_prefixes"] == ["10.10.11.0/26"]
    assert rules["allow-ssh-rdp-from-bastion"]["destination_port_ranges"] == ["22", "3389"]
    assert list(rules)[-1] == "deny-all-inbound"
    summary = "\n".join(plan_summary(plan))
    assert "AzureBastionSubnet  (no NSG)" in summary and "bas-cf-westeu-dev-1 Basic" in summary
    # prod too: off unless asked, and API Management's .5 is untouched when on
    prod = build_plan("westeu-prod-1", ON, registry=REGISTRY)
    assert prod["subnets"]["api_management"] == "10.30.5.0/24" and prod["subnets"]["bastion"] == "10.30.11.0/26"


def test_bastion_feature_must_be_a_bool():
    with pytest.raises(DeploymentError, match="features"):
        build_plan("westeu-dev-1", {"features": {"bastion": "yes"}}, registry=REGISTRY)

"""The plan's VNet peerings: both directions named and placed, checked against the CIDR registry before any call."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import load_registry
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import DeploymentError
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan, plan_summary

REGISTRY = load_registry()
ROOT = Path(__file__).resolve().parents[3]


def test_the_seeds_same_region_peering_has_both_directions_in_their_own_groups():
    plan = build_plan("westeu-prod-1", {"peerings": ["westeu-prod-2"]}, registry=REGISTRY)
    [peering] = plan["peerings"]
    assert (peering["peer"], peering["peer_vnet_cidr"], peering["kind"]) == ("westeu-prod-2", "10.31.0.0/16", "same region")
    assert (peering["allow_forwarded_traffic"], peering["allow_gateway_transit"], peering["use_remote_gateways"]) == (True, False, False)
    there, back = peering["directions"]
    assert there == {"name": "peer-westeu-prod-1-to-westeu-prod-2", "deployment": "westeu-prod-1",
                     "resource_group": "rg-cf-westeu-prod-1", "virtual_network": "vnet-cf-westeu-prod-1", "vnet_cidr": "10.30.0.0/16",
                     "remote_deployment": "westeu-prod-2", "remote_resource_group": "rg-cf-westeu-prod-2",
                     "remote_virtual_network": "vnet-cf-westeu-prod-2", "remote_vnet_cidr": "10.31.0.0/16"}
    assert (back["name"], back["resource_group"], back["remote_virtual_network"]) == (
        "peer-westeu-prod-2-to-westeu-prod-1", "rg-cf-westeu-prod-2", "vnet-cf-westeu-prod-1")
    # Its own side's name starts with the plan's prefix (preflight.yml finds undeclared peerings by it); the peer's does not.
    assert there["name"].startswith(plan["peering_name_prefix"]) and not back["name"].startswith(plan["peering_name_prefix"])
    assert plan["peering_name_prefix"] == "peer-westeu-prod-1-to-"
    assert any(line.startswith("vnet peering    peer-westeu-prod-1-to-westeu-prod-2 / peer-westeu-prod-2-to-westeu-prod-1")
               for line in plan_summary(plan))
    # Cross-region (disaster recovery), and no peering unless the inventory declares one.
    assert build_plan("westeu-prod-1", {"peerings": ["eastus-prod-1"]}, registry=REGISTRY)["peerings"][0]["kind"] == "cross region"
    assert build_plan("westeu-dev-1", registry=REGISTRY)["peerings"] == []


def test_an_overlapping_or_unknown_peer_fails_the_plan_naming_both_deployments_and_cidrs():
    registry = load_registry()
    # A registry row edited by hand (load_registry would refuse it): the plan is the guard before any Azure call.
    registry.rows.append({"name": "westeu-prod-3", "cidr": "10.30.128.0/17", "status": "Reserved"})
    with pytest.raises(DeploymentError, match=r"cannot peer westeu-prod-1 \(10\.30\.0\.0/16\) with westeu-prod-3 "
                                              r"\(10\.30\.128\.0/17\): their address spaces overlap"):
        build_plan("westeu-prod-1", {"peerings": ["westeu-prod-3"]}, registry=registry)
    with pytest.raises(DeploymentError, match=r"cannot peer westeu-prod-1 \(10\.30\.0\.0/16\) with westeu-prod-9: .*no CIDR in the registry"):
        build_plan("westeu-prod-1", {"peerings": ["westeu-prod-9"]}, registry=REGISTRY)
    with pytest.raises(DeploymentError, match="a VNet cannot be peered with itself"):
        build_plan("westeu-prod-1", {"peerings": ["westeu-prod-1"]}, registry=REGISTRY)
    with pytest.raises(DeploymentError, match="peerings join deployments of one environment"):
        build_plan("westeu-prod-1", {"peerings": ["westeu-dev-1"]}, registry=REGISTRY)
    with pytest.raises(DeploymentError, match="a list of distinct deployment names"):
        build_plan("westeu-prod-1", {"peerings": "westeu-prod-2"}, registry=REGISTRY)


def test_the_inventories_declare_the_seeds_peering_on_both_sides():
    for here, there in (("westeu-prod-1", "westeu-prod-2"), ("westeu-prod-2", "westeu-prod-1")):
        with open(ROOT / "inventories" / here / "host_vars" / f"{here}.yml", encoding="utf-8") as handle:
            overrides = yaml.safe_load(handle)["deployment_overrides"]
        assert overrides["peerings"] == [there]
        assert build_plan(here, overrides, registry=REGISTRY)["peerings"][0]["peer"] == there

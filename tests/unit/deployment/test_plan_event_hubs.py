"""The plan's Event Hubs facts: one Kafka namespace per global deployment, a consumer group per regional one, and the
private endpoint through which every deployment of the environment reaches it."""
from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import load_registry
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan, plan_summary

REGISTRY = load_registry()


def test_the_global_deployment_makes_the_namespace_with_the_seeds_hubs_and_no_consumer_group():
    eh = build_plan("global-dev", registry=REGISTRY)["event_hubs"]
    assert (eh["managed_here"], eh["namespace"], eh["resource_group"], eh["consumer_group"]) == (
        True, "evhns-cf-global-dev", "rg-cf-global-dev", None)
    assert (eh["sku"], eh["minimum_tls_version"], eh["disable_local_auth"], eh["public_network_access"]) == (
        "Standard", "1.2", True, "Disabled")
    assert [(h["name"], h["partition_count"]) for h in eh["event_hubs"]] == [
        ("tenant-events", 4), ("masterdata-events", 2), ("file-ingestion-events", 4)]


def test_a_regional_deployment_subscribes_to_its_environments_namespace_through_its_own_private_endpoint():
    plan = build_plan("westeu-prod-1", registry=REGISTRY)
    eh = plan["event_hubs"]
    assert (eh["managed_here"], eh["managed_by"], eh["namespace"], eh["resource_group"], eh["event_hubs"]) == (
        False, "global-prod", "evhns-cf-global-prod", "rg-cf-global-prod", [])
    assert eh["consumer_group"] == "westeu-prod-1"
    assert eh["private_endpoint"] == {"name": "pe-cf-westeu-prod-1-evhns", "group_id": "namespace",
                                      "subnet": "vnet-cf-westeu-prod-1/snet-cf-westeu-prod-1-st",
                                      "private_dns_zone": "privatelink.servicebus.windows.net",
                                      "private_dns_zone_link": "pdnslink-cf-westeu-prod-1-evhns"}
    assert "Microsoft.EventHub" in plan["resource_providers"]
    # The same endpoint and zone link as the plan's other private links (network and private_endpoints roles make them),
    # its target the environment's namespace in global-prod's group.
    endpoint = next(pe for pe in plan["private_endpoints"] if pe["key"] == "event_hubs")
    keys = ("name", "target_type", "target_name", "target_resource_group", "group_id", "subnet", "private_dns_zone")
    assert {k: endpoint[k] for k in keys} == {
        "name": "pe-cf-westeu-prod-1-evhns", "target_type": "Microsoft.EventHub/namespaces",
        "target_name": "evhns-cf-global-prod", "target_resource_group": "rg-cf-global-prod", "group_id": "namespace",
        "subnet": "vnet-cf-westeu-prod-1/snet-cf-westeu-prod-1-st", "private_dns_zone": "privatelink.servicebus.windows.net"}
    assert (plan["private_dns_zones"]["event_hubs"], plan["names"]["private_dns_zone_links"]["event_hubs"]) == (
        "privatelink.servicebus.windows.net", "pdnslink-cf-westeu-prod-1-evhns")
    summary = "\n".join(plan_summary(plan))
    assert "consumer group westeu-prod-1 on every hub of evhns-cf-global-prod" in summary
    assert "private endpoint pe-cf-westeu-prod-1-evhns" in summary and "no VNet peering needed" in summary


def test_prod_keeps_events_a_week_with_bounded_auto_inflate_and_dev_a_day_without():
    prod, dev = (build_plan(n, registry=REGISTRY)["event_hubs"] for n in ("global-prod", "global-dev"))
    assert {h["message_retention_in_days"] for h in prod["event_hubs"]} == {7}
    assert (prod["auto_inflate"], prod["maximum_throughput_units"]) == (True, 4)
    assert {h["message_retention_in_days"] for h in dev["event_hubs"]} == {1}
    assert (dev["auto_inflate"], dev["capacity"]) == (False, 1)

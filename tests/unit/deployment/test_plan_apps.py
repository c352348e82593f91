"""Plan facts of the Container Apps environment and of the apps' identity (roles container_apps_environment, identity)."""
from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import check_name, resource_names
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan, plan_summary


def test_the_environment_is_internal_workload_profiles_in_the_apps_subnet_and_zone_redundant_only_in_prod():
    dev, prod = build_plan("westeu-dev-1"), build_plan("westeu-prod-1")
    cae = dev["container_apps_environment"]
    assert cae["name"] == "cae-cf-westeu-dev-1" and cae["internal"] is True and cae["zone_redundant"] is False
    assert cae["subnet"] == "vnet-cf-westeu-dev-1/snet-cf-westeu-dev-1-apps" and cae["subnet_cidr"] == "10.10.1.0/24"
    assert "Microsoft.App/environments" in dev["subnet_tiers"]["container_apps"]["subnet"]["delegations"]
    assert cae["workload_profiles"] == [{"name": "Consumption", "workload_profile_type": "Consumption"}]
    assert cae["logs_destination"] == "azure-monitor"   # no workspace key to handle: a diagnostic setting carries the logs
    assert [log["category"] for log in cae["diagnostic_setting"]["logs"]] == ["ContainerAppConsoleLogs", "ContainerAppSystemLogs"]
    assert prod["container_apps_environment"]["zone_redundant"] is True
    assert {"Microsoft.App", "Microsoft.ManagedIdentity"} <= set(dev["resource_providers"])


def test_the_identity_gets_registry_vault_and_the_environments_global_hubs():
    plan = build_plan("westeu-dev-1")
    ident = plan["identity"]
    assert ident["name"] == "id-cf-westeu-dev-1" and ident["principal_type"] == "ServicePrincipal"
    got = [(a["role"], a["scope"]["type"], a["scope"]["resource_group"], a["scope"]["name"], a["outside_group"])
           for a in ident["role_assignments"]]
    glob = resource_names("global-dev")
    assert got == [
        ("AcrPull", "Microsoft.ContainerRegistry/registries", "rg-cf-westeu-dev-1", plan["names"]["container_registry"], False),
        ("Key Vault Secrets User", "Microsoft.KeyVault/vaults", "rg-cf-westeu-dev-1", plan["names"]["key_vault"], False),
        ("Azure Event Hubs Data Sender", "Microsoft.EventHub/namespaces", glob["resource_group"], glob["event_hubs_namespace"], True),
        ("Azure Event Hubs Data Receiver", "Microsoft.EventHub/namespaces", glob["resource_group"], glob["event_hubs_namespace"], True)]
    # The global deployment's own identity reaches its own namespace, inside its group; prod reads global-prod's names.
    assert not any(a["outside_group"] for a in build_plan("global-dev")["identity"]["role_assignments"])
    assert build_plan("westeu-prod-1")["identity"]["role_assignments"][-1]["scope"]["name"] == "evhns-cf-global-prod"


def test_the_identity_name_follows_azures_rule_and_the_summary_shows_both():
    assert resource_names("northeu-prod-99")["managed_identity"] == "id-cf-northeu-prod-99"
    assert check_name("managed_identity", "id-cf-northeu-prod-99") is None
    assert check_name("managed_identity", "-id") is not None and check_name("managed_identity", "id.x") is not None
    text = "\n".join(plan_summary(build_plan("westeu-dev-1")))
    assert "container apps  cae-cf-westeu-dev-1 workload profiles (Consumption), internal" in text
    assert "identity        id-cf-westeu-dev-1: AcrPull on registries acrcfwesteudev1" in text
    assert "Azure Event Hubs Data Receiver on namespaces evhns-cf-global-dev (rg-cf-global-dev)" in text

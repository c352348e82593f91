"""Pure planners of modules container_apps_environment and managed_identity: the cases the contract test cannot reach."""
from __future__ import annotations

import pytest
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import container_apps_environment as cae
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import managed_identity as mi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/apps"
CONSUMPTION = [{"name": "Consumption", "workload_profile_type": "Consumption"}]
ENV = {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/cae-x", "name": "cae-x",
       "location": "westeurope", "tags": {}, "properties": {
           "vnetConfiguration": {"internal": True, "infrastructureSubnetId": SUBNET}, "zoneRedundant": False,
           "workloadProfiles": [{"name": "Consumption", "workloadProfileType": "Consumption"}],
           "appLogsConfiguration": {"destination": "azure-monitor"}}}


def _params(**given):
    return dict({"resource_group": "rg", "name": "cae-x", "location": "westeurope", "tags": None, "purge_tags": True,
                 "internal": True, "zone_redundant": False, "logs_destination": "azure-monitor"}, **given)


def test_settings_azure_fixes_at_creation_are_refused_before_any_write():
    for change, what in (({"zone_redundant": True}, "zone_redundant"), ({"internal": False}, "internal")):
        with pytest.raises(AzureInputError, match=f"{what}: .*never changes it"):
            cae.plan_environment(ENV, _params(**change), CONSUMPTION, SUBNET)
    with pytest.raises(AzureInputError, match="infrastructure_subnet_id"):
        cae.plan_environment(ENV, _params(), CONSUMPTION, SUBNET.replace("/apps", "/other"))
    assert not cae.plan_environment(ENV, _params(), CONSUMPTION, SUBNET.upper().replace("SUBSCRIPTIONS", "subscriptions")).changed


def test_a_change_is_a_patch_that_carries_the_location_azure_requires():
    plan = cae.plan_environment(ENV, _params(tags={"a": "1"}), CONSUMPTION, SUBNET)
    assert (plan.action, plan.body) == ("patch", {"location": "westeurope", "tags": {"a": "1"}})


def test_the_subnet_must_be_delegated_and_at_least_a_27():
    good = {"properties": {"addressPrefix": "10.0.1.0/27", "delegations": [{"properties": {"serviceName": "Microsoft.App/environments"}}]}}
    cae.check_subnet(good, SUBNET)
    with pytest.raises(AzureInputError, match="needs a subnet of at least /27"):
        cae.check_subnet({"properties": dict(good["properties"], addressPrefix="10.0.1.0/28")}, SUBNET)
    with pytest.raises(AzureInputError, match="not delegated to Microsoft.App/environments"):
        cae.check_subnet({"properties": {"addressPrefix": "10.0.1.0/24"}}, SUBNET)


def test_bad_inputs_name_the_option_and_what_is_valid():
    for given, message in (({"logs_destination": "log-analytics"}, "shared key"),
                           ({"internal": True}, "needs infrastructure_subnet"),
                           ({"workload_profiles": [{"name": "a", "workload_profile_type": "D4", "minimum_count": 3, "maximum_count": 1}],
                             "infrastructure_subnet": "vnet/apps"}, "minimum_count is above maximum_count")):
        with pytest.raises(AzureInputError, match=message):
            cae.validate_environment(dict({"resource_group": "rg", "name": "cae-x"}, **given))


def test_identity_ids_are_never_planned_and_tags_patch():
    existing = {"id": "/x", "name": "id-x", "location": "westeurope", "tags": {"a": "1"},
                "properties": {"principalId": "p", "clientId": "c", "tenantId": "t"}}
    params = {"resource_group": "rg", "name": "id-x", "location": "westeurope", "tags": {"a": "2"}, "purge_tags": True}
    plan = mi.plan_identity(existing, params)
    assert (plan.action, plan.body) == ("patch", {"tags": {"a": "2"}})
    assert not mi.plan_identity(existing, dict(params, tags={"a": "1"})).changed
    with pytest.raises(AzureInputError, match="cannot move it"):
        mi.plan_identity(existing, dict(params, location="eastus"))

"""Pure logic of the preflight checks (no SDK, no network): which operations a set of roles grants, the scope above a
scope, what a location's PostgreSQL capabilities offer, and quota rows against what a deployment needs."""
from __future__ import annotations

import pytest
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import location_capacity as cap
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import resource_provider as rp
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import role_assignment_info as rai
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
CONTRIBUTOR = [{"actions": ["*"],
                "notActions": ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action"]}]
UAA = [{"actions": ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"]}]
READER = [{"actions": ["*/read"]}]


@pytest.mark.parametrize("permissions,action,granted", [
    (CONTRIBUTOR, "Microsoft.Network/virtualNetworks/write", True),
    (CONTRIBUTOR, "Microsoft.Network/register/action", True),
    (CONTRIBUTOR, "Microsoft.Authorization/roleAssignments/write", False),   # its notActions
    (CONTRIBUTOR, "microsoft.authorization/ROLEASSIGNMENTS/write", False),   # without case
    (UAA, "Microsoft.Authorization/roleAssignments/write", True),
    (UAA, "Microsoft.Network/virtualNetworks/write", False),
    (READER, "Microsoft.Network/virtualNetworks/read", True),
    (READER, "Microsoft.Network/register/action", False),
    ([], "Microsoft.Network/virtualNetworks/write", False),
])
def test_a_role_grants_its_actions_minus_its_not_actions(permissions, action, granted):
    assert rai.role_permits(permissions, action) is granted


def assignment(guid, condition=None):
    return {"properties": {"roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
                           "condition": condition}}


def test_not_actions_of_one_role_do_not_deny_what_another_grants():
    definitions = {"c": {"name": "Contributor", "permissions": CONTRIBUTOR}, "u": {"name": "User Access Administrator", "permissions": UAA}}
    found = rai.evaluate(["Microsoft.Authorization/roleAssignments/write", "Microsoft.KeyVault/vaults/write"],
                         [assignment("c"), assignment("u")], definitions)
    assert found["Microsoft.Authorization/roleAssignments/write"] == {"allowed": True, "through": ["User Access Administrator"],
                                                                      "conditional": False}
    assert found["Microsoft.KeyVault/vaults/write"]["through"] == ["Contributor"]


def test_an_assignment_with_a_condition_is_flagged_and_an_unreadable_definition_grants_nothing():
    definitions = {"u": {"name": "Role Based Access Control Administrator", "permissions": UAA}}
    found = rai.evaluate(["Microsoft.Authorization/roleAssignments/write", "Microsoft.Network/virtualNetworks/write"],
                         [assignment("u", condition="@Request[...] ForAnyOfAnyValues:GuidEquals {...}"), assignment("gone")], definitions)
    assert found["Microsoft.Authorization/roleAssignments/write"]["conditional"] is True
    assert found["Microsoft.Network/virtualNetworks/write"] == {"allowed": False, "through": [], "conditional": False}


@pytest.mark.parametrize("scope,parent", [
    (f"{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", f"{SUB}/resourceGroups/rg"),
    (f"{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s",
     f"{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"),
    (f"{SUB}/resourceGroups/rg", SUB),
    (SUB, None),
])
def test_the_scope_above(scope, parent):
    assert rai.nearest_parent(scope) == parent


def test_actions_must_look_like_operations():
    assert rai.validate_actions(["Microsoft.Network/register/action", "Microsoft.Network/register/action"]) == \
        ["Microsoft.Network/register/action"]
    with pytest.raises(AzureInputError, match="'everything' is not an Azure operation"):
        rai.validate_actions(["everything"])


@pytest.mark.parametrize("size,family", [
    ("Standard_B1ms", "standardBSFamily"), ("Standard_B2s", "standardBSFamily"), ("Standard_D4s_v3", "standardDSv3Family"),
    ("Standard_D4ds_v4", "standardDDSv4Family"), ("Standard_E8ds_v5", "standardEDSv5Family"),
    ("Standard_D2ads_v5", "standardDADSv5Family"), ("Huge", None),
])
def test_the_quota_family_of_a_size(size, family):
    assert cap.quota_family(size) == family


def capability(**extra):
    skus = [{"name": "Standard_D2s_v3", "vCores": 2, "supportedHaMode": ["SameZone", "ZoneRedundant"]},
            {"name": "Standard_D4s_v3", "vCores": 4, "supportedHaMode": ["SameZone"]},
            {"name": "Standard_D8s_v3", "vCores": 8, "status": "Disabled", "reason": "capacity"}]
    doc = {"name": "FlexibleServerCapabilities", "restricted": "Disabled", "geoBackupSupported": "Enabled",
           "zoneRedundantHaSupported": "Enabled", "zoneRedundantHaAndGeoBackupSupported": "Enabled",
           "supportedServerVersions": [{"name": "15"}, {"name": "16"}],
           "supportedServerEditions": [{"name": "GeneralPurpose", "supportedServerSkus": skus}]}
    doc.update(extra)
    return [doc]


SPEC = {"sku_name": "Standard_D2s_v3", "tier": "GeneralPurpose", "version": "15", "high_availability": "ZoneRedundant",
        "geo_redundant_backup": True}


def test_an_offered_size_with_its_features_has_no_problem():
    offered, problems = cap.offer_problems(capability(), "westeurope", SPEC)
    assert problems == [] and offered["offered"] is True and offered["sku"]["v_cores"] == 2
    assert offered["tier_skus"] == ["Standard_D2s_v3", "Standard_D4s_v3"]   # the Disabled one is not offered


@pytest.mark.parametrize("changes,extra,expected", [
    ({"sku_name": "Standard_D64s_v3"}, {}, "size Standard_D64s_v3 (GeneralPurpose) is not offered in westeurope"),
    ({"sku_name": "Standard_D8s_v3"}, {}, "is not offered in westeurope for this subscription (capacity)"),
    ({"sku_name": "Standard_D4s_v3"}, {}, "high availability ZoneRedundant is not offered for Standard_D4s_v3"),
    ({"tier": "MemoryOptimized", "sku_name": "Standard_E4s_v3"}, {}, "tier MemoryOptimized is not offered"),
    ({"version": "13"}, {}, "version 13 is not offered in westeurope for this subscription (offered: 15, 16)"),
    ({}, {"restricted": "Enabled"}, "PostgreSQL flexible server is restricted in westeurope"),
    ({}, {"zoneRedundantHaSupported": "Disabled"}, "zone-redundant high availability is not supported"),
    ({}, {"geoBackupSupported": "Disabled"}, "geo-redundant backup is not supported"),
    ({}, {"zoneRedundantHaAndGeoBackupSupported": "Disabled"}, "together with geo-redundant backup is not supported"),
])
def test_what_a_location_does_not_offer_is_a_problem_with_what_to_do(changes, extra, expected):
    _offered, problems = cap.offer_problems(capability(**extra), "westeurope", dict(SPEC, **changes))
    assert len(problems) == 1 and expected in problems[0], problems


def test_no_capability_at_all_is_a_problem():
    offered, problems = cap.offer_problems([], "westeurope", SPEC)
    assert offered["offered"] is False and "lists no PostgreSQL flexible server capabilities in westeurope" in problems[0]


def test_quota_rows_against_what_is_needed():
    rows = cap.usage_rows("Microsoft.Network", [
        {"name": {"value": "VirtualNetworks", "localizedValue": "Virtual Networks"}, "currentValue": 49, "limit": 50},
        {"name": {"value": "NetworkSecurityGroups", "localizedValue": "Network Security Groups"}, "currentValue": 90, "limit": 100},
        {"name": {"value": "Unlimited"}, "currentValue": 5, "limit": -1}])
    problems, notes = cap.quota_problems(rows, {"VirtualNetworks": 1, "NetworkSecurityGroups": 11, "Unlimited": 10,
                                                "RouteTables": 1}, "westeurope")
    assert problems == ["westeurope: Network Security Groups 90 of 100 used, the deployment needs 11 more: "
                        "request a higher limit (Azure portal: Quotas) or free some"]
    assert notes == ["westeurope: Azure lists no usage row RouteTables; not checked"]
    assert rows[0]["needed"] == 1


def test_capacity_input():
    assert cap.validate_capacity({"postgresql": {"sku_name": "GP_Standard_D4s_v3", "high_availability": "Disabled"}})["sku_name"] == \
        "Standard_D4s_v3"
    with pytest.raises(AzureInputError, match="nothing to check"):
        cap.validate_capacity({})
    assert cap.validate_location("West Europe") == "westeurope"


def test_provider_registration_is_read_once_for_the_module_and_the_preflight():
    """What module resource_provider registers (and fails naming) and what the preflight reports come from one reading:
    any state but Registered counts as unregistered, namespaces compare without case, a missing answer is unregistered."""
    read = rp.registration(["Microsoft.Network", "Microsoft.KeyVault", "Microsoft.DBforPostgreSQL", "Microsoft.Insights"], [
        {"namespace": "Microsoft.Network", "registrationState": "Registered"},
        {"namespace": "microsoft.keyvault", "registrationState": "Registering"},
        {"namespace": "Microsoft.DBforPostgreSQL", "registrationState": "Unregistered"}])
    assert read["unregistered"] == ["Microsoft.KeyVault", "Microsoft.DBforPostgreSQL", "Microsoft.Insights"]
    assert read["register_actions"] == ["Microsoft.KeyVault/register/action", "Microsoft.DBforPostgreSQL/register/action",
                                        "Microsoft.Insights/register/action"]
    assert read["owner_commands"][1] == "az provider register --namespace Microsoft.DBforPostgreSQL"
    assert read["state"] == {"Microsoft.Network": "Registered", "Microsoft.KeyVault": "Registering",
                             "Microsoft.DBforPostgreSQL": "Unregistered", "Microsoft.Insights": "NotRegistered"}
    # The operation the preflight asks the identity's roles about is one Contributor has and Reader has not.
    assert rai.role_permits(CONTRIBUTOR, read["register_actions"][0]) and not rai.role_permits(READER, read["register_actions"][0])

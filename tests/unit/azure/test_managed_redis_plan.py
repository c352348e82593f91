"""Pure planner of module managed_redis (Azure Managed Redis): the cases the contract test cannot reach."""
from __future__ import annotations

import pytest
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import managed_redis as mr
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

SUB = "00000000-0000-0000-0000-000000000001"
RID = ResourceId.build(SUB, "rg", mr.CLUSTER_TYPE, "redis-cf-westeu-dev-1")
CLUSTER = {"id": str(RID), "name": RID.name, "location": "westeurope", "tags": {}, "sku": {"name": "Balanced_B0"},
           "properties": {"highAvailability": "Disabled", "minimumTlsVersion": "1.2", "publicNetworkAccess": "Disabled"}}
DATABASE = {"name": "default", "properties": {"clientProtocol": "Encrypted", "port": 10000, "clusteringPolicy": "OSSCluster",
                                              "evictionPolicy": "VolatileLRU", "accessKeysAuthentication": "Disabled"}}


def _params(**given):
    return dict({"resource_group": "rg", "name": RID.name, "location": "westeurope", "tags": None, "purge_tags": True}, **given)


def test_a_new_cache_is_private_tls12_and_its_database_entra_only():
    plan = mr.plan_managed_redis(None, None, _params(sku_name="Balanced_B0", high_availability="Disabled"), RID)
    assert plan.action == "create"
    assert plan.body["sku"] == {"name": "Balanced_B0"}
    assert plan.body["properties"] == {"highAvailability": "Disabled", "minimumTlsVersion": "1.2", "publicNetworkAccess": "Disabled"}
    [child] = plan.children
    assert (child.method, str(child.resource_id).endswith("/databases/default")) == ("PUT", True)
    assert child.body == {"properties": {"clientProtocol": "Encrypted", "port": 10000, "clusteringPolicy": "OSSCluster",
                                         "evictionPolicy": "VolatileLRU", "accessKeysAuthentication": "Disabled"}}


def test_an_existing_cache_is_patched_with_what_differs_never_put():
    """Azure's PUT of a cluster overwrites and recreates it ("with potential downtime")."""
    plan = mr.plan_managed_redis(CLUSTER, DATABASE, _params(sku_name="Balanced_B1", high_availability="Disabled",
                                                            eviction_policy="NoEviction"), RID)
    assert (plan.action, plan.body) == ("patch", {"sku": {"name": "Balanced_B1"}})
    assert [(c.method, c.body) for c in plan.children] == [("PATCH", {"properties": {"evictionPolicy": "NoEviction"}})]
    assert plan.before == {"sku_name": "Balanced_B0", "high_availability": "Disabled", "eviction_policy": "VolatileLRU"}
    same = mr.plan_managed_redis(CLUSTER, DATABASE, _params(sku_name="Balanced_B0", port=10000), RID)
    assert not same.changed


def test_a_cluster_without_its_database_gets_it():
    plan = mr.plan_managed_redis(CLUSTER, None, _params(), RID)
    assert plan.action == "none" and [c.method for c in plan.children] == ["PUT"]


@pytest.mark.parametrize("params, message", [
    ({"port": 6380}, r"port: .* listens on 10000; a port is set when the database is created"),
    ({"clustering_policy": "EnterpriseCluster"}, r"clustering_policy: OSSCluster cannot change to EnterpriseCluster .*only NoCluster"),
    ({"location": "northeurope"}, r"is in westeurope; Azure cannot move it"),
])
def test_changes_azure_refuses_are_refused_before_any_call(params, message):
    with pytest.raises(AzureInputError, match=message):
        mr.plan_managed_redis(CLUSTER, DATABASE, _params(**params), RID)


def test_a_no_cluster_database_may_become_clustered():
    db = dict(DATABASE, properties=dict(DATABASE["properties"], clusteringPolicy="NoCluster"))
    plan = mr.plan_managed_redis(CLUSTER, db, _params(clustering_policy="OSSCluster"), RID)
    assert plan.children[0].body == {"properties": {"clusteringPolicy": "OSSCluster"}}


@pytest.mark.parametrize("params, message", [
    ({"name": "redis--cf"}, r"name: 'redis--cf' is not a valid Azure Managed Redis name.*1-60"),
    ({"name": "r" * 61}, r"1-60"),
    ({"sku_name": "Premium_P1"}, r"sku_name: 'Premium_P1' is not an Azure Managed Redis SKU.*P1 maps to Balanced_B5"),
    ({"sku_name": "Enterprise_E10"}, r"not an Azure Managed Redis SKU"),
    ({"port": 70000}, r"port: 70000 is not a TCP port"),
])
def test_bad_input_names_the_option_and_what_is_valid(params, message):
    with pytest.raises(AzureInputError, match=message):
        mr.validate_managed_redis(_params(**params))


def test_creating_needs_a_location_and_a_sku():
    with pytest.raises(AzureInputError, match="sku_name is needed to create it"):
        mr.plan_managed_redis(None, None, _params(), RID)
    with pytest.raises(AzureInputError, match="location is needed"):
        mr.plan_managed_redis(None, None, _params(location=None, sku_name="Balanced_B0"), RID)

"""Microsoft.Cache redisEnterprise (Azure Managed Redis) in the emulator, through ARM's generic resource operations."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

API = "2025-07-01"
CLUSTER = {"location": "westeurope", "sku": {"name": "Balanced_B0"},
           "properties": {"highAvailability": "Disabled", "minimumTlsVersion": "1.2", "publicNetworkAccess": "Disabled"}}


def _cluster(emu, group, name="redis-emu-1"):
    return f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.Cache/redisEnterprise/{name}"


def test_cluster_and_default_database_are_long_running_and_keep_the_documented_defaults(emu, resources, group):
    cluster = _cluster(emu, group)
    emu.set_latency({"Microsoft.Cache/redisEnterprise": 0.3})
    poller = resources.resources.begin_create_or_update_by_id(cluster, api_version=API, parameters=CLUSTER)
    assert not poller.done()   # Azure-AsyncOperation to follow, as for a real ~15 minute create
    created = poller.result()
    assert created.properties["hostName"] == "redis-emu-1.westeurope.redis.azure.net"
    assert (created.properties["highAvailability"], created.properties["provisioningState"]) == ("Disabled", "Succeeded")
    db = resources.resources.begin_create_or_update_by_id(cluster + "/databases/default", api_version=API,
                                                          parameters={"properties": {"clientProtocol": "Encrypted"}}).result()
    assert {k: db.properties[k] for k in ("port", "clusteringPolicy", "evictionPolicy", "accessKeysAuthentication")} == {
        "port": 10000, "clusteringPolicy": "OSSCluster", "evictionPolicy": "VolatileLRU", "accessKeysAuthentication": "Disabled"}
    db = resources.resources.begin_update_by_id(cluster + "/databases/default", api_version=API,
                                                parameters={"properties": {"evictionPolicy": "NoEviction"}}).result()
    assert (db.properties["evictionPolicy"], db.properties["port"]) == ("NoEviction", 10000)
    updated = resources.resources.begin_update_by_id(cluster, api_version=API,
                                                     parameters={"properties": {"highAvailability": "Enabled"}}).result()
    assert updated.properties["highAvailability"] == "Enabled" and updated.sku.name == "Balanced_B0"
    resources.resources.begin_delete_by_id(cluster, api_version=API).result()
    with pytest.raises(HttpResponseError, match="ResourceNotFound"):
        resources.resources.get_by_id(cluster + "/databases/default", api_version=API)


def test_what_azure_refuses_is_refused(emu, resources, group):
    cluster = _cluster(emu, group)
    for params, why in (
            ({**CLUSTER, "sku": {"name": "Premium_P1"}}, "is not valid"),
            ({**CLUSTER, "properties": {"highAvailability": "Disabled"}}, "publicNetworkAccess"),
            ({**CLUSTER, "properties": {**CLUSTER["properties"], "minimumTlsVersion": "1.1"}}, "obsolete"),
            ({**CLUSTER, "properties": {**CLUSTER["properties"], "highAvailability": "Sometimes"}}, "is not one of|Sometimes"),
            # Azure Cache for Redis's property is not one of redisEnterprise's (the vendored 2025-07-01 excerpt)
            ({**CLUSTER, "properties": {**CLUSTER["properties"], "enableNonSslPort": False}}, "Could not find member 'enableNonSslPort'")):
        with pytest.raises(HttpResponseError, match=why):
            resources.resources.begin_create_or_update_by_id(cluster, api_version=API, parameters=params).result()
    with pytest.raises(HttpResponseError, match="InvalidResourceName"):
        resources.resources.begin_create_or_update_by_id(_cluster(emu, group, "bad--name"), api_version=API, parameters=CLUSTER).result()
    resources.resources.begin_create_or_update_by_id(cluster, api_version=API, parameters=CLUSTER).result()
    with pytest.raises(HttpResponseError, match="BadRequest.*single RedisEnterprise database which must be named 'default'"):
        resources.resources.begin_create_or_update_by_id(cluster + "/databases/db1", api_version=API, parameters={"properties": {}}).result()
    resources.resources.begin_create_or_update_by_id(cluster + "/databases/default", api_version=API, parameters={"properties": {}}).result()
    for props, why in (({"port": 10001}, "set at create time"), ({"clusteringPolicy": "EnterpriseCluster"}, "without deleting"),
                       ({"evictionPolicy": "Sometimes"}, "is not one of|Sometimes")):
        with pytest.raises(HttpResponseError, match=why):
            resources.resources.begin_update_by_id(cluster + "/databases/default", api_version=API, parameters={"properties": props}).result()

"""What a location offers and what is left of a subscription's quotas there, read through the real SDKs: network usages
(azure-mgmt-network), PostgreSQL capabilities and quota usages (azure-mgmt-postgresqlflexibleservers). Sources of each
rule: docs/emulator.md ("Capacity")."""
from __future__ import annotations

import pytest
from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient
from test_postgresql_emulator import ZONE, server_body


@pytest.fixture
def pg(emu, credential):
    return PostgreSQLManagementClient(credential, emu.subscription_id, **emu.client_kwargs())


@pytest.fixture
def capacity(emu):
    yield emu
    emu.set_capacity(limits={"VirtualNetworks": 50, "NetworkSecurityGroups": 100, "cores": 100, "family": 100},
                     withheld_skus={"westeurope": [], "northeurope": []})


def usages(network, location):
    return {u.name.value: (u.current_value, u.limit, u.unit) for u in network.usages.list(location)}


def test_network_usages_count_the_subscriptions_vnets_and_nsgs_per_location(emu, network, group, capacity):
    before = usages(network, "westeurope")
    assert set(before) == {"VirtualNetworks", "NetworkSecurityGroups"}
    assert before["VirtualNetworks"][1:] == (50, "Count") and before["NetworkSecurityGroups"][1:] == (100, "Count")
    network.virtual_networks.begin_create_or_update(group, "vnet-count", {
        "location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}}}).result()
    network.network_security_groups.begin_create_or_update(group, "nsg-count", {"location": "westeurope"}).result()
    network.network_security_groups.begin_create_or_update(group, "nsg-elsewhere", {"location": "northeurope"}).result()
    after = usages(network, "westeurope")
    assert after["VirtualNetworks"][0] == before["VirtualNetworks"][0] + 1
    assert after["NetworkSecurityGroups"][0] == before["NetworkSecurityGroups"][0] + 1
    emu.set_capacity(limits={"VirtualNetworks": 3})
    assert usages(network, "West Europe")["VirtualNetworks"][1] == 3   # the display name is the same location
    assert emu.requests(since=emu.request_count() - 1)[0]["operation"] == "Microsoft.Network/locations/usages/read"


def test_postgresql_capabilities_list_the_sizes_a_location_offers(emu, pg, capacity):
    (capability,) = list(pg.capabilities_by_location.list("westeurope"))
    assert capability.name == "FlexibleServerCapabilities" and capability.restricted == "Disabled"
    editions = {e.name: {s.name: s for s in e.supported_server_skus} for e in capability.supported_server_editions}
    assert set(editions) == {"Burstable", "GeneralPurpose", "MemoryOptimized"}
    assert editions["Burstable"]["Standard_B1ms"].v_cores == 1 and editions["GeneralPurpose"]["Standard_D4s_v3"].v_cores == 4
    assert editions["GeneralPurpose"]["Standard_D4s_v3"].supported_ha_mode == ["SameZone", "ZoneRedundant"]
    assert "15" in [v.name for v in capability.supported_server_versions]
    assert capability.zone_redundant_ha_supported == "Enabled" and capability.geo_backup_supported == "Enabled"

    emu.set_capacity(withheld_skus={"westeurope": ["Standard_D4s_v3"]})
    (capability,) = list(pg.capabilities_by_location.list("westeurope"))
    general = next(e for e in capability.supported_server_editions if e.name == "GeneralPurpose")
    assert "Standard_D4s_v3" not in [s.name for s in general.supported_server_skus]
    (elsewhere,) = list(pg.capabilities_by_location.list("northeurope"))   # only that location withholds it
    general = next(e for e in elsewhere.supported_server_editions if e.name == "GeneralPurpose")
    assert "Standard_D4s_v3" in [s.name for s in general.supported_server_skus]


def test_postgresql_quota_usages_count_the_vcores_of_the_servers_in_the_location(emu, pg, network, privatedns, group, capacity):
    def quota():
        return {u.name.value: (u.current_value, u.limit) for u in pg.quota_usages.list("westeurope")}

    before = quota()
    assert {"cores", "standardBSFamily", "standardDSv3Family"} <= set(before) and before["cores"][1] == 100
    vnet = network.virtual_networks.begin_create_or_update(group, "vnet-pgq", {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": "db", "properties": {"addressPrefix": "10.0.2.0/24", "delegations": [
            {"name": "pg", "properties": {"serviceName": "Microsoft.DBforPostgreSQL/flexibleServers"}}]}}]}}).result()
    zone = privatedns.private_zones.begin_create_or_update(group, ZONE, {"location": "global"}).result()
    body = server_body(vnet.subnets[0].id, zone.id)
    body["sku"] = {"name": "Standard_D4s_v3", "tier": "GeneralPurpose"}
    pg.servers.begin_create_or_update(group, "psql-quota", body).result()
    after = quota()
    assert after["cores"][0] == before["cores"][0] + 4
    assert after["standardDSv3Family"][0] == before["standardDSv3Family"][0] + 4
    assert after["standardBSFamily"] == before["standardBSFamily"]
    emu.set_capacity(limits={"standardDSv3Family": 8})
    assert quota()["standardDSv3Family"][1] == 8 and quota()["standardDDSv4Family"][1] == 100


def test_bad_capacity_settings_are_refused(emu, capacity):
    from emulator import EmulatorError  # pylint: disable=import-outside-toplevel
    with pytest.raises(EmulatorError, match="capacity.limits must map usage names to integers"):
        emu.set_capacity(limits={"cores": "many"})
    with pytest.raises(EmulatorError, match="capacity.withheld_skus"):
        emu.set_capacity(withheld_skus={"westeurope": "Standard_B1ms"})

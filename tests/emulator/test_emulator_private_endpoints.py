"""Private endpoints and their private DNS zone groups in the emulator, through azure-mgmt-network 33.1 (2026-03-01)."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

KV_API = "2026-05-15"
REDIS_CLUSTER = {"location": "westeurope", "sku": {"name": "Balanced_B0"},
                 "properties": {"highAvailability": "Disabled", "minimumTlsVersion": "1.2", "publicNetworkAccess": "Disabled"}}


@pytest.fixture
def estate(emu, resources, network, privatedns, group):
    """A VNet with a private endpoint subnet and a delegated one, a Key Vault, and the vault's privatelink zone."""
    network.virtual_networks.begin_create_or_update(group, "vnet-pe", {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]},
        "subnets": [{"name": "snet-st", "properties": {"addressPrefix": "10.9.4.0/24"}},
                    {"name": "snet-db", "properties": {"addressPrefix": "10.9.2.0/24", "delegations": [
                        {"name": "pg", "properties": {"serviceName": "Microsoft.DBforPostgreSQL/flexibleServers"}}]}}]}}).result()
    vault = resources.resources.begin_create_or_update_by_id(
        f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/kv-pe-{group[3:]}",
        api_version=KV_API, parameters={"location": "westeurope", "properties": {
            "tenantId": emu.tenant_id, "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": True}}).result()
    zone = privatedns.private_zones.begin_create_or_update(group, "privatelink.vaultcore.azure.net", {"location": "global"}).result()
    subnet = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.Network/virtualNetworks/vnet-pe/subnets/"
    return {"group": group, "vault": vault.id, "zone": zone.id, "subnet": subnet + "snet-st", "delegated": subnet + "snet-db"}


def _endpoint(estate, subnet=None, target=None, group_ids=("vault",), name="conn"):
    return {"location": "westeurope", "properties": {
        "subnet": {"id": subnet or estate["subnet"]},
        "privateLinkServiceConnections": [{"name": name, "properties": {
            "privateLinkServiceId": target or estate["vault"], "groupIds": list(group_ids)}}]}}


def test_endpoint_gets_an_address_and_its_zone_group_the_vault_record(network, estate):
    group = estate["group"]
    first = network.private_endpoints.begin_create_or_update(group, "pe-kv", _endpoint(estate)).result()
    conn = first.private_link_service_connections[0]
    assert conn.private_link_service_connection_state.status == "Approved" and conn.group_ids == ["vault"]
    vault_name = estate["vault"].rsplit("/", 1)[-1]
    assert [(c.fqdn, c.ip_addresses) for c in first.custom_dns_configs] == [(f"{vault_name}.vaultcore.azure.net", ["10.9.4.4"])]
    second = network.private_endpoints.begin_create_or_update(group, "pe-kv-2", _endpoint(estate)).result()
    assert second.custom_dns_configs[0].ip_addresses == ["10.9.4.5"]          # the next free address; .0-.3 are Azure's
    zone_group = network.private_dns_zone_groups.begin_create_or_update(group, "pe-kv", "default", {"properties": {
        "privateDnsZoneConfigs": [{"name": "privatelink-vaultcore-azure-net", "properties": {"privateDnsZoneId": estate["zone"]}}]}}).result()
    records = zone_group.private_dns_zone_configs[0].record_sets
    assert [(r.record_type, r.record_set_name, r.fqdn, r.ip_addresses) for r in records] == [
        ("A", vault_name, f"{vault_name}.privatelink.vaultcore.azure.net", ["10.9.4.4"])]
    # Re-sending the endpoint keeps its address; the subnet cannot go while the endpoint sits in it.
    again = network.private_endpoints.begin_create_or_update(group, "pe-kv", _endpoint(estate)).result()
    assert again.custom_dns_configs[0].ip_addresses == ["10.9.4.4"]
    with pytest.raises(HttpResponseError, match="InUseSubnetCannotBeDeleted"):
        network.subnets.begin_delete(group, "vnet-pe", "snet-st").result()
    with pytest.raises(HttpResponseError, match="more than one private dns zone group"):
        network.private_dns_zone_groups.begin_create_or_update(group, "pe-kv", "second", {"properties": {
            "privateDnsZoneConfigs": [{"name": "z", "properties": {"privateDnsZoneId": estate["zone"]}}]}}).result()
    network.private_endpoints.begin_delete(group, "pe-kv").result()
    network.private_endpoints.begin_delete(group, "pe-kv-2").result()
    network.subnets.begin_delete(group, "vnet-pe", "snet-st").result()


@pytest.mark.parametrize("change, code", [
    ({"target": "/missing"}, "was not found"),
    ({"group_ids": ("blob",)}, "InvalidValuesForRequestParameters"),
    ({"group_ids": ()}, "MissingParameterOnPrivateLinkServiceConnection"),
    ({"group_ids": ("vault", "vault2")}, "OnlyOneGroupIdPermitted"),
    ({"subnet": "missing"}, "InvalidResourceReference"),
    ({"subnet": "delegated"}, "delegated"),
    ({"name": ""}, "InvalidRequestFormat"),
])
def test_endpoint_refusals(network, estate, change, code):
    if "subnet" in change:
        change = dict(change, subnet=estate["delegated"] if change["subnet"] == "delegated" else estate["subnet"][:-2] + "xx")
    if change.get("target") == "/missing":
        change["target"] = estate["vault"] + "-gone"
    with pytest.raises(HttpResponseError, match=code):
        network.private_endpoints.begin_create_or_update(estate["group"], "pe-bad", _endpoint(estate, **change)).result()


def test_zone_group_refuses_a_zone_that_does_not_exist(network, estate):
    network.private_endpoints.begin_create_or_update(estate["group"], "pe-kv", _endpoint(estate)).result()
    with pytest.raises(HttpResponseError, match="InvalidPrivateDnsZoneIds"):
        network.private_dns_zone_groups.begin_create_or_update(estate["group"], "pe-kv", "default", {"properties": {
            "privateDnsZoneConfigs": [{"name": "z", "properties": {"privateDnsZoneId": estate["zone"] + "x"}}]}}).result()
    with pytest.raises(HttpResponseError, match="recordSets. is a read only property"):   # the spec excerpt
        network.private_dns_zone_groups.begin_create_or_update(estate["group"], "pe-kv", "default", {"properties": {
            "privateDnsZoneConfigs": [{"name": "z", "properties": {"privateDnsZoneId": estate["zone"], "recordSets": [{"fqdn": "x"}]}}]}}).result()


def test_registry_endpoint_needs_premium_and_gets_the_data_endpoint_record(emu, resources, network, privatedns, estate):
    group = estate["group"]
    registry = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.ContainerRegistry/registries/acr{group[3:]}"

    def put_registry(sku):
        resources.resources.begin_create_or_update_by_id(registry, api_version="2025-11-01", parameters={
            "location": "westeurope", "sku": {"name": sku}, "properties": {"adminUserEnabled": False}}).result()

    put_registry("Standard")
    with pytest.raises(HttpResponseError, match="need the Premium SKU"):
        network.private_endpoints.begin_create_or_update(group, "pe-acr", _endpoint(estate, target=registry, group_ids=("registry",))).result()
    put_registry("Premium")
    network.private_endpoints.begin_create_or_update(group, "pe-acr", _endpoint(estate, target=registry, group_ids=("registry",))).result()
    zone = privatedns.private_zones.begin_create_or_update(group, "privatelink.azurecr.io", {"location": "global"}).result()
    zone_group = network.private_dns_zone_groups.begin_create_or_update(group, "pe-acr", "default", {"properties": {
        "privateDnsZoneConfigs": [{"name": "privatelink-azurecr-io", "properties": {"privateDnsZoneId": zone.id}}]}}).result()
    name = registry.rsplit("/", 1)[-1].lower()
    assert sorted(r.fqdn for r in zone_group.private_dns_zone_configs[0].record_sets) == [
        f"{name}.privatelink.azurecr.io", f"{name}.westeurope.data.privatelink.azurecr.io"]


def test_managed_redis_endpoint_record_carries_the_region(emu, resources, network, privatedns, estate):
    group = estate["group"]
    cluster = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.Cache/redisEnterprise/redis-{group[3:]}"
    resources.resources.begin_create_or_update_by_id(cluster, api_version="2025-07-01", parameters=REDIS_CLUSTER).result()
    with pytest.raises(HttpResponseError, match="InvalidValuesForRequestParameters"):   # Azure Cache for Redis's group id
        network.private_endpoints.begin_create_or_update(group, "pe-redis", _endpoint(estate, target=cluster, group_ids=("redisCache",))).result()
    network.private_endpoints.begin_create_or_update(group, "pe-redis", _endpoint(estate, target=cluster, group_ids=("redisEnterprise",))).result()
    zone = privatedns.private_zones.begin_create_or_update(group, "privatelink.redis.azure.net", {"location": "global"}).result()
    zone_group = network.private_dns_zone_groups.begin_create_or_update(group, "pe-redis", "default", {"properties": {
        "privateDnsZoneConfigs": [{"name": "privatelink-redis-azure-net", "properties": {"privateDnsZoneId": zone.id}}]}}).result()
    assert [r.fqdn for r in zone_group.private_dns_zone_configs[0].record_sets] == [f"redis-{group[3:]}.westeurope.privatelink.redis.azure.net"]


def test_a_full_subnet_refuses_the_next_endpoint_with_azures_code(network, estate):
    group = estate["group"]
    # a /29 has 8 addresses; Azure keeps the first four and the last, so three endpoints fill it
    network.subnets.begin_create_or_update(group, "vnet-pe", "snet-tiny", {"properties": {"addressPrefix": "10.9.9.0/29"}}).result()
    tiny = estate["subnet"].rsplit("/", 1)[0] + "/snet-tiny"
    for index in range(3):
        network.private_endpoints.begin_create_or_update(group, f"pe-tiny-{index}", _endpoint(estate, subnet=tiny)).result()
    with pytest.raises(HttpResponseError, match="does not have enough capacity for 1 IP addresses") as refused:
        network.private_endpoints.begin_create_or_update(group, "pe-tiny-3", _endpoint(estate, subnet=tiny)).result()
    assert refused.value.error.code == "SubnetIsFull"

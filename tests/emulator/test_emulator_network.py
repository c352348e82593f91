"""Virtual networks, subnets, NSGs and rules through the real NetworkManagementClient."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.network import models as nm

PG = "Microsoft.DBforPostgreSQL/flexibleServers"


def _vnet(*subnets: nm.Subnet, prefixes=("10.20.0.0/16",)) -> nm.VirtualNetwork:
    return nm.VirtualNetwork(location="westeurope", tags={"Deployment": "westeu-dev-1"},
                             address_space=nm.AddressSpace(address_prefixes=list(prefixes)), subnets=list(subnets))


def _rule(name: str, priority: int, port: str = "443", direction: str = "Inbound") -> nm.SecurityRule:
    return nm.SecurityRule(name=name, protocol="Tcp", source_port_range="*", destination_port_range=port,
                           source_address_prefix="VirtualNetwork", destination_address_prefix="*", access="Allow",
                           priority=priority, direction=direction)


def test_vnet_with_delegated_subnet_service_endpoints_and_nsg(network, group):
    nsg = network.network_security_groups.begin_create_or_update(
        group, "nsg-db", nm.NetworkSecurityGroup(location="westeurope", security_rules=[_rule("allow-pg", 100, "5432")])
    ).result()
    vnet = network.virtual_networks.begin_create_or_update(group, "vnet-1", _vnet(
        nm.Subnet(name="snet-db", address_prefix="10.20.2.0/24", network_security_group=nm.NetworkSecurityGroup(id=nsg.id),
                  delegations=[nm.Delegation(name="pg", service_name=PG)],
                  service_endpoints=[nm.ServiceEndpointPropertiesFormat(service="Microsoft.Storage")],
                  private_endpoint_network_policies="Enabled"),
        nm.Subnet(name="snet-apps", address_prefix="10.20.0.0/23",
                  delegations=[nm.Delegation(name="aca", service_name="Microsoft.App/environments")]),
    )).result()
    assert vnet.provisioning_state == "Succeeded" and vnet.etag.startswith('W/"')
    db = next(s for s in vnet.subnets if s.name == "snet-db")
    assert db.id == f"{vnet.id}/subnets/snet-db"
    assert db.network_security_group.id == nsg.id
    assert db.delegations[0].service_name == PG
    assert db.delegations[0].actions == ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    assert db.service_endpoints[0].service == "Microsoft.Storage"
    assert db.private_endpoint_network_policies == "Enabled"
    apps = network.subnets.get(group, "vnet-1", "snet-apps")
    assert apps.private_endpoint_network_policies == "Disabled"  # Azure's default
    assert [s.id for s in network.network_security_groups.get(group, "nsg-db").subnets] == [db.id]


def test_subnet_child_resource_and_replacing_the_subnet_list(network, group):
    network.virtual_networks.begin_create_or_update(group, "vnet-2", _vnet(
        nm.Subnet(name="a", address_prefix="10.20.1.0/24"))).result()
    added = network.subnets.begin_create_or_update(group, "vnet-2", "b", nm.Subnet(address_prefix="10.20.2.0/24")).result()
    assert added.id.endswith("/virtualNetworks/vnet-2/subnets/b")
    assert sorted(s.name for s in network.subnets.list(group, "vnet-2")) == ["a", "b"]
    assert sorted(s.name for s in network.virtual_networks.get(group, "vnet-2").subnets) == ["a", "b"]
    network.subnets.begin_delete(group, "vnet-2", "a").result()
    assert [s.name for s in network.subnets.list(group, "vnet-2")] == ["b"]
    # A VNet PUT without a subnet deletes it, as in Azure.
    network.virtual_networks.begin_create_or_update(group, "vnet-2", _vnet()).result()
    assert list(network.subnets.list(group, "vnet-2")) == []


def test_nsg_rules_inline_and_as_children_and_tags_update(network, group):
    nsg = network.network_security_groups.begin_create_or_update(group, "nsg-1", nm.NetworkSecurityGroup(
        location="westeurope", security_rules=[_rule("https", 100), _rule("out", 100, direction="Outbound")])).result()
    assert len(nsg.default_security_rules) == 6
    assert nsg.security_rules[0].id == f"{nsg.id}/securityRules/https"
    rule = network.security_rules.begin_create_or_update(group, "nsg-1", "deny-all", nm.SecurityRule(
        protocol="*", source_port_range="*", destination_port_range="*", source_address_prefix="*",
        destination_address_prefix="*", access="Deny", priority=4096, direction="Inbound")).result()
    assert rule.access == "Deny"
    assert sorted(r.name for r in network.security_rules.list(group, "nsg-1")) == ["deny-all", "https", "out"]
    network.security_rules.begin_delete(group, "nsg-1", "https").result()
    assert sorted(r.name for r in network.network_security_groups.get(group, "nsg-1").security_rules) == ["deny-all", "out"]
    tagged = network.network_security_groups.update_tags(group, "nsg-1", nm.TagsObject(tags={"Owner": "platform"}))
    assert tagged.tags == {"Owner": "platform"}
    assert len(tagged.security_rules) == 2


def _error(call) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as err:
        call()
    assert err.value.response.headers["x-ms-request-id"]
    return err.value


def test_subnet_outside_the_address_space(network, group):
    err = _error(lambda: network.virtual_networks.begin_create_or_update(group, "vnet-x", _vnet(
        nm.Subnet(name="far", address_prefix="10.21.0.0/24"))).result())
    assert err.error.code == "NetcfgSubnetRangeOutsideVnet"
    assert "Subnet 'far' is not valid because its IP address range is outside" in err.error.message


def test_a_vnet_name_over_64_characters(network, group):
    """resource-name-rules: virtualNetworks 2-64 (the code Azure answers: unverified)."""
    err = _error(lambda: network.virtual_networks.begin_create_or_update(group, "v" * 65, _vnet()).result())
    assert err.error.code == "InvalidResourceName" and "2-64 characters" in err.error.message


def test_overlapping_subnets(network, group):
    network.virtual_networks.begin_create_or_update(group, "vnet-o", _vnet(
        nm.Subnet(name="a", address_prefix="10.20.0.0/24"))).result()
    err = _error(lambda: network.subnets.begin_create_or_update(
        group, "vnet-o", "b", nm.Subnet(address_prefix="10.20.0.128/25")).result())
    assert err.error.code == "NetcfgSubnetRangesOverlap"


@pytest.mark.parametrize("name", ["-starts-with-dash", "has space", "ends.", "x" * 81])
def test_invalid_resource_names(network, group, name):
    err = _error(lambda: network.virtual_networks.begin_create_or_update(group, name, _vnet()).result())
    assert err.error.code == "InvalidResourceName"
    assert name in err.error.message


def test_prefix_with_host_bits_is_invalid_cidr(network, group):
    err = _error(lambda: network.virtual_networks.begin_create_or_update(group, "vnet-c", _vnet(prefixes=("10.20.0.1/16",))).result())
    assert err.error.code == "InvalidCIDRNotation"
    assert "10.20.0.0/16" in err.error.message
    # a subnet giving both fields: the list is checked too (its host bits were a 500 before)
    both = nm.Subnet(name="s", address_prefix="10.20.3.0/24", address_prefixes=["10.20.3.5/24"])
    err = _error(lambda: network.virtual_networks.begin_create_or_update(group, "vnet-d", _vnet(both)).result())
    assert err.status_code == 400 and err.error.code == "InvalidCIDRNotation"


def test_missing_group_and_missing_resources(network, group):
    err = _error(lambda: network.virtual_networks.begin_create_or_update("rg-does-not-exist", "v", _vnet()).result())
    assert err.error.code == "ResourceGroupNotFound" and err.status_code == 404
    with pytest.raises(ResourceNotFoundError) as missing:
        network.virtual_networks.get(group, "vnet-none")
    assert missing.value.error.code == "ResourceNotFound"
    assert "Microsoft.Network/virtualNetworks/vnet-none" in missing.value.error.message
    network.virtual_networks.begin_create_or_update(group, "vnet-m", _vnet()).result()
    with pytest.raises(ResourceNotFoundError) as sub_missing:
        network.subnets.get(group, "vnet-m", "nope")
    assert sub_missing.value.status_code == 404
    # Deleting what does not exist is a no-op (204), as in ARM.
    network.virtual_networks.begin_delete(group, "vnet-none").result()


def test_nsg_in_use_and_missing_nsg_reference(network, group):
    nsg = network.network_security_groups.begin_create_or_update(group, "nsg-u", nm.NetworkSecurityGroup(location="westeurope")).result()
    network.virtual_networks.begin_create_or_update(group, "vnet-u", _vnet(
        nm.Subnet(name="a", address_prefix="10.20.0.0/24", network_security_group=nm.NetworkSecurityGroup(id=nsg.id)))).result()
    err = _error(lambda: network.network_security_groups.begin_delete(group, "nsg-u").result())
    assert err.error.code == "InUseNetworkSecurityGroupCannotBeDeleted"
    err = _error(lambda: network.subnets.begin_create_or_update(group, "vnet-u", "b", nm.Subnet(
        address_prefix="10.20.1.0/24", network_security_group=nm.NetworkSecurityGroup(id=nsg.id + "-gone"))).result())
    assert err.error.code == "InvalidResourceReference"


def test_security_rule_conflicts_and_priorities(network, group):
    err = _error(lambda: network.network_security_groups.begin_create_or_update(group, "nsg-c", nm.NetworkSecurityGroup(
        location="westeurope", security_rules=[_rule("a", 200), _rule("b", 200, "80")])).result())
    assert err.error.code == "SecurityRuleConflict"
    err = _error(lambda: network.network_security_groups.begin_create_or_update(group, "nsg-p", nm.NetworkSecurityGroup(
        location="westeurope", security_rules=[_rule("a", 99)])).result())
    assert err.error.code == "SecurityRuleInvalidPriority"


def test_a_subnet_holding_a_server_cannot_be_deleted_or_lose_its_delegation(emu, credential, network, privatedns, group):
    """mark_subnet_in_use as another provider uses it: a flexible server in a delegated subnet."""
    from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient, models as pm
    from azure.mgmt.privatedns import models as dm
    delegated = nm.Subnet(name="snet-db", address_prefix="10.20.2.0/24", delegations=[nm.Delegation(name="pg", service_name=PG)])
    vnet = network.virtual_networks.begin_create_or_update(group, "vnet-db", _vnet(delegated)).result()
    zone = privatedns.private_zones.begin_create_or_update(group, "privatelink.postgres.database.azure.com",
                                                           dm.PrivateZone(location="global")).result()
    servers = PostgreSQLManagementClient(credential, emu.subscription_id, **emu.client_kwargs()).servers
    servers.begin_create_or_update(group, "psql-inuse-test", pm.Server(
        location="westeurope", sku=pm.Sku(name="Standard_B1ms", tier="Burstable"),
        properties=pm.ServerProperties(
            version="16", administrator_login="cfadmin", administrator_login_password="Xy9-not-a-real-Secret",
            storage=pm.Storage(storage_size_gb=32),
            network=pm.Network(delegated_subnet_resource_id=vnet.subnets[0].id, private_dns_zone_arm_resource_id=zone.id)),
    )).result()

    err = _error(lambda: network.subnets.begin_delete(group, "vnet-db", "snet-db").result())
    assert err.error.code == "InUseSubnetCannotBeDeleted" and "psql-inuse-test" in err.error.message
    err = _error(lambda: network.virtual_networks.begin_create_or_update(group, "vnet-db", _vnet()).result())
    assert err.error.code == "InUseSubnetCannotBeDeleted"
    err = _error(lambda: network.subnets.begin_create_or_update(group, "vnet-db", "snet-db", nm.Subnet(
        address_prefix="10.20.2.0/24")).result())
    assert err.error.code == "SubnetMissingRequiredDelegation"

    servers.begin_delete(group, "psql-inuse-test").result()
    network.subnets.begin_delete(group, "vnet-db", "snet-db").result()
    assert list(network.subnets.list(group, "vnet-db")) == []


def test_a_service_tag_in_the_plural_prefixes_is_refused_as_azure_does(network, group):
    rule = nm.SecurityRule(name="mixed", protocol="Tcp", source_port_range="*", destination_port_range="443",
                           source_address_prefixes=["VirtualNetwork", "10.0.0.0/24"], destination_address_prefix="*",
                           access="Allow", priority=100, direction="Inbound")
    with pytest.raises(HttpResponseError) as err:
        network.network_security_groups.begin_create_or_update(
            group, "nsg-mixed", nm.NetworkSecurityGroup(location="westeurope", security_rules=[rule])).result()
    assert err.value.error.code == "SecurityRuleParameterContainsUnsupportedValue" and "Unsupported value used: VirtualNetwork" in str(err.value)

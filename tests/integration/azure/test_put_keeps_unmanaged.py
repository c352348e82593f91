"""A change by PUT keeps what the module does not manage (module_utils/_azure/carry.py).

The Network RP's public IPs, Bastion hosts, private endpoints and peerings, and a storage account's blob service, change
their properties only by PUT (a storage account's own properties too, as Terraform's azurerm does), which replaces the
resource (the emulator too: what a body leaves out goes back to its default). Someone sets one of their other
properties outside the collection (the portal, a policy); then a day-two change of an option the module manages
must not reset it. Each test: the module makes the resource, an ARM PUT outside the module sets the other property,
the module changes one of its own options, and the other property is still there.
"""
from __future__ import annotations

import uuid

import pytest
from azure_play import arm_id, resource, task

LOCATION = "westeurope"
NETWORK_API = "2026-03-01"


@pytest.fixture
def arm(emu):
    """ARM's generic PUT, as the portal or a policy would write, not through the modules under test."""
    from azure.mgmt.resource.resources import ResourceManagementClient  # pylint: disable=import-outside-toplevel

    client = ResourceManagementClient(emu.credential(), emu.subscription_id, **emu.client_kwargs())

    def put(resource_id: str, body: dict, api_version: str = NETWORK_API) -> None:
        client.resources.begin_create_or_update_by_id(resource_id, api_version=api_version, parameters=body).result()
    return put


@pytest.fixture
def rg():
    return f"rg-keep-{uuid.uuid4().hex[:8]}"


def group(rg):
    return task("group", "resource_group", name=rg, location=LOCATION)


def changed_by_put(emu, since: int, resource_id: str) -> bool:
    return any(r["method"] == "PUT" and r["path"].lower().startswith(resource_id.lower()) for r in emu.requests(since=since))


def test_a_public_ips_dns_label_survives_an_idle_timeout_change(ansible, emu, arm, rg):
    pip = dict(resource_group=rg, name="pip-keep", location=LOCATION, sku="Standard", allocation_method="Static")
    assert ansible.play([group(rg), task("pip", "public_ip_address", **pip, idle_timeout_in_minutes=4)]).rc == 0
    pid = arm_id(emu, rg, "Microsoft.Network/publicIPAddresses/pip-keep")
    arm(pid, {"location": LOCATION, "sku": {"name": "Standard", "tier": "Regional"},
              "properties": {"publicIPAllocationMethod": "Static", "idleTimeoutInMinutes": 4,
                             "dnsSettings": {"domainNameLabel": f"cf-{rg[-8:]}"}}})
    mark = emu.request_count()
    run = ansible.play([task("pip", "public_ip_address", **pip, idle_timeout_in_minutes=10)])
    assert run.rc == 0 and run.result("pip")["changed"] is True, run.stdout[-3000:]
    assert changed_by_put(emu, mark, pid)
    stored = resource(emu, pid)["properties"]
    assert stored["idleTimeoutInMinutes"] == 10 and stored["dnsSettings"]["domainNameLabel"] == f"cf-{rg[-8:]}"


def test_a_bastion_hosts_copy_paste_switch_survives_a_scale_change(ansible, emu, arm, rg):
    setup = [group(rg),
             task("vnet", "virtual_network", resource_group=rg, name="vnet", location=LOCATION, address_prefixes=["10.22.0.0/16"],
                  subnets=[{"name": "AzureBastionSubnet", "address_prefix": "10.22.11.0/26"}]),
             task("pip", "public_ip_address", resource_group=rg, name="pip-bastion", location=LOCATION, sku="Standard",
                  allocation_method="Static")]
    host = dict(resource_group=rg, name="bas-keep", location=LOCATION, sku="Standard", subnet="vnet/AzureBastionSubnet",
                public_ip_address="pip-bastion")
    run = ansible.play(setup + [task("bastion", "bastion_host", **host, scale_units=2)])
    assert run.rc == 0, run.stdout[-3000:]
    bid = arm_id(emu, rg, "Microsoft.Network/bastionHosts/bas-keep")
    config = resource(emu, bid)["properties"]["ipConfigurations"][0]
    arm(bid, {"location": LOCATION, "sku": {"name": "Standard"},
              "properties": {"scaleUnits": 2, "disableCopyPaste": True, "ipConfigurations": [
                  {"name": config["name"], "properties": {"subnet": config["properties"]["subnet"],
                                                          "publicIPAddress": config["properties"]["publicIPAddress"]}}]}})
    run = ansible.play([task("bastion", "bastion_host", **host, scale_units=3)])
    assert run.rc == 0 and run.result("bastion")["changed"] is True, run.stdout[-3000:]
    stored = resource(emu, bid)["properties"]
    assert stored["scaleUnits"] == 3 and stored["disableCopyPaste"] is True


def test_a_private_endpoints_custom_nic_name_survives_a_tag_change(ansible, emu, arm, rg):
    vault = f"kv-{rg[-8:]}"
    setup = [group(rg),
             task("vnet", "virtual_network", resource_group=rg, name="vnet", location=LOCATION, address_prefixes=["10.21.0.0/16"],
                  subnets=[{"name": "pe", "address_prefix": "10.21.4.0/24"}]),
             task("vault", "key_vault", resource_group=rg, name=vault, location=LOCATION)]
    assert ansible.play(setup).rc == 0
    vault_id = arm_id(emu, rg, f"Microsoft.KeyVault/vaults/{vault}")
    subnet_id = arm_id(emu, rg, "Microsoft.Network/virtualNetworks/vnet/subnets/pe")
    eid = arm_id(emu, rg, "Microsoft.Network/privateEndpoints/pe-keep")
    # Made outside the collection with its own NIC name (which only a create can set); the module then adopts it.
    arm(eid, {"location": LOCATION, "properties": {
        "subnet": {"id": subnet_id}, "customNetworkInterfaceName": "nic-pe-keep",
        "privateLinkServiceConnections": [{"name": "pe-keep", "properties": {"privateLinkServiceId": vault_id, "groupIds": ["vault"]}}]}})
    mark = emu.request_count()
    run = ansible.play([task("pe", "private_endpoint", resource_group=rg, name="pe-keep", subnet="vnet/pe", target=vault_id,
                             group_id="vault", tags={"Owner": "platform"})])
    assert run.rc == 0 and run.result("pe")["changed"] is True, run.stdout[-3000:]
    assert changed_by_put(emu, mark, eid)
    stored = resource(emu, eid)
    assert stored["tags"] == {"Owner": "platform"} and stored["properties"]["customNetworkInterfaceName"] == "nic-pe-keep"


def test_a_peering_of_some_subnets_stays_one_when_a_flag_changes(ansible, emu, arm, rg):
    vnets = [task(f"vnet {v}", "virtual_network", resource_group=rg, name=f"vnet-{v}", location=LOCATION, address_prefixes=[cidr],
                  subnets=[{"name": "app", "address_prefix": cidr.replace("0.0/16", "1.0/24")}])
             for v, cidr in (("a", "10.40.0.0/16"), ("b", "10.41.0.0/16"))]
    peering = dict(resource_group=rg, virtual_network="vnet-a", name="a-to-b", remote_virtual_network="vnet-b")
    run = ansible.play([group(rg), *vnets, task("peer", "virtual_network_peering", **peering, allow_forwarded_traffic=False)])
    assert run.rc == 0, run.stdout[-3000:]
    vnet_a = arm_id(emu, rg, "Microsoft.Network/virtualNetworks/vnet-a")
    arm(f"{vnet_a}/virtualNetworkPeerings/a-to-b", {"properties": {
        "remoteVirtualNetwork": {"id": arm_id(emu, rg, "Microsoft.Network/virtualNetworks/vnet-b")},
        "allowVirtualNetworkAccess": True, "allowForwardedTraffic": False, "peerCompleteVnets": False,
        "localSubnetNames": ["app"], "remoteSubnetNames": ["app"]}})
    run = ansible.play([task("peer", "virtual_network_peering", **peering, allow_forwarded_traffic=True)])
    assert run.rc == 0 and run.result("peer")["changed"] is True, run.stdout[-3000:]
    stored = next(p["properties"] for p in resource(emu, vnet_a)["properties"]["virtualNetworkPeerings"] if p["name"] == "a-to-b")
    assert stored["allowForwardedTraffic"] is True
    assert (stored["peerCompleteVnets"], stored["localSubnetNames"], stored["remoteSubnetNames"]) == (False, ["app"], ["app"])


def test_a_blob_services_change_feed_survives_a_versioning_change(ansible, emu, arm, rg):
    name = f"stkeep{rg[-8:]}"
    account = dict(resource_group=rg, name=name, location=LOCATION, sku="Standard_LRS", kind="StorageV2",
                   minimum_tls_version="TLS1_2", allow_shared_key_access=False, public_network_access="Disabled")
    settings = {"delete_retention_days": 7, "container_delete_retention_days": 7}
    run = ansible.play([group(rg), task("st", "storage_account", **account, blob_service=dict(settings, versioning=False))])
    assert run.rc == 0, run.stdout[-3000:]
    service = arm_id(emu, rg, f"Microsoft.Storage/storageAccounts/{name}/blobServices/default")
    stored = resource(emu, service)["properties"]
    arm(service, {"properties": {"changeFeed": {"enabled": True, "retentionInDays": 7},
                                 **{key: stored[key] for key in ("deleteRetentionPolicy", "containerDeleteRetentionPolicy",
                                                                 "isVersioningEnabled")}}}, api_version="2026-09-01")
    run = ansible.play([task("st", "storage_account", **account, blob_service=dict(settings, versioning=True))])
    assert run.rc == 0 and run.result("st")["changed"] is True, run.stdout[-3000:]
    stored = resource(emu, service)["properties"]
    assert stored["isVersioningEnabled"] is True and stored["changeFeed"] == {"enabled": True, "retentionInDays": 7}


def test_a_storage_accounts_firewall_survives_a_tls_change(ansible, emu, arm, rg):
    """The account's PUT (its module's change of an option) carries its firewall, routing, identity and the options the
    task leaves out; its encryption and identity go back without their read-only parts (lastEnabledTime, principalId,
    tenantId), which the emulator refuses as read-only."""
    name = f"stfw{rg[-8:]}"
    account = dict(resource_group=rg, name=name, location=LOCATION, sku="Standard_LRS", kind="StorageV2",
                   allow_shared_key_access=False, public_network_access="Enabled")
    run = ansible.play([group(rg), task("st", "storage_account", **account, minimum_tls_version="TLS1_1")])
    assert run.rc == 0, run.stdout[-3000:]
    aid = arm_id(emu, rg, f"Microsoft.Storage/storageAccounts/{name}")
    stored = resource(emu, aid)
    firewall = {"bypass": "AzureServices", "defaultAction": "Deny", "virtualNetworkRules": [],
                "ipRules": [{"value": "203.0.113.7", "action": "Allow"}]}
    routing = {"routingChoice": "InternetRouting", "publishMicrosoftEndpoints": False, "publishInternetEndpoints": True}
    props = {key: stored["properties"][key] for key in ("minimumTlsVersion", "allowSharedKeyAccess", "publicNetworkAccess")}
    arm(aid, {"location": LOCATION, "sku": {"name": "Standard_LRS"}, "kind": "StorageV2", "identity": {"type": "SystemAssigned"},
              "properties": dict(props, networkAcls=firewall, routingPreference=routing, allowBlobPublicAccess=False)},
        api_version="2026-09-01")
    principal = resource(emu, aid)["identity"]["principalId"]
    mark = emu.request_count()
    run = ansible.play([task("st", "storage_account", resource_group=rg, name=name, minimum_tls_version="TLS1_2")])
    assert run.rc == 0 and run.result("st")["changed"] is True, run.stdout[-3000:]
    assert changed_by_put(emu, mark, aid)
    assert resource(emu, aid)["identity"]["principalId"] == principal   # sent back without its read-only ids, kept
    stored = resource(emu, aid)["properties"]
    assert stored["minimumTlsVersion"] == "TLS1_2" and stored["networkAcls"] == firewall and stored["routingPreference"] == routing
    assert (stored["allowSharedKeyAccess"], stored["publicNetworkAccess"], stored["allowBlobPublicAccess"]) == (False, "Enabled", False)


def test_a_budgets_filter_survives_an_amount_change(ansible, emu, arm, rg):
    budget = dict(resource_group=rg, name="budget-keep", thresholds=[50, 80, 100], contact_emails=["platform-team@complianceflow.example"])
    assert ansible.play([group(rg), task("budget", "budget", **budget, amount=200)]).rc == 0
    bid = arm_id(emu, rg, "Microsoft.Consumption/budgets/budget-keep")
    stored = resource(emu, bid)["properties"]
    only_db = {"dimensions": {"name": "ResourceId", "operator": "In", "values": [arm_id(emu, rg, "Microsoft.DBforPostgreSQL/flexibleServers/x")]}}
    arm(bid, {"properties": {**{key: stored[key] for key in ("category", "amount", "timeGrain", "timePeriod", "notifications")},
                             "filter": only_db}}, api_version="2026-06-01")
    run = ansible.play([task("budget", "budget", **budget, amount=300)])
    assert run.rc == 0 and run.result("budget")["changed"] is True, run.stdout[-3000:]
    stored = resource(emu, bid)["properties"]
    assert stored["amount"] == 300 and stored["filter"] == only_db


def test_a_zone_links_resolution_policy_and_tags_survive_a_registration_change(ansible, emu, arm, rg):
    zone = "privatelink.vaultcore.azure.net"
    vnet = task("vnet", "virtual_network", resource_group=rg, name="vnet", location=LOCATION, address_prefixes=["10.23.0.0/16"])

    def zone_task(registration):
        return task("zone", "private_dns_zone", resource_group=rg, name=zone,
                    virtual_network_links=[{"name": "link", "virtual_network": "vnet", "registration_enabled": registration}])
    assert ansible.play([group(rg), vnet, zone_task(False)]).rc == 0
    link = arm_id(emu, rg, f"Microsoft.Network/privateDnsZones/{zone}/virtualNetworkLinks/link")
    arm(link, {"location": "global", "tags": {"Policy": "kept"}, "properties": {
        "virtualNetwork": {"id": arm_id(emu, rg, "Microsoft.Network/virtualNetworks/vnet")}, "registrationEnabled": False,
        "resolutionPolicy": "NxDomainRedirect"}}, api_version="2024-06-01")
    run = ansible.play([zone_task(True)])
    assert run.rc == 0 and run.result("zone")["changed"] is True, run.stdout[-3000:]
    stored = resource(emu, link)
    assert stored["properties"]["registrationEnabled"] is True and stored["properties"]["resolutionPolicy"] == "NxDomainRedirect"
    assert stored["tags"] == {"Policy": "kept"}


def test_an_event_hubs_capture_survives_a_retention_change(ansible, emu, arm, rg):
    name = f"evhns-keep-{rg[-8:]}"

    def namespace(days):
        return task("ns", "event_hubs_namespace", resource_group=rg, name=name, location=LOCATION, sku="Standard", disable_local_auth=True,
                    event_hubs=[{"name": "tenant-events", "partition_count": 4, "message_retention_in_days": days}])
    run = ansible.play([group(rg), namespace(1)])
    assert run.rc == 0, run.stdout[-3000:]
    hub = arm_id(emu, rg, f"Microsoft.EventHub/namespaces/{name}/eventhubs/tenant-events")
    capture = {"enabled": True, "encoding": "Avro", "intervalInSeconds": 300, "destination": {
        "name": "EventHubArchive.AzureBlockBlob", "properties": {
            "storageAccountResourceId": arm_id(emu, rg, "Microsoft.Storage/storageAccounts/starchive"), "blobContainer": "capture",
            "archiveNameFormat": "{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}"}}}
    arm(hub, {"properties": {"partitionCount": 4, "messageRetentionInDays": 1, "captureDescription": capture}}, api_version="2026-01-01")
    run = ansible.play([namespace(7)])
    assert run.rc == 0 and run.result("ns")["changed"] is True, run.stdout[-3000:]
    stored = resource(emu, hub)["properties"]
    assert stored["messageRetentionInDays"] == 7 and stored["captureDescription"] == capture

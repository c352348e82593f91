"""Network Watcher and virtual network flow logs in the emulator, through ARM's generic resource operations
(azure-mgmt-resource), as Azure's rules say (docs/emulator.md).

The flow log needs a storage account; the emulator of this branch serves no Microsoft.Storage, so the account's
document is written into the state of an emulator of this module's own (stopped, written, started again).
"""
from __future__ import annotations

import json

import pytest
from azure.core.exceptions import HttpResponseError
from emulator import OWNER_CONFIG, Emulator

API = "2026-03-01"
GROUP = "rg-flowlogs"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from azure.mgmt.resource.resources import ResourceManagementClient
    state_dir = tmp_path_factory.mktemp("arm-emulator-flowlogs")
    emu = Emulator(state_dir, config=OWNER_CONFIG).start()
    try:
        sub = emu.subscription_id
        group = f"/subscriptions/{sub}/resourceGroups/{GROUP}"
        state = json.loads((state_dir / "state.json").read_text())
        for name, location in (("stflowlogs", "westeurope"), ("stflowlogsne", "northeurope")):
            doc = {"id": f"{group}/providers/Microsoft.Storage/storageAccounts/{name}", "name": name, "location": location,
                   "type": "Microsoft.Storage/storageAccounts", "kind": "StorageV2", "properties": {"provisioningState": "Succeeded"}}
            state["resources"][doc["id"].lower()] = doc
        state["resources"][group.lower()] = {"id": group, "name": GROUP, "type": "Microsoft.Resources/resourceGroups",
                                             "location": "westeurope", "properties": {"provisioningState": "Succeeded"}}
        emu.stop()
        (state_dir / "state.json").write_text(json.dumps(state))
        emu.start()
        client = ResourceManagementClient(emu.credential(), sub, **emu.client_kwargs())
        yield emu, client, group
    finally:
        emu.stop()


def _put(client, resource_id, body, api=API):
    return client.resources.begin_create_or_update_by_id(resource_id, api_version=api, parameters=body).result()


def test_vnet_flow_log_rules(env):
    emu, client, group = env
    vnet = _put(client, f"{group}/providers/Microsoft.Network/virtualNetworks/vnet-a",
                {"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}}}).id
    nsg = _put(client, f"{group}/providers/Microsoft.Network/networkSecurityGroups/nsg-a", {"location": "westeurope"}).id
    watchers = f"/subscriptions/{emu.subscription_id}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers"
    _put(client, f"/subscriptions/{emu.subscription_id}/resourceGroups/NetworkWatcherRG", {"location": "westeurope"}, "2025-04-01")
    watcher = _put(client, f"{watchers}/NetworkWatcher_westeurope", {"location": "westeurope", "properties": {}}).id
    # One watcher per region and subscription (Azure/azure-cli#15796).
    with pytest.raises(HttpResponseError, match="NetworkWatcherCountLimitReached"):
        _put(client, f"{watchers}/another", {"location": "westeurope", "properties": {}})
    storage = f"{group}/providers/Microsoft.Storage/storageAccounts/stflowlogs"

    def flow(name, **props):
        body = {"targetResourceId": vnet, "storageId": storage, "enabled": True, "format": {"type": "JSON", "version": 2}}
        props = {k: v for k, v in dict(body, **props).items() if v is not None}   # None: left out
        return _put(client, f"{watcher}/flowLogs/{name}", {"location": "westeurope", "properties": props})

    made = flow("fl-a")
    assert made.properties["targetResourceId"] == vnet and made.properties["format"] == {"type": "JSON", "version": 2}
    assert made.properties["targetResourceGuid"] and made.properties["retentionPolicy"] == {"days": 0, "enabled": False}
    for props, why in (({"targetResourceId": nsg}, "NsgFlowLogCreationBlocked"),            # NSG flow logs: creation blocked
                       ({"targetResourceId": vnet + "-gone"}, "does not exist"),
                       ({"storageId": storage + "-gone"}, "does not exist"),
                       ({"storageId": storage + "ne"}, "must be in the flow log target's region"),
                       ({}, "already has flow log"),                                       # one flow log per target
                       ({"storageId": None}, "required property")):                        # the spec's required storageId
        with pytest.raises(HttpResponseError, match=why):
            flow("fl-b", **props)
    # A tags-only PATCH (FlowLogs_UpdateTags) and a change of the same flow log are accepted.
    tagged = client.resources.begin_update_by_id(made.id, api_version=API, parameters={"tags": {"a": "1"}}).result()
    assert tagged.tags == {"a": "1"}
    assert flow("fl-a", format={"type": "JSON", "version": 1}).properties["format"]["version"] == 1
    client.resources.begin_delete_by_id(made.id, api_version=API).result()
    assert flow("fl-c").name == "fl-c"   # the target is free again

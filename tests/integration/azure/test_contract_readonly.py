"""The contract of the read-only Azure modules (*_info), against the emulator."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Callable

import pytest
from azure_play import task
from test_contract import LOCATION, writes

# --- The read-only modules ------------------------------------------------------------------------------------------
# Every *_info Azure module: a bad value is refused before any request; what it reads is the same in check mode and
# normal mode, and neither writes; a missing resource (or scope) is exists=false, not an error; a wrong subscription
# fails naming it (ARM's 404 SubscriptionNotFound is never "missing"); module_defaults of the azure group reach it.

WRONG_SUBSCRIPTION = "0bad0bad-1111-2222-3333-444444444444"


@dataclass
class InfoContract:
    read: Callable[[str, str], dict]   # (subscription, group) -> options reading something in a group that does not exist
    exists: bool                       # what `exists` is then
    bad: dict                          # an invalid value ...
    message: str                       # ... and the message that names it


INFO_CONTRACTS = {
    "key_vault_info": InfoContract(
        lambda sub, rg: {"resource_group": rg, "name": "kv-ct-missing", "check_access": True}, False,
        {"resource_group": "rg-x", "name": "kv--double"}, "'kv--double' is not a valid Key Vault name"),
    "postgresql_flexible_server_info": InfoContract(
        lambda sub, rg: {"resource_group": rg, "name": "psql-ct-missing"}, False,
        {"resource_group": "rg-x", "name": "PSQL_Bad"}, "'PSQL_Bad' is not a valid server name"),
    "role_assignment_info": InfoContract(
        lambda sub, rg: {"scope": f"/subscriptions/{sub}/resourceGroups/{rg}", "actions": ["Microsoft.Network/virtualNetworks/write"]},
        False, {"scope": "/subscriptions/x/resourceGroups/rg/extra"}, "is not an Azure resource id"),
    "location_capacity_info": InfoContract(
        lambda sub, rg: {"location": LOCATION, "postgresql": {"sku_name": "Standard_B1ms"}, "network": {"virtual_networks": 1}},
        True, {"location": "west/europe", "network": {"virtual_networks": 1}}, "is not an Azure location name"),
}


def arm_requests(emu, since):
    return [r for r in emu.requests(since=since) if r["path"].lower().startswith("/subscriptions/")]


@pytest.mark.parametrize("kind", list(INFO_CONTRACTS))
def test_info_contract(ansible, emu, kind):
    c = INFO_CONTRACTS[kind]
    rg = f"rg-ct-none-{uuid.uuid4().hex[:6]}"

    mark = emu.request_count()
    run = ansible.play([task(kind, kind, **c.bad)])
    assert run.rc != 0 and c.message in run.result(kind)["msg"], run.stdout[-2000:]
    assert arm_requests(emu, mark) == [], "a bad value reached the emulator"

    mark = emu.request_count()
    run = ansible.play([task("normal", kind, **c.read(emu.subscription_id, rg)),
                        dict(task("check", kind, **c.read(emu.subscription_id, rg)), check_mode=True)])
    normal, checked = run.result("normal"), run.result("check")
    assert run.rc == 0 and normal["changed"] is False and normal["exists"] is c.exists, run.stdout[-3000:]
    assert {k: v for k, v in checked.items() if k != "invocation"} == {k: v for k, v in normal.items() if k != "invocation"}
    assert not writes(emu, mark), "an info module wrote"

    mark = emu.request_count()
    run = ansible.play([task(kind, kind, subscription_id=WRONG_SUBSCRIPTION, **c.read(WRONG_SUBSCRIPTION, rg))])
    result = run.result(kind)
    assert run.rc != 0 and WRONG_SUBSCRIPTION in result["msg"] and "SubscriptionNotFound" in result["msg"], result
    assert not writes(emu, mark)

    run = ansible.play([task(kind, kind, **c.read(emu.subscription_id, rg))],
                       module_defaults={"group/complianceflow.infra.azure": {"timeout": 0}})
    assert run.rc != 0 and "timeout=0" in run.result(kind)["msg"]

"""Microsoft.ManagedIdentity user-assigned identities in the emulator, and role assignments to their principal."""
from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.authorization import AuthorizationManagementClient

API = "2026-05-31"
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"


@pytest.fixture
def authz(emu, credential):
    return AuthorizationManagementClient(credential, emu.subscription_id, **emu.client_kwargs())


def _put(resources, rid, body):
    return resources.resources.begin_create_or_update_by_id(rid, api_version=API, parameters=body).result()


def _identity(emu, group, name):
    return f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"


def test_identity_ids_are_read_only_and_stable_and_its_principal_takes_roles(emu, resources, authz, group):
    rid = _identity(emu, group, f"id-{uuid.uuid4().hex[:8]}")
    created = _put(resources, rid, {"location": "westeurope"})
    principal, client = created.properties["principalId"], created.properties["clientId"]
    assert uuid.UUID(principal) and uuid.UUID(client) and created.properties["tenantId"]
    again = _put(resources, rid, {"location": "westeurope", "tags": {"a": "1"}})
    assert (again.properties["principalId"], again.properties["clientId"]) == (principal, client)
    with pytest.raises(HttpResponseError, match="principalId"):   # read-only in the spec
        _put(resources, rid, {
            "location": "westeurope", "properties": {"principalId": str(uuid.uuid4())}})
    with pytest.raises(HttpResponseError, match="InvalidResourceName"):
        _put(resources, _identity(emu, group, "x"), {"location": "westeurope"})
    group_id = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}"
    assignment = authz.role_assignments.create(group_id, str(uuid.uuid4()), {"properties": {
        "roleDefinitionId": f"/subscriptions/{emu.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{ACR_PULL}",
        "principalId": principal, "principalType": "ServicePrincipal"}})
    assert assignment.principal_id == principal
    resources.resources.begin_delete_by_id(rid, api_version=API).result()
    assert resources.resources.check_existence_by_id(rid, api_version=API) is False

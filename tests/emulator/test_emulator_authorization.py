"""Role assignments and Key Vault data-plane access in the emulator, through the real SDKs (azure-mgmt-authorization
for role assignments, azure-keyvault-secrets for the data plane): who may assign roles, the firewall, RBAC, the
lag of a new vault's DNS name, global vault names. Sources of each rule: docs/emulator.md."""
from __future__ import annotations

import time
import uuid

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ServiceRequestError
from azure.keyvault.secrets import SecretClient
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.keyvault import KeyVaultManagementClient
from emulator import CONTROLLER_ADDRESS, Emulator, OWNER_CONFIG

SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"


@pytest.fixture
def vaults(emu, credential):
    return KeyVaultManagementClient(credential, emu.subscription_id, **emu.client_kwargs()).vaults


@pytest.fixture
def authz(emu, credential):
    return AuthorizationManagementClient(credential, emu.subscription_id, **emu.client_kwargs())


@pytest.fixture
def proxied(emu, monkeypatch):
    for key, value in emu.proxy_env().items():
        monkeypatch.setenv(key, value)
    yield
    emu.set_access(client_address=CONTROLLER_ADDRESS, client_subnet=None, rbac_delay=0, dns_delay=0)


def vault_body(emu, acls=None, **props):
    properties = {"tenantId": emu.tenant_id, "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": True}
    if acls is not None:
        properties["networkAcls"] = acls
    properties.update(props)
    return {"location": "westeurope", "properties": properties}


def officer(emu, principal=None):
    definition = f"/subscriptions/{emu.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{SECRETS_OFFICER}"
    return {"properties": {"roleDefinitionId": definition, "principalId": principal or emu.object_id,
                           "principalType": "ServicePrincipal"}}


def inner_code(err: HttpResponseError) -> str:
    return err.response.json()["error"]["innererror"]["code"]


def test_role_assignments_at_a_vault_scope_follow_the_spec(emu, vaults, authz, group):
    vault = vaults.begin_create_or_update(group, "kv-ra-spec", vault_body(emu)).result()
    name = str(uuid.uuid4())
    created = authz.role_assignments.create(vault.id, name, officer(emu))
    assert created.principal_id == emu.object_id and created.scope.lower() == vault.id.lower()
    assert created.role_definition_id.endswith(SECRETS_OFFICER) and created.principal_type == "ServicePrincipal"
    assert authz.role_assignments.get(vault.id, name).id == created.id
    again = authz.role_assignments.create(vault.id, name, officer(emu))       # the same PUT again: 200, no change
    assert again.id == created.id
    mine = list(authz.role_assignments.list_for_scope(vault.id, filter=f"principalId eq '{emu.object_id}'"))
    assert created.id in [a.id for a in mine]
    with pytest.raises(ResourceExistsError, match="RoleAssignmentExists"):   # same principal, role, scope, other name
        authz.role_assignments.create(vault.id, str(uuid.uuid4()), officer(emu))
    with pytest.raises(HttpResponseError, match="RoleAssignmentUpdateNotPermitted"):   # a name is never reused
        authz.role_assignments.create(vault.id, name, officer(emu, principal=str(uuid.uuid4())))
    deleted = authz.role_assignments.delete(vault.id, name)
    assert deleted.id == created.id and authz.role_assignments.delete(vault.id, name) is None   # 200, then 204
    # Deleting the group takes its resources' role assignments along.
    authz.role_assignments.create(vault.id, name, officer(emu))


def test_assigning_roles_needs_roleAssignments_write(emu, vaults, group):   # pylint: disable=invalid-name
    vault = vaults.begin_create_or_update(group, "kv-ra-denied", vault_body(emu)).result()
    stranger = emu.credential(client_id="deployer-without-owner")            # any client id gets a token
    client = AuthorizationManagementClient(stranger, emu.subscription_id, **emu.client_kwargs())
    with pytest.raises(HttpResponseError, match="AuthorizationFailed") as err:
        client.role_assignments.create(vault.id, str(uuid.uuid4()), officer(emu))
    assert err.value.status_code == 403 and "Microsoft.Authorization/roleAssignments/write" in str(err.value)


def test_firewall_then_rbac_refuse_a_secret_write_until_both_allow_it(emu, vaults, group, credential, proxied):
    vault = vaults.begin_create_or_update(group, "kv-fw-rbac", vault_body(
        emu, acls={"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [], "virtualNetworkRules": []})).result()
    secrets = SecretClient(vault.properties.vault_uri, credential, connection_verify=emu.ca)
    with pytest.raises(HttpResponseError) as err:
        secrets.set_secret("first", "value-1")
    assert err.value.status_code == 403 and inner_code(err.value) == "ForbiddenByFirewall"
    assert f"Client address: {CONTROLLER_ADDRESS}" in err.value.message
    # The controller's address as a single-address rule: Azure keeps it as <address>/32.
    rule = {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [{"value": CONTROLLER_ADDRESS}]}
    vault = vaults.update(group, "kv-fw-rbac", {"properties": {"networkAcls": rule}})
    assert [r.value for r in vault.properties.network_acls.ip_rules] == [f"{CONTROLLER_ADDRESS}/32"]
    with pytest.raises(HttpResponseError) as err:
        secrets.set_secret("first", "value-1")
    assert inner_code(err.value) == "ForbiddenByRbac" and "secrets/setSecret/action" in err.value.message
    emu.grant("Key Vault Secrets Officer", scope=vault.id)
    assert secrets.set_secret("first", "value-1").value == "value-1"
    written = [r for r in emu.requests(method="PUT") if r["path"] == "/secrets/first" and r["status"] != 401]  # 401: the challenge
    assert [r["status"] for r in written] == [403, 403, 200]
    assert [r.get("inner_error") for r in written] == ["ForbiddenByFirewall", "ForbiddenByRbac", None]


def test_a_subnet_rule_admits_the_controller_only_with_the_service_endpoint(emu, vaults, group, credential, resources, proxied):
    from azure.mgmt.network import NetworkManagementClient
    network = NetworkManagementClient(credential, emu.subscription_id, **emu.client_kwargs())
    vnet = network.virtual_networks.begin_create_or_update(group, "vnet-ctl", {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.30.0.0/16"]},
        "subnets": [{"name": "mgmt", "properties": {"addressPrefix": "10.30.10.0/24",
                                                    "serviceEndpoints": [{"service": "Microsoft.KeyVault"}]}}],
    }}).result()
    subnet_id = vnet.properties.subnets[0].id
    vault = vaults.begin_create_or_update(group, "kv-subnet-ctl", vault_body(
        emu, acls={"defaultAction": "Deny", "virtualNetworkRules": [{"id": subnet_id}]})).result()
    emu.grant("Key Vault Secrets Officer", scope=vault.id)
    secrets = SecretClient(vault.properties.vault_uri, credential, connection_verify=emu.ca)
    with pytest.raises(HttpResponseError, match="ForbiddenByFirewall"):
        secrets.set_secret("s", "v")                         # the controller is outside the VNet
    emu.set_access(client_subnet=subnet_id)
    assert secrets.set_secret("s", "v").value == "v"        # now inside the allowed subnet


def test_public_network_access_disabled_refuses_every_caller(emu, vaults, group, credential, proxied):
    vault = vaults.begin_create_or_update(group, "kv-no-public", vault_body(emu, publicNetworkAccess="Disabled")).result()
    emu.grant("Key Vault Secrets Officer", scope=vault.id)
    with pytest.raises(HttpResponseError) as err:
        SecretClient(vault.properties.vault_uri, credential, connection_verify=emu.ca).set_secret("s", "v")
    assert inner_code(err.value) == "ForbiddenByConnection"


def test_a_new_role_assignment_takes_effect_after_the_configured_delay(emu, vaults, authz, group, credential, proxied):
    vault = vaults.begin_create_or_update(group, "kv-rbac-delay", vault_body(emu)).result()
    emu.set_access(rbac_delay=2)
    authz.role_assignments.create(vault.id, str(uuid.uuid4()), officer(emu))
    secrets = SecretClient(vault.properties.vault_uri, credential, connection_verify=emu.ca)
    with pytest.raises(HttpResponseError, match="ForbiddenByRbac"):
        secrets.set_secret("s", "v")
    time.sleep(2.2)
    assert secrets.set_secret("s", "v").value == "v"


def test_a_new_vaults_name_resolves_only_after_the_dns_delay(emu, vaults, group, proxied):
    emu.set_access(dns_delay=2)
    vault = vaults.begin_create_or_update(group, "kv-dns-lag", vault_body(emu)).result()
    proxies = {"https": emu.proxy}
    with pytest.raises(requests.exceptions.ProxyError, match="502"):
        requests.get(vault.properties.vault_uri, proxies=proxies, verify=emu.ca, timeout=5)
    time.sleep(2.2)
    assert requests.get(vault.properties.vault_uri, proxies=proxies, verify=emu.ca, timeout=5).status_code == 401
    # A name that belongs to no vault never resolves (the client sees a connection error, not an HTTP answer).
    missing = vault.properties.vault_uri.replace("kv-dns-lag", "kv-no-such-vault")
    with pytest.raises(ServiceRequestError):
        SecretClient(missing, emu.credential(), connection_verify=emu.ca, retry_total=0).get_secret("s")


def test_ip_rules_private_or_ipv6_addresses_are_refused(emu, vaults, group):
    for value in ("10.1.2.3", "192.168.0.0/16", "2001:db8::1"):
        with pytest.raises(HttpResponseError, match="BadRequest"):
            vaults.begin_create_or_update(group, "kv-bad-ip", vault_body(
                emu, acls={"defaultAction": "Deny", "ipRules": [{"value": value}]})).result()


def test_soft_deleted_names_stay_taken_across_subscriptions(tmp_path):
    other = "11111111-2222-3333-4444-555555555555"
    with Emulator(tmp_path / "arm", config=dict(OWNER_CONFIG, subscriptions=[other])) as emu:
        credential = emu.credential()
        here = KeyVaultManagementClient(credential, emu.subscription_id, **emu.client_kwargs())
        there = KeyVaultManagementClient(credential, other, **emu.client_kwargs())
        from azure.mgmt.resource.resources import ResourceManagementClient
        for sub in (emu.subscription_id, other):
            ResourceManagementClient(credential, sub, **emu.client_kwargs()).resource_groups.create_or_update(
                "rg-names", {"location": "westeurope"})
        here.vaults.begin_create_or_update("rg-names", "kv-global-sd", vault_body(emu)).result()
        here.vaults.delete("rg-names", "kv-global-sd")
        with pytest.raises(HttpResponseError, match="VaultAlreadyExists"):
            there.vaults.begin_create_or_update("rg-names", "kv-global-sd", vault_body(emu)).result()
        with pytest.raises(HttpResponseError, match="ConflictError"):
            here.vaults.begin_create_or_update("rg-names", "kv-global-sd", vault_body(emu)).result()
        here.vaults.begin_purge_deleted("kv-global-sd", "westeurope").result()
        there.vaults.begin_create_or_update("rg-names", "kv-global-sd", vault_body(emu)).result()   # purged: free
        # A reset forgets every resource and brings back what the configuration grants (the owner's assignment).
        emu.reset()
        owners = [d for d in emu.admin("GET", "state")["resources"].values() if d["type"] == "Microsoft.Authorization/roleAssignments"]
        assert [(o["properties"]["principalId"], o["properties"]["scope"]) for o in owners] == [
            (emu.object_id, f"/subscriptions/{emu.subscription_id}")]


def test_listing_a_principals_assignments_at_and_above_a_scope(emu, vaults, authz, group):
    """$filter as the spec and the REST docs give it: atScope() (at or above), principalId eq '{id}', assignedTo('{id}'),
    and atScope() and assignedTo('{id}'); an id without quotes is refused as Azure refuses it."""
    vault = vaults.begin_create_or_update(group, "kv-ra-list", vault_body(emu)).result()
    stranger = str(uuid.uuid4())
    mine = authz.role_assignments.create(vault.id, str(uuid.uuid4()), officer(emu))
    theirs = authz.role_assignments.create(vault.id, str(uuid.uuid4()), officer(emu, principal=stranger))
    group_id = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}"

    def ids(scope, text):
        return {a.id for a in authz.role_assignments.list_for_scope(scope, filter=text)}

    at_group = list(authz.role_assignments.list_for_scope(group_id, filter=f"atScope() and assignedTo('{emu.object_id}')"))
    assert mine.id not in {a.id for a in at_group}                   # below the scope: not listed
    assert all(group_id.lower().startswith(a.scope.lower()) for a in at_group)
    assert any(a.scope == f"/subscriptions/{emu.subscription_id}" and a.role_definition_id.endswith(OWNER) for a in at_group)
    at_vault = ids(vault.id, f"atScope() and assignedTo('{emu.object_id}')")
    assert mine.id in at_vault and theirs.id not in at_vault
    assert ids(vault.id, f"assignedTo('{stranger}')") == {theirs.id}
    assert {mine.id, theirs.id} <= ids(vault.id, "atScope()")
    assert mine.id in ids(group_id, f"principalId eq '{emu.object_id}'")   # at, above or below for one principal
    with pytest.raises(HttpResponseError, match="is not supported. Supported filters are either 'atScope\\(\\)'"):
        ids(vault.id, f"principalId eq {emu.object_id}")


def test_role_definitions_are_read_by_id_with_their_permissions(emu, authz):
    contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"
    definition_id = f"/subscriptions/{emu.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{contributor}"
    found = authz.role_definitions.get_by_id(definition_id)
    assert found.id == definition_id and found.role_name == "Contributor" and found.role_type == "BuiltInRole"
    (permission,) = found.permissions
    assert permission.actions == ["*"] and "Microsoft.Authorization/*/Write" in permission.not_actions
    rbac_admin = authz.role_definitions.get(f"/subscriptions/{emu.subscription_id}", "f58310d9-a9f6-439a-9e8d-f62e7b41a168")
    assert rbac_admin.role_name == "Role Based Access Control Administrator"
    assert "Microsoft.Authorization/roleAssignments/write" in rbac_admin.permissions[0].actions
    with pytest.raises(HttpResponseError, match="RoleDefinitionDoesNotExist"):
        authz.role_definitions.get(f"/subscriptions/{emu.subscription_id}", str(uuid.uuid4()))

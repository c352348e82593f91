"""Pure logic behind the first secret write into a new vault (no SDK, no network): IP rules as Azure returns them, the
deploying identity from its token, role assignment names and plans, Key Vault's 403s turned into what to do."""
from __future__ import annotations

import base64
import json

import pytest
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import key_vault as kv
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import key_vault_secret as secret
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import principal
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import role_assignment as ra
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

SUB = "00000000-0000-0000-0000-000000000001"
TENANT = "00000000-0000-0000-0000-0000000000aa"
OID = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
VAULT = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-cf-test-1"
OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"


# --- IP rules --------------------------------------------------------------------------------

@pytest.mark.parametrize("given,normal", [("198.51.100.10", "198.51.100.10/32"), ("198.51.100.10/32", "198.51.100.10/32"),
                                          (" 203.0.113.0/24", "203.0.113.0/24")])
def test_ip_rules_normalise_to_the_form_azure_returns(given, normal):
    assert kv.normalize_ip_rule(given) == normal


@pytest.mark.parametrize("bad,message", [("10.0.0.1", "private (RFC 1918)"), ("172.20.0.0/16", "private (RFC 1918)"),
                                         ("192.168.1.0/24", "private (RFC 1918)"), ("203.0.113.9/24", "host bits set; the network is 203.0.113.0/24"),
                                         ("2001:db8::1", "IPv6"), ("controller", "not an IPv4 address")])
def test_ip_rules_azure_refuses_fail_before_any_call(bad, message):
    with pytest.raises(AzureInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        kv.normalize_ip_rule(bad)


def vault_spec(ip_rules):
    return dict(name="kv-cf-test-1", resource_group="rg", sku="standard", enable_rbac_authorization=True,
                soft_delete_retention_days=90, enable_purge_protection=False, public_network_access="Enabled",
                network_acls={"default_action": "Deny", "bypass": "AzureServices", "ip_rules": ip_rules,
                              "virtual_network_subnet_ids": [], "ignore_missing_vnet_service_endpoint": False},
                tags={}, purge_tags=True)


def vault_as_azure_returns(ip_values):
    return {"id": VAULT, "name": "kv-cf-test-1", "location": "westeurope", "tags": {}, "properties": {
        "tenantId": TENANT, "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": True,
        "softDeleteRetentionInDays": 90, "publicNetworkAccess": "Enabled",
        "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [{"value": v} for v in ip_values],
                        "virtualNetworkRules": []}}}


def test_a_single_address_settles_against_azures_slash_32():
    """Issue #11 item 6: 1.2.3.4 given, 1.2.3.4/32 returned: no change, no write."""
    plan = kv.plan_vault(vault_as_azure_returns(["198.51.100.10/32", "203.0.113.0/24"]),
                         vault_spec(["203.0.113.0/24", "198.51.100.10", "198.51.100.10/32"]), TENANT, SUB)
    assert plan.action == "none" and plan.before["network_acls"]["ip_rules"] == ["198.51.100.10/32", "203.0.113.0/24"]


def test_a_new_single_address_is_sent_as_the_address_and_a_real_change_is_a_patch():
    created = kv.plan_vault(None, vault_spec(["198.51.100.10/32", "203.0.113.0/24"]), TENANT, SUB)
    assert created.body["properties"]["networkAcls"]["ipRules"] == [{"value": "198.51.100.10"}, {"value": "203.0.113.0/24"}]
    changed = kv.plan_vault(vault_as_azure_returns(["198.51.100.10/32"]), vault_spec(["198.51.100.11"]), TENANT, SUB)
    assert changed.action == "patch" and changed.body["properties"]["networkAcls"]["ipRules"] == [{"value": "198.51.100.11"}]


# --- the deploying identity --------------------------------------------------------------------

def token(claims):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


@pytest.mark.parametrize("claims,kind", [({"oid": OID, "idtyp": "app", "appid": "a"}, "ServicePrincipal"),
                                         ({"oid": OID, "scp": "openid profile user_impersonation"}, "User"),
                                         ({"oid": OID, "idtyp": "user"}, "User"),
                                         ({"oid": OID, "roles": []}, "ServicePrincipal")])
def test_the_caller_is_read_from_the_tokens_claims(claims, kind):
    found = principal.principal_from_claims(principal.claims_from_token(token(dict(claims, tid=TENANT))))
    assert found["object_id"] == OID and found["principal_type"] == kind and found["tenant_id"] == TENANT


@pytest.mark.parametrize("raw,message", [("not-a-jwt", "not a JWT"), (token({"tid": TENANT}), "no 'oid' claim"),
                                         ("a.!!!.c", "could not be read")])
def test_a_token_without_an_object_id_asks_for_principal_id(raw, message):
    with pytest.raises(AzureInputError, match=message):
        principal.principal_from_claims(principal.claims_from_token(raw))


# --- role assignments --------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["Key Vault Secrets Officer", "key vault secrets officer", OFFICER, OFFICER.upper(),
                                  f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{OFFICER}"])
def test_roles_by_name_or_definition(role):
    assert ra.role_guid(role) == OFFICER


@pytest.mark.parametrize("bad", ["Secrets Officer", "", "/subscriptions/x/providers/Other/things/" + OFFICER])
def test_unknown_roles_fail_naming_the_value(bad):
    with pytest.raises(AzureInputError, match="is neither a built-in role"):
        ra.role_guid(bad)


def test_the_assignment_name_depends_on_scope_principal_and_role_only():
    name = ra.assignment_name(VAULT, OID, OFFICER)
    assert name == ra.assignment_name(VAULT.upper(), OID.upper(), OFFICER) and ra.GUID_RE.match(name)
    assert name != ra.assignment_name(VAULT, OID, "4633458b-17de-408a-b874-0445c86b69e6")
    assert name != ra.assignment_name(VAULT + "x", OID, OFFICER)


def assignment(scope=VAULT, principal_id=OID, role=OFFICER):
    return {"id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/n", "name": "n", "properties": {
        "scope": scope, "principalId": principal_id, "principalType": "ServicePrincipal",
        "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"}}


def body():
    return {"properties": {"roleDefinitionId": ra.definition_id(SUB, OFFICER), "principalId": OID}}


def test_an_assignment_is_created_once_then_left_alone():
    assert ra.plan_assignment(None, VAULT, OID, OFFICER, body()).action == "create"
    same = ra.plan_assignment(assignment(scope=VAULT.lower()), VAULT, OID, OFFICER, body())
    assert same.action == "none" and same.before == same.after


def test_a_named_assignment_that_differs_cannot_be_changed():
    with pytest.raises(AzureInputError, match="never changes a role assignment"):
        ra.plan_assignment(assignment(role="4633458b-17de-408a-b874-0445c86b69e6"), VAULT, OID, OFFICER, body())


def test_scope_and_principal_are_validated():
    assert ra.validate_scope(VAULT + "/") == VAULT
    with pytest.raises(AzureInputError, match="not an Azure resource id"):
        ra.validate_scope("kv-cf-test-1")
    with pytest.raises(AzureInputError, match="not an object id"):
        ra.validate_principal_id("client-id")


# --- Key Vault's 403s --------------------------------------------------------------------------

class Forbidden(Exception):
    """What azure-core's HttpResponseError carries for a Key Vault refusal."""

    def __init__(self, inner, message):
        super().__init__(message)
        self.status_code = 403
        self.response = self
        self._body = {"error": {"code": "Forbidden", "message": message, "innererror": {"code": inner}}}

    def json(self):
        return self._body


URI = "https://kv-cf-test-1.vault.azure.net/"


def test_a_firewall_refusal_names_the_address_to_allow():
    err = Forbidden("ForbiddenByFirewall", "Client address is not authorized and caller is not a trusted service.\r\n"
                    f"Client address: 198.51.100.10\r\nCaller: appid=a;oid={OID};iss=x\r\nVault: kv-cf-test-1;location=westeurope")
    msg = secret.describe_forbidden(err, URI)
    assert "198.51.100.10" in msg and "key_vault_ip_rules" in msg and "nothing was written" in msg


def test_an_rbac_refusal_names_the_identity_and_the_role_to_assign():
    err = Forbidden("ForbiddenByRbac", f"Caller is not authorized to perform action on resource.\r\nCaller: appid=a;oid={OID};"
                    "iss=x\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nAssignment: (not found)")
    msg = secret.describe_forbidden(err, URI)
    assert OID in msg and "getSecret/action" in msg and "Key Vault Secrets Officer" in msg


def test_other_errors_are_not_403_messages():
    err = Forbidden("ForbiddenByFirewall", "x")
    err.status_code = 404
    assert secret.describe_forbidden(err, URI) is None and secret.forbidden_code(err) is None


class Module:
    def __init__(self):
        self.failed = None

    def fail_json(self, **kwargs):
        self.failed = kwargs
        raise SystemExit(1)

    def operation(self, what):
        from contextlib import nullcontext
        return nullcontext()


def test_the_access_check_waits_for_a_new_role_then_stops_at_its_deadline(monkeypatch):
    clock = [0.0]
    calls = []

    class Pages:
        def by_page(self):
            calls.append(clock[0])
            if clock[0] < 12:
                raise Forbidden("ForbiddenByRbac", "Caller is not authorized")
            return iter([[]])

    class Client:
        def list_properties_of_secrets(self, max_page_size):
            assert max_page_size == 1
            return Pages()

    monkeypatch.setattr(secret.SecretApi, "client", lambda self, module: Client())

    def sleep(seconds):
        clock[0] += seconds

    result = secret.check_access(Module(), URI, wait=30, sleep=sleep, clock=lambda: clock[0])
    assert result["allowed"] and result["attempts"] == 4 and calls == [0.0, 5.0, 10.0, 15.0]
    clock[0], calls[:] = 0.0, []
    module = Module()
    with pytest.raises(SystemExit):
        secret.check_access(module, URI, wait=7, sleep=sleep, clock=lambda: clock[0])
    assert "ForbiddenByRbac" in module.failed["msg"] and calls == [0.0, 5.0, 7.0]

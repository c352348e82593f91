"""The first secret write into a new vault, held to Azure's contract (issue #11): the vault firewall and RBAC on the data
plane, the deploying identity's role assignment, a new vault's DNS lag, IP rules as Azure returns them. Every case
runs the real modules (and role) through ansible-playbook against the worker's emulator, in its strict access mode:
the controller sits outside every network at CONTROLLER_ADDRESS and the identity is the subscription's Owner, with no
data-plane role on any vault until one is assigned."""
from __future__ import annotations

import uuid

import pytest
from azure_play import arm_id, resource, task
from emulator import CONTROLLER_ADDRESS

LOCATION = "westeurope"
OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"


@pytest.fixture
def rg(ansible):
    name = f"rg-kva-{uuid.uuid4().hex[:6]}"
    assert ansible.play([task("group", "resource_group", name=name, location=LOCATION)]).rc == 0
    yield name
    ansible.play([task("cleanup", "resource_group", name=name, state="absent")])


def vault(rg, name, ip_rules, title="vault", **extra):
    return dict(task(title, "key_vault", resource_group=rg, name=name, location=LOCATION,
                     network_acls={"default_action": "Deny", "ip_rules": ip_rules}, **extra), register="kv")


GRANT = task("grant", "role_assignment", scope="{{ kv.key_vault.id }}", role="Key Vault Secrets Officer")
SECRET = task("secret", "key_vault_secret", vault_uri="{{ kv.key_vault.vault_uri }}", name="postgresql-admin-password",
              generate=True)


def secret_writes(emu, since=0):
    return [r for r in emu.requests(since=since) if r["method"] in ("PUT", "PATCH") and r["path"].startswith("/secrets/")]


def assignments(emu, scope):
    state = emu.admin("GET", "state")["resources"].values()
    return [d for d in state if d["type"] == "Microsoft.Authorization/roleAssignments"
            and d["properties"]["scope"].lower() == scope.lower()]


def test_a_controller_outside_the_firewall_gets_a_message_and_writes_nothing(ansible, emu, rg):
    """The issue's case: Deny, no IP rules, RBAC, then a secret at once. The identity has the role, the network says no."""
    mark = emu.request_count()
    run = ansible.play([vault(rg, f"kv-fw-{uuid.uuid4().hex[:8]}", []), GRANT, SECRET])
    assert run.rc != 0 and run.result("grant")["changed"] is True
    msg = run.result("secret")["msg"]
    assert "ForbiddenByFirewall" in msg and CONTROLLER_ADDRESS in msg and "key_vault_ip_rules" in msg, msg
    assert "nothing was written" in msg
    assert not secret_writes(emu, mark), "a secret write reached the vault"


def test_an_identity_without_a_data_plane_role_gets_a_message_and_writes_nothing(ansible, emu, rg):
    mark = emu.request_count()
    run = ansible.play([vault(rg, f"kv-rb-{uuid.uuid4().hex[:8]}", [CONTROLLER_ADDRESS]), SECRET])
    msg = run.result("secret")["msg"]
    assert run.rc != 0 and "ForbiddenByRbac" in msg and "Key Vault Secrets Officer" in msg and emu.object_id in msg, msg
    assert not secret_writes(emu, mark)
    # With the role the same task writes the secret once.
    run = ansible.play([vault(rg, run.result("vault")["key_vault"]["name"], [CONTROLLER_ADDRESS]), GRANT, SECRET])
    assert run.rc == 0 and run.result("secret")["changed"] is True, run.stdout[-3000:]
    assert len(secret_writes(emu, mark)) == 1


def test_the_role_assignment_is_made_once_and_found_again(ansible, emu, rg):
    name = f"kv-ra-{uuid.uuid4().hex[:8]}"
    assert ansible.play([vault(rg, name, [CONTROLLER_ADDRESS])]).rc == 0
    scope = arm_id(emu, rg, f"Microsoft.KeyVault/vaults/{name}")
    grant = task("grant", "role_assignment", scope=scope, role="Key Vault Secrets Officer")

    mark = emu.request_count()
    run = ansible.play([grant], check=True, diff=True)
    result = run.result("grant")
    assert run.rc == 0 and result["changed"] is True and result["diff"]["before"] == {}
    assert result["diff"]["after"]["principal_id"] == emu.object_id and not assignments(emu, scope)

    run = ansible.play([grant], diff=True)
    made = run.result("grant")["role_assignment"]
    assert run.result("grant")["changed"] is True and made["role"] == "Key Vault Secrets Officer"
    assert made["principal_id"] == emu.object_id and made["principal_type"] == "ServicePrincipal"
    assert [a["name"] for a in assignments(emu, scope)] == [made["name"]]

    mark = emu.request_count()
    run = ansible.play([grant, dict(grant, name="again")])
    assert run.total("changed") == 0 and run.result("again")["role_assignment"]["id"] == made["id"]
    assert not [r for r in emu.requests(since=mark) if r["method"] == "PUT"], "a re-run assigned the role again"

    # Gone, then the same role given elsewhere (an administrator, the portal) under another name: found, left alone.
    run = ansible.play([dict(grant, **{"complianceflow.infra.role_assignment": dict(scope=scope, role=OFFICER, state="absent")})])
    assert run.result("grant")["changed"] is True and not assignments(emu, scope)
    other = emu.grant("Key Vault Secrets Officer", scope=scope)
    mark = emu.request_count()
    run = ansible.play([grant])
    assert run.result("grant")["changed"] is False and run.result("grant")["role_assignment"]["id"] == other["id"]
    assert not [r for r in emu.requests(since=mark) if r["method"] == "PUT"]


def test_assigning_a_role_without_role_assignment_rights_says_what_is_missing(ansible, emu, rg):
    name = f"kv-na-{uuid.uuid4().hex[:8]}"
    assert ansible.play([vault(rg, name, [CONTROLLER_ADDRESS])]).rc == 0
    scope = arm_id(emu, rg, f"Microsoft.KeyVault/vaults/{name}")
    run = ansible.play([task("grant", "role_assignment", scope=scope, role="Key Vault Secrets Officer")],
                       extra_env={"AZURE_CLIENT_ID": "deployer-without-owner"})
    msg = run.result("grant")["msg"]
    assert run.rc != 0 and "AuthorizationFailed" in msg and "Owner, User Access Administrator" in msg, msg
    assert not assignments(emu, scope)


def test_bad_role_assignment_input_fails_before_any_request(ansible, emu):
    mark = emu.request_count()
    for args, message in (({"scope": "kv-1", "role": "Owner"}, "scope: 'kv-1' is not an Azure resource id"),
                          ({"scope": "/subscriptions/x", "role": "Secrets Officer"}, "'Secrets Officer' is neither a built-in role"),
                          ({"scope": "/subscriptions/x", "role": "Owner", "principal_id": "app-1"}, "'app-1' is not an object id")):
        run = ansible.play([task("grant", "role_assignment", **args)])
        assert run.rc != 0 and message in run.result("grant")["msg"], run.result("grant")["msg"]
    assert emu.requests(since=mark) == []


def test_a_single_address_ip_rule_settles(ansible, emu, rg):
    """Azure returns 1.2.3.4 as 1.2.3.4/32: the second run must see no change (issue #11, item 6)."""
    name = f"kv-ip-{uuid.uuid4().hex[:8]}"
    run = ansible.play([vault(rg, name, [CONTROLLER_ADDRESS, "203.0.113.7"])])
    assert run.rc == 0, run.stdout[-3000:]
    stored = resource(emu, arm_id(emu, rg, f"Microsoft.KeyVault/vaults/{name}"))["properties"]["networkAcls"]["ipRules"]
    assert sorted(r["value"] for r in stored) == [f"{CONTROLLER_ADDRESS}/32", "203.0.113.7/32"]
    mark = emu.request_count()
    run = ansible.play([vault(rg, name, [CONTROLLER_ADDRESS, "203.0.113.7"]),
                        vault(rg, name, [f"{CONTROLLER_ADDRESS}/32", "203.0.113.7/32"], title="as cidr")])
    assert run.rc == 0 and run.total("changed") == 0, run.stdout[-3000:]
    assert not [r for r in emu.requests(since=mark) if r["method"] in ("PUT", "PATCH")]
    for bad, message in (("10.1.2.3", "private (RFC 1918)"), ("203.0.113.7/24", "has host bits set"), ("2001:db8::1", "IPv6")):
        run = ansible.play([vault(rg, name, [bad])])
        assert run.rc != 0 and message in run.result("vault")["msg"], run.result("vault")["msg"]


def test_a_new_vault_is_used_only_once_its_name_resolves(ansible, emu, rg):
    """A new vault's DNS name lags its creation: the key_vault task waits until the URI answers, so no later task meets
    a name that does not resolve (without the wait the secret task's first requests did, and lived on SDK retries)."""
    mark = emu.request_count()
    emu.set_access(dns_delay=6)
    try:
        run = ansible.play([vault(rg, f"kv-dns-{uuid.uuid4().hex[:8]}", [CONTROLLER_ADDRESS]), GRANT, SECRET])
    finally:
        emu.set_access(dns_delay=0)
    assert run.rc == 0 and run.result("secret")["changed"] is True, run.stdout[-4000:]
    log = emu.requests(since=mark)
    granted = next(i for i, r in enumerate(log) if r["method"] == "PUT" and "roleAssignments" in r["path"])
    unresolved = [i for i, r in enumerate(log) if r["method"] == "CONNECT" and r["status"] == 502]
    assert unresolved, "the vault name resolved at once: the DNS lag was not exercised"
    assert max(unresolved) < granted, "a task after key_vault met the vault's unresolved name"


def test_the_access_check_waits_for_a_new_role_to_take_effect(ansible, emu, rg):
    name = f"kv-wt-{uuid.uuid4().hex[:8]}"
    check = task("check", "key_vault_info", resource_group=rg, name=name, check_access=True, access_wait=60)
    # The delay must outlast the start of the next task: on a loaded machine (load average ~10 on two cores) the
    # first data-plane call came 5.2 s after the role assignment PUT, so a 3 s delay had already passed.
    emu.set_access(rbac_delay=12)
    try:
        run = ansible.play([vault(rg, name, [CONTROLLER_ADDRESS]), GRANT, check, SECRET])
    finally:
        emu.set_access(rbac_delay=0)
    assert run.rc == 0, run.stdout[-4000:]
    access = run.result("check")["access"]
    assert access["allowed"] is True and access["attempts"] > 1 and run.result("check")["changed"] is False


def test_the_role_from_outside_the_allowed_network_fails_before_any_secret_write(ansible, emu):
    """Role key_vault for a whole deployment, from a controller outside its vault's network: the access check fails with
    what to do and no secret is written; with the controller's address in key_vault_ip_rules the same run succeeds."""
    plan = {"deployment_plan": "{{ 'eastus-stg-1' | complianceflow.infra.deployment }}"}
    group = "rg-cf-eastus-stg-1"
    try:
        run = ansible.play([], roles=["complianceflow.infra.resource_group", "complianceflow.infra.network"], vars_=plan)
        assert run.rc == 0, run.stdout[-4000:]
        mark = emu.request_count()
        run = ansible.play([], roles=["complianceflow.infra.key_vault"], vars_=plan)
        assert run.rc != 0
        failed = run.result("complianceflow.infra.key_vault : Check this controller may use the vault before writing secrets "
                            "(firewall, data-plane role)")
        assert "ForbiddenByFirewall" in failed["msg"] and CONTROLLER_ADDRESS in failed["msg"], failed["msg"]
        assert "key_vault_ip_rules" in failed["msg"]
        assert not secret_writes(emu, mark), "the role wrote a secret from outside the vault's network"

        run = ansible.play([], roles=["complianceflow.infra.key_vault"], vars_=dict(plan, key_vault_ip_rules=[CONTROLLER_ADDRESS]))
        assert run.rc == 0, run.stdout[-4000:]
        assert len(secret_writes(emu, mark)) == 1
        run = ansible.play([], roles=["complianceflow.infra.key_vault"], vars_=dict(plan, key_vault_ip_rules=[CONTROLLER_ADDRESS]))
        assert run.rc == 0 and run.total("changed") == 0, run.stdout[-4000:]
    finally:
        ansible.play([task("cleanup", "resource_group", name=group, state="absent")])

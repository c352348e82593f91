"""key_vault and key_vault_secret through ansible-playbook against the emulator."""
from __future__ import annotations

import re
import uuid

import pytest
from azure_play import arm_id, resource, task
from emulator import CONTROLLER_ADDRESS

LOCATION = "westeurope"
# The vaults deny by default; the controller (the emulator's caller address) is let in by IP rule.
IP_RULES = ["203.0.113.0/24", CONTROLLER_ADDRESS]


@pytest.fixture
def rg(ansible):
    name = f"rg-kv-{uuid.uuid4().hex[:6]}"
    run = ansible.play([task("group", "resource_group", name=name, location=LOCATION)])
    assert run.rc == 0, run.stdout[-3000:]
    return name


def vault_task(rg, name, title="vault", **extra):
    args = dict(resource_group=rg, name=name, location=LOCATION, tags={"Deployment": "test"},
                network_acls={"default_action": "Deny", "ip_rules": IP_RULES})
    args.update(extra)
    return task(title, "key_vault", **args)


def officer(vault_id, title="grant"):
    """Key Vault Secrets Officer for the identity running the play: what role key_vault assigns."""
    return task(title, "role_assignment", scope=vault_id, role="Key Vault Secrets Officer")


def writes(emu, since):
    return [r for r in emu.requests(since=since) if r["method"] in ("PUT", "PATCH", "DELETE", "POST")
            and "/_emulator/" not in r["path"] and "token" not in r["path"]]


def test_vault_check_mode_create_idempotence_and_diff(ansible, emu, rg):
    name = f"kv-t-{uuid.uuid4().hex[:8]}"
    mark = emu.request_count()
    run = ansible.play([vault_task(rg, name)], check=True, diff=True)
    assert run.rc == 0 and run.result("vault")["changed"] is True
    assert not writes(emu, mark), "check mode wrote to Azure"
    assert resource(emu, arm_id(emu, rg, f"Microsoft.KeyVault/vaults/{name}")) is None

    run = ansible.play([vault_task(rg, name)], diff=True)
    result = run.result("vault")
    assert run.rc == 0 and result["changed"] is True, run.stdout[-3000:]
    vault = result["key_vault"]
    assert vault["enable_rbac_authorization"] is True and vault["enable_purge_protection"] is False
    assert vault["network_acls"] == {"default_action": "Deny", "bypass": "AzureServices",
                                     "ip_rules": [f"{CONTROLLER_ADDRESS}/32", "203.0.113.0/24"], "virtual_network_subnet_ids": []}
    assert re.match(rf"^https://{name}\.vault\.localhost:\d+/$", vault["vault_uri"])
    assert result["diff"]["before"] == {} and result["diff"]["after"]["soft_delete_retention_days"] == 90
    stored = resource(emu, vault["id"])
    assert stored["properties"]["networkAcls"]["defaultAction"] == "Deny" and stored["tags"] == {"Deployment": "test"}

    mark = emu.request_count()
    run = ansible.play([vault_task(rg, name)])
    assert run.rc == 0 and run.result("vault")["changed"] is False
    assert not writes(emu, mark)

    run = ansible.play([vault_task(rg, name, enable_purge_protection=True)], diff=True)
    result = run.result("vault")
    assert result["changed"] is True and result["diff"]["after"]["enable_purge_protection"] is True
    assert resource(emu, vault["id"])["properties"]["enablePurgeProtection"] is True

    # Azure never turns purge protection off, nor changes the retention: clear errors, no write.
    mark = emu.request_count()
    run = ansible.play([vault_task(rg, name, enable_purge_protection=False)])
    assert "never turns off" in run.result("vault")["msg"]
    run = ansible.play([vault_task(rg, name, enable_purge_protection=True, soft_delete_retention_days=30)])
    assert "soft_delete_retention_days" in run.result("vault")["msg"] and "cannot be changed" in run.result("vault")["msg"]
    assert not writes(emu, mark)


def test_absent_soft_deletes_recover_brings_secrets_back_purge_removes(ansible, emu, rg):
    name = f"kv-d-{uuid.uuid4().hex[:8]}"
    run = ansible.play([vault_task(rg, name)])
    uri = run.result("vault")["key_vault"]["vault_uri"]
    run = ansible.play([officer(run.result("vault")["key_vault"]["id"]),
                        task("secret", "key_vault_secret", vault_uri=uri, name="kept", value="s3cr3t-Value")])
    assert run.result("secret")["changed"] is True

    run = ansible.play([task("delete", "key_vault", resource_group=rg, name=name, location=LOCATION, state="absent")])
    assert run.result("delete")["changed"] is True
    deleted_id = f"/subscriptions/{emu.subscription_id}/providers/Microsoft.KeyVault/locations/{LOCATION}/deletedVaults/{name}"
    assert resource(emu, deleted_id) is not None

    run = ansible.play([vault_task(rg, name)])
    result = run.result("vault")
    assert result["changed"] is True and result["recovered"] is True
    # The vault-scoped role assignment stays with the recovered vault (unverified in Azure; the emulator keeps it).
    read = task("read", "key_vault_secret", vault_uri=uri, name="kept", value="other-Value1", return_value=True)
    run = ansible.play([dict(read, no_log=True)])
    assert run.result("read")["changed"] is False  # exists: left alone, no new version
    versions = resource(emu, result["key_vault"]["id"])["_secrets"]["kept"]
    assert [v["value"] for v in versions] == ["s3cr3t-Value"]

    run = ansible.play([task("purge", "key_vault", resource_group=rg, name=name, location=LOCATION, state="absent", purge=True)])
    assert run.result("purge")["changed"] is True
    assert resource(emu, deleted_id) is None and resource(emu, result["key_vault"]["id"]) is None


def test_generated_secret_is_created_once_never_rotated_value_only_in_no_log(ansible, emu, rg):
    name = f"kv-s-{uuid.uuid4().hex[:8]}"
    run = ansible.play([vault_task(rg, name)])
    vault = run.result("vault")["key_vault"]
    assert ansible.play([officer(vault["id"])]).rc == 0
    ensure = task("ensure", "key_vault_secret", vault_uri=vault["vault_uri"], name="postgresql-admin-password",
                  generate=True, content_type="password")
    run = ansible.play([ensure], verbosity=3)
    result = run.result("ensure")
    assert result["changed"] is True and result["generated"] is True and "value" not in result
    versions = resource(emu, vault["id"])["_secrets"]["postgresql-admin-password"]
    assert len(versions) == 1
    password = versions[0]["value"]
    assert len(password) == 32 and all(re.search(p, password) for p in ("[A-Z]", "[a-z]", "[0-9]", "[^A-Za-z0-9]"))
    assert password not in run.stdout + run.stderr

    run = ansible.play([ensure, dict(task("rotate only when asked", "key_vault_secret", vault_uri=vault["vault_uri"],
                                          name="postgresql-admin-password", generate=True))])
    assert run.total("changed") == 0
    assert len(resource(emu, vault["id"])["_secrets"]["postgresql-admin-password"]) == 1

    read = task("read", "key_vault_secret", vault_uri=vault["vault_uri"], name="postgresql-admin-password",
                generate=True, return_value=True)
    run = ansible.play([read])
    assert run.result("read")["failed"] and "no_log" in run.result("read")["msg"]
    # no_target_syslog makes ansible-core pass _ansible_no_log to the module, yet hides nothing: still refused, both in
    # the controller's worker and the usual way (a new Python).
    for env in ({}, {"COMPLIANCEFLOW_IN_PROCESS": "false"}):
        run = ansible.play([read], vars_={"ansible_no_target_syslog": True}, extra_env=env, verbosity=3)
        assert run.result("read")["failed"] and "no_log: true" in run.result("read")["msg"], env
        assert password not in run.stdout + run.stderr, env
    run = ansible.play([dict(read, no_log=True, register="r"),
                        {"name": "compare", "ansible.builtin.assert": {"that": ["r.value | length == 32"]}}], verbosity=3)
    assert run.rc == 0 and password not in run.stdout + run.stderr

    run = ansible.play([task("rotate", "key_vault_secret", vault_uri=vault["vault_uri"], name="postgresql-admin-password",
                             generate=True, rotate=True)])
    assert run.result("rotate")["changed"] is True
    versions = resource(emu, vault["id"])["_secrets"]["postgresql-admin-password"]
    assert len(versions) == 2 and versions[1]["value"] != password


def test_secret_without_value_or_generate_only_reads(ansible, emu, rg):
    name = f"kv-r-{uuid.uuid4().hex[:8]}"
    vault = ansible.play([vault_task(rg, name)]).result("vault")["key_vault"]
    uri = vault["vault_uri"]
    emu.grant("Key Vault Secrets Officer", scope=vault["id"])
    ansible.play([task("store", "key_vault_secret", vault_uri=uri, name="kept", value="s3cr3t-Value")])
    mark = len(emu.requests())

    read = dict(task("read", "key_vault_secret", vault_uri=uri, name="kept", return_value=True), no_log=True, register="r")
    run = ansible.play([read, {"name": "compare", "ansible.builtin.assert": {"that": ["r.value == 's3cr3t-Value'"]}}])
    assert run.rc == 0 and run.total("changed") == 0, run.stdout[-3000:]
    assert "s3cr3t-Value" not in run.stdout + run.stderr

    run = ansible.play([task("missing", "key_vault_secret", vault_uri=uri, name="never-stored")])
    result = run.result("missing")
    assert result["failed"] and "secret never-stored does not exist" in result["msg"] and "generate=true" in result["msg"]
    run = ansible.play([task("rotate", "key_vault_secret", vault_uri=uri, name="kept", rotate=True)])
    assert run.result("rotate")["failed"] and "rotate=true needs value or generate=true" in run.result("rotate")["msg"]
    assert not writes(emu, mark), "a read-only secret task wrote to the vault"
    assert [v["value"] for v in resource(emu, vault["id"])["_secrets"]["kept"]] == ["s3cr3t-Value"]


def test_a_secret_over_azures_limits_fails_before_any_call_and_names_no_value(ansible, emu, rg):
    """15 tags (counting those purge_tags=false keeps) and 25 KB: Azure's 400s, found by the module instead."""
    name = f"kv-l-{uuid.uuid4().hex[:8]}"
    vault = ansible.play([vault_task(rg, name)]).result("vault")["key_vault"]
    emu.grant("Key Vault Secrets Officer", scope=vault["id"])
    uri = vault["vault_uri"]
    fourteen = {f"Tag{i}": "x" for i in range(14)}
    assert ansible.play([task("store", "key_vault_secret", vault_uri=uri, name="tagged", value="s3cr3t-Value", tags=fourteen)]).rc == 0
    mark = len(emu.requests())
    run = ansible.play([dict(task("more", "key_vault_secret", vault_uri=uri, name="tagged", tags={"A": "1", "B": "2"},
                                  purge_tags=False), ignore_errors=True),
                        dict(task("big", "key_vault_secret", vault_uri=uri, name="big", value="Q" * (25 * 1024 + 1)),
                             ignore_errors=True)])
    assert "a Key Vault secret would have 16 tags; Azure allows at most 15" in run.result("more")["msg"]
    assert "the secret has 25601 bytes; Key Vault stores at most 25600" in run.result("big")["msg"]
    assert "QQQQ" not in run.stdout + run.stderr
    assert not writes(emu, mark)
    assert len(resource(emu, vault["id"])["_secrets"]["tagged"][-1]["tags"]) == 14


def test_a_content_type_change_shows_in_check_mode_diff_and_is_applied_without_a_new_version(ansible, emu, rg):
    name = f"kv-c-{uuid.uuid4().hex[:8]}"
    vault = ansible.play([vault_task(rg, name)]).result("vault")["key_vault"]
    emu.grant("Key Vault Secrets Officer", scope=vault["id"])
    store = task("store", "key_vault_secret", vault_uri=vault["vault_uri"], name="typed", value="s3cr3t-Value",
                 content_type="text/plain")
    assert ansible.play([store]).rc == 0
    retyped = dict(store, **{"complianceflow.infra.key_vault_secret": dict(store["complianceflow.infra.key_vault_secret"],
                                                                           content_type="password")})

    run = ansible.play([retyped], check=True, diff=True)
    result = run.result("store")
    assert result["changed"] is True
    assert (result["diff"]["before"]["content_type"], result["diff"]["after"]["content_type"]) == ("text/plain", "password")
    assert resource(emu, vault["id"])["_secrets"]["typed"][-1]["contentType"] == "text/plain"

    run = ansible.play([retyped, dict(retyped, name="again")])
    assert run.result("store")["changed"] is True and run.result("again")["changed"] is False
    versions = resource(emu, vault["id"])["_secrets"]["typed"]
    assert len(versions) == 1 and versions[-1]["contentType"] == "password"


def test_purge_removes_a_key_soft_deleted_by_an_earlier_run_and_check_mode_predicts_a_recovery(ansible, emu, rg):
    name = f"kv-k-{uuid.uuid4().hex[:8]}"
    vault = ansible.play([vault_task(rg, name)]).result("vault")["key_vault"]
    emu.grant("Key Vault Crypto Officer", scope=vault["id"])
    key = {"vault_uri": vault["vault_uri"], "name": "cmk", "key_size": 3072}
    assert ansible.play([task("key", "key_vault_key", **key), task("delete", "key_vault_key", **key, state="absent")]).rc == 0
    assert "cmk" in resource(emu, vault["id"])["_deletedKeys"]

    run = ansible.play([task("key", "key_vault_key", **key)], check=True)
    assert run.result("key")["changed"] is True and run.result("key")["rotated"] is False   # would recover it
    assert "cmk" in resource(emu, vault["id"])["_deletedKeys"]

    purge = task("purge", "key_vault_key", **key, state="absent", purge=True)
    run = ansible.play([dict(purge, name="check", check_mode=True), purge, dict(purge, name="again")])
    assert [run.result(step)["changed"] for step in ("check", "purge", "again")] == [True, True, False]
    assert "cmk" not in resource(emu, vault["id"])["_deletedKeys"]

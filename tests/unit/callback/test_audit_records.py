"""The audit trail's records (plugins/plugin_utils/audit.py): what a change gives, what is masked, what is left out."""
from __future__ import annotations

import json

from ansible_collections.complianceflow.infra.plugins.plugin_utils import audit

CONTEXT = {"when": "2026-12-03T12:00:00.000Z", "who": {"source": "awx", "user": "alice", "job_id": "42"},
           "deployment": "westeu-dev-1", "plan_name": "westeu-dev-1", "playbook": "playbooks/deploy.yml",
           "collection": "complianceflow.infra", "collection_version": "1.0.0", "run_id": "r1"}
RID = "/subscriptions/0000/resourceGroups/rg-cf-westeu-dev-1"


def records(result, **kwargs):
    task = kwargs.pop("task", {"name": "Resource group", "action": "complianceflow.infra.resource_group", "args": {}})
    return audit.build_records(result, task=task, context=CONTEXT, **kwargs)


def test_a_create_in_diff_mode_is_one_record_with_its_id_and_after():
    result = {"changed": True, "resource_group": {"id": RID, "name": "rg-cf-westeu-dev-1"},
              "diff": {"before": {}, "after": {"location": "westeurope", "tags": {"Owner": "DevOps"}}}}
    [rec] = records(result)
    assert rec["action"] == "created" and rec["resource"] == {"id": RID}
    assert rec["after"] == {"location": "westeurope", "tags": {"Owner": "DevOps"}} and rec["before"] == {}
    assert rec["who"]["job_id"] == "42" and rec["task"] == "Resource group" and rec["collection_version"] == "1.0.0"
    json.dumps(rec)


def test_actions_from_the_diff_and_from_state_absent_without_one():
    upd = {"changed": True, "diff": {"before": {"tags": {"a": "1"}}, "after": {"tags": {"a": "2"}}}}
    gone = {"changed": True, "diff": {"before": {"location": "westeurope"}, "after": {}}}
    assert records(upd)[0]["action"] == "updated"
    assert records(gone)[0]["action"] == "deleted"
    no_diff = {"changed": True, "resource_group": {},
               "invocation": {"module_args": {"name": "rg-x", "state": "absent", "secret": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}}}
    [rec] = records(no_diff)
    assert rec["action"] == "deleted" and rec["before"] is None
    assert rec["resource"] == {"options": {"name": "rg-x", "state": "absent"}}   # no id returned: named by its options
    engine_delete = dict(no_diff, resource_group={"id": RID})   # the engine's modules return the deleted id (runner._absent)
    assert records(engine_delete)[0]["resource"] == {"id": RID} and records(engine_delete)[0]["action"] == "deleted"


def test_nothing_for_unchanged_failed_skipped_check_mode_and_async_starts():
    assert records({"changed": False, "resource_group": {"id": RID}}) == []
    assert records({"changed": True, "failed": True}) == []
    assert records({"changed": True, "skipped": True}) == []
    assert records({"changed": True, "resource_group": {"id": RID}}, check_mode=True) == []
    assert records({"changed": True, "ansible_job_id": "j1", "started": 1, "finished": 0}) == []


def test_a_secret_in_a_diff_is_masked_and_the_rest_kept():
    result = {"changed": True, "secret": {"id": RID + "/providers/Microsoft.KeyVault/vaults/kv/secrets/pg"},
              "diff": {"before": {}, "after": {
                  "value": "x", "administratorLoginPassword": "Hunter2!pw", "primary_key": "abc==", "sas": "sv=2024&sig=zzz",
                  "client_secret": "s3", "connection_string": "Server=a;Password=p4ss;", "key_vault": "kv-cf",
                  "note": "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Zm9v",
                  "url": "https://user:pa55@host/db", "tags": {"Owner": "DevOps"}}}}
    [rec] = records(result)
    after = rec["after"]
    for key in ("administratorLoginPassword", "primary_key", "sas", "client_secret", "connection_string", "note", "url"):
        assert after[key] == audit.MASK, key
    assert after["key_vault"] == "kv-cf" and after["tags"] == {"Owner": "DevOps"} and after["value"] == "x"
    assert rec["resource"]["id"].endswith("/secrets/pg")                 # an id is never masked
    text = json.dumps(rec)
    for secret in ("Hunter2!pw", "abc==", "zzz", "s3\"", "p4ss", "Zm9v", "pa55"):
        assert secret not in text


def test_known_secret_values_are_masked_wherever_they_appear():
    result = {"changed": True, "diff": {"before": {}, "after": {"comment": "made with sup3rs3cret inside"}}}
    [rec] = records(result, secrets=["sup3rs3cret"])
    assert "sup3rs3cret" not in json.dumps(rec)


def test_a_no_log_task_records_its_name_and_censored_only():
    censored = {"censored": "the output has been hidden due to the fact that 'no_log: true' was specified for this result",
                "changed": True}
    secret_task = {"name": "Store the app password", "action": "complianceflow.infra.key_vault_secret",
                   "args": {"value": "Hunter2!pw"}}
    [rec] = records(censored, no_log=True, task=secret_task)
    assert rec["censored"] is True and rec["task"] == "Store the app password"
    assert "resource" not in rec and "before" not in rec and "after" not in rec
    assert "Hunter2" not in json.dumps(rec)


def test_a_loop_gives_one_record_per_changed_item():
    result = {"changed": True, "results": [
        {"changed": True, "item": "a", "zone": {"id": RID + "/providers/Microsoft.Network/privateDnsZones/a"}},
        {"changed": False, "item": "b", "zone": {"id": RID + "/providers/Microsoft.Network/privateDnsZones/b"}},
        {"changed": True, "item": "c", "_ansible_no_log": True, "censored": "hidden"}]}
    recs = records(result)
    assert [r.get("resource", {}).get("id", "").rsplit("/", 1)[-1] for r in recs] == ["a", ""]
    assert recs[1]["censored"] is True


def test_who_prefers_awx_job_variables_then_the_local_user():
    assert audit.who({"awx_job_id": 7, "awx_user_name": "bob"}, {}, "root", "h") == {"source": "awx", "user": "bob", "job_id": "7"}
    assert audit.who({"tower_job_id": 8}, {}, "root", "h")["job_id"] == "8"
    assert audit.who({}, {}, "root", "h") == {"source": "local", "user": "root", "host": "h"}


def test_secret_key_names():
    for key in ("password", "adminPassword", "primary_key", "accessKeys", "sas", "client_secret", "secret_id", "token",
                "connection_string", "connectionString", "password_file", "credentials"):
        assert audit.is_secret_key(key), key
    for key in ("id", "name", "key_vault", "key_vault_uri", "location", "tags", "keyVaultUri", "monkey"):
        assert not audit.is_secret_key(key), key


def test_the_callback_is_on_in_the_repository_and_in_the_execution_environment():
    import configparser  # pylint: disable=import-outside-toplevel
    from pathlib import Path  # pylint: disable=import-outside-toplevel

    import yaml  # pylint: disable=import-outside-toplevel

    repo = Path(__file__).resolve().parents[3]
    cfg = configparser.ConfigParser()
    cfg.read(repo / "ansible.cfg")
    assert "complianceflow.infra.audit_trail" in cfg["defaults"]["callbacks_enabled"].split(",")
    ee = yaml.safe_load((repo / "execution-environment.yml").read_text())
    assert "ENV ANSIBLE_CALLBACKS_ENABLED=complianceflow.infra.audit_trail" in ee["additional_build_steps"]["append_final"]


def test_collection_version_from_an_installed_manifest_else_galaxy_yml(tmp_path):
    from pathlib import Path  # pylint: disable=import-outside-toplevel

    from ansible_collections.complianceflow.infra.plugins.callback.audit_trail import collection_version  # pylint: disable=import-outside-toplevel

    (tmp_path / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": "2.3.4"}}))
    assert collection_version(tmp_path) == "2.3.4"
    (tmp_path / "MANIFEST.json").unlink()
    (tmp_path / "galaxy.yml").write_text("namespace: complianceflow\nversion: 1.2.0\n")
    assert collection_version(tmp_path) == "1.2.0"
    repo = Path(__file__).resolve().parents[3]
    assert collection_version(repo) == next(line.split(":", 1)[1].strip() for line in (repo / "galaxy.yml").read_text().splitlines()
                                            if line.startswith("version:"))

"""The audit trail callback (complianceflow.infra.audit_trail, on in the repo's ansible.cfg) in real ansible-playbook
runs of the resource_group module against the emulator, with AWX's job variables as extra vars: the trail a user
(an auditor) reads."""
from __future__ import annotations

import json
import uuid

from azure_play import arm_id, resource, task

JOB = {"awx_job_id": 4242, "awx_user_name": "alice"}


def trail(directory) -> list[dict]:
    """Every line of every trail file under directory, in file then line order."""
    return [json.loads(line) for path in sorted(directory.rglob("*.jsonl")) for line in path.read_text().splitlines()]


def rg_task(title, name, **args):
    return task(title, "resource_group", name=name, location="westeurope", **args)


def test_one_line_per_change_none_for_a_rerun_or_check_mode_no_secret(ansible, emu, awx_env, tmp_path):
    rg = f"rg-audit-{uuid.uuid4().hex[:8]}"
    env = {"COMPLIANCEFLOW_AUDIT_DIR": str(tmp_path)}
    create = [rg_task("Create the group", rg, tags={"Owner": "DevOps", "ApiToken": "tok-s3cr3t-1"})]

    first = ansible.play(create, diff=True, extra_vars=JOB, extra_env=env)
    assert first.rc == 0, first.stderr[-3000:]
    [created] = trail(tmp_path)
    assert created["action"] == "created" and created["resource"]["id"].lower() == arm_id(emu, rg).lower()
    assert created["who"] == {"source": "awx", "user": "alice", "job_id": "4242"}
    assert created["deployment"] == "localhost" and created["task"] == "Create the group"
    assert created["after"]["tags"] == {"Owner": "DevOps", "ApiToken": "********"}
    assert created["collection_version"] and created["playbook"].endswith(".yml") and created["when"].endswith("Z")

    again = ansible.play(create, diff=True, extra_vars=JOB, extra_env=env)       # nothing changes: nothing recorded
    predicted = ansible.play([rg_task("Retag", rg, tags={"Owner": "Nobody"})], check=True, extra_vars=JOB, extra_env=env)
    assert again.rc == 0 and predicted.rc == 0 and predicted.total("changed") == 1
    assert len(trail(tmp_path)) == 1

    later = [rg_task("Retag", rg, tags={"Owner": "Platform", "ApiToken": "tok-s3cr3t-1"}),
             dict(rg_task("Add a hidden tag", rg, tags={"Hidden": "hid-s3cr3t-2"}, purge_tags=False), no_log=True),
             task("Delete the group", "resource_group", name=rg, state="absent")]
    third = ansible.play(later, extra_vars=JOB, extra_env=env)                 # no diff mode
    assert third.rc == 0, third.stderr[-3000:]
    assert resource(emu, arm_id(emu, rg)) is None
    lines = trail(tmp_path)[1:]
    assert [(r["task"], r["action"]) for r in lines] == [("Retag", "changed"), ("Add a hidden tag", "changed"),
                                                         ("Delete the group", "deleted")]
    assert lines[0]["resource"]["id"].lower() == arm_id(emu, rg).lower() and lines[0]["before"] is None
    assert lines[1]["censored"] is True and "resource" not in lines[1] and "after" not in lines[1]
    assert lines[2]["resource"]["id"].lower() == arm_id(emu, rg).lower()     # a delete is named by the id it deleted
    assert len({r["run_id"] for r in trail(tmp_path)}) == 2 and all("4242" in r["run_id"] for r in trail(tmp_path))
    text = "".join(p.read_text() for p in tmp_path.rglob("*.jsonl"))
    for secret in ("tok-s3cr3t-1", "hid-s3cr3t-2", awx_env["AZURE_SECRET"]):
        assert secret not in text


def test_a_trail_that_cannot_be_written_stops_the_run_unless_told_to_warn(ansible, emu, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    first, second = f"rg-audit-{uuid.uuid4().hex[:8]}", f"rg-audit-{uuid.uuid4().hex[:8]}"
    tasks = [rg_task("First change", first), rg_task("Second change", second)]
    stopped = ansible.play(tasks, extra_vars=JOB, extra_env={"COMPLIANCEFLOW_AUDIT_DIR": str(blocked)})
    assert stopped.rc == 3
    assert "an unrecorded change is an audit finding" in stopped.stderr + stopped.stdout
    assert resource(emu, arm_id(emu, first)) is not None and resource(emu, arm_id(emu, second)) is None

    warned = ansible.play(tasks, extra_vars=JOB, extra_env={"COMPLIANCEFLOW_AUDIT_DIR": str(blocked),
                                                            "COMPLIANCEFLOW_AUDIT_ON_ERROR": "warn"})
    assert warned.rc == 0 and resource(emu, arm_id(emu, second)) is not None
    cleanup = ansible.play([task("Delete", "resource_group", name=n, state="absent") for n in (first, second)],
                           extra_env={"COMPLIANCEFLOW_AUDIT_DIR": str(tmp_path / "cleanup")})
    assert cleanup.rc == 0


def _blob(emu, method, url, token, **headers):
    import requests  # pylint: disable=import-outside-toplevel
    headers = dict({"Authorization": f"Bearer {token}", "x-ms-version": "2023-11-03"}, **headers)
    return requests.request(method, url, headers=headers, data=headers.pop("data", None), proxies={"https": emu.proxy},
                            verify=emu.ca, timeout=10)


def test_the_trail_is_shipped_to_the_audit_container_once_the_identity_holds_a_data_role(ansible, emu, awx_env, tmp_path):
    """Shipping (on by default): the deployment's plan names the account; the trail becomes one immutable blob."""
    suffix = uuid.uuid4().hex[:8]
    rg, account, plan_name = f"rg-audit-ship-{suffix}", f"stauditship{suffix}", f"audit-ship-{suffix}"
    setup = ansible.play([rg_task("Audit group", rg),
                          task("Audit account", "storage_account", resource_group=rg, name=account, location="westeurope",
                               sku="Standard_LRS", allow_shared_key_access=False, public_network_access="Enabled",
                               containers=[{"name": "audit", "immutability_period_days": 2556}])],
                         extra_env={"COMPLIANCEFLOW_AUDIT_DIR": str(tmp_path / "setup")})
    assert setup.rc == 0, setup.stdout[-3000:]
    plan = {"ansible.builtin.set_fact": {"deployment_plan": {"name": plan_name, "names": {
        "storage_account": account, "audit_resource_group": rg}}}, "name": "The deployment's plan"}
    env = {"COMPLIANCEFLOW_AUDIT_DIR": str(tmp_path / "trail")}
    try:
        # The deploying identity is the subscription's Owner: no data action. The upload is refused: the run fails.
        refused = ansible.play([plan, rg_task("Tag it", rg, tags={"Run": "1"})], extra_vars=JOB, extra_env=env)
        assert refused.rc == 3 and "AuthorizationPermissionMismatch" in refused.stderr, refused.stderr[-3000:]
        assert len(trail(tmp_path / "trail")) == 1                        # kept locally all the same

        container = arm_id(emu, rg, f"Microsoft.Storage/storageAccounts/{account}/blobServices/default/containers/audit")
        emu.grant("Storage Blob Data Contributor", scope=container)       # the prerequisite preflight.yml checks
        shipped = ansible.play([plan, rg_task("Tag it", rg, tags={"Run": "2", "ApiToken": "tok-s3cr3t-3"})],
                               diff=True, verbosity=1, extra_vars=JOB, extra_env=env)
        assert shipped.rc == 0, shipped.stderr[-3000:]
        assert "shipped to https://" in shipped.stderr

        token = emu.credential().get_token("https://storage.azure.com/.default").token
        endpoint = resource(emu, arm_id(emu, rg, f"Microsoft.Storage/storageAccounts/{account}"))["properties"]["primaryEndpoints"]["blob"]
        listing = _blob(emu, "GET", f"{endpoint}audit?restype=container&comp=list&prefix={plan_name}/", token)
        names = [n.split("</Name>")[0] for n in listing.text.split("<Name>")[1:]]
        assert len(names) == 1 and names[0].endswith("-job4242.jsonl")     # the refused run's blob was never written
        body = _blob(emu, "GET", f"{endpoint}audit/{names[0]}", token).text
        lines = [json.loads(line) for line in body.splitlines()]
        assert [(r["task"], r["who"]["job_id"], r["action"]) for r in lines] == [("Tag it", "4242", "updated")]
        assert lines[0]["resource"]["id"].lower() == arm_id(emu, rg).lower() and lines[0]["plan_name"] == plan_name
        for secret in ("tok-s3cr3t-3", awx_env["AZURE_SECRET"]):
            assert secret not in body

        # Immutable: the same name is never written twice (If-None-Match), nor overwritten (the retention policy).
        again = _blob(emu, "PUT", f"{endpoint}audit/{names[0]}", token, **{"x-ms-blob-type": "BlockBlob", "If-None-Match": "*"})
        assert again.status_code == 409 and again.headers["x-ms-error-code"] == "BlobAlreadyExists"
        over = _blob(emu, "PUT", f"{endpoint}audit/{names[0]}", token, **{"x-ms-blob-type": "BlockBlob"})
        assert over.status_code == 409 and over.headers["x-ms-error-code"] == "BlobImmutableDueToPolicy"

        # deploy.yml's way: the credentials as the extra var azure_auth (module_defaults), none in the environment.
        azure_auth = {"auth_source": "module", "subscription_id": emu.subscription_id, "client_id": emu.client_id,
                      "secret": emu.client_secret, "tenant": emu.tenant_id, "cloud_environment": emu.url, "ca_bundle": emu.ca}
        no_env = {name: "" for name in ("AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT",
                                        "AZURE_CLOUD_ENVIRONMENT", "REQUESTS_CA_BUNDLE")}
        by_extra_var = ansible.play([plan, rg_task("Tag it", rg, tags={"Run": "4"})], verbosity=1,
                                    extra_vars=dict(JOB, azure_auth=azure_auth), extra_env=dict(env, **no_env),
                                    module_defaults={"group/complianceflow.infra.azure": "{{ azure_auth }}"})
        assert by_extra_var.rc == 0 and "shipped to https://" in by_extra_var.stderr, by_extra_var.stderr[-3000:]

        # A deployment whose account does not exist yet keeps its trail locally and says so at -v.
        first = dict(plan, **{"ansible.builtin.set_fact": {"deployment_plan": {"name": "first", "names": {
            "storage_account": f"stnotyet{suffix}", "audit_resource_group": rg}}}})
        kept = ansible.play([first, rg_task("Tag it", rg, tags={"Run": "3"})], verbosity=1, extra_vars=JOB, extra_env=env)
        assert kept.rc == 0 and "does not exist yet: the trail stays in" in kept.stderr, kept.stderr[-3000:]
    finally:
        ansible.play([task("Delete", "resource_group", name=rg, state="absent")],
                     extra_env={"COMPLIANCEFLOW_AUDIT_DIR": str(tmp_path / "cleanup")})

"""The sandbox pair deployed, seeded and torn down as AWX runs it: ansible-runner jobs on AWX's private data dirs.

One job per deployment and playbook, as the AWX configuration of this repository runs them (docs/awx.md): a job
template's job has one inventory (the deployment), and the workflow runs global-dev before westeu-dev-1 (teardown:
the other way round). Each job is laid out and run by tests/lib/awx_runner.py (which cites AWX's source for the
layout, the job variables and the credential's environment). ONE sandbox (services only: the jobs do every deploy) is
shared by the tests of this file, in file order: each is a step of the same story.

Audit trail (issue 15, item 4): every job keeps its private data dir until the end of the module and its AWX job id
(`awx_job_id` in env/extravars, the runner's ident) in JOBS; every job's environment points COMPLIANCEFLOW_AUDIT_DIR at
the sandbox's audit/ (as an AWX admin points it at a host directory exposed to jobs), and audit_lines(sandbox, job)
reads the lines the callback wrote there for that job.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml
from awx_runner import REPO, AwxJob, AwxUser, awx_job_vars, azure_rm_credential_env, dumps, run_job

pytestmark = pytest.mark.slow

DEPLOYMENTS = ("global-dev", "westeu-dev-1")   # the workflow's order for deploy and seed; teardown reversed
INVENTORY_IDS = {"global-dev": 11, "westeu-dev-1": 12}
TEMPLATES = {"deploy": (21, "ComplianceFlow deploy"), "seed": (22, "ComplianceFlow seed"),
             "teardown": (23, "ComplianceFlow teardown")}
USER = AwxUser()
_made: dict[str, list[str]] = {}   # deployment -> ids of the top-level resources its first deploy job made
_secrets_seen: list[str] = []
JOBS: list[AwxJob] = []   # every job of this module, in launch order (the audit trail's test matches these ids)


def _sandbox_env(sandbox: Path) -> dict[str, str]:
    pairs = (line.removeprefix("export ").split("=", 1) for line in (sandbox / "env.sh").read_text().splitlines()
             if line.startswith("export "))
    return {key: shlex.split(value)[0] if value else "" for key, value in pairs}


def _state(env: dict[str, str]) -> dict:
    context = ssl.create_default_context(cafile=env["ARM_EMULATOR_CA"])
    with urllib.request.urlopen(env["ARM_EMULATOR_URL"] + "/_emulator/state", context=context, timeout=10) as resp:
        return {doc["id"].lower(): doc for doc in json.loads(resp.read())["resources"].values()}


def _groups(env: dict[str, str]) -> set[str]:
    return {i.split("/resourcegroups/")[1].split("/")[0] for i in _state(env) if "/resourcegroups/" in i}


@pytest.fixture(scope="module")
def sandbox():
    """The sandbox's two services (tools/sandbox/services.py, the first half of scripts/sandbox.sh): the deploys are
    the jobs'. Under the repo's .tmp/ (gitignored): the postgres OS user cannot traverse pytest's tmp_path."""
    path = REPO / ".tmp" / f"awx-sandbox-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    services = [sys.executable, str(REPO / "tools" / "sandbox" / "services.py")]
    up = subprocess.run([*services, "up", str(path)], capture_output=True, text=True, timeout=600, check=False)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        yield path
    finally:
        subprocess.run([*services, "down", str(path)], capture_output=True, text=True, timeout=600, check=False)
        shutil.rmtree(path, ignore_errors=True)


def _job_env(sandbox: Path) -> dict[str, str]:
    """What AWX gives the job's environment: the Azure credential's variables (a service principal; the cloud
    environment field set to the emulator's endpoint) and the site's Extra Environment Variables (the sandbox's CA
    and its Key Vault tunnel); the EE's interpreter and collection are this checkout's (tests/lib/awx_runner.py)."""
    inherited = sorted(k for k in os.environ if k.startswith(("AZURE_", "ARM_", "AZ_")))
    assert not inherited, f"the jobs would inherit {inherited} from the test's environment: the credential gives them"
    env = _sandbox_env(sandbox)
    job_env = azure_rm_credential_env(env["AZURE_SUBSCRIPTION_ID"], env["AZURE_CLIENT_ID"], env["AZURE_SECRET"],
                                      env["AZURE_TENANT"], cloud_environment=env["AZURE_CLOUD_ENVIRONMENT"])
    # COMPLIANCEFLOW_AUDIT_SHIP: false, as the sandbox sets it (tools/sandbox/services.py: its storage accounts are private-only).
    job_env.update({key: env[key] for key in ("REQUESTS_CA_BUNDLE", "HTTPS_PROXY", "NO_PROXY", "COMPLIANCEFLOW_AUDIT_SHIP")})
    job_env.update({"ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections")})
    job_env["COMPLIANCEFLOW_AUDIT_DIR"] = str(sandbox / "audit")   # the audit trail's directory (docs/audit-trail.md)
    return job_env


def audit_lines(sandbox: Path, job: AwxJob) -> list[dict]:
    """The audit trail's lines of this job (<dir>/<deployment>/<run id>.jsonl, matched by the AWX job id)."""
    lines = (json.loads(line) for path in sorted((sandbox / "audit").glob("*/*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return [line for line in lines if str((line.get("who") or {}).get("job_id")) == job.ident]


def _launch(sandbox: Path, action: str, deployment: str, **survey) -> AwxJob:
    """Launch the job template of `action` on the deployment's inventory, as USER, with the survey's answers."""
    job_id = 1000 + len(JOBS) + 1
    template_id, template_name = TEMPLATES[action]
    revision = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    extra_vars = yaml.safe_load((sandbox / "ansible-vars.yml").read_text())   # the sandbox's site variables
    extra_vars.update(survey)
    extra_vars.update(awx_job_vars(job_id, template_id, template_name, INVENTORY_IDS[deployment], deployment, USER, revision))
    job = run_job(REPO / ".tmp" / "awx-jobs", job_id=job_id, playbook=f"playbooks/{action}.yml",
                  inventory=REPO / "inventories" / deployment, extra_vars=extra_vars, env=_job_env(sandbox))
    JOBS.append(job)
    return job


def _assert_successful(job: AwxJob) -> None:
    assert (job.status, job.rc) == ("successful", 0), job.tail()
    assert job.events and {e.get("runner_ident") for e in job.events} == {job.ident}
    assert not job.stats("failures") and not job.stats("dark"), job.tail()


@pytest.fixture(scope="module", autouse=True)
def _cleanup_jobs():
    yield
    for job in JOBS:
        shutil.rmtree(job.private_data_dir, ignore_errors=True)


def test_deploy_jobs_build_global_dev_then_westeu_dev_1(sandbox):
    for deployment in DEPLOYMENTS:
        job = _launch(sandbox, "deploy", deployment)
        _assert_successful(job)
        assert job.stats("changed").get(deployment, 0) > 0, job.tail()
        assert (job.artifacts / "rc").read_text().strip() == "0"
        assert (job.artifacts / "status").read_text().strip() == "successful"
    groups = _groups(_sandbox_env(sandbox))
    assert {f"rg-cf-{d}" for d in DEPLOYMENTS} | {f"rg-cf-{d}-audit" for d in DEPLOYMENTS} <= groups, groups
    state = _state(_sandbox_env(sandbox))
    for deployment in DEPLOYMENTS:   # the top-level resources of the deployment's group, for the audit trail's test
        prefix = f"/resourcegroups/rg-cf-{deployment}/providers/"
        _made[deployment] = [i for i in state if prefix in i and i.split(prefix, 1)[1].count("/") == 2]


def test_second_deploy_jobs_change_nothing(sandbox):
    for deployment in DEPLOYMENTS:
        job = _launch(sandbox, "deploy", deployment)
        _assert_successful(job)
        assert job.stats("ok").get(deployment, 0) > 0
        assert sum(job.stats("changed").values()) == 0, job.tail()


def test_seed_jobs_succeed(sandbox):
    for deployment in DEPLOYMENTS:
        job = _launch(sandbox, "seed", deployment)
        _assert_successful(job)
        assert sum(job.stats("changed").values()) == 0, job.tail()   # deploy seeded dev already


def _secrets(sandbox: Path) -> list[str]:
    """The credential's client secret, every Key Vault secret value (admin passwords, connection strings), the app
    roles' password of the sandbox's extra vars."""
    env = _sandbox_env(sandbox)
    values = [env["AZURE_SECRET"], (sandbox / "app.password").read_text().strip()]
    values += [v["value"] for d in _state(env).values() if d.get("type") == "Microsoft.KeyVault/vaults"
               for versions in d.get("_secrets", {}).values() for v in versions]
    return values


def test_no_secret_in_any_jobs_stdout_or_events(sandbox):
    values = _secrets(sandbox)
    _secrets_seen[:] = values   # for the audit trail's test, after the teardown
    assert len(values) >= 6, "expected the client secret, the app password and both deployments' vault secrets"
    for job in JOBS:
        shown = job.stdout + dumps(job.events) + (job.artifacts / "stdout").read_text()
        leaked = [n for n, v in enumerate(values) if v in shown]
        assert not leaked, f"job {job.job_id}: {len(leaked)} secret value(s) in its stdout or events"
        # The search finds a secret where there is one: ansible-runner keeps the job's environment in the command
        # artifact (0600), which AWX deletes with the private data dir (docs/awx.md).
        command = job.artifacts / "command"
        assert values[0] in command.read_text() and command.stat().st_mode & 0o077 == 0


def test_teardown_jobs_westeu_dev_1_then_global_dev_export_and_keep_the_audit_groups(sandbox):
    exports = sandbox / "awx-exports"   # the survey's teardown_export_dir (an exposed host path in AWX)
    for deployment in reversed(DEPLOYMENTS):
        job = _launch(sandbox, "teardown", deployment, teardown_export_dir=str(exports))
        _assert_successful(job)
        assert job.stats("changed").get(deployment, 0) > 0, job.tail()
    assert _groups(_sandbox_env(sandbox)) == {f"rg-cf-{d}-audit" for d in DEPLOYMENTS} | {"networkwatcherrg"}
    for deployment in DEPLOYMENTS:
        (export,) = (exports / deployment).iterdir()
        assert list(export.glob("*/*.manifest.json")), f"{deployment}: no export manifest"


def test_the_audit_trail_lists_every_resource_each_deploy_job_made_with_its_job_id_and_no_secret(sandbox):
    """Read after the teardown: the first deploy job of each deployment recorded every top-level resource it made in
    the deployment's group (the emulator's state was read after the deploy), the converged jobs recorded nothing."""
    secrets = _secrets_seen
    # In launch order: deploy, deploy again, seed (one job per deployment each), then teardown.
    n = len(DEPLOYMENTS)
    deploys, converged = JOBS[:n], JOBS[n:3 * n]
    for job in JOBS:
        lines = audit_lines(sandbox, job)
        assert all((line["who"]["source"], line["who"]["user"]) == ("awx", USER.username) for line in lines), lines[:2]
        text = json.dumps(lines)
        assert not [n for n, v in enumerate(secrets) if v in text], f"job {job.job_id}: a secret value in its audit lines"
        if job in converged:
            assert lines == [], f"job {job.job_id} changed nothing but recorded {len(lines)} line(s)"
    for job, deployment in zip(deploys, DEPLOYMENTS):
        recorded = json.dumps([line.get("resource") for line in audit_lines(sandbox, job)]).lower()
        made = _made[deployment]
        assert made and not [rid for rid in made if rid not in recorded], [rid for rid in made if rid not in recorded]


def test_every_job_carries_its_awx_job_id_and_user():
    assert [job.job_id for job in JOBS] == list(range(1001, 1001 + len(JOBS))) and len(JOBS) == 8
    for job in JOBS:
        extravars = yaml.safe_load((job.private_data_dir / "env" / "extravars").read_text())
        assert (extravars["awx_job_id"], extravars["tower_job_id"], extravars["awx_user_name"]) == (
            job.job_id, job.job_id, USER.username)
        assert job.artifacts.is_dir() and (job.artifacts / "job_events").is_dir()

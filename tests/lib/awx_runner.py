"""Run a playbook as AWX runs a job: ansible-runner's Python API on a private data dir laid out as AWX lays it out.

What AWX does for a job of a job template, and where it says so (AWX's source, github.com/ansible/awx):

- the private data dir is a fresh temporary directory named ``awx_<job id>_...`` (``awx/main/constants.py``,
  ``JOB_FOLDER_PREFIX = 'awx_%s_'``), holding ``project/`` (the project's checkout, copied by
  ``RunProjectUpdate.make_local_copy``), ``inventory/`` (the job's ONE
  inventory), ``env/extravars`` (YAML, written by ``_write_extra_vars_file`` in ``awx/main/tasks/jobs.py``) and the
  environment given to ansible-runner as ``envvars``;
- ansible-runner is called with ``ident`` = the job's id (``params = {'ident': self.instance.id, ...,
  'settings': {'job_timeout': ..., 'suppress_ansible_output': True}}``, same file), so the artifacts land in
  ``artifacts/<job id>/`` and every event carries ``runner_ident`` = the job id;
- the extra vars are the launch's (survey answers, template extra vars) plus AWX's job variables,
  ``awx_meta_vars()`` of ``awx/main/models/unified_jobs.py`` (``awx_job_id``, ``awx_job_launch_type``,
  ``awx_user_id``, ``awx_user_name``, ``awx_user_email``, ``awx_user_first_name``, ``awx_user_last_name``,
  ``awx_inventory_id``, ``awx_inventory_name``, each also as ``tower_*``) and of ``awx/main/models/jobs.py``
  (``awx_project_revision``, ``awx_project_scm_branch``, ``awx_job_template_id``, ``awx_job_template_name``);
- the "Microsoft Azure Resource Manager" credential adds to the environment, for a service principal,
  ``AZURE_SUBSCRIPTION_ID``, ``AZURE_CLIENT_ID``, ``AZURE_TENANT``, ``AZURE_SECRET``, and
  ``AZURE_CLOUD_ENVIRONMENT`` when the credential's cloud environment field is set (``azure_rm`` in
  ``awx/main/models/credential/injectors.py``).

Not AWX here: the job runs on this machine, not in the execution environment's container (ansible-runner's
process isolation off); the EE's interpreter and its installed collection are this checkout's .venv and its
.collections link (ANSIBLE_PYTHON_INTERPRETER, ANSIBLE_COLLECTIONS_PATH), and the sandbox's own network settings
(its CA, the Key Vault tunnel) are given as an AWX admin gives site settings, in "Extra Environment Variables"
(AWX_TASK_ENV).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import ansible_runner
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def azure_rm_credential_env(subscription: str, client: str, secret: str, tenant: str,
                            cloud_environment: str | None = None) -> dict[str, str]:
    """The environment AWX's "Microsoft Azure Resource Manager" credential injects for a service principal."""
    env = {"AZURE_SUBSCRIPTION_ID": subscription, "AZURE_CLIENT_ID": client, "AZURE_TENANT": tenant,
           "AZURE_SECRET": secret}
    if cloud_environment:
        env["AZURE_CLOUD_ENVIRONMENT"] = cloud_environment
    return env


@dataclass
class AwxUser:
    id: int = 7
    username: str = "platform-operator"
    email: str = "platform-operator@complianceflow.example"
    first_name: str = "Platform"
    last_name: str = "Operator"


def awx_job_vars(job_id: int, template_id: int, template_name: str, inventory_id: int, inventory_name: str,
                 user: AwxUser, project_revision: str, project_branch: str = "main") -> dict:
    """AWX's job variables of a job launched by a user from a job template (``awx_meta_vars``), both prefixes."""
    variables = {}
    for prefix in ("awx", "tower"):
        variables.update({
            f"{prefix}_job_id": job_id, f"{prefix}_job_launch_type": "manual",
            f"{prefix}_user_id": user.id, f"{prefix}_user_name": user.username, f"{prefix}_user_email": user.email,
            f"{prefix}_user_first_name": user.first_name, f"{prefix}_user_last_name": user.last_name,
            f"{prefix}_inventory_id": inventory_id, f"{prefix}_inventory_name": inventory_name,
            f"{prefix}_project_revision": project_revision, f"{prefix}_project_scm_branch": project_branch,
            f"{prefix}_job_template_id": template_id, f"{prefix}_job_template_name": template_name,
        })
    return variables


@dataclass
class AwxJob:
    """A finished job: what AWX keeps of it (status, rc, the events and their stdout) and its private data dir."""
    job_id: int
    private_data_dir: Path
    status: str
    rc: int
    events: list[dict] = field(default_factory=list)
    stdout: str = ""

    @property
    def ident(self) -> str:
        return str(self.job_id)

    @property
    def artifacts(self) -> Path:
        return self.private_data_dir / "artifacts" / self.ident

    def stats(self, key: str) -> dict[str, int]:
        """Per host, one count of the play recap (ok, changed, failures, ...) from the playbook_on_stats event."""
        (recap,) = [e for e in self.events if e.get("event") == "playbook_on_stats"]
        return recap["event_data"].get(key) or {}

    def tail(self, chars: int = 6000) -> str:
        return self.stdout[-chars:]


def run_job(workdir: Path, *, job_id: int, playbook: str, inventory: Path, extra_vars: dict, env: dict[str, str],
            timeout: int = 1200) -> AwxJob:
    """Lay out a private data dir under workdir as AWX does for job `job_id` and run `playbook` (a path in the
    project) on `inventory` (a deployment's inventory directory) through ansible_runner.run."""
    workdir.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix=f"awx_{job_id}_", dir=workdir))
    (private / "project").symlink_to(REPO, target_is_directory=True)     # AWX copies the project's checkout here
    shutil.copytree(inventory, private / "inventory")                  # AWX writes the job's inventory here
    (private / "env").mkdir(mode=0o700)
    # ansible-playbook of the interpreter running the tests (the EE's, in AWX), first on PATH.
    env = {**env, "PATH": os.pathsep.join((str(BIN), os.environ.get("PATH", "")))}
    for name, content in (("extravars", extra_vars), ("envvars", env),
                          ("settings", {"job_timeout": timeout, "suppress_ansible_output": True})):
        path = private / "env" / name
        path.touch(mode=0o600)
        path.write_text(yaml.safe_dump(content, default_flow_style=False), encoding="utf-8")
    run = ansible_runner.run(private_data_dir=str(private), ident=str(job_id), playbook=playbook, quiet=True)
    events = list(run.events)
    return AwxJob(job_id, private, run.status, run.rc, events, "\n".join(e.get("stdout", "") for e in events if e.get("stdout")))


def dumps(events: list[dict]) -> str:
    """The events as AWX stores them (one JSON document each), for searching their text."""
    return "\n".join(json.dumps(e, sort_keys=True) for e in events)

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback complianceflow.infra.audit_trail: one JSON line per change (docs/audit-trail.md)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: audit_trail
type: notification
short_description: One JSON line per infrastructure change, kept locally and shipped to the deployment's audit container
version_added: 1.0.0
author: ComplianceFlow Platform Team (@complianceflow)
description:
  - Writes one JSON line per task result that changed something (C(changed=true), not failed, not in check mode) with
    when (UTC, ISO 8601), who (the AWX user and job id from AWX's job variables C(awx_user_name), C(awx_job_id) or
    C(tower_job_id); else the local user and host), which deployment (C(inventory_hostname) and the plan's name),
    the resource id, the action (created, updated, deleted; C(changed) without diff mode), before and after (the
    module's diff, diff mode only) with secrets masked, the playbook, the collection version, the task.
  - Nothing is written for tasks that changed nothing, were skipped or failed, nor for check mode's predictions.
  - A C(no_log) task's line holds the task name and C(censored=true) only.
  - Each line is appended to C(<dir>/<deployment>/<run id>.jsonl) and flushed to disk as the change is reported.
  - The run id is also exported to the run's tasks as the environment variable C(COMPLIANCEFLOW_RUN_ID) (the GDPR
    erase signs it into its record, so record and trail line name the same run).
  - At the end of the run (O(ship=true), the default), each deployment's file is uploaded as one block blob
    C(<plan name>/<run id>.jsonl) to the container O(container) of the storage account
    C(deployment_plan.names.storage_account) (the plan set by the C(set_fact) of C(playbooks/deploy.yml)), through the
    Blob service REST API (Put Blob, If-None-Match *) with the Azure modules' credentials (the extra var C(azure_auth)
    that C(playbooks/deploy.yml) gives its modules, else the C(AZURE_*) environment);
    the identity needs a data role on the container (Storage Blob Data Contributor), which C(playbooks/preflight.yml)
    checks. A deployment without a plan or storage account, or whose account or container does not exist yet (a first
    deploy), keeps its trail locally only; the run says so at C(-v). Any other upload error fails the run like a
    line that cannot be written (O(on_error)). Tested against the repository's emulator, not against Azure; see
    docs/audit-trail.md.
  - If a line cannot be written, the run stops at once with exit code 3 (an unrecorded change is an audit finding),
    unless O(on_error=warn).
requirements:
  - azure-identity (for O(ship=true), the default)
options:
  dir:
    description: Directory of the local trail (created if missing).
    type: path
    default: ~/.ansible/audit
    env:
      - name: COMPLIANCEFLOW_AUDIT_DIR
    ini:
      - section: complianceflow_audit
        key: dir
  on_error:
    description:
      - V(fail) stops the run (exit code 3) when a line cannot be written, or when a shipped trail could not be uploaded
        to an existing container.
      - V(warn) only warns; changes may then go unrecorded.
    type: str
    default: fail
    choices: [fail, warn]
    env:
      - name: COMPLIANCEFLOW_AUDIT_ON_ERROR
    ini:
      - section: complianceflow_audit
        key: on_error
  ship:
    description: Upload each deployment's trail to its audit container at the end of the run (see description).
    type: bool
    default: true
    env:
      - name: COMPLIANCEFLOW_AUDIT_SHIP
    ini:
      - section: complianceflow_audit
        key: ship
  container:
    description: Blob container of the trail in the deployment's storage account.
    type: str
    default: audit
    env:
      - name: COMPLIANCEFLOW_AUDIT_CONTAINER
    ini:
      - section: complianceflow_audit
        key: container
  blob_endpoint_suffix:
    description:
      - DNS suffix of the Blob service (C(https://<account>.blob.<suffix>)). Default from C(AZURE_CLOUD_ENVIRONMENT),
        V(core.windows.net) for Azure's public cloud, the other named clouds' own, or the C(suffixes.storage) of the
        metadata of a cloud given as the URL of its ARM endpoint (Azure Stack, the repository's emulator).
    type: str
    env:
      - name: COMPLIANCEFLOW_AUDIT_BLOB_SUFFIX
    ini:
      - section: complianceflow_audit
        key: blob_endpoint_suffix
notes:
  - Enable it with C(callbacks_enabled = complianceflow.infra.audit_trail) in ansible.cfg or
    C(ANSIBLE_CALLBACKS_ENABLED); the repository's ansible.cfg and the execution environment do.
  - A callback cannot set ansible-playbook's exit code; on a write failure this one ends the process with
    C(SystemExit(3)), which ansible-core's callback dispatch does not catch (it turns only C(Exception) into a warning).
"""

import datetime
import getpass
import json
import os
import socket
import sys
import uuid
from pathlib import Path

from ansible.plugins.callback import CallbackBase
from ansible.utils.display import Display

from ansible_collections.complianceflow.infra.plugins.plugin_utils import audit

display = Display()

EXIT_UNRECORDED = 3
# Where the tasks find this run's id (set at each play's start, before its tasks' workers are forked).
RUN_ID_ENV = "COMPLIANCEFLOW_RUN_ID"
COLLECTION_ROOT = Path(__file__).resolve().parents[2]


def collection_version(root: Path = COLLECTION_ROOT) -> str:
    """The version of the collection this callback belongs to: MANIFEST.json (installed) or galaxy.yml (checkout)."""
    try:
        return str(json.loads((root / "MANIFEST.json").read_text(encoding="utf-8"))["collection_info"]["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        for line in (root / "galaxy.yml").read_text(encoding="utf-8").splitlines():
            if line.startswith("version:"):
                return line.split(":", 1)[1].strip().strip("'\"")
    except OSError:
        pass
    return "unknown"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "complianceflow.infra.audit_trail"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._extra_vars = {}
        self._playbook = None
        self._plans = {}          # inventory_hostname -> deployment_plan (from the set_fact that keeps it)
        self._files = {}          # inventory_hostname -> local trail file
        self._failed = False
        self._cloud = None        # (auth.Cloud, storage suffix), resolved at the first upload
        self._azure_auth = None   # the extra var azure_auth, if any (the modules' auth options)
        started = datetime.datetime.now(datetime.timezone.utc)
        self._run_id = f"{started.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}"

    # ---- options
    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        self._dir = Path(os.path.expanduser(self.get_option("dir")))
        self._on_error = self.get_option("on_error")

    # ---- run context
    def v2_playbook_on_start(self, playbook):
        self._playbook = str(getattr(playbook, "_file_name", "") or "")

    def v2_playbook_on_play_start(self, play):
        manager = play.get_variable_manager()
        extra = getattr(manager, "extra_vars", None) if manager is not None else None
        # Only AWX's job variables: other extra vars may hold secrets (vaulted or not) and are never read.
        self._extra_vars = audit.plain({k: v for k, v in dict(extra or {}).items() if str(k).startswith(("awx_", "tower_"))})
        # The Azure modules' credentials when the playbook passes them as the extra var azure_auth (deploy.yml's
        # module_defaults): used for the upload's token only, never written.
        given = dict(extra or {}).get("azure_auth")
        if isinstance(given, dict):
            self._azure_auth = {str(k): str(v) for k, v in given.items() if v is not None}
        job = audit.who(self._extra_vars, os.environ, "", "").get("job_id")
        if job and not self._run_id.endswith(f"-job{audit.safe_name(job)}"):
            self._run_id = f"{self._run_id.split('-')[0]}-job{audit.safe_name(job)}"
        # The run id for the tasks too (a GDPR record names the run of its trail line): the worker processes that run
        # the tasks are forked from this one after the play starts, so they inherit it (lookup('env', RUN_ID_ENV)).
        os.environ[RUN_ID_ENV] = self._run_id

    # ---- results
    def v2_runner_on_ok(self, result, **kwargs):
        host = result._host.get_name()
        data = result._result
        plan = (data.get("ansible_facts") or {}).get("deployment_plan") if isinstance(data, dict) else None
        if isinstance(plan, dict):
            self._plans[host] = plan
        task = result._task
        no_log = bool(getattr(task, "no_log", False))
        check_mode = bool(getattr(task, "check_mode", False))
        context = self._context(host)
        try:
            records = audit.build_records(data, task={"name": task.get_name(), "action": task.action, "args": _args(task)},
                                          context=context, check_mode=check_mode, no_log=no_log)
        except Exception as err:  # pylint: disable=broad-exception-caught  # a result this code did not foresee
            # The change is still recorded: who, when, where, which task; none of the result's values.
            if not audit.is_change(data, check_mode):
                return
            records = [dict(context, schema=audit.SCHEMA, task=task.get_name(), module=task.action, action="changed",
                            record_error=type(err).__name__)]
        for record in records:
            self._write(host, record)

    def _context(self, host: str) -> dict:
        plan = self._plans.get(host) or {}
        return {
            "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "who": audit.who(self._extra_vars, os.environ, _local_user(), socket.gethostname()),
            "deployment": host,
            "plan_name": plan.get("name"),
            "playbook": self._playbook,
            "collection": "complianceflow.infra",
            "collection_version": collection_version(),
            "run_id": self._run_id,
        }

    def _write(self, host: str, record: dict):
        path = self._dir / audit.safe_name(host) / f"{self._run_id}.jsonl"
        line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            self._files[host] = path
        except OSError as err:
            self._unrecorded(f"audit trail: could not write the change of task {record.get('task')!r} on {host} to {path}: {err}")

    def _unrecorded(self, msg: str):
        if self._on_error == "warn":
            display.warning(msg + " (on_error=warn: the run goes on)")
            return
        display.error(msg + "; stopping the run (an unrecorded change is an audit finding; "
                            "COMPLIANCEFLOW_AUDIT_ON_ERROR=warn only warns)")
        self._failed = True
        sys.stdout.flush()
        raise SystemExit(EXIT_UNRECORDED)

    # ---- end of run
    def v2_playbook_on_stats(self, stats):
        for host, path in sorted(self._files.items()):
            _say(f"audit trail: {host}: {path}")
        if not self.get_option("ship") or not self._files:
            return
        problems = []
        for host, path in sorted(self._files.items()):
            problem = self._ship(host, path)
            if problem:
                problems.append(problem)
        if problems and self._on_error == "fail":
            self._unrecorded("; ".join(problems))

    def _ship(self, host: str, path: Path):
        """Upload one deployment's trail; returns a problem that must fail the run, or None (done, or kept locally)."""
        plan = self._plans.get(host) or {}
        names = plan.get("names") or {}
        account = names.get("storage_account")
        if not account:
            _say(f"audit trail: {host} has no deployment_plan with a storage account: its trail stays in {path}")
            return None
        try:
            from ansible_collections.complianceflow.infra.plugins.plugin_utils import audit_ship  # pylint: disable=import-outside-toplevel
            if self._cloud is None:
                self._cloud = audit_ship.resolve_cloud(os.environ, self.get_option("blob_endpoint_suffix"), self._azure_auth)
            cloud, suffix = self._cloud
        except Exception as err:  # pylint: disable=broad-exception-caught  # any failure is reported, none is silent
            return f"audit trail: could not find the Blob service of {host}'s trail (AZURE_CLOUD_ENVIRONMENT): {err}; it stays in {path}"
        if not suffix:
            return f"audit trail: set blob_endpoint_suffix to ship {host}'s trail (cloud {cloud.name!r}); it stays in {path}"
        blob = f"{audit.safe_name(plan.get('name') or host)}/{self._run_id}.jsonl"
        url = audit.blob_url(suffix, account, self.get_option("container"), blob)
        try:
            outcome = audit_ship.put_block_blob(url, path.read_bytes(), cloud=cloud, params=self._azure_auth)
        except Exception as err:  # pylint: disable=broad-exception-caught  # any failure is reported, none is silent
            return f"audit trail: could not ship {path} to {url}: {err}"
        if outcome == "missing":
            _say(f"audit trail: {url}: the storage account or its container does not exist yet: the trail stays in {path}")
            return None
        if outcome not in ("created", "exists"):
            return f"audit trail: could not ship {path} to {url}: {outcome}"
        _say(f"audit trail: {host}: shipped to {url}" + (" (already there)" if outcome == "exists" else ""))
        return None


def _say(msg: str):
    """At -v, on stderr: stdout stays exactly the stdout callback's (a JSON callback's output stays JSON)."""
    if display.verbosity:
        display.display(msg, stderr=True)


def _args(task) -> dict:
    try:
        return audit.plain(dict(task.args or {}))
    except Exception:  # pylint: disable=broad-exception-caught  # unresolved templates: the result's invocation is used instead
        return {}


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())

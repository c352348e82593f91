# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit trail's records: one JSON line per change. PRIVATE to the collection; no Ansible import.

The callback complianceflow.infra.audit_trail (plugins/callback/audit_trail.py) hands every task result
here. A result gives a record when, and only when, the task changed something for real:

- changed is true, the task did not fail, and it did not run in check mode (a prediction changed nothing);
- an async task's start (``ansible_job_id`` with ``finished`` 0) is not the change: the task that awaits
  it (``async_status``) carries the module's result and gives the record;
- a loop gives one record per changed item;
- a ``no_log`` task gives a record with the task name and ``censored: true`` and nothing else of the result
  (no resource, no before/after): Ansible has already replaced the result with its "censored" notice.

Values are redacted before they are written (``redact``): any key that names a secret (its last word is
password, secret, key, token, sas, credential..., or it contains password/secret/token/connection string) is
masked, and so is any string that looks like a connection string or SAS token. Values of module options
marked ``no_log`` never reach the callback: AnsibleModule removes them from the whole result, diff included.

The resource id comes from the module's result: the engine's modules return the resource as a dict holding
``id`` under the module's result key (runner.Resource.result); a delete returns only the ``id`` of what it deleted
there (runner._absent). A module outside the engine that returns no id gets a record naming the resource by the
task's options (``name``, ``resource_group``...) instead.

The action comes from the diff (diff mode): before empty -> created, after empty -> deleted, else updated.
Without diff mode the modules return no before/after: ``state=absent`` -> deleted, else ``changed``.
"""

from __future__ import annotations

import re

MASK = "********"
SCHEMA = 1

# Words that make a key name a secret when the key ends with them (primary_key, access_keys, sas, adminPassword).
_SECRET_LAST_WORDS = frozenset(("password", "passwd", "pwd", "passphrase", "secret", "secrets", "key", "keys", "token",
                                "tokens", "sas", "credential", "credentials", "signature", "sig"))
# Words that make a key name a secret wherever they stand (client_secret_id, password_file, connection_string_uri).
_SECRET_ANYWHERE = ("password", "passwd", "secret", "token", "connectionstring", "connection_string", "sas_")
# Strings that are secrets whatever their key: connection strings with keys or passwords, SAS query strings, PEM keys.
_SECRET_VALUE = re.compile(r"(AccountKey=|SharedAccessKey=|SharedAccessSignature=|Password=|PWD=|[?&]sig=|"
                           r"-----BEGIN [A-Z ]*PRIVATE KEY-----|://[^/\s:@]+:[^/\s@]+@)", re.IGNORECASE)
# Keys a record keeps as they are (an Azure resource id names no secret, even /providers/.../keys/...).
_KEEP = frozenset(("id", "resource_id", "type", "name"))
# The options that name a resource in a delete's record (its result is empty).
_NAMING_OPTIONS = ("name", "resource_group", "server", "server_name", "namespace", "namespace_name", "vault_name",
                   "vault_uri", "scope", "resource_id", "id", "location", "state")
NO_LOG_NOTICE = "censored"


def words(key: str) -> list:
    """A key's words, lower case: adminPassword -> [admin, password]; primary_key -> [primary, key]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(key))
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def is_secret_key(key) -> bool:
    """Whether a dict key names a secret (its value is then masked)."""
    if not isinstance(key, str) or key in _KEEP:
        return False
    parts = words(key)
    if parts and parts[-1] in _SECRET_LAST_WORDS:
        return True
    flat = "_".join(parts)
    return any(mark in flat or mark in flat.replace("_", "") for mark in _SECRET_ANYWHERE)


def looks_secret(value) -> bool:
    return isinstance(value, str) and bool(_SECRET_VALUE.search(value))


def redact(value, extra_values=()):
    """A copy of value with secrets masked: values of secret-looking keys, secret-looking strings, and any of
    extra_values (strings known to be secret, e.g. no_log values) wherever they appear."""
    known = [v for v in extra_values if isinstance(v, str) and len(v) >= 4]
    return _redact(value, known)


def _redact(value, known):
    if isinstance(value, dict):
        return {k: (MASK if is_secret_key(k) and v not in (None, "", [], {}) else _redact(v, known)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(v, known) for v in value]
    if isinstance(value, str):
        if looks_secret(value):
            return MASK
        for secret in known:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    return value


def plain(value):
    """value as plain JSON types (Ansible's tagged strings, tuples, sets, dates become str / list)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def is_change(result: dict, check_mode: bool) -> bool:
    """Whether a task result is a change to record (see the module docstring)."""
    if not isinstance(result, dict) or not result.get("changed") or check_mode:
        return False
    if result.get("failed") or result.get("skipped") or result.get("unreachable"):
        return False
    if "ansible_job_id" in result and not result.get("finished", 0):
        return False   # an async task's start; async_status gives the record
    return True


def action_of(result: dict, args: dict | None) -> str:
    """created / updated / deleted from the diff; without one, deleted for state=absent, else changed."""
    diff = result.get("diff")
    if isinstance(diff, list):
        diff = diff[0] if len(diff) == 1 else None
    if isinstance(diff, dict) and ("before" in diff or "after" in diff):
        before, after = diff.get("before"), diff.get("after")
        if not before and after:
            return "created"
        if before and not after:
            return "deleted"
        return "updated"
    if (args or {}).get("state") == "absent":
        return "deleted"
    return "changed"


def resource_of(result: dict, args: dict | None) -> dict:
    """The changed resource: {id} from the result (a delete's too), or the naming options of the task (no id returned)."""
    found = _find_id(result)
    if found:
        return {"id": found}
    named = {k: (args or {}).get(k) for k in _NAMING_OPTIONS if (args or {}).get(k) not in (None, "", [], {})}
    return {"options": named} if named else {}


def _find_id(result: dict):
    """An Azure resource id in the result: its own `id`, or the `id` of a dict it returns (one level down)."""
    rid = result.get("id")
    if isinstance(rid, str) and rid.startswith("/"):
        return rid
    for key, value in result.items():
        if key in ("diff", "invocation") or not isinstance(value, dict):
            continue
        rid = value.get("id")
        if isinstance(rid, str) and rid.startswith("/subscriptions/"):
            return rid
    return None


def diff_of(result: dict):
    """(before, after) of the module's diff, or (None, None) when the task ran without diff mode."""
    diff = result.get("diff")
    if isinstance(diff, list):
        if not diff:
            return None, None
        if len(diff) > 1:
            return [d.get("before") for d in diff if isinstance(d, dict)], [d.get("after") for d in diff if isinstance(d, dict)]
        diff = diff[0]
    if not isinstance(diff, dict):
        return None, None
    return diff.get("before"), diff.get("after")


def build_records(result: dict, *, task: dict, context: dict, check_mode: bool = False, no_log: bool = False,
                  secrets=()) -> list:
    """The records of one task result (none, one, or one per changed loop item).

    task: {name, action, args (the task's module options as given; used only to name a deleted resource and for
    state=absent), path}; context: {when, who, deployment, plan_name, playbook, collection_version, run_id} (the
    record's fixed fields; the callback fills them).
    """
    if not isinstance(result, dict):
        return []
    # A loop's items, or the background jobs an operation_wait collected: a record per changed one.
    items = result.get("results") if "results" in result else result.get("jobs")
    if isinstance(items, list) and items and all(isinstance(i, dict) for i in items):
        if not result.get("changed") or check_mode:
            return []
        out = []
        for item in items:
            out.extend(build_records(item, task=task, context=context, check_mode=check_mode, no_log=no_log or
                                     bool(item.get("_ansible_no_log")), secrets=secrets))
        return out
    if not is_change(result, check_mode):
        return []
    record = dict(schema=SCHEMA, **context)
    record.update(task=task.get("name") or task.get("action"), module=task.get("action"))
    if no_log or result.get("_ansible_no_log") or NO_LOG_NOTICE in result:
        record.update(action="changed", censored=True)
        return [record]
    args = _args_of(result, task)
    before, after = diff_of(result)
    record.update(action=action_of(result, args), resource=resource_of(result, args), before=before, after=after)
    return [redact(plain(record), secrets)]


def _args_of(result: dict, task: dict) -> dict:
    """The module options the module saw (its invocation, no_log values already hidden), else the task's."""
    invocation = result.get("invocation")
    if isinstance(invocation, dict) and isinstance(invocation.get("module_args"), dict):
        return invocation["module_args"]
    return task.get("args") or {}


def who(extra_vars: dict, env: dict, local_user: str, local_host: str) -> dict:
    """Who ran the change: the AWX user and job from AWX's job variables, else the local user on the local host."""
    extra = extra_vars or {}
    job = extra.get("awx_job_id", extra.get("tower_job_id"))
    user = extra.get("awx_user_name", extra.get("tower_user_name"))
    if job is not None or user is not None:
        out = {"source": "awx", "user": _text(user), "job_id": _text(job)}
        for key in ("awx_job_template_name", "awx_workflow_job_id", "awx_host", "awx_inventory_name"):
            if extra.get(key) not in (None, ""):
                out[key[len("awx_"):]] = _text(extra[key])
        return out
    if env.get("AWX_JOB_ID") or env.get("JOB_ID"):
        return {"source": "awx", "user": None, "job_id": env.get("AWX_JOB_ID") or env.get("JOB_ID")}
    return {"source": "local", "user": local_user, "host": local_host}


def _text(value):
    return None if value is None else str(value)


def safe_name(value: str) -> str:
    """A name fit for a file or blob path segment (letters, digits, . _ -)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", str(value)).strip("._")
    return cleaned or "unknown"


def blob_url(endpoint_suffix: str, account: str, container: str, path: str) -> str:
    """The Blob service URL of a blob: https://<account>.blob.<suffix>/<container>/<path>."""
    return f"https://{account}.blob.{endpoint_suffix.strip('.')}/{container}/{path.lstrip('/')}"


# Storage endpoint suffixes of the clouds the modules know (Microsoft Learn, "Azure China 21Vianet developer guide"
# and "Azure Government developer guide": core.chinacloudapi.cn, core.usgovcloudapi.net).
STORAGE_SUFFIXES = {"AzureCloud": "core.windows.net", "AzureUSGovernment": "core.usgovcloudapi.net",
                    "AzureChinaCloud": "core.chinacloudapi.cn"}

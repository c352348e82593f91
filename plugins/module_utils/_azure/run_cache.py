# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Public documents a module keeps for the run's later tasks. PRIVATE to the collection: no compatibility promise.

plugins/plugin_utils/in_process.py offers the modules it runs a directory private to the controller run
(ansible-core's per-run local temporary directory, 0700, removed when the run ends). What is kept there is public
metadata only, read once per run instead of once per task: a custom cloud's endpoints (auth.py) and Entra ID's
OpenID discovery document (discovery.py). Never a token, a secret or anything read from a resource. Without the
directory (a module run the usual way, in a new Python) nothing is kept and every task reads again. No Ansible
import: unit-testable.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile

RUN_CACHE_ENV = "COMPLIANCEFLOW_RUN_CACHE"


def _directory(env) -> str | None:
    directory = env.get(RUN_CACHE_ENV)
    return directory if directory and os.path.isdir(directory) else None


def _path(env, kind: str, key: str) -> str | None:
    directory = _directory(env)
    if directory is None:
        return None
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return os.path.join(directory, f"{kind}-{digest}.json")


def available(env) -> bool:
    """Whether this run offers a cache (a module run in the controller's worker)."""
    return _directory(env) is not None


def read(env, kind: str, key: str):
    """The document an earlier task of this run kept under (kind, key), or None (no run cache, none yet, unreadable).
    The caller checks it is what it should be before using it."""
    path = _path(env, kind, key)
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def write(env, kind: str, key: str, payload) -> None:
    """Keep a document for the run's later tasks (best effort: without it they read it again)."""
    path = _path(env, kind, key)
    if path is None:
        return
    try:
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=f".{kind}-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(payload, out)
        os.replace(temporary, path)   # atomic: a task running beside this one reads the old file or the new, whole
    except OSError:
        return

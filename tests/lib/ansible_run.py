"""Run real ansible-playbook / ansible commands from tests and read their results.

Results come from the json stdout callback, so tests assert on what a user would see
(changed, failed, msg, diff) rather than on log text.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# ansible-core ships no json stdout callback; tests/lib/callbacks has a test-only one.
JSON_CALLBACK_ENV = {"ANSIBLE_CALLBACK_PLUGINS": str(REPO / "tests" / "lib" / "callbacks"),
                     "ANSIBLE_STDOUT_CALLBACK": "json_results"}


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str
    data: dict = field(default_factory=dict)

    def task_results(self, task_name: str) -> list[dict]:
        """Per-host results of every task with this name, in play order."""
        found = []
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                if task["task"]["name"] == task_name:
                    found.extend(task["hosts"].values())
        return found

    def result(self, task_name: str) -> dict:
        results = self.task_results(task_name)
        assert len(results) == 1, f"expected one result for {task_name!r}, got {len(results)}:\n{self.stdout[-4000:]}\n{self.stderr[-4000:]}"
        return results[0]

    @property
    def stats(self) -> dict:
        return self.data.get("stats", {})

    def total(self, key: str) -> int:
        return sum(host.get(key, 0) for host in self.stats.values())


def run_playbook(playbook: str | Path, *, inventory: str | Path | list | None = None,
                 extra_vars: dict | None = None, check: bool = False, diff: bool = False,
                 verbosity: int = 0, env: dict | None = None, json_output: bool = True,
                 timeout: int = 900, limit: str | None = None) -> PlaybookRun:
    """Run ansible-playbook on a path, or on YAML text written to a temporary file."""
    cleanup = None
    path = Path(playbook) if not str(playbook).lstrip().startswith(("-", "#")) else None
    if path is None:
        # .tmp/ is gitignored: a run cut short leaves nothing git would pick up.
        scratch = REPO / ".tmp" / "playbooks"
        scratch.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile("w", suffix=".yml", dir=scratch, delete=False)
        handle.write(str(playbook))
        handle.close()
        path = cleanup = Path(handle.name)
    cmd = [str(BIN / "ansible-playbook"), str(path)]
    inventories = inventory if isinstance(inventory, list) else [inventory or "localhost,"]
    for inv in inventories:
        cmd += ["-i", str(inv)]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if limit:
        cmd += ["--limit", limit]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    run_env = dict(os.environ)
    run_env.setdefault("ANSIBLE_CONFIG", str(REPO / "ansible.cfg"))
    run_env["ANSIBLE_COLLECTIONS_PATH"] = str(REPO / ".collections")
    run_env["ANSIBLE_NOCOLOR"] = "1"
    run_env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
    if json_output:
        run_env.update(JSON_CALLBACK_ENV)
    run_env.update(env or {})
    try:
        proc = subprocess.run(cmd, cwd=REPO, env=run_env, capture_output=True, text=True, timeout=timeout, check=False)
    finally:
        if cleanup:
            cleanup.unlink()
    data = {}
    if json_output:
        try:
            data = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError:
            data = {}
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, data)

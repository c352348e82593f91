# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wall time of a full sandbox deploy (global-dev then westeu-dev-1) under a latency profile.

    .venv/bin/python bench/deploy/run.py [--profile bench/deploy/profile.json]

Starts its own PostgreSQL + ARM emulator (tools/sandbox/services.py) under .tmp/, then:
  1. deploy with the profile's latencies            -> wall time, module invocations
  2. deploy again (nothing to do)                   -> no-change wall time, changed (must be 0)
  3. teardown, emulator reset, latencies off, deploy -> the same work without any latency (local cost)
and computes, from the profile and the writes the emulator logged in run 1, the critical path (the
slowest dependent chain: NSGs in parallel -> VNet -> zones+links or Key Vault -> server -> its
databases and parameters one after another, as Azure serialises them per server; global before
regional) and the sum of all latencies (what a run with no concurrency at all would wait).
Prints the figures; bench/deploy/README.md records a run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "sandbox"))

import services  # noqa: E402  pylint: disable=wrong-import-position

INVENTORIES = ["-i", "inventories/global-dev", "-i", "inventories/westeu-dev-1"]
SCOPES = (("global", ("global-dev",)), ("regional", ("westeu-dev-1",)))
RECAP = re.compile(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", re.M)
SERVER = "microsoft.dbforpostgresql/flexibleservers"


def playbook(name: str, env: dict, vars_file: Path, count_file: Path | None = None) -> tuple[float, int, dict]:
    run_env = dict(env, ANSIBLE_CALLBACK_PLUGINS=str(Path(__file__).parent / "callback_plugins"),
                   ANSIBLE_CALLBACKS_ENABLED="count_modules", BENCH_COUNT_FILE=str(count_file or os.devnull))
    start = time.monotonic()
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), f"playbooks/{name}.yml", *INVENTORIES,
                           "-e", f"@{vars_file}"], cwd=REPO, env=run_env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    if proc.returncode:
        raise SystemExit(f"bench: {name}.yml failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    changed = sum(int(m[2]) for m in RECAP.finditer(proc.stdout))
    counts = json.loads(count_file.read_text()) if count_file else {}
    return wall, changed, counts


def admin(env: dict, method: str, path: str, body=None):
    request = urllib.request.Request(f"{env['ARM_EMULATOR_URL']}/_emulator/{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=env["ARM_EMULATOR_CA"]), timeout=30) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def latency_of(profile: dict, resource_type: str) -> float:
    table = {k.lower(): v for k, v in profile["latency"].items()}
    return float(table.get(resource_type.lower(), table.get("default", 0)))


def chains(log: Path, profile: dict) -> tuple[dict[str, float], float]:
    """Per deployment the critical path of its writes; and the sum of every write's latency."""
    writes = defaultdict(list)
    total = 0.0
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        if entry["method"] not in ("PUT", "PATCH") or not entry.get("resource_type"):
            continue
        match = re.search(r"/resourcegroups/rg-cf-([^/]+)", entry["path"], re.I)
        if match:
            seconds = latency_of(profile, entry["resource_type"])
            writes[match[1].lower()].append((entry["resource_type"].lower(), seconds))
            total += seconds
    result = {}
    for deployment, items in writes.items():
        def longest(prefix: str) -> float:
            return max((s for t, s in items if t == prefix), default=0.0)
        children = sum(s for t, s in items if t.startswith(SERVER + "/"))
        dns = longest("microsoft.network/privatednszones") + longest("microsoft.network/privatednszones/virtualnetworklinks")
        result[deployment] = (longest("microsoft.network/networksecuritygroups") + longest("microsoft.network/virtualnetworks")
                              + max(dns, longest("microsoft.keyvault/vaults")) + longest(SERVER) + children)
    return result, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", type=Path, default=Path(__file__).parent / "profile.json")
    args = parser.parse_args(argv)
    profile = json.loads(args.profile.read_text())
    state = REPO / ".tmp" / f"bench-deploy-{os.getpid()}"
    shutil.rmtree(state, ignore_errors=True)
    config = state.parent / f"{state.name}-profile.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"latency": profile["latency"]}))
    try:
        env = dict(os.environ, **services.up(state, config))
        vars_file = state / "ansible-vars.yml"
        log = state / "arm" / "requests.jsonl"
        wall, changed, counts = playbook("deploy", env, vars_file, state / "count-1.json")
        per_deployment, latency_sum = chains(log, profile)
        rerun, rerun_changed, rerun_counts = playbook("deploy", env, vars_file, state / "count-2.json")
        playbook("teardown", env, vars_file)
        admin(env, "POST", "reset")
        admin(env, "PUT", "latency", {})
        local, _changed, _counts = playbook("deploy", env, vars_file)
        playbook("teardown", env, vars_file)
    finally:
        services.down(state)
        shutil.rmtree(state, ignore_errors=True)
        config.unlink(missing_ok=True)
    critical = sum(max(per_deployment.get(d, 0.0) for d in names) for _scope, names in SCOPES)
    rows = [
        ("deploy, latency profile", f"{wall:.1f} s", f"changed={changed}, {counts['total']} module invocations"),
        ("critical path of the profile", f"{critical:.1f} s",
         ", ".join(f"{d} {s:.0f} s" for d, s in sorted(per_deployment.items())) + " (global, then regional)"),
        ("sum of all latencies", f"{latency_sum:.1f} s", "what a run without any concurrency would wait"),
        ("same deploy, no latency", f"{local:.1f} s", "local cost: module start-up, SDK, SQL"),
        ("no-change re-run", f"{rerun:.1f} s", f"changed={rerun_changed}, {rerun_counts['total']} module invocations"),
    ]
    print(f"bench/deploy ({args.profile.name}, {os.cpu_count()} CPUs)")
    for name, value, note in rows:
        print(f"  {name:30} {value:>9}   {note}")
    top = sorted(counts["by_module"].items(), key=lambda kv: -kv[1])
    print("  module invocations (deploy): " + ", ".join(f"{m.rsplit('.', 1)[-1]} {n}" for m, n in top))
    return 0 if rerun_changed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

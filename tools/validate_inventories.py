#!/usr/bin/env python
"""Validate all inventories together (run through scripts/validate-inventories.sh).

Checks: one host per inventory, named after its directory and a valid deployment name; the host
sits in its scope, environment and region groups and in no other such group; local connection;
overrides valid (vnet_cidr equal to the registry, no overlap); no deployment in two inventories;
every registry row has an inventory; no variable leaks from one inventory's group_vars into
another deployment when all inventories are loaded together; no two plans overlap.
"""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import load_registry, overlaps, parse_cidr
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import (
    ENVIRONMENTS,
    REGIONS,
    DeploymentError,
    parse_deployment_name,
)

SCOPES = ("global", "regional")
# Top-level names copied from the seed's tfvars belong under deployment_overrides.
TFVARS_NAMES = ("vnet_cidr", "cost_center", "owner", "location", "region_code", "environment", "instance",
                "naming_seed", "key_vault_suffix", "budget", "sizing", "features", "tags")
TFVARS_PREFIXES = ("database_", "redis_", "enable_")
UNSET = "unset"


def inventory_list(ansible_inventory: str, sources: list) -> dict:
    cmd = [ansible_inventory, "--list"]
    for source in sources:
        cmd += ["-i", str(source)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise DeploymentError(f"ansible-inventory failed for {', '.join(map(str, sources))}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def hosts_and_groups(data: dict):
    hosts = set(data.get("_meta", {}).get("hostvars", {}))
    groups = {}
    for group, body in data.items():
        if group != "_meta" and isinstance(body, dict):
            hosts.update(body.get("hosts", []))
            for host in body.get("hosts", []):
                groups.setdefault(host, set()).add(group)
    return hosts, groups


def check_inventory(path: Path, data: dict, registry, problems: list) -> dict | None:
    hosts, groups = hosts_and_groups(data)
    where = f"inventories/{path.name}"
    if len(hosts) != 1:
        problems.append(f"{where}: expected exactly one host (the deployment), found {sorted(hosts)}")
        return None
    host = hosts.pop()
    if host != path.name:
        problems.append(f"{where}: the host is {host!r}; it must be named after the inventory ({path.name!r})")
    try:
        dep = parse_deployment_name(host)
    except DeploymentError as exc:
        problems.append(f"{where}: {exc}")
        return None
    expected = {dep.scope, dep.environment, dep.region_code}
    member = groups.get(host, set()) & (set(SCOPES) | set(ENVIRONMENTS) | set(REGIONS))
    if member != expected:
        problems.append(f"{where}: {host} must be in groups {sorted(expected)} (scope, environment, region), is in {sorted(member)}")
    hostvars = data["_meta"]["hostvars"].get(host, {})
    if hostvars.get("ansible_connection") != "local":
        problems.append(f"{where}: {host} needs ansible_connection: local (plans and Azure calls run on the controller)")
    if hostvars.get("ansible_python_interpreter") != "{{ ansible_playbook_python }}":
        problems.append(f"{where}: {host} needs ansible_python_interpreter: \"{{{{ ansible_playbook_python }}}}\"")
    for var in hostvars:
        if var in TFVARS_NAMES or var.startswith(TFVARS_PREFIXES):
            problems.append(f"{where}: variable {var!r} is not read; put it under deployment_overrides (docs/deployment-model.md)")
    try:
        return build_plan(host, overrides=hostvars.get("deployment_overrides"), registry=registry)
    except DeploymentError as exc:
        problems.append(f"{where}: {exc}")
        return None


def main(argv: list) -> int:
    repo = Path(__file__).resolve().parent.parent
    ansible_inventory = str(Path(sys.executable).parent / "ansible-inventory")
    root = repo / "inventories"
    paths = sorted(Path(a) for a in argv) if argv else sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    problems = []
    try:
        registry = load_registry()
    except DeploymentError as exc:
        print(f"validate-inventories: {exc}", file=sys.stderr)
        return 1
    with ThreadPoolExecutor(max_workers=4) as pool:
        alone = list(pool.map(lambda p: inventory_list(ansible_inventory, [p]), paths))
        together_future = pool.submit(inventory_list, ansible_inventory, paths)
        together = together_future.result()

    plans, owner = {}, {}
    for path, data in zip(paths, alone):
        plan = check_inventory(path, data, registry, problems)
        for host in hosts_and_groups(data)[0]:
            if host in owner:
                problems.append(f"deployment {host} is defined twice: inventories/{owner[host]} and inventories/{path.name}")
            owner[host] = path.name
        if plan:
            plans[plan["name"]] = plan

    if not argv:
        for name in registry.names():
            if name not in owner:
                problems.append(f"registry row {name} has no inventory: add inventories/{name}/hosts.yml")

    all_hostvars = together.get("_meta", {}).get("hostvars", {})
    for path, data in zip(paths, alone):
        for host, own in data.get("_meta", {}).get("hostvars", {}).items():
            merged = all_hostvars.get(host, {})
            for var in sorted(set(own) | set(merged)):
                if own.get(var, UNSET) != merged.get(var, UNSET):
                    problems.append(f"inventories/{path.name}: {host} var {var!r} is {own.get(var, UNSET)} alone but {merged.get(var, UNSET)} "
                                    "with all inventories loaded (a group_vars file of another inventory leaks in; use host_vars "
                                    "or make the group_vars files agree)")

    names = sorted(plans)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if overlaps(parse_cidr(plans[a]["vnet_cidr"]), parse_cidr(plans[b]["vnet_cidr"])):
                problems.append(f"{a} {plans[a]['vnet_cidr']} overlaps {b} {plans[b]['vnet_cidr']}")

    if problems:
        for problem in problems:
            print(f"validate-inventories: {problem}", file=sys.stderr)
        print(f"validate-inventories: {len(problems)} problem(s) in {len(paths)} inventories", file=sys.stderr)
        return 1
    print(f"validate-inventories: {len(paths)} inventories, {len(plans)} deployments, CIDRs equal to the registry, no overlaps: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

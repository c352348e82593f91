# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What scripts/sandbox.sh prints at the end: the recaps, where everything is, RLS at work.

    python tools/sandbox/report.py SANDBOX_DIR LOG [LOG ...]

Reads DIR/env.sh values from the environment (the script sources it), the PLAY RECAP of each log,
the emulator's state (admin API), where each Flexible Server's own cluster listens (DIR/servers/<server>/
cluster.json; or the one shared cluster of env.sh), the sandbox's memory (the emulator and every cluster: RSS and
PSS from /proc), and asks PostgreSQL as the app role of user_service (westeu-dev-1's server) which users it sees for
each tenant: the same query, a different tenant set, different rows.
"""
from __future__ import annotations

import json
import os
import re
import ssl
import sys
import urllib.request
from pathlib import Path

RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")
# Seed tenants (data/seed/tenant_registry.yml): deterministic ids.
TENANTS = {"acme": "c4ac8cf9-3d47-58ca-ab5e-1e8d1c22a3c1", "contoso": "5153f6dd-b81e-5746-a588-edf0c163bada"}
DEMO_DB = "user_service"
DEMO_SERVER = "psql-cf-westeu-dev-1"   # a seeded (dev) regional deployment of both sandboxes
SERVER_TYPE = "microsoft.dbforpostgresql/flexibleservers"


def recap(log: Path) -> tuple[dict[str, dict[str, int]], int]:
    hosts = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = RECAP.match(line.strip())
        if match:
            hosts[match[1]] = {"ok": int(match[2]), "changed": int(match[3]), "failed": int(match[5])}
    return hosts, sum(h["changed"] for h in hosts.values())


def emulator_state() -> dict:
    url, ca = os.environ["ARM_EMULATOR_URL"], os.environ["ARM_EMULATOR_CA"]
    context = ssl.create_default_context(cafile=ca)
    with urllib.request.urlopen(f"{url}/_emulator/state", context=context, timeout=10) as resp:  # noqa: S310 (loopback)
        return json.loads(resp.read())


def emulator_resources(state: dict) -> list[tuple[str, str]]:
    """(id, type) of everything in resource groups (role assignments on a vault included)."""
    return sorted((doc["id"], doc.get("type", "")) for doc in state["resources"].values()
                  if "/resourcegroups/" in doc.get("id", "").lower())


def server_endpoints(state: dict) -> dict[str, tuple[str, int, Path | None]]:
    """server name -> (host, port, its cluster's directory): each server's own cluster, or the shared one."""
    found = {}
    servers_dir = os.environ.get("SANDBOX_PG_SERVERS")
    for doc in state["resources"].values():
        if doc.get("type", "").lower() != SERVER_TYPE or not doc.get("_backing"):
            continue
        cluster = doc["_backing"].get("cluster")
        if servers_dir and cluster and (Path(servers_dir) / cluster / "cluster.json").exists():
            info = json.loads((Path(servers_dir) / cluster / "cluster.json").read_text(encoding="utf-8"))
            found[doc["name"]] = (info["host"], int(info["port"]), Path(servers_dir) / cluster)
        elif os.environ.get("SANDBOX_PG_HOST"):
            found[doc["name"]] = (os.environ["SANDBOX_PG_HOST"], int(os.environ["SANDBOX_PG_PORT"]), None)
    return dict(sorted(found.items()))


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB, from /proc/<pid>/smaps_rollup (PSS shares shared memory out fairly)."""
    values = {"Rss:": 0, "Pss:": 0}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if parts and parts[0] in values:
                values[parts[0]] = int(parts[1])
    except (OSError, ValueError, IndexError):
        pass
    return values["Rss:"], values["Pss:"]


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return kids


def sandbox_memory(base: Path, clusters: list[Path]) -> tuple[list[str], int, int]:
    """Lines per process group (the emulator; each cluster: its postmaster and every child), totals in MB."""
    groups = []
    try:
        groups.append(("ARM emulator", [int((base / "arm" / "emulator.pid").read_text(encoding="utf-8").strip())]))
    except (OSError, ValueError):
        pass
    for cluster in clusters:
        try:
            postmaster = int((cluster / "data" / "postmaster.pid").read_text(encoding="utf-8").split()[0])
        except (OSError, ValueError, IndexError):
            continue
        groups.append((f"PostgreSQL {cluster.name}", [postmaster, *_children(postmaster)]))
    lines, rss_total, pss_total = [], 0, 0
    for name, pids in groups:
        rss, pss = (sum(values) for values in zip(*(_memory_kb(pid) for pid in pids)))
        rss_total, pss_total = rss_total + rss, pss_total + pss
        lines.append(f"  {name:40} {len(pids):3} processes  RSS {rss / 1024:7.1f} MB  PSS {pss / 1024:7.1f} MB")
    return lines, round(rss_total / 1024), round(pss_total / 1024)


def rls_demo(app_password: str, host: str, port: int) -> list[str]:
    import psycopg  # pylint: disable=import-outside-toplevel  # from .venv (requirements.txt)

    lines = []
    conninfo = {"host": host, "port": port, "dbname": DEMO_DB,
                "user": f"{DEMO_DB}_app", "password": app_password, "sslmode": "require", "connect_timeout": 10}
    with psycopg.connect(**conninfo) as conn:
        for slug, tenant in [*TENANTS.items(), ("(no tenant set)", "")]:
            with conn.transaction():
                conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
                emails = [row[0] for row in conn.execute("SELECT email FROM users ORDER BY email")]
            lines.append(f"  {slug:16} sees {len(emails)} users: {', '.join(emails) or '-'}")
    return lines


def main(argv: list[str]) -> int:
    base = Path(argv[1])
    out = ["", "=== sandbox: recap"]
    for log in map(Path, argv[2:]):
        hosts, changed = recap(log)
        per_host = ", ".join(f"{h} changed={v['changed']} failed={v['failed']}" for h, v in hosts.items())
        out.append(f"  {log.stem:9} {per_host}  -> changed={changed} in total")
    env = os.environ
    state = emulator_state()
    endpoints = server_endpoints(state)
    out += ["", "=== sandbox: where everything is",
            f"  ARM emulator   {env['ARM_EMULATOR_URL']} (CA {env['ARM_EMULATOR_CA']}; admin API {env['ARM_EMULATOR_URL']}/_emulator/state;"
            f" request log {base / 'arm' / 'requests.jsonl'})"]
    if env.get("SANDBOX_PG_HOST"):
        out.append(f"  PostgreSQL 15  {env['SANDBOX_PG_HOST']}:{env['SANDBOX_PG_PORT']} admin {env['SANDBOX_PG_ADMIN']}"
                   f" (password in {env['SANDBOX_PG_PASSWORD_FILE']}), TLS required; data {base / 'postgres'}")
    else:
        out.append(f"  PostgreSQL 15  one cluster per Flexible Server under {env.get('SANDBOX_PG_SERVERS')}/<server>/, TLS required;"
                   " admin: the server's administrator login, its password in the deployment's Key Vault")
        out += [f"    {name:28} {host}:{port}" for name, (host, port, _dir) in endpoints.items()]
    out += [f"  app roles      <database>_app, password in {base / 'app.password'}",
            f"  environment    . {base / 'env.sh'}   (AZURE_* for ansible-playbook, the CA, the cluster)",
            f"  extra vars     -e @{base / 'ansible-vars.yml'}",
            f"  logs           {base / 'logs'}/   exports (teardown) {base / 'exports'}/"]
    resources = emulator_resources(state)
    out += ["", f"=== sandbox: {len(resources)} resources in the emulator"]
    groups = sorted({r.split("/providers/")[0] for r, _type in resources})
    for group in groups:
        inside = [kind for r, kind in resources if r.startswith(group + "/providers/")]
        out.append(f"  {group.rsplit('/', 1)[-1]}: {len(inside)} resources ({', '.join(sorted(set(inside)))})")
    clusters = sorted({d for _h, _p, d in endpoints.values() if d is not None})
    if env.get("SANDBOX_PG_HOST"):
        clusters.append(base / "postgres")
    lines, rss, pss = sandbox_memory(base, clusters)
    out += ["", f"=== sandbox: memory: RSS {rss} MB in total, PSS {pss} MB (shared memory counted once) for the emulator and "
                f"{len(clusters)} PostgreSQL cluster(s)"] + lines
    app_password = (base / "app.password").read_text(encoding="utf-8").strip()
    host, port, _dir = endpoints.get(DEMO_SERVER) or (env.get("SANDBOX_PG_HOST"), int(env.get("SANDBOX_PG_PORT") or 0), None)
    out += ["", f"=== sandbox: row level security at work ({DEMO_DB} on {DEMO_SERVER}, as {DEMO_DB}_app, the same query per tenant)"]
    out += rls_demo(app_password, host, port)
    acme = TENANTS["acme"]
    out += ["", "  Try it yourself (psql; set_config(..., true) holds for this transaction only):",
            f"  PGPASSWORD=\"$(cat {base / 'app.password'})\" /usr/lib/postgresql/15/bin/psql \\",
            f"    \"host={host} port={port} dbname={DEMO_DB} user={DEMO_DB}_app sslmode=require\" \\",
            f"    -c \"BEGIN; SELECT set_config('app.tenant_id', '{acme}', true); SELECT tenant_id, email FROM users; COMMIT;\"",
            "", "  Tear down: bash scripts/sandbox-down.sh"]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

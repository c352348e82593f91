# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What scripts/sandbox.sh prints at the end: the recaps, where everything is, RLS at work.

    python tools/sandbox/report.py SANDBOX_DIR LOG [LOG ...]

Reads DIR/env.sh values from the environment (the script sources it), the PLAY RECAP of each log,
the emulator's state (admin API), and asks PostgreSQL as the app role of user_service which users
it sees for each tenant: the same query, a different tenant set, different rows.
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


def recap(log: Path) -> tuple[dict[str, dict[str, int]], int]:
    hosts = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = RECAP.match(line.strip())
        if match:
            hosts[match[1]] = {"ok": int(match[2]), "changed": int(match[3]), "failed": int(match[5])}
    return hosts, sum(h["changed"] for h in hosts.values())


def emulator_resources() -> list[tuple[str, str]]:
    """(id, type) of everything in resource groups (role assignments on a vault included)."""
    url, ca = os.environ["ARM_EMULATOR_URL"], os.environ["ARM_EMULATOR_CA"]
    context = ssl.create_default_context(cafile=ca)
    with urllib.request.urlopen(f"{url}/_emulator/state", context=context, timeout=10) as resp:  # noqa: S310 (loopback)
        state = json.loads(resp.read())
    return sorted((doc["id"], doc.get("type", "")) for doc in state["resources"].values()
                  if "/resourcegroups/" in doc.get("id", "").lower())


def rls_demo(app_password: str) -> list[str]:
    import psycopg  # pylint: disable=import-outside-toplevel  # from .venv (requirements.txt)

    lines = []
    conninfo = {"host": os.environ["SANDBOX_PG_HOST"], "port": os.environ["SANDBOX_PG_PORT"], "dbname": DEMO_DB,
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
    out += ["", "=== sandbox: where everything is",
            f"  ARM emulator   {env['ARM_EMULATOR_URL']} (CA {env['ARM_EMULATOR_CA']}; admin API {env['ARM_EMULATOR_URL']}/_emulator/state;"
            f" request log {base / 'arm' / 'requests.jsonl'})",
            f"  PostgreSQL 15  {env['SANDBOX_PG_HOST']}:{env['SANDBOX_PG_PORT']} admin {env['SANDBOX_PG_ADMIN']}"
            f" (password in {env['SANDBOX_PG_PASSWORD_FILE']}), TLS required; data {base / 'postgres'}",
            f"  app roles      <database>_app, password in {base / 'app.password'}",
            f"  environment    . {base / 'env.sh'}   (AZURE_* for ansible-playbook, the CA, the cluster)",
            f"  extra vars     -e @{base / 'ansible-vars.yml'}",
            f"  logs           {base / 'logs'}/   exports (teardown) {base / 'exports'}/"]
    resources = emulator_resources()
    out += ["", f"=== sandbox: {len(resources)} resources in the emulator"]
    groups = sorted({r.split("/providers/")[0] for r, _type in resources})
    for group in groups:
        inside = [kind for r, kind in resources if r.startswith(group + "/providers/")]
        out.append(f"  {group.rsplit('/', 1)[-1]}: {len(inside)} resources ({', '.join(sorted(set(inside)))})")
    app_password = (base / "app.password").read_text(encoding="utf-8").strip()
    out += ["", f"=== sandbox: row level security at work ({DEMO_DB}, as {DEMO_DB}_app, the same query per tenant)"]
    out += rls_demo(app_password)
    acme = TENANTS["acme"]
    out += ["", "  Try it yourself (psql; set_config(..., true) holds for this transaction only):",
            f"  PGPASSWORD=\"$(cat {base / 'app.password'})\" /usr/lib/postgresql/15/bin/psql \\",
            f"    \"host={env['SANDBOX_PG_HOST']} port={env['SANDBOX_PG_PORT']} dbname={DEMO_DB} user={DEMO_DB}_app sslmode=require\" \\",
            f"    -c \"BEGIN; SELECT set_config('app.tenant_id', '{acme}', true); SELECT tenant_id, email FROM users; COMMIT;\"",
            "", "  Tear down: bash scripts/sandbox-down.sh"]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two local services of the sandbox: a PostgreSQL 15 cluster and the ARM emulator.

    python tools/sandbox/services.py up DIR [--latency FILE]   # start (or find running) both; write DIR/env.sh
    python tools/sandbox/services.py down DIR                  # stop both, delete their state, keep the rest of DIR

Layout under DIR: postgres/ (tools/local_postgres.py, TLS on like Azure), arm/ (tools/arm-emulator;
arm/local-postgres.json makes every emulated Flexible Server a real server on that cluster),
env.sh (what ansible-playbook needs to reach them: sourced by scripts/sandbox*.sh and the tests).
`up` is idempotent: running services are kept, a stopped cluster is started again on its port.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import local_postgres  # noqa: E402  pylint: disable=wrong-import-position
from arm_emulator.config import DEFAULT_CLIENT_ADDRESS, load_file  # noqa: E402  pylint: disable=wrong-import-position
from arm_emulator.identity import DEFAULT_CLIENT_ID  # noqa: E402  pylint: disable=wrong-import-position

EMULATOR = REPO / "tools" / "arm-emulator"


class SandboxError(RuntimeError):
    """A service could not be started or stopped; the message says why."""


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)


def postgres_up(base: Path) -> local_postgres.Cluster:
    if not (base / "cluster.json").exists():
        if (base / "data").exists():  # a half-made cluster from an interrupted run: start over
            local_postgres.stop(base, remove=True)
        return local_postgres.start(base, tls=True)
    cluster = local_postgres.load(base)
    probe = _run([str(local_postgres.PG_BIN / "pg_isready"), "-q", "-h", cluster.host, "-p", str(cluster.port)])
    if probe.returncode != 0:  # stopped (e.g. after a reboot): start it again on its port
        data = cluster.data_dir
        if not _alive(data):  # a stale pid file from an unclean stop would block pg_ctl
            (data / "postmaster.pid").unlink(missing_ok=True)
        proc = local_postgres._as_postgres([str(local_postgres.PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"),
                                            "-w", "-t", "60", "-o", f"-p {cluster.port}", "start"])
        if proc.returncode:
            raise SandboxError(f"PostgreSQL under {base} did not start: {proc.stderr.strip()}; see {data / 'server.log'}")
    return cluster


def _alive(data: Path) -> bool:
    try:
        pid = int((data / "postmaster.pid").read_text(encoding="utf-8").split()[0])
        os.kill(pid, 0)
        return True
    except (OSError, ValueError, IndexError):
        return False


def emulator_config(latency: Path | None) -> dict:
    """The emulator's config: the latency profile (if any) and what a real subscription owner has from the start:
    Owner on the subscription for the identity the sandbox deploys with (it may assign roles; it has no data-plane
    role on any vault until the key_vault role assigns one). Access stays strict (the emulator's default)."""
    config = load_file(latency) if latency else {}
    client_id = (config.get("credentials") or [{}])[0].get("client_id") or DEFAULT_CLIENT_ID
    config.setdefault("role_assignments", []).append({"client_id": client_id, "role": "Owner"})
    return config


def emulator_up(state: Path, latency: Path | None) -> dict[str, str]:
    config_file = state / "sandbox-config.json"
    config_file.touch(mode=0o600)
    config_file.write_text(json.dumps(emulator_config(latency), indent=1) + "\n", encoding="utf-8")
    cmd = [str(EMULATOR), "start", "--state-dir", str(state), "--config", str(config_file)]
    proc = _run(cmd)
    if proc.returncode:
        raise SandboxError(f"the ARM emulator did not start: {proc.stderr.strip()}; see {state / 'emulator.log'}")
    return dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)


def env_for(arm: dict[str, str], cluster: local_postgres.Cluster, base: Path) -> dict[str, str]:
    """Variables for ansible-playbook: AWX-style Azure credentials pointed at the emulator, the CA, the cluster."""
    return {
        "AZURE_SUBSCRIPTION_ID": arm["ARM_EMULATOR_SUBSCRIPTION_ID"], "AZURE_CLIENT_ID": arm["ARM_EMULATOR_CLIENT_ID"],
        "AZURE_SECRET": arm["ARM_EMULATOR_CLIENT_SECRET"], "AZURE_TENANT": arm["ARM_EMULATOR_TENANT_ID"],
        "AZURE_CLOUD_ENVIRONMENT": arm["ARM_EMULATOR_URL"], "REQUESTS_CA_BUNDLE": arm["ARM_EMULATOR_CA"],
        # Key Vault data planes are <vault>.vault.localhost on the emulator's port; the same port
        # tunnels them (CONNECT) where DNS does not resolve *.localhost. ARM itself (127.0.0.1) goes direct;
        # NO_PROXY must not list "localhost", which would also match every *.vault.localhost.
        "HTTPS_PROXY": arm["ARM_EMULATOR_PROXY"], "NO_PROXY": "127.0.0.1",
        # The audit trail is not shipped from the sandbox (docs/audit-trail.md): its controller sits outside the
        # deployments' virtual networks and their storage accounts are private-only, so every upload would be refused
        # (403 AuthorizationFailure) and end the deploy with exit code 3. The trail stays in output/audit.
        "COMPLIANCEFLOW_AUDIT_SHIP": "false",
        "ARM_EMULATOR_URL": arm["ARM_EMULATOR_URL"], "ARM_EMULATOR_CA": arm["ARM_EMULATOR_CA"],
        "SANDBOX_PG_HOST": cluster.host, "SANDBOX_PG_PORT": str(cluster.port),
        "SANDBOX_PG_ADMIN": cluster.admin_user, "SANDBOX_PG_PASSWORD_FILE": cluster.password_file,
        "SANDBOX_PG_ROOTCERT": cluster.ssl_rootcert or "", "SANDBOX_VARS": str(base / "ansible-vars.yml"),
        "SANDBOX_PG_VARS": str(base / "postgres-login.yml"),
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
    }


def up(base: Path, latency: Path | None) -> dict[str, str]:
    base.mkdir(parents=True, exist_ok=True)
    cluster = postgres_up(base / "postgres")
    arm_dir = base / "arm"
    arm_dir.mkdir(exist_ok=True)
    # With the platform login the emulator applies each server's pgaudit settings and allow-list to the cluster.
    backing = {"host": cluster.host, "port": cluster.port, "user": cluster.admin_user,
               "password_file": cluster.password_file, "sslmode": "require" if cluster.tls else "disable",
               "platform_user": cluster.platform_user, "platform_password_file": cluster.platform_password_file}
    (arm_dir / "local-postgres.json").write_text(json.dumps(backing, indent=1) + "\n", encoding="utf-8")
    env = env_for(emulator_up(arm_dir, latency), cluster, base)
    _write_vars(base)
    _write_login(base, cluster)
    env_file = base / "env.sh"
    env_file.touch(mode=0o600)
    env_file.write_text("# written by tools/sandbox/services.py up; source it to reach the sandbox\n"
                        + "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items()), encoding="utf-8")
    return env


def _secret_file(path: Path) -> str:
    """A generated password kept in a 0600 file (made once, so re-runs change nothing)."""
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(24) + "\n", encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def _write_vars(base: Path) -> None:
    """DIR/ansible-vars.yml (0600) for -e @: the servers' admin login, the app roles' password, where exports go."""
    values = {
        # Every emulated server is a role on this one cluster: one administrator login per deployment.
        "postgresql_server_admin_login": "psqladmin{{ inventory_hostname | replace('-', '') }}",
        "postgresql_app_password": _secret_file(base / "app.password"),
        "teardown_export_dir": str(base / "exports"),
        # The controller runs outside the deployments' VNets, at the public address the emulator sees every caller at
        # (one controller deploys global-dev and westeu-dev-1, whose vaults allow only their own subnets): the vault
        # firewall lets it in by IP rule, as it would let in a controller outside Azure (docs/sandbox.md).
        "key_vault_ip_rules": [DEFAULT_CLIENT_ADDRESS],
    }
    path = base / "ansible-vars.yml"
    path.touch(mode=0o600)
    path.write_text("# written by tools/sandbox/services.py up (secrets: keep it 0600)\n"
                    + "".join(f"{k}: {json.dumps(v)}\n" for k, v in values.items()), encoding="utf-8")


def _write_login(base: Path, cluster: local_postgres.Cluster) -> None:
    """DIR/postgres-login.yml (0600): postgresql_login_* of the cluster itself, for running the database roles
    directly against it (molecule). Not for deploy.yml: there the server's role sets them."""
    values = {"postgresql_login_host": cluster.host, "postgresql_login_port": cluster.port,
              "postgresql_login_user": cluster.admin_user, "postgresql_login_password": cluster.admin_password,
              "postgresql_ssl_mode": "require" if cluster.tls else "disable"}
    path = base / "postgres-login.yml"
    path.touch(mode=0o600)
    path.write_text("# written by tools/sandbox/services.py up (secrets: keep it 0600)\n"
                    + "".join(f"{k}: {json.dumps(v)}\n" for k, v in values.items()), encoding="utf-8")


def down(base: Path) -> None:
    if (base / "arm").exists():
        proc = _run([str(EMULATOR), "stop", "--state-dir", str(base / "arm")])
        if proc.returncode:
            raise SandboxError(f"the ARM emulator did not stop: {proc.stderr.strip()}")
    local_postgres.stop(base / "postgres", remove=True)
    for leftover in (base / "arm", base / "env.sh", base / "ansible-vars.yml", base / "postgres-login.yml",
                     base / "app.password"):
        if leftover.is_dir():
            subprocess.run(["rm", "-rf", str(leftover)], check=True)
        else:
            leftover.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start PostgreSQL and the ARM emulator under DIR; write DIR/env.sh")
    p_up.add_argument("dir", type=Path)
    p_up.add_argument("--latency", type=Path, help="emulator config (JSON/YAML) with a latency profile")
    p_down = sub.add_parser("down", help="stop both and delete their state under DIR")
    p_down.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    base = args.dir.resolve()
    try:
        if args.command == "up":
            env = up(base, args.latency)
            print(f"sandbox: PostgreSQL 15 at {env['SANDBOX_PG_HOST']}:{env['SANDBOX_PG_PORT']} ({base / 'postgres'}), "
                  f"ARM emulator at {env['ARM_EMULATOR_URL']} ({base / 'arm'}); environment: {base / 'env.sh'}")
        else:
            down(base)
            print(f"sandbox: ARM emulator and PostgreSQL stopped, their state under {base} removed")
    except (SandboxError, local_postgres.ClusterError, OSError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

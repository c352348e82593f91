# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The local services of the sandbox: the ARM emulator and PostgreSQL 15 behind its Flexible Servers.

    python tools/sandbox/services.py up DIR [--latency FILE] [--postgres shared|per-server]
                                              # start (or find running) the services; write DIR/env.sh
    python tools/sandbox/services.py down DIR # stop them, delete their state, keep the rest of DIR

PostgreSQL, two ways (arm/local-postgres.json tells the emulator which; tools/arm_emulator/postgres_backing.py):
- shared (the default; molecule, bench and the AWX tests use it): one cluster under postgres/ (tools/local_postgres.py,
  TLS on like Azure) backs every emulated Flexible Server; its logins are in env.sh and postgres-login.yml;
- per-server (scripts/sandbox.sh): every server the emulator creates gets its own cluster under servers/<server>/,
  so several regional deployments keep the seed's database names and admin login side by side.
Layout under DIR: arm/ (tools/arm-emulator), postgres/ or servers/, env.sh (what ansible-playbook needs to reach
them: sourced by scripts/sandbox*.sh and the tests). `up` is idempotent: running services are kept, stopped
clusters are started again with their data (on their port when still free), and without --postgres the mode of
the running sandbox is kept.
"""
from __future__ import annotations

import argparse
import json
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


SHARED, PER_SERVER = "shared", "per-server"
SERVERS = "servers"  # DIR/servers/<server name>/: the per-server clusters


def postgres_up(base: Path) -> local_postgres.Cluster:
    if not (base / "cluster.json").exists():
        if (base / "data").exists():  # a half-made cluster from an interrupted run: start over
            local_postgres.stop(base, remove=True)
        return local_postgres.start(base, tls=True)
    # Stopped (e.g. after a reboot): started again with its data, on its port.
    return local_postgres.ensure_running(base)


def server_clusters(base: Path) -> list[Path]:
    """The per-server clusters' directories under DIR/servers (those with a cluster.json)."""
    return sorted(path.parent for path in (base / SERVERS).glob("*/cluster.json"))


def servers_up(base: Path) -> list[local_postgres.Cluster]:
    """Start every per-server cluster that is stopped (the emulator would do it on first use; done here at once)."""
    return [local_postgres.ensure_running(path) for path in server_clusters(base)]


def postgres_mode(base: Path, wanted: str | None) -> str:
    """The --postgres mode, else the running sandbox's (from arm/local-postgres.json), else shared."""
    if wanted:
        return wanted
    try:
        config = json.loads((base / "arm" / "local-postgres.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return SHARED
    return PER_SERVER if config.get("mode") == "per_server" else SHARED


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


def env_for(arm: dict[str, str], cluster: local_postgres.Cluster | None, base: Path) -> dict[str, str]:
    """Variables for ansible-playbook: AWX-style Azure credentials pointed at the emulator, the CA, the cluster (shared
    mode) or where the per-server clusters live (SANDBOX_PG_SERVERS)."""
    env = {
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
        "SANDBOX_VARS": str(base / "ansible-vars.yml"),
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
    }
    if cluster is None:
        env["SANDBOX_PG_SERVERS"] = str(base / SERVERS)
    else:
        env.update({"SANDBOX_PG_HOST": cluster.host, "SANDBOX_PG_PORT": str(cluster.port),
                    "SANDBOX_PG_ADMIN": cluster.admin_user, "SANDBOX_PG_PASSWORD_FILE": cluster.password_file,
                    "SANDBOX_PG_ROOTCERT": cluster.ssl_rootcert or "", "SANDBOX_PG_VARS": str(base / "postgres-login.yml")})
    return env


def up(base: Path, latency: Path | None, mode: str | None = None) -> dict[str, str]:
    base.mkdir(parents=True, exist_ok=True)
    mode = postgres_mode(base, mode)
    arm_dir = base / "arm"
    arm_dir.mkdir(exist_ok=True)
    if mode == PER_SERVER:
        cluster = None
        (base / SERVERS).mkdir(exist_ok=True)
        servers_up(base)
        # The emulator makes a cluster per server under servers/ (TLS on, its own bootstrap and platform logins).
        backing = {"mode": "per_server", "base_dir": str(base / SERVERS), "tls": True}
    else:
        cluster = postgres_up(base / "postgres")
        # With the platform login the emulator applies each server's pgaudit settings and allow-list to the cluster.
        backing = {"host": cluster.host, "port": cluster.port, "user": cluster.admin_user,
                   "password_file": cluster.password_file, "sslmode": "require" if cluster.tls else "disable",
                   "platform_user": cluster.platform_user, "platform_password_file": cluster.platform_password_file}
    (arm_dir / "local-postgres.json").write_text(json.dumps(backing, indent=1) + "\n", encoding="utf-8")
    env = env_for(emulator_up(arm_dir, latency), cluster, base)
    _write_vars(base, shared=cluster is not None)
    if cluster is not None:
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


def _write_vars(base: Path, shared: bool = True) -> None:
    """DIR/ansible-vars.yml (0600) for -e @: the servers' admin login (shared cluster only), the app roles' password,
    where exports go."""
    values = {
        "postgresql_app_password": _secret_file(base / "app.password"),
        "teardown_export_dir": str(base / "exports"),
        # The controller runs outside the deployments' VNets, at the public address the emulator sees every caller at
        # (one controller deploys global-dev and westeu-dev-1, whose vaults allow only their own subnets): the vault
        # firewall lets it in by IP rule, as it would let in a controller outside Azure (docs/sandbox.md).
        "key_vault_ip_rules": [DEFAULT_CLIENT_ADDRESS],
    }
    if shared:
        # Every emulated server is a role on this one cluster: one administrator login per deployment. (Per server,
        # each server has its own cluster: the seed's login, psqladmin, as the role's default.)
        values["postgresql_server_admin_login"] = "psqladmin{{ inventory_hostname | replace('-', '') }}"
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
    for cluster in server_clusters(base):  # the servers' own clusters left (those of servers never deleted)
        local_postgres.stop(cluster, remove=True)
    local_postgres.stop(base / "postgres", remove=True)
    for leftover in (base / "arm", base / SERVERS, base / "env.sh", base / "ansible-vars.yml", base / "postgres-login.yml",
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
    p_up.add_argument("--postgres", choices=(SHARED, PER_SERVER),
                      help="one cluster for every server (default) or one per server (kept from the running sandbox)")
    p_down = sub.add_parser("down", help="stop both and delete their state under DIR")
    p_down.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    base = args.dir.resolve()
    try:
        if args.command == "up":
            env = up(base, args.latency, args.postgres)
            where = (f"PostgreSQL 15 at {env['SANDBOX_PG_HOST']}:{env['SANDBOX_PG_PORT']} ({base / 'postgres'})"
                     if "SANDBOX_PG_HOST" in env else
                     f"PostgreSQL 15: one cluster per Flexible Server ({len(server_clusters(base))} now, under {base / SERVERS})")
            print(f"sandbox: {where}, ARM emulator at {env['ARM_EMULATOR_URL']} ({base / 'arm'}); environment: {base / 'env.sh'}")
        else:
            down(base)
            print(f"sandbox: ARM emulator and PostgreSQL stopped, their state under {base} removed")
    except (SandboxError, local_postgres.ClusterError, OSError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start and stop a throwaway PostgreSQL 15 cluster on a free loopback port.

The cluster mirrors what Azure Database for PostgreSQL Flexible Server gives us: the only
role reachable over TCP is an admin with LOGIN CREATEDB CREATEROLE and a password, no
superuser. The bootstrap superuser exists (initdb needs one) but only peer auth over the
cluster's private unix socket reaches it, so tests and playbooks cannot lean on it.

Extensions as on a server the collection's postgresql_server role has configured: pgaudit is
loaded (shared_preload_libraries; Debian package postgresql-15-pgaudit), and the admin may create
the extensions of an allow-list without being superuser, like Azure's `azure.extensions` for
members of azure_pg_admin. The allow-list is pgextwlist's `extwlist.extensions` (Debian package
postgresql-15-pgextwlist, loaded through local_preload_libraries), set to ALLOWED_EXTENSIONS here.
A second TCP login, the platform login, stands for the service's control plane: it may only
ALTER SYSTEM the PLATFORM_PARAMETERS (pgaudit's settings and the allow-list) and reload the
configuration; the ARM emulator uses it to apply a backed server's parameters (postgres_backing.py).

Layout under the directory the caller gives (created if missing):
  data/             PGDATA (owned by the postgres OS user when we run as root)
  sock/             unix socket directory (bootstrap only)
  tls/server.crt    self-signed certificate (with --tls): also the sslrootcert to verify it
  admin.password    the admin password (0600)
  platform.password the platform login's password (0600)
  cluster.json      host, port, admin user, paths: what `env` prints and `stop` uses

Usage:
  python tools/local_postgres.py start DIR [--port N] [--tls] [--admin-user NAME] [--durable]
  python tools/local_postgres.py env DIR      # print shell exports of a running cluster
  python tools/local_postgres.py stop DIR [--remove]
"""
from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"
DEFAULT_ADMIN = "cfadmin"
PLATFORM_USER = "emulator_platform"
HOST = "127.0.0.1"
# What the cluster loads at start, and the packages that ship it (scripts/setup.sh installs them).
PRELOAD = {"pgaudit": "postgresql-15-pgaudit"}
ALLOWLIST_LIBRARY = ("pgextwlist", "postgresql-15-pgextwlist")   # loaded from $libdir/plugins
# The extensions the admin may create: the postgresql_server role's azure.extensions allow-list.
ALLOWED_EXTENSIONS = ("pgaudit", "pg_stat_statements", "pgcrypto", "uuid-ossp")
# What the platform login may change (ALTER SYSTEM): the server parameters the emulator applies here.
PLATFORM_PARAMETERS = ("pgaudit.log", "pgaudit.log_catalog", "pgaudit.log_client", "pgaudit.log_parameter",
                       "pgaudit.log_relation", "pgaudit.log_statement_once", "pgaudit.role", "extwlist.extensions")


class ClusterError(RuntimeError):
    """A cluster could not be started or stopped; the message says why."""


@dataclass
class Cluster:
    base: str
    host: str
    port: int
    admin_user: str
    password_file: str
    tls: bool
    ssl_rootcert: str | None
    # None for a cluster.json written before the platform login existed.
    platform_user: str | None = None
    platform_password_file: str | None = None

    @property
    def admin_password(self) -> str:
        return Path(self.password_file).read_text(encoding="utf-8").strip()

    @property
    def data_dir(self) -> Path:
        return Path(self.base) / "data"

    def conninfo(self, dbname: str = "postgres", user: str | None = None, password: str | None = None) -> dict:
        """Keyword arguments for psycopg.connect (admin unless user/password are given)."""
        info = {"host": self.host, "port": self.port, "dbname": dbname,
                "user": user or self.admin_user,
                "password": password if user else (password or self.admin_password),
                "sslmode": "require" if self.tls else "disable", "connect_timeout": 10}
        return info

    def env(self) -> dict[str, str]:
        env = {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.admin_user,
               "PG_ADMIN_PASSWORD_FILE": self.password_file,
               "PGSSLMODE": "require" if self.tls else "disable"}
        if self.ssl_rootcert:
            env["PGSSLROOTCERT"] = self.ssl_rootcert
        return env

    def stop(self, remove: bool = False) -> None:
        stop(self.base, remove=remove)


def _as_postgres(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command as the postgres OS user when we are root (postgres refuses root)."""
    if os.geteuid() == 0:
        # sbin may be missing from PATH (the ARM emulator runs with PATH=/usr/bin:/bin and makes clusters itself).
        runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin") or "runuser"
        cmd = [runuser, "-u", OS_USER, "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)


def _chown_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        pw = pwd.getpwnam(OS_USER)
        os.chown(path, pw.pw_uid, pw.pw_gid)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _write_tls(tls_dir: Path) -> Path:
    """A self-signed server certificate for localhost/127.0.0.1 (also serves as the root cert)."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError as exc:  # pragma: no cover - cryptography is a dev requirement
        raise ClusterError("--tls needs the Python package 'cryptography' (pip install cryptography)") from exc
    tls_dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    crt, pem = tls_dir / "server.crt", tls_dir / "server.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    os.chmod(pem, 0o600)
    for path in (tls_dir, crt, pem):
        _chown_to_postgres(path)
    return crt


def _check_libraries() -> None:
    """The libraries the cluster loads are installed (a missing one would stop the server at start)."""
    lib = PG_BIN.parent / "lib"
    missing = [package for name, package in PRELOAD.items() if not (lib / f"{name}.so").exists()]
    if not (lib / "plugins" / f"{ALLOWLIST_LIBRARY[0]}.so").exists():
        missing.append(ALLOWLIST_LIBRARY[1])
    if missing:
        raise ClusterError(f"missing PostgreSQL packages {', '.join(missing)} (libraries under {lib}): "
                           "run scripts/setup.sh, or apt-get install " + " ".join(missing))


def _bootstrap_sql(base: Path, port: int, sql: str) -> None:
    """Run SQL as the bootstrap superuser over the private socket (peer auth)."""
    proc = _as_postgres([str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(base / "sock"),
                         "-p", str(port), "-U", OS_USER, "-d", "postgres", "-c", sql])
    if proc.returncode:
        raise ClusterError(f"bootstrap SQL failed: {proc.stderr.strip()}")


def start(base: str | os.PathLike, *, port: int | None = None, tls: bool = False,
          admin_user: str = DEFAULT_ADMIN, durable: bool = False) -> Cluster:
    """Create (initdb) and start a fresh cluster under `base`; returns its coordinates.

    `durable=False` turns fsync off: fine for throwaway test data, and much faster on CI.
    """
    base = Path(base).resolve()
    if (base / "data").exists():
        raise ClusterError(f"{base / 'data'} already exists: stop it with `stop {base} --remove` or pick another directory")
    if not (PG_BIN / "initdb").exists():
        raise ClusterError(f"PostgreSQL binaries not found in {PG_BIN} (set PG_BIN or run scripts/setup.sh)")
    _check_libraries()
    base.mkdir(parents=True, exist_ok=True)
    for sub in ("data", "sock"):
        (base / sub).mkdir(mode=0o700)
        _chown_to_postgres(base / sub)
    os.chmod(base, 0o755)  # the postgres OS user must traverse it
    # A throwaway cluster skips initdb's final fsync too (--no-sync): ~1 s less per cluster on these disks.
    proc = _as_postgres([str(PG_BIN / "initdb"), "-D", str(base / "data"), "-U", OS_USER, "--auth-local=peer",
                         "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
                         *([] if durable else ["--no-sync"])])
    if proc.returncode:
        raise ClusterError(f"initdb failed: {proc.stderr.strip() or proc.stdout.strip()}")

    conf = ["listen_addresses = '127.0.0.1'", f"unix_socket_directories = '{base / 'sock'}'",
            "password_encryption = 'scram-sha-256'", "max_connections = 100", "log_min_messages = warning",
            f"shared_preload_libraries = '{','.join(PRELOAD)}'",
            f"local_preload_libraries = '{ALLOWLIST_LIBRARY[0]}'",
            f"extwlist.extensions = '{','.join(ALLOWED_EXTENSIONS)}'"]
    hba = ["local all all peer"]
    rootcert = None
    if tls:
        rootcert = _write_tls(base / "tls")
        conf += ["ssl = on", f"ssl_cert_file = '{rootcert}'", f"ssl_key_file = '{base / 'tls' / 'server.key'}'"]
        # TLS only over TCP, like Azure with require_secure_transport=on.
        hba += [f"hostssl all all {HOST}/32 scram-sha-256", f"hostnossl all all {HOST}/32 reject"]
    else:
        hba += [f"host all all {HOST}/32 scram-sha-256"]
    if not durable:
        conf += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
    data = base / "data"
    with open(data / "postgresql.conf", "a", encoding="utf-8") as handle:
        handle.write("\n# tools/local_postgres.py\n" + "\n".join(conf) + "\n")
    (data / "pg_hba.conf").write_text("\n".join(hba) + "\n", encoding="utf-8")

    last_error = ""
    for _attempt in range(5):  # a free port can be taken between probe and bind: retry
        chosen = port or free_port()
        proc = _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "60",
                             "-o", f"-p {chosen}", "start"])
        if proc.returncode == 0:
            break
        last_error = (data / "server.log").read_text(encoding="utf-8", errors="replace")[-2000:]
        if port:
            break
    else:
        chosen = None
    if proc.returncode:
        raise ClusterError(f"pg_ctl start failed: {proc.stderr.strip()}\n{last_error}")

    password, password_file = _new_password(base / "admin.password")
    platform_password, platform_file = _new_password(base / "platform.password")
    # Only what Azure's admin has. The passwords are generated tokens (URL-safe alphabet), so
    # quoting them as literals is safe here; nothing else in the repo builds SQL this way.
    _bootstrap_sql(base, chosen, f"CREATE ROLE \"{admin_user}\" LOGIN CREATEDB CREATEROLE PASSWORD '{password}'")
    # The platform login: the listed parameters (ALTER SYSTEM) and a reload, nothing else.
    _bootstrap_sql(base, chosen, f"CREATE ROLE {PLATFORM_USER} LOGIN PASSWORD '{platform_password}'; "
                                 f"GRANT ALTER SYSTEM ON PARAMETER {', '.join(PLATFORM_PARAMETERS)} TO {PLATFORM_USER}; "
                                 f"GRANT EXECUTE ON FUNCTION pg_reload_conf() TO {PLATFORM_USER}")
    cluster = Cluster(base=str(base), host=HOST, port=chosen, admin_user=admin_user,
                      password_file=str(password_file), tls=tls, ssl_rootcert=str(rootcert) if rootcert else None,
                      platform_user=PLATFORM_USER, platform_password_file=str(platform_file))
    (base / "cluster.json").write_text(json.dumps(asdict(cluster), indent=2) + "\n", encoding="utf-8")
    return cluster


def _new_password(path: Path) -> tuple[str, Path]:
    password = secrets.token_urlsafe(24)
    path.touch(mode=0o600)
    path.write_text(password + "\n", encoding="utf-8")
    return password, path


def load(base: str | os.PathLike) -> Cluster:
    path = Path(base).resolve() / "cluster.json"
    if not path.exists():
        raise ClusterError(f"no cluster under {path.parent} (no cluster.json)")
    return Cluster(**json.loads(path.read_text(encoding="utf-8")))


def alive(base: str | os.PathLike) -> bool:
    """Whether the postmaster of the cluster under `base` runs (its pid file names a live process)."""
    try:
        pid = int((Path(base) / "data" / "postmaster.pid").read_text(encoding="utf-8").split()[0])
        os.kill(pid, 0)
        return True
    except (OSError, ValueError, IndexError):
        return False


def ensure_running(base: str | os.PathLike) -> Cluster:
    """Start a stopped cluster again with its data (after a reboot, or an emulator restart): on its port when that is
    still free, else on a new free port (cluster.json is rewritten); a running cluster is left alone."""
    cluster = load(base)
    if alive(cluster.base):
        return cluster
    data = cluster.data_dir
    (data / "postmaster.pid").unlink(missing_ok=True)  # a stale pid file from an unclean stop would block pg_ctl
    last_error = ""
    for attempt in range(5):
        port = cluster.port if attempt == 0 else free_port()
        proc = _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "60",
                             "-o", f"-p {port}", "start"])
        if proc.returncode == 0:
            if port != cluster.port:
                cluster.port = port
                text = json.dumps(asdict(cluster), indent=2) + "\n"
                (Path(cluster.base) / "cluster.json").write_text(text, encoding="utf-8")
            return cluster
        last_error = proc.stderr.strip()
    raise ClusterError(f"PostgreSQL under {cluster.base} did not start: {last_error}; see {data / 'server.log'}")


def stop(base: str | os.PathLike, *, remove: bool = False) -> None:
    base = Path(base).resolve()
    data = base / "data"
    if (data / "postmaster.pid").exists():
        proc = _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop"])
        if proc.returncode:
            raise ClusterError(f"pg_ctl stop failed: {proc.stderr.strip()}")
    if remove and base.exists():
        for _attempt in range(3):
            shutil.rmtree(base, ignore_errors=True)
            if not base.exists():
                break
            time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Throwaway PostgreSQL 15 cluster with an Azure-like admin role")
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="initdb + start a fresh cluster under DIR")
    p_start.add_argument("dir")
    p_start.add_argument("--port", type=int)
    p_start.add_argument("--tls", action="store_true", help="self-signed server certificate; TCP requires TLS")
    p_start.add_argument("--admin-user", default=DEFAULT_ADMIN)
    p_start.add_argument("--durable", action="store_true", help="keep fsync on (benchmarks)")
    p_env = sub.add_parser("env", help="print shell exports for a running cluster")
    p_env.add_argument("dir")
    p_stop = sub.add_parser("stop", help="stop the cluster under DIR")
    p_stop.add_argument("dir")
    p_stop.add_argument("--remove", action="store_true", help="also delete DIR")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            cluster = start(args.dir, port=args.port, tls=args.tls, admin_user=args.admin_user, durable=args.durable)
        elif args.command == "env":
            cluster = load(args.dir)
        else:
            stop(args.dir, remove=args.remove)
            return 0
    except ClusterError as exc:
        print(f"local_postgres: {exc}", file=sys.stderr)
        return 1
    for key, value in cluster.env().items():
        print(f"export {key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

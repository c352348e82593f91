"""A local PostgreSQL behind the emulated flexible servers (optional), shared or one cluster per server.

<state-dir>/local-postgres.json says which; without it, servers are metadata only.

Shared (the tests' mode: no cluster to make per server), e.g. (tools/local_postgres.py prints these values)
    {"host": "127.0.0.1", "port": 54321, "user": "cfadmin", "password_file": "/path/admin.password",
     "sslmode": "require", "platform_user": "emulator_platform", "platform_password_file": "/path/platform.password"}
with a bootstrap login that has LOGIN CREATEDB CREATEROLE (no superuser, like Azure's admin). One cluster backs
every server: roles and database names are cluster-wide, so two servers with the same administrator login share
that role, two servers cannot both have a database `user_service` owned by their own roles, and the last parameter
written wins for all of them.

Per server (the sandbox's mode: every deployment keeps the seed's database names and login), e.g.
    {"mode": "per_server", "base_dir": "/path/sandbox/servers", "tls": true}
- creating a server makes its own cluster under <base_dir>/<server name>/ (tools/local_postgres.py: initdb, start on
  a free loopback port, TLS, the same bootstrap and platform logins), in a thread, inside the create's long-running
  operation: the operation stays InProgress (State.holds) until the cluster answers and the administrator role
  exists there, so the SDK's poller sees the server Succeeded only then; a cluster that cannot be made fails the
  operation (EmulatorLocalPostgresUnavailable, the emulator's own code);
- the endpoint the emulator returns for the server (emulatorLocalEndpoint) is that cluster's port; a cluster found
  stopped (the emulator or the machine restarted) is started again with its data, on its port when still free;
- deleting the server stops its cluster and removes its directory.

In both modes, on the server's cluster:
- creating a server creates its administrator role (LOGIN CREATEDB CREATEROLE, the given password, sent
  SCRAM-encrypted) and grants it to the bootstrap login, which can then own and drop its databases, during the
  create's operation (a thread, behind a hold, as the cluster above);
- creating a database creates it, owned by the server's administrator, during the PUT's operation (a thread, behind
  a hold, as the cluster above); deleting drops it;
- deleting a server drops its databases and its administrator role (per server: the whole cluster goes);
- with "platform_user" and "platform_password_file" (tools/local_postgres.py's platform login, which
  may only ALTER SYSTEM these settings), a server parameter the cluster knows is applied there too:
  pgaudit's settings under their own names, and azure.extensions as pgextwlist's allow-list
  extwlist.extensions (LOCAL_PARAMETERS); then the configuration is reloaded, during the parameter's operation (a
  thread, behind a hold); shared_preload_libraries
  is not applied: the cluster always preloads pgaudit (as a server after its restart). Per server, each
  server's parameters reach its own cluster only.
"""
from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from .errors import ArmError

CONFIG_FILE = "local-postgres.json"
PER_SERVER = "per_server"
# Azure server parameter -> the local cluster's setting (names fixed here, never taken from a request).
LOCAL_PARAMETERS = {
    "azure.extensions": "extwlist.extensions",
    **{name: name for name in ("pgaudit.log", "pgaudit.log_catalog", "pgaudit.log_client", "pgaudit.log_parameter",
                               "pgaudit.log_relation", "pgaudit.log_statement_once", "pgaudit.role")},
}


def _local_postgres():
    """tools/local_postgres.py (tools/ is on the emulator's path: tools/arm-emulator sets PYTHONPATH)."""
    import local_postgres  # pylint: disable=import-outside-toplevel
    return local_postgres


def _raw(ctx) -> tuple[Path, dict] | None:
    path = Path(ctx.state.dir) / CONFIG_FILE
    if not path.exists():
        return None
    try:
        return path, json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArmError(500, "EmulatorLocalPostgresConfig", f"{path} is not usable: {exc}") from None


def per_server(ctx) -> bool:
    raw = _raw(ctx)
    return bool(raw and raw[1].get("mode") == PER_SERVER)


def _server_dir(raw: tuple[Path, dict], name: str) -> Path:
    path, config = raw
    if not config.get("base_dir"):
        raise ArmError(500, "EmulatorLocalPostgresConfig", f"{path} is not usable: mode {PER_SERVER} needs 'base_dir'")
    return Path(config["base_dir"]) / name.lower()


def _cluster_config(server_dir: Path) -> dict:
    """Connection settings of a server's own cluster (started again if it was stopped)."""
    local_postgres = _local_postgres()
    try:
        cluster = local_postgres.ensure_running(server_dir)
    except local_postgres.ClusterError as exc:
        raise ArmError(500, "EmulatorLocalPostgresUnavailable", f"the server's local PostgreSQL is not usable: {exc}") from None
    return {"host": cluster.host, "port": cluster.port, "user": cluster.admin_user, "password": cluster.admin_password,
            "sslmode": "require" if cluster.tls else "disable", "platform_user": cluster.platform_user,
            "platform_password_file": cluster.platform_password_file}


def _config(ctx, backing: dict | None = None) -> dict | None:
    """The connection settings of the cluster behind a server (per server: the one its backing marker names)."""
    raw = _raw(ctx)
    if raw is None:
        return None
    path, config = raw
    if config.get("mode") == PER_SERVER:
        if not backing or not backing.get("cluster"):
            return None  # a server made before the backing was configured: metadata only
        return _cluster_config(_server_dir(raw, backing["cluster"]))
    try:
        if config.get("password_file") and not config.get("password"):
            config["password"] = Path(config["password_file"]).read_text(encoding="utf-8").strip()
        for key in ("host", "port", "user", "password"):
            if not config.get(key):
                raise ValueError(f"missing {key!r}")
    except (OSError, ValueError) as exc:
        raise ArmError(500, "EmulatorLocalPostgresConfig", f"{path} is not usable: {exc}") from None
    return config


def bootstrap_login(ctx) -> str | None:
    raw = _raw(ctx)
    if raw is None:
        return None
    if raw[1].get("mode") == PER_SERVER:
        return _local_postgres().DEFAULT_ADMIN  # every server's cluster has it
    return _config(ctx)["user"]


def endpoint(ctx, backing: dict | None) -> dict | None:
    """Where a client reaches the server: libpq hostaddr and port (the host stays the FQDN)."""
    if not backing:
        return None
    raw = _raw(ctx)
    if raw is None:
        return None
    if raw[1].get("mode") != PER_SERVER:
        config = _config(ctx)
        return {"hostaddr": config["host"], "port": int(config["port"])}
    if not backing.get("cluster"):
        return None
    server_dir = _server_dir(raw, backing["cluster"])
    if not (server_dir / "cluster.json").exists():
        return None  # still being made (the create's operation is InProgress)
    local_postgres = _local_postgres()
    try:
        cluster = local_postgres.ensure_running(server_dir)
    except local_postgres.ClusterError:
        cluster = local_postgres.load(server_dir)  # where it was: the client's connection error will say the rest
    return {"hostaddr": cluster.host, "port": int(cluster.port)}


def _platform(config: dict) -> dict | None:
    """The connection settings of the platform login, None when the file names none."""
    if not (config.get("platform_user") and config.get("platform_password_file")):
        return None
    try:
        password = Path(config["platform_password_file"]).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ArmError(500, "EmulatorLocalPostgresConfig", f"platform_password_file is not readable: {exc}") from None
    return {**config, "user": config["platform_user"], "password": password}


def _connect(config: dict):
    try:
        import psycopg  # pylint: disable=import-outside-toplevel  # only needed with a local backing
    except ImportError:
        raise ArmError(500, "EmulatorLocalPostgresConfig",
                       f"{CONFIG_FILE} is set but the emulator's Python ({sys.executable}) lacks psycopg: "
                       "pip install 'psycopg[binary]'") from None
    kwargs = {"host": config["host"], "port": int(config["port"]), "user": config["user"],
              "password": config["password"], "dbname": config.get("dbname", "postgres"),
              "sslmode": config.get("sslmode", "prefer"), "connect_timeout": 10,
              "application_name": "arm-emulator"}
    if config.get("sslrootcert"):
        kwargs["sslrootcert"] = config["sslrootcert"]
    try:
        return psycopg.connect(autocommit=True, **kwargs)
    except psycopg.Error as exc:
        raise ArmError(500, "EmulatorLocalPostgresUnavailable",
                       f"the local PostgreSQL at {config['host']}:{config['port']} refused the emulator: "
                       f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from None


def _execute(config: dict | None, statements) -> None:
    """Run [(sql, ...)] built by callables taking (psycopg.sql, connection, config) on the cluster of `config`."""
    if config is None:
        return
    from psycopg import Error, sql  # pylint: disable=import-outside-toplevel
    with _connect(config) as conn:
        for build in statements:
            query = build(sql, conn, config)
            if query is None:
                continue
            try:
                conn.execute(query)
            except Error as exc:
                raise ArmError(500, "EmulatorLocalPostgresError",
                               f"the local PostgreSQL rejected the emulator's change: {exc.diag.message_primary or exc}") from None


def _role_exists(conn, login: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone() is not None


def _password_sql(sql, conn, login: str, password: str, create: bool):
    verb = "CREATE ROLE {} WITH LOGIN CREATEDB CREATEROLE PASSWORD {}" if create else "ALTER ROLE {} WITH PASSWORD {}"
    # Encrypted client side: the clear password never reaches the server's logs.
    encrypted = conn.pgconn.encrypt_password(password.encode(), login.encode(), b"scram-sha-256").decode()
    return sql.SQL(verb).format(sql.Identifier(login), sql.Literal(encrypted))


def _admin_steps(login: str, password: str) -> list:
    return [
        lambda sql, conn, cfg: _password_sql(sql, conn, login, password, create=not _role_exists(conn, login)),
        lambda sql, conn, cfg: sql.SQL("GRANT {} TO {}").format(sql.Identifier(login), sql.Identifier(cfg["user"])),
    ]


class _Hold:
    """What a server's create operation waits for (State.holds): its cluster made, or the error that stopped it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.error: dict | None = None

    def done(self) -> bool:
        return self.event.is_set()


def _run_held(hold: _Hold, work, code: str, failed: str) -> None:
    """work() in a thread of its own, behind `hold`: the operation waiting on it ends with the error that stopped it
    (an ArmError's own, else `code` with "<failed>: <exception>"), whatever went wrong."""
    def run() -> None:
        try:
            work()
        except ArmError as exc:
            hold.error = {"code": exc.code, "message": exc.message, "status": 500}
        except Exception as exc:  # pylint: disable=broad-exception-caught  # the operation must end, whatever went wrong
            hold.error = {"code": code, "status": 500, "message": f"{failed}: {exc}"}
        finally:
            hold.event.set()

    threading.Thread(target=run, daemon=True).start()


def _start_held(ctx, resource_id: str, work, *, lost: str, code: str, failed: str) -> None:
    """work() in a thread, and the operation on resource_id InProgress until it is done (_run_held's error if it
    fails). `lost`: the message the operation fails with if the emulator stops first (persisted with the state)."""
    hold = _Hold()
    ctx.state.add_hold(resource_id, hold, interrupted={"code": "EmulatorLocalPostgresUnavailable", "status": 500,
                                                       "message": lost})
    _run_held(hold, work, code, failed)


def _make_cluster(server_dir: Path, tls: bool, login: str, password: str) -> None:
    local_postgres = _local_postgres()
    if server_dir.exists():  # left by a server of the same name that was never deleted through the emulator
        local_postgres.stop(server_dir, remove=True)
    local_postgres.start(server_dir, tls=tls)
    _execute(_cluster_config(server_dir), _admin_steps(login, password))


def create_server(ctx, login: str, password: str, server_id: str | None = None) -> dict | None:
    """Create (or re-password) the administrator role; returns the backing marker, None without one. Per server the
    cluster is made in a thread and the create's operation (on server_id) waits for it."""
    raw = _raw(ctx)
    if raw is None:
        return None
    if raw[1].get("mode") == PER_SERVER:
        name = server_id.rstrip("/").rsplit("/", 1)[-1].lower()
        server_dir, tls = _server_dir(raw, name), bool(raw[1].get("tls", True))
        _start_held(ctx, server_id, lambda: _make_cluster(server_dir, tls, login, password),
                    lost=f"the emulator stopped while the server's local PostgreSQL was being made under {server_dir}: "
                         "delete the server and create it again",
                    code="EmulatorLocalPostgresUnavailable",
                    failed=f"the server's local PostgreSQL could not be made under {server_dir}")
        return {"login": login, "cluster": name}
    # One cluster for every server: the administrator role is made during the create's operation, as Azure does its
    # work after answering the PUT (inline, the PUT held every other request for 0.03-0.3 s: the emulator's first
    # connection imports psycopg).
    config = _config(ctx)
    _start_held(ctx, server_id, lambda: _execute(config, _admin_steps(login, password)),
                lost="the emulator stopped while the server's administrator role was being made: delete the server "
                     "and create it again",
                code="EmulatorLocalPostgresUnavailable",
                failed=f"the local PostgreSQL could not make the administrator role {login}")
    return {"login": login}


def set_password(ctx, login: str, password: str, backing: dict | None = None) -> None:
    _execute(_config(ctx, backing),
             [lambda sql, conn, cfg: _password_sql(sql, conn, login, password, create=not _role_exists(conn, login))])


def _db_exists(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def _create_database_sql(owner: str, name: str):
    return [lambda sql, conn, cfg: None if _db_exists(conn, name) else
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner))]


def start_create_database(ctx, owner: str, name: str, database_id: str, backing: dict | None = None) -> None:
    """CREATE DATABASE during the database's long-running operation, as Azure does its work after answering the PUT
    (azure-mgmt-postgresqlflexibleservers 3.0.0's DatabasesOperations.begin_create accepts only 202 and polls): a
    thread makes it and the operation stays InProgress until it has (State.holds), failing with the error that
    stopped it. The PUT's answer does not wait for it (inline, the PUT took 0.05-0.25 s here)."""
    config = _config(ctx, backing)
    if config is None:
        return
    _start_held(ctx, database_id, lambda: _execute(config, _create_database_sql(owner, name)),
                lost=f"the emulator stopped while database {name} was being made: create it again",
                code="EmulatorLocalPostgresError", failed=f"the local PostgreSQL could not create database {name}")


def drop_database(ctx, name: str, backing: dict | None = None) -> None:
    _execute(_config(ctx, backing),
             [lambda sql, conn, cfg: sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))])


def start_apply_parameter(ctx, name: str, value: str, configuration_id: str, backing: dict | None = None) -> None:
    """Apply a server parameter to the server's cluster, when it knows it and the platform login is configured,
    during the parameter's long-running operation (as start_create_database: the PATCH is answered at once)."""
    setting = LOCAL_PARAMETERS.get(name.lower())
    config = _config(ctx, backing) if setting else None
    platform = _platform(config) if config else None
    if platform is None:
        return
    if setting == "extwlist.extensions":  # Azure's allow-list is case-insensitive (PGAUDIT); extension names are not
        value = ",".join(part.strip().lower() for part in value.split(",") if part.strip())

    def apply() -> None:
        from psycopg import Error, sql  # pylint: disable=import-outside-toplevel
        with _connect(platform) as conn:
            try:
                conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.SQL(setting), sql.Literal(value)))
                conn.execute("SELECT pg_reload_conf()")
            except Error as exc:
                raise ArmError(500, "EmulatorLocalPostgresError", f"the local PostgreSQL rejected {name}={value!r}: "
                                                                  f"{exc.diag.message_primary or exc}") from None

    _start_held(ctx, configuration_id, apply,
                lost=f"the emulator stopped while parameter {name} was being applied: set it again",
                code="EmulatorLocalPostgresError", failed=f"the local PostgreSQL could not apply {name}")


def drop_server(ctx, login: str, databases: list[str], backing: dict | None = None) -> None:
    raw = _raw(ctx)
    if raw is not None and raw[1].get("mode") == PER_SERVER:
        if backing and backing.get("cluster"):
            local_postgres = _local_postgres()
            try:
                local_postgres.stop(_server_dir(raw, backing["cluster"]), remove=True)
            except local_postgres.ClusterError as exc:
                raise ArmError(500, "EmulatorLocalPostgresError", f"the server's local PostgreSQL did not stop: {exc}") from None
        return
    steps = [lambda sql, conn, cfg, n=n: sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(n))
             for n in databases]
    steps.append(lambda sql, conn, cfg: sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))
    _execute(_config(ctx), steps)

"""A local PostgreSQL behind the emulated flexible servers (optional).

When <state-dir>/local-postgres.json exists, e.g. (tools/local_postgres.py prints these values)
    {"host": "127.0.0.1", "port": 54321, "user": "cfadmin", "password_file": "/path/admin.password",
     "sslmode": "require"}
with a bootstrap login that has LOGIN CREATEDB CREATEROLE (no superuser, like Azure's admin), then:
- creating a server creates its administrator role (LOGIN CREATEDB CREATEROLE, the given password,
  sent SCRAM-encrypted) and grants it to the bootstrap login, which can then own and drop its databases;
- creating a database creates it, owned by the server's administrator; deleting drops it;
- deleting a server drops its databases and its administrator role;
- with "platform_user" and "platform_password_file" (tools/local_postgres.py's platform login, which
  may only ALTER SYSTEM these settings), a server parameter the cluster knows is applied there too:
  pgaudit's settings under their own names, and azure.extensions as pgextwlist's allow-list
  extwlist.extensions (LOCAL_PARAMETERS); then the configuration is reloaded. shared_preload_libraries
  is not applied: the cluster always preloads pgaudit (as a server after its restart).
One local cluster backs every server: roles and database names are cluster-wide, so two servers with
the same administrator login share that role, and the last parameter written wins for all of them.
Without the file, servers are metadata only.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .errors import ArmError

CONFIG_FILE = "local-postgres.json"
# Azure server parameter -> the local cluster's setting (names fixed here, never taken from a request).
LOCAL_PARAMETERS = {
    "azure.extensions": "extwlist.extensions",
    **{name: name for name in ("pgaudit.log", "pgaudit.log_catalog", "pgaudit.log_client", "pgaudit.log_parameter",
                               "pgaudit.log_relation", "pgaudit.log_statement_once", "pgaudit.role")},
}


def _config(ctx) -> dict | None:
    path = Path(ctx.state.dir) / CONFIG_FILE
    if not path.exists():
        return None
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
        if config.get("password_file") and not config.get("password"):
            config["password"] = Path(config["password_file"]).read_text(encoding="utf-8").strip()
        for key in ("host", "port", "user", "password"):
            if not config.get(key):
                raise ValueError(f"missing {key!r}")
    except (OSError, ValueError) as exc:
        raise ArmError(500, "EmulatorLocalPostgresConfig", f"{path} is not usable: {exc}") from None
    return config


def bootstrap_login(ctx) -> str | None:
    config = _config(ctx)
    return config["user"] if config else None


def endpoint(ctx, backing: dict | None) -> dict | None:
    """Where a client reaches the server: libpq hostaddr and port (the host stays the FQDN)."""
    if not backing:
        return None
    config = _config(ctx)
    return {"hostaddr": config["host"], "port": int(config["port"])} if config else None


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


def _run(ctx, statements) -> None:
    """Run [(sql, ...)] built by callables taking (psycopg.sql, connection)."""
    config = _config(ctx)
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


def create_server(ctx, login: str, password: str) -> dict | None:
    """Create (or re-password) the administrator role; returns the backing marker, None without one."""
    if _config(ctx) is None:
        return None
    _run(ctx, [
        lambda sql, conn, cfg: _password_sql(sql, conn, login, password, create=not _role_exists(conn, login)),
        lambda sql, conn, cfg: sql.SQL("GRANT {} TO {}").format(sql.Identifier(login), sql.Identifier(cfg["user"])),
    ])
    return {"login": login}


def set_password(ctx, login: str, password: str) -> None:
    _run(ctx, [lambda sql, conn, cfg: _password_sql(sql, conn, login, password, create=not _role_exists(conn, login))])


def _db_exists(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def create_database(ctx, owner: str, name: str) -> None:
    _run(ctx, [lambda sql, conn, cfg: None if _db_exists(conn, name) else
               sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner))])


def drop_database(ctx, name: str) -> None:
    _run(ctx, [lambda sql, conn, cfg: sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))])


def apply_parameter(ctx, name: str, value: str) -> None:
    """Apply a server parameter to the cluster when it knows it and the platform login is configured."""
    config = _config(ctx)
    setting = LOCAL_PARAMETERS.get(name.lower())
    platform = _platform(config) if config and setting else None
    if platform is None:
        return
    if setting == "extwlist.extensions":  # Azure's allow-list is case-insensitive (PGAUDIT); extension names are not
        value = ",".join(part.strip().lower() for part in value.split(",") if part.strip())
    from psycopg import Error, sql  # pylint: disable=import-outside-toplevel
    with _connect(platform) as conn:
        try:
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.SQL(setting), sql.Literal(value)))
            conn.execute("SELECT pg_reload_conf()")
        except Error as exc:
            raise ArmError(500, "EmulatorLocalPostgresError",
                           f"the local PostgreSQL rejected {name}={value!r}: {exc.diag.message_primary or exc}") from None


def drop_server(ctx, login: str, databases: list[str]) -> None:
    steps = [lambda sql, conn, cfg, n=n: sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(n))
             for n in databases]
    steps.append(lambda sql, conn, cfg: sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))
    _run(ctx, steps)

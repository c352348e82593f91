"""A local PostgreSQL behind the emulated flexible servers (optional).

When <state-dir>/local-postgres.json exists, e.g. (tools/local_postgres.py prints these values)
    {"host": "127.0.0.1", "port": 54321, "user": "cfadmin", "password_file": "/path/admin.password",
     "sslmode": "require"}
with a bootstrap login that has LOGIN CREATEDB CREATEROLE (no superuser, like Azure's admin), then:
- creating a server creates its administrator role (LOGIN CREATEDB CREATEROLE, the given password,
  sent SCRAM-encrypted) and grants it to the bootstrap login, which can then own and drop its databases;
- creating a database creates it, owned by the server's administrator; deleting drops it;
- deleting a server drops its databases and its administrator role.
One local cluster backs every server: roles and database names are cluster-wide, so two servers with
the same administrator login share that role. Without the file, servers are metadata only.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .errors import ArmError

CONFIG_FILE = "local-postgres.json"


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


def drop_server(ctx, login: str, databases: list[str]) -> None:
    steps = [lambda sql, conn, cfg, n=n: sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(n))
             for n in databases]
    steps.append(lambda sql, conn, cfg: sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))
    _run(ctx, steps)

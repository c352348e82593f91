# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to the collection: databases of a tier with their owner and app roles.

Observe the server, compare with the wanted state, emit the statements that close the gap.
Everything inside a database runs as its owner role (`SET LOCAL ROLE`), so objects and grants
belong to the owner and nothing needs a superuser.
"""
from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import (
    PgError,
    Session,
    check_identifier,
    connect,
    ident,
    password_clause,
    sql,
)

APP_TABLE_PRIVILEGES = ["DELETE", "INSERT", "SELECT", "UPDATE"]
APP_SEQUENCE_PRIVILEGES = ["SELECT", "USAGE"]
FORBIDDEN_TABLE_PRIVILEGES = ["REFERENCES", "TRIGGER", "TRUNCATE"]
# Session bounds of the app role in its database (ALTER ROLE ... IN DATABASE ... SET): a tenant's
# session cannot hold or wait for a lock, run a statement or sit idle in a transaction forever.
APP_TIMEOUTS = {"lock_timeout": "3s", "statement_timeout": "30s", "idle_in_transaction_session_timeout": "60s"}
_UNITS_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
# Extension names as PostgreSQL ships them (uuid-ossp has a hyphen); quoted like any identifier.
EXTENSION_RE = re.compile(r"^[a-z0-9_][a-z0-9_-]{0,62}$")
_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|min|h|d)?\s*$")


def duration_ms(value, what: str) -> int:
    """A PostgreSQL duration ('250ms', '3s', '2min', '1h', '1d'; a bare number is ms; 0 = no limit) in ms."""
    match = _DURATION.match(str(value))
    if not match:
        raise PgError(f"{what}: {value!r} is not a duration; use an integer with ms, s, min, h or d (e.g. '3s'), 0 for no limit")
    ms = int(match.group(1)) * _UNITS_MS[match.group(2) or "ms"]
    if ms > 2_147_483_647:
        raise PgError(f"{what}: {value!r} is longer than PostgreSQL allows (about 24 days)")
    return ms


def normalize_timeouts(timeouts: dict | None) -> dict:
    """The wanted app role timeouts, every value checked; None or a missing key takes the default."""
    out = {}
    for name, default in APP_TIMEOUTS.items():
        value = (timeouts or {}).get(name)
        value = default if value is None else str(value).strip()
        duration_ms(value, f"app_timeouts.{name}")
        out[name] = value
    return out


def normalize_extensions(extensions: list | None) -> list[str]:
    """The wanted extensions, each name checked, in order, without duplicates."""
    out: list[str] = []
    for name in extensions or []:
        if not isinstance(name, str) or not EXTENSION_RE.match(name):
            raise PgError(f"invalid extension name {name!r}: use 1-63 characters a-z, 0-9, _ and -")
        if name not in out:
            out.append(name)
    return out


def normalize_databases(databases: list[dict], extensions: list | None = None) -> list[dict]:
    """Fill the default role names and validate every identifier before any connection.
    `extensions` (names) are wanted in every database."""
    wanted_extensions = normalize_extensions(extensions)
    seen = set()
    out = []
    for item in databases:
        name = check_identifier(item["name"], "database name")
        if name in seen:
            raise PgError(f"database {name!r} is listed twice in databases")
        seen.add(name)
        owner = check_identifier(item.get("owner") or f"{name}_owner", "owner role name")
        app = check_identifier(item.get("app_role") or f"{name}_app", "app role name")
        if owner == app:
            raise PgError(f"database {name!r}: the owner and app roles must differ (both {owner!r})")
        out.append({"name": name, "owner": owner, "app_role": app, "app_password": item.get("app_password"),
                    "timeouts": normalize_timeouts(item.get("app_timeouts")), "extensions": wanted_extensions})
    return out


def wanted_state(db: dict) -> dict:
    return {
        "exists": True, "owner": db["owner"], "public_database_privileges": [], "public_schema_privileges": [],
        "owner_role": {"exists": True, "bypassrls": False},
        "app_role": {"exists": True, "login": True, "bypassrls": False, "inherit": False, "member_of": [],
                     "database_privileges": ["CONNECT"], "schema_privileges": ["USAGE"], "settings": dict(db["timeouts"])},
        "tables_missing_privileges": [], "tables_with_forbidden_privileges": [], "sequences_missing_privileges": [],
        "default_privileges": {"tables": APP_TABLE_PRIVILEGES, "sequences": APP_SEQUENCE_PRIVILEGES},
        "extensions": sorted(db.get("extensions") or []),
    }


def _role(admin: Session, name: str) -> dict:
    rows = admin.read("SELECT rolcanlogin, rolbypassrls, rolinherit, "
                      "ARRAY(SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = r.oid ORDER BY 1) "
                      "FROM pg_roles r WHERE rolname = %s", (name,))
    if not rows:
        return {"exists": False}
    login, bypass, inherit, member_of = rows[0]
    return {"exists": True, "login": login, "bypassrls": bypass, "inherit": inherit, "member_of": list(member_of)}


def _acl_privileges(admin: Session, query: str, params: tuple) -> list[str]:
    return sorted({row[0] for row in admin.read(query, params)})


def observe(admin: Session, db: dict, schema: str, inside) -> dict:
    """What the server has now, in the shape of wanted_state(); `inside()` is the connection to the database."""
    owner_role, app_role = _role(admin, db["owner"]), _role(admin, db["app_role"])
    state = {"exists": False, "owner": None, "public_database_privileges": [],
             "owner_role": {k: owner_role[k] for k in ("exists", "bypassrls") if k in owner_role},
             "app_role": app_role}
    rows = admin.read("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (db["name"],))
    if rows:
        state["exists"], state["owner"] = True, rows[0][0]
        acl = ("SELECT a.privilege_type FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a "
               "WHERE d.datname = %s AND a.grantee = {}")
        state["public_database_privileges"] = _acl_privileges(admin, acl.format("0"), (db["name"],))
        if app_role["exists"]:
            app_role["database_privileges"] = _acl_privileges(
                admin, acl.format("(SELECT oid FROM pg_roles WHERE rolname = %s)"), (db["name"], db["app_role"]))
    if app_role["exists"]:
        app_role["settings"] = _role_settings(admin, db) if state["exists"] else {}
        app_role.setdefault("database_privileges", [])
        app_role.setdefault("schema_privileges", [])
    if state["exists"] and state["owner"] == db["owner"]:
        state.update(_observe_inside(Session(inside(), [], check_mode=True), db, schema, app_role))
    return state


def _role_settings(admin: Session, db: dict) -> dict:
    """The app role's timeouts in its database (pg_db_role_setting), as name: value text."""
    rows = admin.read("SELECT unnest(s.setconfig) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
                      "JOIN pg_roles r ON r.oid = s.setrole WHERE d.datname = %s AND r.rolname = %s", (db["name"], db["app_role"]))
    pairs = (row[0].split("=", 1) for row in rows)
    return {name: value for name, value in pairs if name in APP_TIMEOUTS}


def plan_timeouts(admin: Session, db: dict, have: dict) -> None:
    """ALTER ROLE ... IN DATABASE ... SET for every timeout whose value differs (compared in ms)."""
    current = have["app_role"].get("settings") or {}
    for name, value in db["timeouts"].items():
        if name in current and _DURATION.match(current[name]) and duration_ms(current[name], name) == duration_ms(value, name):
            continue
        admin.change(sql.SQL("ALTER ROLE {} IN DATABASE {} SET {} = {}").format(
            ident(db["app_role"]), ident(db["name"]), sql.Identifier(name), sql.Literal(value)))


def _observe_inside(session: Session, db: dict, schema: str, app_role: dict) -> dict:
    """Schema, table, sequence and default privileges inside the database."""
    found = {}
    rows = session.read("SELECT oid FROM pg_namespace WHERE nspname = %s", (schema,))
    if not rows:
        raise PgError(f"database {db['name']!r} has no schema {schema!r}")
    acl = ("SELECT a.privilege_type FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a "
           "WHERE n.nspname = %s AND a.grantee = {}")
    found["public_schema_privileges"] = _acl_privileges(session, acl.format("0"), (schema,))
    if not app_role["exists"]:
        return found
    app_oid = "(SELECT oid FROM pg_roles WHERE rolname = %s)"
    app_role["schema_privileges"] = _acl_privileges(session, acl.format(app_oid), (schema, db["app_role"]))
    rel = ("SELECT c.relname, ARRAY(SELECT a.privilege_type FROM aclexplode(coalesce(c.relacl, acldefault({kind}, c.relowner))) a "
           "WHERE a.grantee = " + app_oid + ") FROM pg_class c WHERE c.relnamespace = %s::regnamespace AND c.relkind = ANY(%s) "
           "ORDER BY 1")
    tables = session.read(rel.format(kind="'r'"), (db["app_role"], schema, ["r", "p", "v", "m", "f"]))
    found["tables_missing_privileges"] = [t for t, privs in tables if not set(APP_TABLE_PRIVILEGES) <= set(privs)]
    found["tables_with_forbidden_privileges"] = [t for t, privs in tables if set(FORBIDDEN_TABLE_PRIVILEGES) & set(privs)]
    seqs = session.read(rel.format(kind="'s'"), (db["app_role"], schema, ["S"]))
    found["sequences_missing_privileges"] = [s for s, privs in seqs if not set(APP_SEQUENCE_PRIVILEGES) <= set(privs)]
    defaults = {}
    for key, objtype in (("tables", "r"), ("sequences", "S")):
        defaults[key] = _acl_privileges(
            session, "SELECT a.privilege_type FROM pg_default_acl d, aclexplode(d.defaclacl) a "
                     "WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = %s) AND d.defaclnamespace = %s::regnamespace "
                     "AND d.defaclobjtype = %s AND a.grantee = " + app_oid, (db["owner"], schema, objtype, db["app_role"]))
    found["default_privileges"] = defaults
    return found


def plan_roles(admin: Session, db: dict, have: dict, update_password: str) -> None:
    """Cluster-level statements: roles, membership of the admin in the owner role."""
    owner, app = ident(db["owner"]), ident(db["app_role"])
    if not have["owner_role"]["exists"]:
        admin.change(sql.SQL("CREATE ROLE {} NOLOGIN NOBYPASSRLS").format(owner))
    elif have["owner_role"]["bypassrls"]:
        admin.change(sql.SQL("ALTER ROLE {} NOBYPASSRLS").format(owner))
    is_member = have["owner_role"]["exists"] and admin.read("SELECT pg_has_role(current_user, %s, 'MEMBER')", (db["owner"],))[0][0]
    if not is_member:  # lets the admin create the database for the owner and SET ROLE to it
        admin.change(sql.SQL("GRANT {} TO CURRENT_USER").format(owner))
    role = have["app_role"]
    password = db.get("app_password")
    if not role["exists"]:
        query, shown = sql.SQL("CREATE ROLE {} LOGIN NOBYPASSRLS NOINHERIT").format(app), None
        if password:
            clause, masked = password_clause(admin.conn, password, db["app_role"])
            shown = f"{query.as_string(admin.conn)} {masked}"
            query = sql.SQL("{} {}").format(query, clause)
        admin.change(query, shown=shown)
        # Seed and import run as the app role (SET LOCAL ROLE) so that RLS checks every row.
        admin.change(sql.SQL("GRANT {} TO CURRENT_USER").format(app))
        return
    if not admin.read("SELECT pg_has_role(current_user, %s, 'MEMBER')", (db["app_role"],))[0][0]:
        admin.change(sql.SQL("GRANT {} TO CURRENT_USER").format(app))
    if role["login"] is not True or role["bypassrls"] or role["inherit"]:
        admin.change(sql.SQL("ALTER ROLE {} LOGIN NOBYPASSRLS NOINHERIT").format(app))
    for parent in role["member_of"]:
        admin.change(sql.SQL("REVOKE {} FROM {}").format(ident(parent), app))
    if password and update_password == "always":
        clause, masked = password_clause(admin.conn, password, db["app_role"])
        admin.change(sql.SQL("ALTER ROLE {} {}").format(app, clause), shown=f"ALTER ROLE {app.as_string(admin.conn)} {masked}")


def plan_database(admin: Session, db: dict, have: dict) -> None:
    name, owner = ident(db["name"]), ident(db["owner"])
    if not have["exists"]:
        admin.change(sql.SQL("CREATE DATABASE {} OWNER {}").format(name, owner))
    elif have["owner"] != db["owner"]:
        admin.change(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(name, owner))
    grants = []
    if have["public_database_privileges"] or not have["exists"]:
        grants.append(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(name))
    app_privs = set(have["app_role"].get("database_privileges") or [])
    if "CONNECT" not in app_privs:
        grants.append(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(name, ident(db["app_role"])))
    if app_privs - {"CONNECT"}:
        grants.append(sql.SQL("REVOKE CREATE, TEMPORARY ON DATABASE {} FROM {}").format(name, ident(db["app_role"])))
    if grants:
        as_owner(admin, db["owner"], grants)


def plan_inside(session: Session, db: dict, have: dict, schema: str) -> None:
    """Schema, table and default privileges of the app role; runs as the owner."""
    new = "public_schema_privileges" not in have or not have["app_role"].get("exists")
    sch, app, owner = ident(schema), ident(db["app_role"]), ident(db["owner"])
    role = have["app_role"]
    stmts = []
    if new or have["public_schema_privileges"]:
        stmts.append(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(sch))
    if new or role["schema_privileges"] != ["USAGE"]:
        stmts.append(sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(sch, app))
        stmts.append(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sch, app))
    if new or have["tables_missing_privileges"]:
        stmts.append(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(sch, app))
    if new or have["tables_with_forbidden_privileges"]:
        stmts.append(sql.SQL("REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {} FROM {}").format(sch, app))
    if new or have["sequences_missing_privileges"]:
        stmts.append(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(sch, app))
    defaults = have.get("default_privileges", {})
    alter = sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} ").format(owner, sch)
    if new or defaults.get("tables") != APP_TABLE_PRIVILEGES:
        stmts.append(alter + sql.SQL("REVOKE ALL ON TABLES FROM {}").format(app))
        stmts.append(alter + sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}").format(app))
    if new or defaults.get("sequences") != APP_SEQUENCE_PRIVILEGES:
        stmts.append(alter + sql.SQL("REVOKE ALL ON SEQUENCES FROM {}").format(app))
        stmts.append(alter + sql.SQL("GRANT USAGE, SELECT ON SEQUENCES TO {}").format(app))
    if stmts:
        as_owner(session, db["owner"], stmts)


def installed_extensions(session: Session, wanted: list[str]) -> list[str]:
    """Which of the wanted extensions the database has (sorted)."""
    if not wanted:
        return []
    return sorted(row[0] for row in session.read("SELECT extname FROM pg_extension WHERE extname = ANY(%s)", (list(wanted),)))


def plan_extensions(session: Session, db: dict, installed: list[str]) -> None:
    """CREATE EXTENSION for every wanted one the database lacks, as the admin itself: on Azure only members of
    azure_pg_admin may create (allow-listed) extensions, which the owner role is not. IF NOT EXISTS keeps a
    concurrent run harmless."""
    for name in db.get("extensions") or []:
        if name not in installed:
            session.change(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(ident(name)))


def as_owner(session: Session, owner: str, statements: list) -> None:
    """Statements in one transaction as the owner role (SET LOCAL: nothing outlives it)."""
    set_role = sql.SQL("SET LOCAL ROLE {}").format(ident(owner))
    if session.check_mode:
        for stmt in [set_role] + statements:
            session.change(stmt)
        return
    with session.conn.transaction():
        for stmt in [set_role] + statements:
            session.change(stmt)


def ensure_present(admin: Session, db: dict, schema: str, params: dict, update_password: str,
                   connect_to=None) -> tuple[dict, dict]:
    """Bring one database to the wanted state; returns (before, after). `connect_to(name)` opens a
    connection to a database (default: connect with `params`); one serves both the look inside and the work there."""
    opened: list = []

    def inside():
        if not opened:
            opened.append(connect_to(db["name"]) if connect_to else connect(params, db["name"]))
        return opened[0]

    try:
        before = observe(admin, db, schema, inside)
        plan_roles(admin, db, before, update_password)
        plan_database(admin, db, before)
        plan_timeouts(admin, db, before)
        if admin.check_mode and not before["exists"]:
            # The database does not exist yet: render the statements it would get, run nothing.
            pretend = Session(admin.conn, admin.queries, check_mode=True)
            plan_inside(pretend, db, before, schema)
            before["extensions"] = []
            plan_extensions(pretend, db, [])
        else:
            inner = Session(inside(), admin.queries, check_mode=admin.check_mode)
            plan_inside(inner, db, before if before["exists"] and before["owner"] == db["owner"] else {"app_role": {}}, schema)
            before["extensions"] = installed_extensions(inner, db["extensions"]) if before["exists"] else []
            plan_extensions(inner, db, before["extensions"])
    finally:
        for conn in opened:
            conn.close()
    return before, wanted_state(db)


def ensure_absent(admin: Session, db: dict) -> tuple[dict, dict]:
    before = {"exists": bool(admin.read("SELECT 1 FROM pg_database WHERE datname = %s", (db["name"],))),
              "owner_role": {"exists": _role(admin, db["owner"])["exists"]},
              "app_role": {"exists": _role(admin, db["app_role"])["exists"]}}
    if before["exists"]:
        admin.change(sql.SQL("DROP DATABASE {}").format(ident(db["name"])))
    for key, role in (("app_role", db["app_role"]), ("owner_role", db["owner"])):
        if before[key]["exists"]:
            admin.change(sql.SQL("DROP ROLE {}").format(ident(role)))
    return before, {"exists": False, "owner_role": {"exists": False}, "app_role": {"exists": False}}

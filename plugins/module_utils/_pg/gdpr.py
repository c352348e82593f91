# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to the collection: GDPR erase and export of one tenant in a tier database (docs/gdpr.md).

Legal basis (Regulation (EU) 2016/679, https://eur-lex.europa.eu/eli/reg/2016/679/oj):
- Art. 17(1) right to erasure, and Art. 28(3)(g): at the end of the service the processor (ComplianceFlow, for its
  tenants) deletes or returns all personal data and deletes existing copies. Erase deletes every row of the tenant.
- Art. 20 data portability ("structured, commonly used and machine-readable format") and Art. 28(3)(g) "returns":
  export writes one JSON document per database.
- Art. 5(2) accountability and Art. 30 records of processing: each erase leaves a record of what was deleted, when
  and by whom, signed with HMAC-SHA256 (RFC 2104) by a key kept in the deployment's Key Vault.
- The registry row of the tenant (table `tenants` of tenant_registry: id, slug, home region, plan, status) describes
  the customer, a legal person; Recital 14 puts data of legal persons ("the name and the form of the legal person
  and the contact details of the legal person") outside the Regulation. It is kept as a tombstone (status
  `offboarded`, the name replaced by the slug, since a sole trader's trading name can name a natural person) so that
  the tenant id and slug are never given to another customer, and routing refuses it. The people of the tenant
  (tenant_contacts) and its settings are tenant rows and are deleted like every other tenant row. Art. 17(3)(b)/(e)
  (legal obligation, legal claims) covers the erasure record itself, which names no natural person.

How rows go: every tenant table (a table of schema public with the tenant column) is read or deleted as the app
role with `app.tenant_id` set for the transaction (`set_config(..., true)`), so row-level security decides which
rows the statement can see (an erase also says `WHERE <tenant column> = <id>`, and refuses to run in a database
whose RLS audit has findings). One transaction per database; tables children first, the order derived from the
foreign keys in the catalog (data.catalog, data.dependency_order reversed), so each table's count is its own rows
and not a cascade's.
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import re
import uuid

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError, error_text, ident, psycopg, sql
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.data import _json_default, catalog, dependency_order
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.rls import audit

RECORD_FORMAT = "complianceflow.infra/gdpr-erasure/v1"
EXPORT_FORMAT = "complianceflow.infra/gdpr-export/v1"
SIGNATURE_ALGORITHM = "HMAC-SHA256"
# The tenant registry: the database and table where a slug becomes a tenant id, and the tombstone is kept.
REGISTRY_DATABASE = "tenant_registry"
REGISTRY_TABLE = "tenants"
TOMBSTONE_STATUS = "offboarded"
# The registry's own rule for a slug (CHECK tenants_slug_check of the tenant_registry baseline migration).
SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
SLUG_RULE = "3-40 characters a-z, 0-9 and -, starting with a letter and not ending with -"


def check_slug(value) -> str:
    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise PgError(f"invalid tenant slug {value!r}: use {SLUG_RULE} (e.g. acme)")
    return value


def check_uuid(value, what: str = "tenant_id") -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise PgError(f"invalid {what} {value!r}: expected a uuid such as c4ac8cf9-3d47-58ca-ab5e-1e8d1c22a3c1") from None


# ---------------------------------------------------------------- order and statements

def tenant_tables(tables: dict[str, dict]) -> list[str]:
    return [name for name, meta in tables.items() if meta["tenant"]]


def erase_order(tables: dict[str, dict]) -> list[str]:
    """The tenant tables, children before parents (the reverse of the load order from the foreign keys)."""
    return list(reversed(dependency_order(tables, tenant_tables(tables))))


def count_sql(table: str, column: str):
    return sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(ident("public", table), ident(column))


def delete_sql(table: str, column: str):
    return sql.SQL("DELETE FROM {} WHERE {} = %s").format(ident("public", table), ident(column))


def select_sql(table: str, meta: dict, where_column: str):
    """Rows as PostgreSQL's to_jsonb gives them (exact for every type), in primary key order."""
    order = sql.SQL(", ").join(ident(c) for c in meta["pk"] or meta["columns"])
    return sql.SQL("SELECT to_jsonb(t) FROM {} t WHERE {} = %s ORDER BY {}").format(ident("public", table), ident(where_column), order)


TOMBSTONE_SQL = ("UPDATE public.tenants SET status = %(status)s, name = slug, updated_at = now() "
                 "WHERE id = %(id)s AND (status <> %(status)s OR name <> slug)")


# ---------------------------------------------------------------- record and signature

def canonical(record: dict) -> bytes:
    """The bytes that are signed: JSON with sorted keys, no spaces, UTF-8 (reproducible with any JSON library)."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(record: dict, key: str) -> str:
    if not key:
        raise PgError("signing_key is empty: the erasure record must be signed")
    return hmac.new(key.encode("utf-8"), canonical(record), hashlib.sha256).hexdigest()


def verify(record: dict, signature: str, key: str) -> bool:
    return isinstance(signature, str) and hmac.compare_digest(sign(record, key), signature)


def erasure_record(*, tenant: str, tenant_id: str, deployment: str, run_id: str, who: str, when: str, key_id: str,
                   counts: dict[str, dict[str, int]], tombstones: list[dict]) -> dict:
    """One record per deployment: every (database, table, count) deleted, and the registry rows kept as tombstones."""
    deleted = [{"database": db, "table": table, "count": count}
               for db in sorted(counts) for table, count in sorted(counts[db].items())]
    return {"format": RECORD_FORMAT, "tenant": tenant, "tenant_id": tenant_id, "deployment": deployment, "run_id": run_id,
            "who": who, "when": when, "key_id": key_id, "algorithm": SIGNATURE_ALGORITHM, "deleted": deleted,
            "rows": sum(item["count"] for item in deleted), "tombstoned": tombstones}


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# ---------------------------------------------------------------- database work

def resolve_tenant(session, slug: str, tenant_id: str | None) -> str:
    """The tenant id of a slug in the registry (read as the admin: the table has no tenant column)."""
    rows = session.read(sql.SQL("SELECT id::text FROM {} WHERE slug = %s").format(ident("public", REGISTRY_TABLE)), (slug,))
    if not rows:
        raise PgError(f"tenant {slug!r} is not in {session.dbname}.{REGISTRY_TABLE}: nothing is erased or exported")
    found = rows[0][0]
    if tenant_id is not None and tenant_id != found:
        raise PgError(f"tenant {slug!r} has id {found} in {session.dbname}.{REGISTRY_TABLE}, not the tenant_id given ({tenant_id})")
    return found


def _as_tenant(session, app_role: str, tenant_id: str) -> None:
    session.read(sql.SQL("SET LOCAL ROLE {}").format(ident(app_role)))
    session.read("SELECT set_config('app.tenant_id', %s, true)", (tenant_id,))


def erase_database(session, *, app_role: str, column: str, tenant_id: str, registry: bool, check_mode: bool) -> dict:
    """Delete the tenant's rows of one database in one transaction; returns {counts, tombstoned}.

    Check mode counts the rows it would delete (same role, same tenant context) and changes nothing.
    """
    findings, _tables = audit(session, app_role, column)
    if findings:
        brief = "; ".join(f"{f['object']}: {f['problem']}" for f in findings[:5])
        raise PgError(f"{session.dbname}: not erasing, row level security is not in place ({brief}); "
                      "run postgresql_rls (deploy.yml) first", findings=findings)
    tables = catalog(session, column)
    order = erase_order(tables)
    counts: dict[str, int] = {}
    tombstoned = False
    try:
        with session.conn.transaction():
            if check_mode:
                session.read("SET TRANSACTION READ ONLY")
            _as_tenant(session, app_role, tenant_id)
            for name in order:
                if check_mode:
                    counts[name] = session.read(count_sql(name, column), (tenant_id,))[0][0]
                    continue
                statement = delete_sql(name, column)
                session.queries.append(statement.as_string(session.conn))
                with session.conn.cursor() as cur:
                    cur.execute(statement, (tenant_id,))
                    counts[name] = max(cur.rowcount, 0)
            if registry and REGISTRY_TABLE in tables and not tables[REGISTRY_TABLE]["tenant"]:
                params = {"status": TOMBSTONE_STATUS, "id": tenant_id}
                if check_mode:
                    tombstoned = bool(session.read("SELECT 1 FROM public.tenants WHERE id = %(id)s AND "
                                                   "(status <> %(status)s OR name <> slug)", params))
                else:
                    session.queries.append(TOMBSTONE_SQL)
                    with session.conn.cursor() as cur:
                        cur.execute(TOMBSTONE_SQL, params)
                        tombstoned = cur.rowcount > 0
    except psycopg.Error as exc:
        raise PgError(f"erase in {session.dbname} failed, nothing of it was deleted: {error_text(exc)}") from None
    return {"counts": counts, "tombstoned": tombstoned}


def schema_version(session) -> int | None:
    """The last migration applied (cf_meta.schema_migrations, read as the admin), None without a history."""
    if not session.read("SELECT to_regclass('cf_meta.schema_migrations')")[0][0]:
        return None
    return session.read("SELECT max(version) FROM cf_meta.schema_migrations")[0][0]


def export_document(session, *, database: str, deployment: str, app_role: str, column: str, tenant: str,
                    tenant_id: str, registry: bool) -> dict:
    """The tenant's rows of one database: {format, tenant, deployment, database, schema_version, tables: {t: rows}}.

    Read in one REPEATABLE READ, READ ONLY snapshot as the app role with the tenant set (row level security decides
    what is read); the registry's own row of the tenant is included for tenant_registry.
    """
    version = schema_version(session)
    tables = catalog(session, column)
    names = dependency_order(tables, tenant_tables(tables))
    out: dict[str, list] = {}
    try:
        with session.conn.transaction():
            session.read("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            _as_tenant(session, app_role, tenant_id)
            if registry and REGISTRY_TABLE in tables and not tables[REGISTRY_TABLE]["tenant"]:
                out[REGISTRY_TABLE] = [r[0] for r in session.read(select_sql(REGISTRY_TABLE, tables[REGISTRY_TABLE], "id"), (tenant_id,))]
            for name in names:
                out[name] = [r[0] for r in session.read(select_sql(name, tables[name], column), (tenant_id,))]
    except psycopg.Error as exc:
        raise PgError(f"export of {database} failed: {error_text(exc)}") from None
    return {"format": EXPORT_FORMAT, "tenant": {"slug": tenant, "id": tenant_id}, "deployment": deployment,
            "database": database, "schema_version": version, "tables": out,
            "rows": sum(len(rows) for rows in out.values())}


def write_export(path: str, document: dict, *, check_mode: bool) -> bool:
    """Write the document (with exported_at) unless the file holds the same content already; True when (re)written.

    The file holds personal data: mode 0600 in a 0700 directory, written to <path>.partial then renamed.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            old = json.load(handle)
    except FileNotFoundError:
        old = None
    except ValueError:
        old = {}
    if isinstance(old, dict):
        old = {k: v for k, v in old.items() if k != "exported_at"}
    if old == json.loads(json.dumps(document, default=_json_default)):
        return False
    if check_mode:
        return True
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    partial = path + ".partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({**document, "exported_at": utc_now()}, handle, indent=2, sort_keys=True, default=_json_default, ensure_ascii=False)
        handle.write("\n")
    os.replace(partial, path)
    return True


# ---------------------------------------------------------------- shared by the two modules

# The tenant options of postgresql_tenant_erase and postgresql_tenant_export (besides the database tier's own).
TENANT_OPTIONS = {
    "tenant": {"type": "str", "required": True},
    "tenant_id": {"type": "str"},
    "registry_database": {"type": "str", "default": REGISTRY_DATABASE},
    "deployment": {"type": "str", "required": True},
}


def tenant_scope(params: dict, entries: list[dict], absent_of, session_for) -> tuple[set[str], str | None]:
    """Both modules' first steps: the slug and the deployment checked (before any connection), then which listed
    databases are absent (`absent_of(names)`) and the tenant id (tenant_id_for)."""
    check_slug(params["tenant"])
    if not params["deployment"]:
        raise PgError("deployment must not be empty: the erasure record and each export document name it")
    names = [e["database"] for e in entries]
    absent = absent_of(names)
    return absent, tenant_id_for(params, names, absent, session_for)


def tenant_id_for(params: dict, names: list[str], absent: set[str], session_for) -> str | None:
    """The tenant id: resolved from the slug in the registry database when it is listed (and exists), else the
    tenant_id given. None only when neither exists (check mode on a registry not created yet: nothing to do).

    `session_for(database)` opens an admin Session on a database.
    """
    given = check_uuid(params["tenant_id"]) if params.get("tenant_id") else None
    registry = params["registry_database"]
    if registry in names and registry not in absent:
        session = session_for(registry)
        try:
            return resolve_tenant(session, params["tenant"], given)
        finally:
            session.close()
    if given is None and not (registry in names and registry in absent):
        raise PgError(f"tenant_id is required: the registry database {registry} (where slug {params['tenant']!r} becomes a "
                      "tenant id) is not among the databases")
    return given

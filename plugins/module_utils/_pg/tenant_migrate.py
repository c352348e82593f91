# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to the collection: move one tenant from the shared (row level security) databases of a deployment to its
dedicated Tier-3 server (issue 16 item 2, docs/tenant-migration.md). No Ansible imports: the module is thin.

Phases, each a run of module postgresql_tenant_migrate, in this order (playbooks/tenant_migrate.yml):
- status (registry): the tenant's id, status and placement in tenant_registry.tenant_placements (migration 0002).
- copy (shared server -> tenant server), per database of the tier: the tenant's rows of every tenant table are read as
  the app role with `app.tenant_id` set for the transaction (row level security decides what can be read; one
  REPEATABLE READ, READ ONLY snapshot per database and run) by COPY text, straight into a staging table on the target,
  and written from it by one INSERT ... SELECT as the target's app role in the tenant's context (copy_text.py), tables
  parents first (data.dependency_order over the foreign keys of the catalog). Each table is copied in
  ONE target transaction that first deletes the tenant's rows of that table, inserts, and writes the journal row
  `copied` (cf_migration.journal of the target database) - so a kill at any point leaves the table either copied and
  journaled, or as before, never half; tables journaled are skipped by a re-run. Then verify: per table the row count
  and an md5 of the rows' canonical text (to_jsonb(row)::text in primary key order, session TimeZone UTC) on both
  sides; equal everywhere -> journal `verified`. A mismatch clears the journal from the first mismatched table on and
  fails, so nothing is routed and a re-run copies those tables again.
- route (registry server): refuses unless every database is `verified` on the target; upserts the tenant's row of
  tenant_placements (tier 3, server, deployment), then journals `routed` in each target database. From here the
  target is authoritative: copy skips a routed database.
- delete (shared server): refuses a database not `routed`; deletes the tenant's rows as the app role inside its row
  level security context, children first, one transaction per database (gdpr.erase_database, the GDPR erase's
  order and audit - not a copy of it), then journals `deleted` with the counts. A kill between the two: the re-run
  deletes 0 rows and journals.
Tables whose values come from a sequence (identity or nextval default) are refused: the tenant server's sequences
would restart below the copied values (the tier's schemas key rows by uuid).
The journal lives on the target because the copy's effect is there: a step is recorded in the same transaction as
its effect (copy) or is idempotent and recorded right after (route, delete), so a run killed at any step and run
again finishes without loss (nothing is deleted before it is verified and routed) or duplicates (a re-copied table is
emptied of the tenant first, in the same transaction).

PostgreSQL facts relied on (PostgreSQL 15 documentation, https://www.postgresql.org/docs/15/): to_jsonb of a row
(functions-json.html) renders timestamptz in the session TimeZone and floats per extra_float_digits, hence SET LOCAL
of both before a checksum; md5(text) and string_agg(... ORDER BY ...) (functions-aggregate.html); SET LOCAL lasts
to the end of the transaction (sql-set.html); set_config(name, value, true) is transaction-local
(functions-admin.html); a REPEATABLE READ transaction sees one snapshot (transaction-iso.html).
"""
from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError, error_text, ident, psycopg, sql
from ansible_collections.complianceflow.infra.plugins.module_utils._pg import copy_text
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.data import catalog, dependency_order
from ansible_collections.complianceflow.infra.plugins.module_utils._pg import gdpr

PHASES = ("status", "copy", "route", "delete")
JOURNAL_SCHEMA = "cf_migration"
JOURNAL_TABLE = "journal"
# Steps of the journal, in order; `copied` has one row per table, the others one per database (table_name '').
STEPS = ("copied", "verified", "routed", "deleted")
PLACEMENTS_TABLE = "tenant_placements"
TIER_SHARED, TIER_DEDICATED = 2, 3

# The journal's tenant column is NOT named like the tier's tenant column (tenant_id): postgresql_rls treats any table
# with that column in a user schema as a tenant table, and the journal is the migration's, never the app's.
JOURNAL_DDL = (
    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident(JOURNAL_SCHEMA)) if sql else None,
    sql.SQL("CREATE TABLE IF NOT EXISTS {} (migrated_tenant uuid NOT NULL, step text NOT NULL, "
            "table_name text NOT NULL DEFAULT '', row_count bigint, checksum text, detail jsonb, "
            "done_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (migrated_tenant, step, table_name), "
            "CHECK (step IN ('copied', 'verified', 'routed', 'deleted')))").format(ident(JOURNAL_SCHEMA, JOURNAL_TABLE)) if sql else None,
)


# ---------------------------------------------------------------- pure parts

def check_phase(value) -> str:
    if value not in PHASES:
        raise PgError(f"invalid phase {value!r}: use one of {', '.join(PHASES)}")
    return value


def copy_order(tables: dict[str, dict]) -> list[str]:
    """The tenant tables, parents before children (foreign keys of the catalog)."""
    return dependency_order(tables, gdpr.tenant_tables(tables))


def remaining(order: list[str], copied) -> list[str]:
    """The tables still to copy: everything from the first table not journaled `copied` on.

    Copied tables always form a prefix of the order, so a table re-copied (emptied of the tenant first) is never the
    parent of a table kept.
    """
    for index, name in enumerate(order):
        if name not in copied:
            return order[index:]
    return []


def journal_state(order: list[str], journal: dict) -> str:
    """The database's state from its journal {(step, table): ...}: new, copying, copied, verified, routed, deleted."""
    for step in ("deleted", "routed", "verified"):
        if (step, "") in journal:
            return step
    done = {table for step, table in journal if step == "copied"}
    if not done:
        return "new"
    return "copying" if remaining(order, done) else "copied"


def mismatches(order: list[str], source: dict, target: dict) -> list[dict]:
    """Per table in order, where (count, md5) differ between source and target."""
    out = []
    for name in order:
        have, want = target.get(name), source.get(name)
        if have != want:
            out.append({"table": name, "source_rows": want[0] if want else None, "target_rows": have[0] if have else None,
                        "checksums_equal": bool(have and want and have[1] == want[1])})
    return out


def checksum_sql(table: str, meta: dict, column: str):
    """count(*) and md5 of the tenant's rows as text (to_jsonb), in primary key order; md5('') when none."""
    order = sql.SQL(", ").join(ident("t", c) for c in meta["pk"] or meta["columns"])
    return sql.SQL("SELECT count(*), md5(coalesce(string_agg(to_jsonb(t)::text, E'\\n' ORDER BY {order}), '')) "
                   "FROM {table} t WHERE {col} = %s").format(order=order, table=ident("public", table), col=ident("t", column))


def summary(results: list[dict]) -> dict:
    """Rows moved (copied) and deleted per database, for the playbook's summary."""
    return {"moved": {r["name"]: r.get("moved", {}) for r in results},
            "deleted": {r["name"]: r.get("deleted", {}) for r in results if r.get("deleted")},
            "states": {r["name"]: r["state"] for r in results}}


# ---------------------------------------------------------------- sessions

NORMALIZE = ("SET LOCAL TimeZone = 'UTC'", "SET LOCAL extra_float_digits = 1", "SET LOCAL IntervalStyle = 'postgres'")


def _tenant_context(conn, app_role: str, tenant_id: str, *, read_only: bool) -> None:
    if read_only:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    for statement in NORMALIZE:
        conn.execute(statement)
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(app_role)))
    conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant_id,))


def checksums(session, tables: dict, order: list[str], *, app_role: str, column: str, tenant_id: str) -> dict:
    """{table: (count, md5)} of the tenant's rows, in one read-only snapshot as the app role in the tenant's context."""
    out = {}
    try:
        with session.conn.transaction():
            _tenant_context(session.conn, app_role, tenant_id, read_only=True)
            for name in order:
                count, digest = session.conn.execute(checksum_sql(name, tables[name], column), (tenant_id,)).fetchone()
                out[name] = (count, digest)
    except psycopg.Error as exc:
        raise PgError(f"{session.dbname}: checksums as {app_role} failed: {error_text(exc)}") from None
    return out


def sequence_columns(session, names: list[str]) -> list[str]:
    """table.column of the tables named whose values come from a sequence (identity, or a nextval default)."""
    rows = session.read(
        "SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped "
        "AND (a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%%') ORDER BY 1", (list(names),))
    return [r[0] for r in rows]


def journal_exists(session) -> bool:
    return bool(session.read("SELECT to_regclass(%s)", (f"{JOURNAL_SCHEMA}.{JOURNAL_TABLE}",))[0][0])


def read_journal(session, tenant_id: str) -> dict:
    if not journal_exists(session):
        return {}
    rows = session.read(sql.SQL("SELECT step, table_name, row_count, checksum FROM {} WHERE migrated_tenant = %s").format(
        ident(JOURNAL_SCHEMA, JOURNAL_TABLE)), (tenant_id,))
    return {(step, table): {"rows": count, "checksum": digest} for step, table, count, digest in rows}


def ensure_journal(session) -> None:
    for statement in JOURNAL_DDL:
        session.change(statement)


JOURNAL_INSERT = ("INSERT INTO cf_migration.journal (migrated_tenant, step, table_name, row_count, checksum, detail) "
                  "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (migrated_tenant, step, table_name) DO NOTHING")


def record(conn, queries: list, tenant_id: str, step: str, table: str = "", rows=None, checksum=None, detail=None) -> None:
    queries.append(JOURNAL_INSERT)
    from psycopg.types.json import Jsonb  # psycopg is there: the connection is

    conn.execute(JOURNAL_INSERT, (tenant_id, step, table, rows, checksum, Jsonb(detail) if detail is not None else None))


def target_tables(source_tables: dict, target_tables_: dict, order: list[str], database: str) -> None:
    """The target must have every tenant table with the same columns (the same migrations applied)."""
    for name in order:
        meta = target_tables_.get(name)
        if meta is None or meta["columns"] != source_tables[name]["columns"]:
            problem = "is missing" if meta is None else f"has columns {meta['columns']}, not {source_tables[name]['columns']}"
            raise PgError(f"{database}: table {name} on the tenant server {problem}: apply the same migrations to the "
                          "tenant server's databases first (postgresql_migrations)")


def server_identity(conn) -> tuple:
    """What tells two PostgreSQL servers apart: system identifier (when the login may read pg_control_system), address,
    port and start time of the postmaster. A restored copy keeps the system identifier, not the start time."""
    try:
        system = conn.execute("SELECT system_identifier::text FROM pg_control_system()").fetchone()[0]
    except psycopg.Error:
        system = None
    addr, port, started = conn.execute("SELECT inet_server_addr()::text, inet_server_port(), pg_postmaster_start_time()::text").fetchone()
    return (system, addr, port, started)


def check_distinct(source_conn, target_conn) -> None:
    """Refuse when the tenant server is the shared server (e.g. a PGHOSTADDR that sends both logins to one address):
    copying onto the server being left, then deleting there, would lose the tenant's rows."""
    if server_identity(source_conn) == server_identity(target_conn):
        raise PgError("the tenant server's login reaches the shared server itself (same system identifier, address, port "
                      "and start time): refusing to copy a tenant onto the server it leaves. Check target_login_host and "
                      "that no PGHOSTADDR in the environment points both logins at one address")


# ---------------------------------------------------------------- phase copy

def copy_database(source, target, *, entry: dict, tenant_id: str, check_mode: bool, budget: list | None = None) -> dict:
    """Copy then verify one database; `target` None means the target database does not exist (check mode only).

    `budget` (tests): a one-element list with the tables this run may still copy; at 0 the run stops with a PgError
    as if killed after the last copied table.
    """
    name, app, column = entry["database"], entry["app_role"], entry["tenant_column"]
    tables = catalog(source, column)
    order = copy_order(tables)
    journal = read_journal(target, tenant_id) if target is not None else {}
    before = journal_state(order, journal)
    result = {"state_before": before, "moved": {}, "copied": [], "verified": False, "changed": False}
    if before in ("routed", "deleted"):
        return {**result, "state": before}
    if target is not None:
        have, want = gdpr.schema_version(target), gdpr.schema_version(source)
        if have != want and check_mode:  # the playbook migrates the tenant server's databases first in a real run
            result["note"] = f"schema version {have} on the tenant server, {want} here: the same migrations come first"
        elif have != want:
            raise PgError(f"{name}: schema version {have} on the tenant server, {want} on the shared server: apply the "
                          "same migrations first")
        else:
            target_tables(tables, catalog(target, column), order, name)
    sequenced = sequence_columns(source, order)
    if sequenced:
        raise PgError(f"{name}: {', '.join(sequenced)} take values from a sequence (identity or nextval default); the "
                      "tenant server's sequences would restart below the copied values, so such tables are not moved "
                      "(the tier's schemas key rows by uuid)")
    todo = remaining(order, {t for s, t in journal if s == "copied"})
    if check_mode:
        counts = checksums(source, tables, todo, app_role=app, column=column, tenant_id=tenant_id)
        moved = {t: counts[t][0] for t in todo}
        return {**result, "moved": moved, "changed": bool(todo) or before != "verified", "state": "verified"}
    if todo:
        ensure_journal(target)
        _copy_tables(source, target, tables, todo, app=app, owner=entry["owner"], column=column, tenant_id=tenant_id,
                     result=result, budget=budget)
    # verify: every table, both sides, in one snapshot each
    source_sums = checksums(source, tables, order, app_role=app, column=column, tenant_id=tenant_id)
    target_sums = checksums(target, tables, order, app_role=app, column=column, tenant_id=tenant_id)
    wrong = mismatches(order, source_sums, target_sums)
    if wrong:
        first = order.index(wrong[0]["table"])
        redo = order[first:]
        with target.conn.transaction():
            statement = sql.SQL("DELETE FROM {} WHERE migrated_tenant = %s AND (step = 'verified' OR table_name = ANY(%s))").format(
                ident(JOURNAL_SCHEMA, JOURNAL_TABLE))
            target.queries.append(statement.as_string(target.conn))
            target.conn.execute(statement, (tenant_id, redo))
        raise PgError(f"{name}: verification failed, nothing is routed or deleted: " + "; ".join(
            f"{w['table']} source {w['source_rows']} rows, target {w['target_rows']} rows"
            + ("" if w["source_rows"] != w["target_rows"] else ", checksums differ") for w in wrong)
            + f". The journal of {', '.join(redo)} was cleared: a re-run copies them again (pause the tenant's writes "
              "if it keeps changing)", mismatches=wrong, moved=result["moved"])
    if ("verified", "") not in journal:
        with target.conn.transaction():
            record(target.conn, target.queries, tenant_id, "verified", rows=sum(c for c, _d in source_sums.values()),
                   detail={t: {"rows": c, "md5": d} for t, (c, d) in source_sums.items()})
        result["changed"] = True
    return {**result, "verified": True, "state": "verified", "checksums": {t: {"rows": c, "md5": d} for t, (c, d) in source_sums.items()}}


def _move_table(source, target, name: str, meta: dict, *, column: str, tenant_id: str, app: str, owner: str) -> tuple[int, int]:
    """The tenant's rows of one table, inside the target's open transaction: COPY text out of the source's snapshot
    straight into a staging table on the target (created as the owner: the tier revokes TEMPORARY from the app role),
    then one INSERT ... SELECT as the app role in the tenant's context, so the target's policy judges every row.
    Returns (rows read, rows inserted)."""
    staging = "complianceflow_move"  # one table per target transaction, dropped in it
    target.change(sql.SQL("SET LOCAL ROLE {}").format(ident(owner)))
    copy_text.pin_settings(target)
    into = copy_text.create_staging(target, staging, name, meta["columns"])
    read, staged = copy_text.stream_rows(source, copy_text.copy_out_sql(name, meta, column, tenant_id), target, into)
    if staged != read:
        raise PgError(f"{target.dbname}: {name}: {read} rows read, {staged} staged on the tenant server: nothing of this "
                      "table was kept")
    written = copy_text.insert_staged(target, [(name, meta["columns"], staging)], {name: meta}, role=app, owner=owner)
    return read, written.get(name, 0)


def _copy_tables(source, target, tables, todo, *, app, owner, column, tenant_id, result, budget) -> None:
    erase = sql.SQL("DELETE FROM {} WHERE {} = %s")
    try:
        with source.conn.transaction():
            _tenant_context(source.conn, app, tenant_id, read_only=True)
            copy_text.pin_settings(source)
            # tables to copy still holding rows (a journal cleared by a failed verify): emptied children first
            with target.conn.transaction():
                _tenant_context(target.conn, app, tenant_id, read_only=False)
                for name in reversed(todo):
                    statement = erase.format(ident("public", name), ident(column))
                    target.queries.append(statement.as_string(target.conn))
                    target.conn.execute(statement, (tenant_id,))
            for name in todo:
                if budget is not None and budget[0] <= 0:
                    raise PgError(f"{source.dbname}: stopped before copying {name} as asked (stop_after_tables); "
                                  "a re-run resumes here", moved=result["moved"])
                meta = tables[name]
                with target.conn.transaction():
                    _tenant_context(target.conn, app, tenant_id, read_only=False)
                    statement = erase.format(ident("public", name), ident(column))
                    target.queries.append(statement.as_string(target.conn))
                    target.conn.execute(statement, (tenant_id,))
                    read, written = _move_table(source, target, name, meta, column=column, tenant_id=tenant_id, app=app, owner=owner)
                    if written != read:
                        raise PgError(f"{target.dbname}: {name}: {read} rows read, {written} inserted on the tenant server "
                                      "(a primary key conflict): nothing of this table was kept")
                    digest = source.conn.execute(checksum_sql(name, meta, column), (tenant_id,)).fetchone()
                    target.conn.execute("RESET ROLE")
                    record(target.conn, target.queries, tenant_id, "copied", name, rows=digest[0], checksum=digest[1])
                result["moved"][name] = read
                result["copied"].append(name)
                result["changed"] = True
                if budget is not None:
                    budget[0] -= 1
    except psycopg.Error as exc:
        raise PgError(f"{target.dbname}: copy failed (tables copied and journaled stay, the one in progress was rolled "
                      f"back): {error_text(exc)}", moved=result["moved"]) from None


# ---------------------------------------------------------------- phase route (registry)

def read_placement(registry, tenant_id: str) -> dict | None:
    if not registry.read("SELECT to_regclass('public.tenant_placements')")[0][0]:
        raise PgError(f"{registry.dbname}: table {PLACEMENTS_TABLE} is missing: apply the tenant_registry migrations "
                      "(0002_tenant_placements.sql, deploy.yml) first")
    rows = registry.read("SELECT deployment, tier, server_name FROM public.tenant_placements WHERE id = %s", (tenant_id,))
    if not rows:
        return None
    return {"deployment": rows[0][0], "tier": rows[0][1], "server": rows[0][2]}


def tenant_status(registry, slug: str, tenant_id: str | None) -> dict:
    """The tenant's id, status and placement (None: tier 2 in its home deployment)."""
    try:
        found = gdpr.resolve_tenant(registry, slug, tenant_id)
    except PgError as exc:
        raise PgError(str(exc).replace("nothing is erased or exported", "nothing to move")) from None
    status = registry.read("SELECT status FROM public.tenants WHERE id = %s", (found,))[0][0]
    return {"tenant_id": found, "status": status, "placement": read_placement(registry, found)}


def check_movable(status: dict, slug: str, deployment: str, server: str | None) -> None:
    """Refuse an offboarded tenant and one on Tier 3 elsewhere; Tier 3 on `server` is a resumed run."""
    if status["status"] == gdpr.TOMBSTONE_STATUS:
        raise PgError(f"tenant {slug} is offboarded (a GDPR erase left only its tombstone): nothing to move")
    placement = status["placement"]
    if placement and placement["tier"] == TIER_DEDICATED and (placement["server"] != server or placement["deployment"] != deployment):
        raise PgError(f"tenant {slug} is already on Tier 3: server {placement['server']} of {placement['deployment']}; "
                      f"not moving it to {server} of {deployment}")


def route(registry, *, app_role: str, tenant_id: str, deployment: str, server: str, check_mode: bool) -> tuple[dict | None, dict, bool]:
    """Upsert the tenant's placement (tier 3 on `server`); returns (before, after, changed)."""
    before = read_placement(registry, tenant_id)
    after = {"deployment": deployment, "tier": TIER_DEDICATED, "server": server}
    if before == after:
        return before, after, False
    if check_mode:
        return before, after, True
    statement = ("INSERT INTO public.tenant_placements (id, deployment, tier, server_name, switched_at) "
                 "VALUES (%s, %s, %s, %s, now()) ON CONFLICT (id) DO UPDATE SET deployment = EXCLUDED.deployment, "
                 "tier = EXCLUDED.tier, server_name = EXCLUDED.server_name, switched_at = EXCLUDED.switched_at")
    try:
        with registry.conn.transaction():
            registry.conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(app_role)))
            registry.queries.append(statement)
            registry.conn.execute(statement, (tenant_id, deployment, TIER_DEDICATED, server))
    except psycopg.Error as exc:
        raise PgError(f"{registry.dbname}: switching the routing of {tenant_id} failed: {error_text(exc)}") from None
    return before, after, True


def mark_routed(target, *, tenant_id: str, check_mode: bool) -> tuple[str, bool]:
    """Journal `routed` on a verified target database; returns (state before, changed)."""
    journal = read_journal(target, tenant_id)
    if ("routed", "") in journal or ("deleted", "") in journal:
        return ("deleted" if ("deleted", "") in journal else "routed"), False
    if ("verified", "") not in journal:
        raise PgError(f"{target.dbname}: not verified on the tenant server (journal state "
                      f"{journal_state([], journal)}): run phase copy first, routing is not switched")
    if not check_mode:
        with target.conn.transaction():
            record(target.conn, target.queries, tenant_id, "routed")
    return "verified", True


# ---------------------------------------------------------------- phase delete

def delete_database(source, target, *, entry: dict, tenant_id: str, check_mode: bool) -> dict:
    """Delete the tenant's rows from one shared database once the target journal says `routed`."""
    journal = read_journal(target, tenant_id) if target is not None else {}
    state = journal_state([], journal)
    if state == "deleted":
        return {"state_before": state, "state": state, "deleted": {}, "changed": False}
    if state != "routed" and not check_mode:
        raise PgError(f"{source.dbname}: the tenant's rows stay in the shared database: the tenant server's journal says "
                      f"{state}, not routed (run phases copy and route first)")
    done = gdpr.erase_database(source, app_role=entry["app_role"], column=entry["tenant_column"], tenant_id=tenant_id,
                               registry=False, check_mode=check_mode)
    counts = done["counts"]
    if not check_mode:
        with target.conn.transaction():
            record(target.conn, target.queries, tenant_id, "deleted", rows=sum(counts.values()), detail=counts)
    return {"state_before": state, "state": "deleted", "deleted": counts, "changed": True}

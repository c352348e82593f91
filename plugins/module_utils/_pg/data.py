# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to the collection: seed data, export and import of a tier database.

Tenant rows always travel through the app role with `app.tenant_id` set for the transaction
(`set_config(..., true)`), so row-level security checks every row read or written; reference
rows (tables without the tenant column) through the owner. Seed rows (and the lines of an
export/v1 file) are inserted with `jsonb_populate_record`, so one JSON document per row carries
every PostgreSQL type exactly; exports are written in COPY text (export/v2, copy_text.py).
`ON CONFLICT (<primary key>) DO NOTHING` makes a re-run insert nothing.
"""
from __future__ import annotations

import contextlib
import datetime
import decimal
import hashlib
import json
import os
import uuid

from ansible_collections.complianceflow.infra.plugins.module_utils._pg import copy_text
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError, error_text, ident, psycopg, sql

EXPORT_FORMAT = copy_text.FORMAT
# Written by earlier releases (JSON lines, <name>.jsonl): still imported, no longer written.
JSON_LINES_FORMAT = "complianceflow.infra/export/v1"
REFERENCE = "_reference"


def catalog(session, column: str) -> dict[str, dict]:
    """Tables of schema public (partition parents, not partitions) with what loading needs."""
    rows = session.read(
        "SELECT c.relname, "
        "ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "      AND a.attgenerated = '' ORDER BY a.attnum), "
        "ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a "
        "      ON a.attrelid = c.oid AND a.attnum = k.n ORDER BY k.o), "
        "EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = %s AND NOT a.attisdropped), "
        "EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attidentity = 'a'), "
        "ARRAY(SELECT DISTINCT f.confrelid::regclass::text FROM pg_constraint f WHERE f.conrelid = c.oid AND f.contype = 'f' "
        "      AND f.confrelid <> c.oid) "
        "FROM pg_class c LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary "
        "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition", (column,))
    keys = ("columns", "pk", "tenant", "identity_always", "parents")
    return {row[0]: dict(zip(keys, row[1:])) for row in rows}


def dependency_order(tables: dict[str, dict], names) -> list[str]:
    """Parents before children (by foreign keys), otherwise alphabetical: a stable file order."""
    names = sorted(names)
    done, out = set(), []

    def visit(name, path):
        if name in done:
            return
        if name in path:
            raise PgError(f"foreign keys between {', '.join(sorted(path))} form a cycle: cannot order the load")
        for parent in sorted(tables[name]["parents"]):
            if parent in tables and parent in names:
                visit(parent, path | {name})
        done.add(name)
        out.append(name)

    for name in names:
        visit(name, frozenset())
    return out


def insert_sql(table: str, meta: dict, columns: list[str], document: str = "%s::jsonb", source=None):
    """INSERT ... SELECT <columns> FROM jsonb_populate_record(NULL::table, <document>) ON CONFLICT (pk) DO NOTHING.

    `document` is the SQL of the JSON (an export/v1 line carries the row under "row"): a bound
    parameter, or with `source` (a staging table, alias s) an expression of its column, for the
    lines `s.n BETWEEN %s AND %s` in file order (ORDER BY s.n: within the noise of the unsorted
    form when measured, and it keeps the first of two lines with one key the one inserted).
    """
    rows = sql.SQL("jsonb_populate_record(NULL::{t}, {doc}) r").format(t=ident("public", table), doc=sql.SQL(document))
    if source is not None:
        rows = sql.SQL("{src} s CROSS JOIN LATERAL {rows} WHERE s.n BETWEEN %s AND %s ORDER BY s.n").format(src=source, rows=rows)
    return copy_text.insert_select_sql(table, meta, columns, rows, sql.SQL(", ").join(ident("r", c) for c in columns))


def insert_many(session, statement, documents: list[str]) -> int:
    """Run one statement for many JSON documents (pipelined); returns the rows inserted."""
    session.queries.append(statement.as_string(session.conn))
    if not documents:
        return 0
    with session.conn.cursor() as cur:
        cur.executemany(statement, [(doc,) for doc in documents])
        return max(cur.rowcount, 0)


@contextlib.contextmanager
def acting_as(session, role: str, tenant: str | None = None):
    """One transaction as `role`, with the tenant set for this transaction only."""
    with session.conn.transaction():
        session.change(sql.SQL("SET LOCAL ROLE {}").format(ident(role)))
        if tenant is not None:
            session.read("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        yield


def check_tenant_id(value, where: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise PgError(f"{where}: tenant id {value!r} is not a uuid") from None


def _json_default(value):
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    raise TypeError(f"cannot store a {type(value).__name__} value")


# ---------------------------------------------------------------- seed

def check_seed_shape(data, source: str) -> None:
    """The document's structure, which needs no database (checked for every file before connecting)."""
    if not isinstance(data, dict) or not isinstance(data.get("tables"), list):
        raise PgError(f"{source}: expected a mapping with a list 'tables' of {{table: name, rows: [...]}}")
    for position, entry in enumerate(data["tables"], 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("table"), str) or not isinstance(entry.get("rows", []), list):
            raise PgError(f"{source}: tables[{position}] must be a mapping with 'table' (a name) and 'rows' (a list)")


def plan_seed(data, tables: dict[str, dict], column: str, source: str):
    """Validate the seed document against the catalog; returns (reference batches, {tenant: batches}).

    A batch is (table, columns, [json documents]); batches keep the file's order.
    """
    check_seed_shape(data, source)
    reference, tenants = [], {}
    for entry in data["tables"]:
        name = entry["table"]
        meta = tables.get(name)
        if meta is None:
            raise PgError(f"{source}: table {name!r} does not exist in schema public (known: {', '.join(sorted(tables)) or 'none'})")
        if not meta["pk"]:
            raise PgError(f"{source}: table {name!r} has no primary key, so a re-run could not skip existing rows")
        for number, row in enumerate(entry.get("rows") or [], 1):
            where = f"{source}: {name} row {number}"
            if not isinstance(row, dict):
                raise PgError(f"{where}: expected a mapping of column: value")
            unknown = sorted(set(row) - set(meta["columns"]))
            if unknown:
                raise PgError(f"{where}: unknown column(s) {', '.join(unknown)} (columns: {', '.join(meta['columns'])})")
            missing = [c for c in meta["pk"] if row.get(c) is None]
            if missing:
                raise PgError(f"{where}: primary key column(s) {', '.join(missing)} need a value (ids are deterministic)")
            try:
                doc = json.dumps(row, default=_json_default, sort_keys=True)
            except TypeError as exc:
                raise PgError(f"{where}: {exc}") from None
            batches = reference if not meta["tenant"] else tenants.setdefault(check_tenant_id(row.get(column), where), [])
            cols = sorted(row)
            if batches and batches[-1][0] == name and batches[-1][1] == cols:
                batches[-1][2].append(doc)
            else:
                batches.append((name, cols, [doc]))
    return reference, tenants


def load_seed(session, data, *, owner: str, app_role: str, column: str, source: str) -> dict[str, int]:
    tables = catalog(session, column)
    reference, tenants = plan_seed(data, tables, column, source)
    inserted: dict[str, int] = {}
    runs = [(owner, None, reference)] if reference else []
    runs += [(app_role, tenant, batches) for tenant, batches in tenants.items()]
    for role, tenant, batches in runs:
        try:
            with acting_as(session, role, tenant):
                for name, cols, docs in batches:
                    inserted[name] = inserted.get(name, 0) + insert_many(session, insert_sql(name, tables[name], cols), docs)
        except psycopg.Error as exc:
            who = f"tenant {tenant}" if tenant else "reference rows"
            raise PgError(f"{source}: loading {who} as {role} failed, nothing of it was loaded: {error_text(exc)}") from None
    return inserted


# ---------------------------------------------------------------- export

def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def read_manifest(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise PgError(f"{path}: not a valid manifest ({exc})") from None


def export_unit(session, directory: str, database: str, tenant: str | None, *, role: str, column: str, check_mode: bool,
                scratch: str | None = None) -> dict:
    """Export the reference tables (tenant None) or one tenant's rows to <directory>/<name>.pgcopy (export/v2).

    Written to <name>.pgcopy.partial first; the data file and then its manifest are renamed into
    place only when complete, so an interrupted export never leaves a file that looks complete. A
    unit's export/v1 file (<name>.jsonl), when the replaced manifest named it, is removed
    once the new manifest is in place. In check mode the partial file goes to `scratch` (the module's private
    temporary directory): nothing is written under `directory`, only compared with.
    """
    tables = catalog(session, column)
    names = [n for n, m in tables.items() if bool(m["tenant"]) == (tenant is not None)]
    order = dependency_order(tables, names)
    base = os.path.join(directory, tenant or REFERENCE)
    data_path, manifest_path = base + copy_text.SUFFIX, base + ".manifest.json"
    partial = os.path.join(scratch, os.path.basename(data_path) + ".partial") if check_mode and scratch else data_path + ".partial"
    try:
        with session.conn.transaction():
            # One snapshot for every table of the unit; nothing is written.
            session.read("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            session.read(sql.SQL("SET LOCAL ROLE {}").format(ident(role)))
            copy_text.pin_settings(session)
            if tenant:
                session.read("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
            sections = copy_text.write_sections(session, partial, order, tables, column, tenant)
        counts = {s["table"]: s["rows"] for s in sections}
        manifest = {"format": EXPORT_FORMAT, "database": database, "tenant": tenant, "file": os.path.basename(data_path),
                    "settings": copy_text.COPY_SETTINGS, "sections": sections, "tables": counts, "rows": sum(counts.values()),
                    "sha256": _sha256(partial)}
        old = read_manifest(manifest_path)
        changed = not (old == manifest and os.path.exists(data_path) and _sha256(data_path) == manifest["sha256"])
        if changed and not check_mode:
            with open(manifest_path + ".partial", "w", encoding="utf-8") as handle:
                json.dump(manifest, handle, indent=2, sort_keys=True)
                handle.write("\n")
            os.replace(partial, data_path)
            os.replace(manifest_path + ".partial", manifest_path)
            _remove_replaced(directory, tenant or REFERENCE, old)
    except psycopg.Error as exc:
        raise PgError(f"export of {database} {'tenant ' + tenant if tenant else 'reference tables'} failed, no file written: "
                      f"{error_text(exc)}") from None
    finally:
        for leftover in (partial, manifest_path + ".partial"):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return {"file": data_path, "manifest": manifest_path, "tenant": tenant, "rows": manifest["rows"],
            "tables": counts, "sha256": manifest["sha256"], "changed": changed}


def _remove_replaced(directory: str, unit: str, old: dict | None) -> None:
    """The unit's export/v1 data file (<unit>.jsonl) once a v2 manifest has replaced the one that named it."""
    if isinstance(old, dict) and old.get("format") == JSON_LINES_FORMAT and old.get("file") == unit + ".jsonl":
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(directory, unit + ".jsonl"))


# ---------------------------------------------------------------- import

def verified_units(directory: str, tenants: list[str] | None, include_reference: bool) -> list[tuple[dict, str]]:
    """Every complete export unit in a directory (manifest + matching data file), reference first."""
    if not os.path.isdir(directory):
        raise PgError(f"import directory {directory!r} does not exist")
    units = []
    for entry in sorted(os.listdir(directory)):
        if not entry.endswith(".manifest.json"):
            continue
        manifest = read_manifest(os.path.join(directory, entry))
        if not isinstance(manifest, dict) or manifest.get("format") not in (EXPORT_FORMAT, JSON_LINES_FORMAT):
            raise PgError(f"{entry}: not a {EXPORT_FORMAT} (or {JSON_LINES_FORMAT}) manifest")
        if not isinstance(manifest.get("file"), str) or os.path.basename(manifest["file"]) != manifest["file"]:
            raise PgError(f"{entry}: 'file' must name a data file in the same directory")
        if manifest["format"] == EXPORT_FORMAT:
            copy_text.check_section_shape(manifest)
        tenant = manifest.get("tenant")
        if (tenant is None and not include_reference) or (tenant is not None and tenants is not None and tenant not in tenants):
            continue
        data_path = os.path.join(directory, manifest["file"])
        if not os.path.exists(data_path):
            raise PgError(f"{entry}: data file {manifest['file']} is missing")
        actual = _sha256(data_path)
        if actual != manifest["sha256"]:
            raise PgError(f"{manifest['file']}: checksum {actual} does not match its manifest ({manifest['sha256']}): "
                          "incomplete or altered export, nothing imported")
        units.append((manifest, data_path))
    units.sort(key=lambda unit: (unit[0]["tenant"] is not None, unit[0]["tenant"] or ""))
    missing = sorted(set(tenants or []) - {unit[0]["tenant"] for unit in units})
    if missing:
        raise PgError(f"no export for tenant(s) {', '.join(missing)} in {directory}")
    return units


# The staging table of an export/v1 unit: the file's lines as they are, numbered in file order,
# with the table each names (a stored generated column, computed by the server during the COPY).
STAGING = copy_text.STAGING
_COPY_BLOCK = 1 << 20


def _copy_file(session, data_path: str) -> None:
    """COPY the data file into the staging table, one line per row, in blocks (text format: a
    backslash is doubled so the line reaches the jsonb column exactly as written)."""
    statement = sql.SQL("COPY {} (line) FROM STDIN").format(ident(STAGING))
    session.queries.append(statement.as_string(session.conn))
    with session.conn.cursor() as cur, cur.copy(statement) as copy, open(data_path, "rb") as handle:
        for block in iter(lambda: handle.read(_COPY_BLOCK), b""):
            copy.write(block.replace(b"\\", b"\\\\"))


def import_unit(session, manifest: dict, data_path: str, *, role: str, owner: str, column: str,
                tables: dict | None = None) -> dict[str, int]:
    """Load one export unit, all or nothing (a savepoint), as `role` with the unit's tenant set:
    COPY text (export/v2, copy_text.import_sections) or JSON lines (export/v1, below)."""
    tables = catalog(session, column) if tables is None else tables
    if manifest["format"] == EXPORT_FORMAT:
        return copy_text.import_sections(session, manifest, data_path, role=role, owner=owner, tables=tables)
    return _import_json_lines(session, manifest, data_path, role=role, owner=owner, tables=tables)


def _import_json_lines(session, manifest: dict, data_path: str, *, role: str, owner: str, tables: dict) -> dict[str, int]:
    """An export/v1 unit: the JSON lines by COPY into a temporary staging table (created as the
    database owner: the tier revokes TEMPORARY from the app role; `ON COMMIT DROP`, and dropped
    when the unit is done), then one `INSERT INTO <table> SELECT ... FROM <staging>,
    jsonb_populate_record(...) ON CONFLICT (<pk>) DO NOTHING` per run of lines of one table, in
    file order, as `role` with the tenant set: every row is a new row of that INSERT, so the
    policy's WITH CHECK judges each one.
    """
    tenant = manifest["tenant"]
    staging = ident(STAGING)
    inserted: dict[str, int] = {}
    try:
        with session.conn.transaction():
            session.change(sql.SQL("SET LOCAL ROLE {}").format(ident(owner)))
            session.change(sql.SQL("CREATE TEMPORARY TABLE {} (n bigint GENERATED ALWAYS AS IDENTITY, line jsonb NOT NULL, "
                                   "tbl text GENERATED ALWAYS AS (line ->> 'table') STORED) ON COMMIT DROP").format(staging))
            _copy_file(session, data_path)
            # Runs of consecutive lines of one table, in file order. An export writes one run per
            # table (a hash aggregate says so); any other file is split into its runs.
            runs = session.read(sql.SQL("SELECT tbl, min(n), max(n), count(*) FROM {} GROUP BY tbl ORDER BY 2").format(staging))
            if any(last - first + 1 != count for _name, first, last, count in runs):
                runs = session.read(sql.SQL("SELECT tbl, min(n), max(n), count(*) FROM (SELECT n, tbl, n - row_number() OVER "
                                            "(PARTITION BY tbl ORDER BY n) AS run FROM {}) s GROUP BY tbl, run ORDER BY 2"
                                            ).format(staging))
            for name, first, _last, _count in runs:
                if name not in tables:
                    raise PgError(f"{manifest['file']} line {first}: table {name!r} does not exist in schema public")
            if role != owner:
                session.change(sql.SQL("GRANT SELECT ON {} TO {}").format(staging, ident(role)))
                session.change(sql.SQL("SET LOCAL ROLE {}").format(ident(role)))
            if tenant is not None:
                session.read("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
            for name, first, last, _count in runs:
                meta = tables[name]
                statement = insert_sql(name, meta, meta["columns"], "s.line -> 'row'", source=staging)
                session.queries.append(statement.as_string(session.conn))
                with session.conn.cursor() as cur:
                    cur.execute(statement, (first, last))
                    inserted[name] = inserted.get(name, 0) + max(cur.rowcount, 0)
            session.change(sql.SQL("SET LOCAL ROLE {}").format(ident(owner)))
            session.change(sql.SQL("DROP TABLE {}").format(staging))
    except psycopg.Error as exc:
        raise PgError(f"import of {manifest['file']} as {role} failed, nothing of it was imported: "
                      f"{error_text(exc)}{copy_text.failed_line(exc, {STAGING: 1})}") from None
    return inserted

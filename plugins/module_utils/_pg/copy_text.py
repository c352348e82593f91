# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to the collection: export units in PostgreSQL's COPY text format (export/v2) and their
import through row-level security at the speed of the server. No Ansible imports.

A v2 unit is one data file, `<name>.pgcopy`: for each table, in the order of the manifest's
`sections`, the table's rows as `COPY (SELECT <columns> ... ORDER BY <primary key>) TO STDOUT`
writes them (text format: one line per row, tab between columns, `\\N` for NULL, newlines, tabs and
backslashes escaped). Each section names its table, its columns and its row count, so the file
needs no markers of its own. Export and import pin the settings that decide how a value is written
and read (COPY_SETTINGS), so a file reads back the same on any server.

`COPY FROM` is refused on a table with row-level security, so the import copies each section into
a temporary staging table of the section's columns (created as the owner by `CREATE TEMPORARY TABLE
... AS SELECT <columns> FROM <table> WITH NO DATA`: the same types, no constraints; `ON COMMIT
DROP`), then runs one `INSERT INTO <table> (<columns>) SELECT <columns> FROM <staging> ON CONFLICT
(<primary key>) DO NOTHING` per section as the unit's role with the tenant set. Every row is a new
row of that INSERT, so the policy's WITH CHECK judges each one. There is no per-row conversion on
the way: the staging COPY parses each value once, with the column's own input function.

PostgreSQL 15 documentation relied on (https://www.postgresql.org/docs/15/): sql-copy.html (text
format, escapes, `\\.` as end of data, COPY of a query, COPY FROM refused under row-level
security), sql-createtableas.html (WITH NO DATA; column types as the query gives them),
datatype-datetime.html (DateStyle and IntervalStyle decide output and the reading of dates),
runtime-config-client.html (extra_float_digits, bytea_output, client_encoding).
"""
from __future__ import annotations

import itertools

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError, error_text, ident, psycopg, sql

FORMAT = "complianceflow.infra/export/v2"
SUFFIX = ".pgcopy"
# What decides how COPY text writes and reads a value: ISO dates read back the same whatever the
# server's DateStyle; UTC timestamps; shortest exact floats; hex bytea; UTF-8 files.
COPY_SETTINGS = {"DateStyle": "ISO, YMD", "IntervalStyle": "postgres", "TimeZone": "UTC", "extra_float_digits": "1",
                 "bytea_output": "hex", "client_encoding": "UTF8"}
STAGING = "complianceflow_import"
_LINES_PER_WRITE = 8192


def pin_settings(session) -> None:
    """COPY_SETTINGS for the current transaction only (set_config(..., true))."""
    calls = sql.SQL(", ").join(sql.SQL("set_config({}, {}, true)").format(sql.Literal(k), sql.Literal(v))
                               for k, v in COPY_SETTINGS.items())
    session.read(sql.SQL("SELECT {}").format(calls))


def copy_out_sql(table: str, meta: dict, column: str, tenant: str | None):
    """COPY of a table's rows (the unit's tenant only) in primary key order, to the client."""
    where = sql.SQL(" WHERE {} = {}").format(ident(column), sql.Literal(tenant)) if tenant else sql.SQL("")
    return sql.SQL("COPY (SELECT {cols} FROM {t}{where} ORDER BY {order}) TO STDOUT").format(
        cols=sql.SQL(", ").join(ident(c) for c in meta["columns"]), t=ident("public", table), where=where,
        order=sql.SQL(", ").join(ident(c) for c in meta["pk"] or meta["columns"]))


def write_sections(session, path: str, order: list[str], tables: dict, column: str, tenant: str | None) -> list[dict]:
    """Write the unit's tables to `path` (the caller's transaction and role); returns the sections."""
    sections = []
    with open(path, "wb") as handle, session.conn.cursor() as cur:
        for name in order:
            statement = copy_out_sql(name, tables[name], column, tenant)
            session.queries.append(statement.as_string(session.conn))
            with cur.copy(statement) as copy:
                for block in copy:
                    handle.write(block)
            sections.append({"table": name, "columns": list(tables[name]["columns"]), "rows": max(cur.rowcount, 0)})
    return sections


def check_section_shape(manifest: dict) -> list[dict]:
    """The manifest's sections as data (no database needed): checked for every unit before connecting."""
    sections, where = manifest.get("sections"), manifest.get("file")
    if not isinstance(sections, list):
        raise PgError(f"{where}: the manifest has no list 'sections' ({FORMAT})")
    for number, section in enumerate(sections, 1):
        rows = section.get("rows") if isinstance(section, dict) else None
        if not isinstance(section, dict) or not isinstance(section.get("table"), str) or not isinstance(section.get("columns"), list) \
                or not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
            raise PgError(f"{where}: section {number} must be a mapping with 'table' (a name), 'columns' (a list) and 'rows' (a count)")
        columns = section["columns"]
        if not columns or not all(isinstance(c, str) for c in columns) or len(set(columns)) != len(columns):
            raise PgError(f"{where}: table {section['table']}: columns {columns} must be distinct column names, at least one")
    if sum(s["rows"] for s in sections) != manifest.get("rows"):
        raise PgError(f"{where}: the sections' rows do not add up to the manifest's {manifest.get('rows')}")
    return sections


def checked_sections(manifest: dict, tables: dict[str, dict]) -> list[dict]:
    """The manifest's sections, each checked against the database's catalog before anything is written."""
    sections, where = check_section_shape(manifest), manifest.get("file")
    for section in sections:
        name, columns = section["table"], section["columns"]
        meta = tables.get(name)
        if meta is None:
            raise PgError(f"{where}: table {name!r} does not exist in schema public")
        if not meta["pk"]:
            raise PgError(f"{where}: table {name!r} has no primary key, so a re-run could not skip the rows it has")
        unknown = [c for c in columns if c not in meta["columns"]]
        if unknown:
            raise PgError(f"{where}: table {name}: columns {columns} must be distinct columns of the table "
                          f"(columns: {', '.join(meta['columns'])})")
    return sections


def create_staging(session, staging: str, table: str, columns: list[str]):
    """A temporary staging table of `columns` of `table` (their types, no constraints, dropped at
    commit) in the current role; returns the COPY statement that fills it from the client."""
    cols = sql.SQL(", ").join(ident(c) for c in columns)
    session.change(sql.SQL("CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
        ident(staging), cols, ident("public", table)))
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(ident(staging), cols)
    session.queries.append(statement.as_string(session.conn))
    return statement


def _copy_lines(session, statement, handle, rows: int) -> int:
    """COPY the next `rows` lines of `handle` with `statement`; returns the rows the server took."""
    remaining = rows
    with session.conn.cursor() as cur:
        with cur.copy(statement) as copy:
            while remaining:
                lines = list(itertools.islice(handle, min(remaining, _LINES_PER_WRITE)))
                if not lines:
                    break
                copy.write(b"".join(lines))
                remaining -= len(lines)
        return max(cur.rowcount, 0)


def stream_rows(source, statement_out, target, statement_in) -> tuple[int, int]:
    """COPY rows out of one server straight into another's COPY; returns (rows read, rows taken)."""
    with source.conn.cursor() as out_cur, target.conn.cursor() as in_cur:
        with out_cur.copy(statement_out) as copy_out, in_cur.copy(statement_in) as copy_in:
            for block in copy_out:
                copy_in.write(block)
        return max(out_cur.rowcount, 0), max(in_cur.rowcount, 0)


def insert_select_sql(table: str, meta: dict, columns: list[str], rows, values=None):
    """INSERT INTO table (columns) SELECT <values> FROM <rows> ON CONFLICT (pk) DO NOTHING."""
    cols = sql.SQL(", ").join(ident(c) for c in columns)
    overriding = sql.SQL(" OVERRIDING SYSTEM VALUE") if meta["identity_always"] else sql.SQL("")
    return sql.SQL("INSERT INTO {t} ({cols}){ov} SELECT {values} FROM {rows} ON CONFLICT ({pk}) DO NOTHING").format(
        t=ident("public", table), cols=cols, ov=overriding, rows=rows, values=values or cols,
        pk=sql.SQL(", ").join(ident(c) for c in meta["pk"]))


def insert_staged(session, staged: list[tuple[str, list[str], str]], tables: dict, *, role: str, owner: str) -> dict[str, int]:
    """Each (table, columns, staging table) of `staged`, created as `owner` in the open transaction: SELECT on them
    granted to `role` (the app role; it may not create temporary tables), one INSERT ... SELECT per table as `role`
    (with whatever tenant the transaction has set), then the staging tables dropped as `owner`. Rows inserted per table."""
    inserted: dict[str, int] = {}
    if not staged:
        return inserted
    names = sql.SQL(", ").join(ident(staging) for _table, _columns, staging in staged)
    if role != owner:
        session.change(sql.SQL("GRANT SELECT ON {} TO {}").format(names, ident(role)))
    session.change(sql.SQL("SET LOCAL ROLE {}").format(ident(role)))
    for table, columns, staging in staged:
        statement = insert_select_sql(table, tables[table], columns, ident(staging))
        session.queries.append(statement.as_string(session.conn))
        with session.conn.cursor() as cur:
            cur.execute(statement)
            inserted[table] = inserted.get(table, 0) + max(cur.rowcount, 0)
    session.change(sql.SQL("SET LOCAL ROLE {}").format(ident(owner)))
    session.change(sql.SQL("DROP TABLE {}").format(names))
    return inserted


def failed_line(exc, first_lines: dict[str, int]) -> str:
    """' (line N)' of the data file when the server names the staging COPY's line that failed."""
    context = getattr(getattr(exc, "diag", None), "context", None) or ""
    for staging, first in first_lines.items():
        marker = f"COPY {staging}, line "
        if marker in context:
            number = context.split(marker, 1)[1].split(",", 1)[0].split(":", 1)[0].strip()
            if number.isdigit():
                return f" (line {first + int(number) - 1})"
    return ""


def import_sections(session, manifest: dict, data_path: str, *, role: str, owner: str, tables: dict) -> dict[str, int]:
    """Load one v2 unit, all or nothing (a savepoint): each section staged, then inserted as `role`."""
    sections = checked_sections(manifest, tables)
    tenant, where = manifest["tenant"], manifest["file"]
    first_lines: dict[str, int] = {}
    try:
        with session.conn.transaction():
            session.change(sql.SQL("SET LOCAL ROLE {}").format(ident(owner)))
            pin_settings(session)
            staged, line = [], 1
            with open(data_path, "rb") as handle:
                for number, section in enumerate(sections):
                    if not section["rows"]:
                        continue
                    staging = f"{STAGING}_{number}"
                    statement = create_staging(session, staging, section["table"], section["columns"])
                    first_lines[staging] = line
                    copied = _copy_lines(session, statement, handle, section["rows"])
                    if copied != section["rows"]:
                        raise PgError(f"{where}: section {section['table']} (from line {line}) holds {copied} rows, "
                                      f"its manifest says {section['rows']}: nothing imported")
                    staged.append((section["table"], section["columns"], staging))
                    line += copied
                if handle.read(1):
                    raise PgError(f"{where}: lines after the last section (line {line} on): nothing imported")
            if tenant is not None:
                session.read("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
            inserted = insert_staged(session, staged, tables, role=role, owner=owner)
    except psycopg.Error as exc:
        raise PgError(f"import of {where} as {role} failed, nothing of it was imported: "
                      f"{error_text(exc)}{failed_line(exc, first_lines)}") from None
    return inserted

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to the collection: versioned SQL migrations recorded with a checksum.

Files `NNNN_<name>.sql` are applied in version order, each in its own transaction as the owner
role, followed in the same transaction by the row-level-security step: a migration that adds a
tenant table commits with RLS on it, or not at all. History lives in `cf_meta.schema_migrations`,
a schema the app role cannot use. docs/database.md says why this is not yoyo or alembic.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.rls import failure_message, function_findings, rls_step
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError, error_text, ident, psycopg, sql

FILE_RE = re.compile(r"^(\d{4,})_([a-z0-9_]+)\.sql$")
HISTORY = "cf_meta.schema_migrations"
LOCK_KEY = 0x63666D67  # one advisory lock for every migration runner of a database
HISTORY_DDL = ("CREATE SCHEMA IF NOT EXISTS cf_meta",
               "CREATE TABLE IF NOT EXISTS cf_meta.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
               "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL DEFAULT session_user)")


# Statements that end or split the runner's transaction: run inside it, a COMMIT would commit what came before it
# without the RLS step (a tenant table without row level security), and what follows would run outside any transaction.
TRANSACTION_CONTROL = ("begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release")
# An escape string (E'...': a backslash escapes any character, the quote too) is matched before a word, which would
# take its E; in any other string a backslash is text (standard_conforming_strings, on since PostgreSQL 9.1; PostgreSQL
# 15 docs, sql-syntax-lexical.html, 4.1.2.2).
_TOKEN = re.compile(r"--[^\n]*|/\*|[Ee]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$|;"
                    r"|[A-Za-z_][A-Za-z0-9_$]*|\S", re.DOTALL)


def _after_block_comment(text: str, start: int) -> int:
    """Where a /* */ comment that starts at `start` ends (PostgreSQL nests them)."""
    depth, pos = 0, start
    while pos < len(text):
        if text.startswith("/*", pos):
            depth, pos = depth + 1, pos + 2
        elif text.startswith("*/", pos):
            depth, pos = depth - 1, pos + 2
            if depth == 0:
                return pos
        else:
            pos += 1
    return pos


def transaction_control(text: str) -> list[str]:
    """The statements of a migration that control the transaction ("line N: COMMIT"), found outside comments, string
    literals, quoted identifiers and dollar-quoted bodies. The END of a BEGIN ATOMIC body (an SQL-standard function
    body) is not one; PREPARE is one only as PREPARE TRANSACTION."""
    found, words, atomic, previous, pos = [], [], 0, "", 0

    def statement_end():
        nonlocal atomic
        if not words:
            return
        (first, where), second = words[0], (words[1][0] if len(words) > 1 else "")
        if first == "end" and atomic:
            atomic -= 1                      # closes a BEGIN ATOMIC body
        elif first in TRANSACTION_CONTROL and not (first == "begin" and second == "atomic") or \
                (first, second) == ("prepare", "transaction"):
            found.append(f"line {text.count(chr(10), 0, where) + 1}: {first.upper()}")
        words.clear()

    while (match := _TOKEN.search(text, pos)) is not None:
        token, pos = match.group(0), match.end()
        if token == "/*":
            pos = _after_block_comment(text, match.start())
        elif token.startswith("$") and token.endswith("$"):   # a dollar-quoted body: to its closing tag
            closing = text.find(token, pos)
            pos = len(text) if closing < 0 else closing + len(token)
        elif token == ";":
            statement_end()
        elif token[0].isalpha() or token[0] == "_":
            word = token.lower()
            if previous == "begin" and word == "atomic" and len(words) > 1:
                atomic += 1                  # CREATE FUNCTION ... BEGIN ATOMIC: its statements follow, then END
                words.clear()
                previous = word
                continue
            words.append((word, match.start()))
            previous = word
    statement_end()
    return found


def read_migrations(path: str) -> list[dict]:
    """The migration files of a directory in version order; bad names fail before any connection."""
    if not os.path.isdir(path):
        raise PgError(f"migrations directory {path!r} does not exist")
    found = {}
    for entry in sorted(os.listdir(path)):
        if not entry.endswith(".sql"):
            continue
        match = FILE_RE.match(entry)
        if not match:
            raise PgError(f"migration file {entry!r} in {path}: name it NNNN_<name>.sql (digits, then a-z, 0-9, _)")
        version = int(match.group(1))
        if version in found:
            raise PgError(f"migrations {found[version]['file']!r} and {entry!r} have the same version {version}")
        with open(os.path.join(path, entry), "rb") as handle:
            content = handle.read()
        found[version] = {"version": version, "name": match.group(2), "file": entry,
                          "checksum": "sha256:" + hashlib.sha256(content).hexdigest(), "sql": content.decode("utf-8")}
    return [found[v] for v in sorted(found)]


def pending_migrations(files: list[dict], applied: dict[int, tuple[str, str]]) -> list[dict]:
    """What is left to apply; refuses edited, vanished and out-of-order migrations."""
    by_version = {m["version"]: m for m in files}
    for version, (name, checksum) in sorted(applied.items()):
        mig = by_version.get(version)
        if mig is None:
            raise PgError(f"migration {version:04d}_{name}.sql was applied ({checksum}) but its file is gone: restore it")
        if mig["checksum"] != checksum:
            raise PgError(f"migration {mig['file']} was edited after it was applied: applied checksum {checksum}, "
                          f"file checksum {mig['checksum']}. Restore the file and put the change in a new migration")
    last = max(applied, default=0)
    pending = [m for m in files if m["version"] not in applied]
    late = [m["file"] for m in pending if m["version"] < last]
    if late:
        raise PgError(f"migration(s) {', '.join(late)} are numbered below the last applied version {last:04d}: renumber them")
    for mig in pending:
        control = transaction_control(mig["sql"])
        if control:
            raise PgError(f"migration {mig['file']} controls the transaction itself ({', '.join(control)}): each migration runs "
                          "in the runner's transaction with its row level security step, which a COMMIT would skip for what "
                          "came before it. Remove the statements (nothing was applied)")
    return pending


def read_history(session) -> dict[int, tuple[str, str]]:
    if not session.read("SELECT to_regclass(%s)", (HISTORY,))[0][0]:
        return {}
    return {v: (n, c) for v, n, c in session.read("SELECT version, name, checksum FROM cf_meta.schema_migrations")}


def migrate(session, files: list[dict], *, owner: str, app_role: str, column: str, rls_mode: str, check_mode: bool,
            history: dict[int, tuple[str, str]] | None = None) -> dict:
    """Apply what is pending, RLS step included. In check mode everything runs in one transaction that
    is rolled back, so the prediction (including an audit failure) is what a real run would do.
    `history` is read_history(session) when the caller has just read it (each read is a round trip to the server)."""
    applied_before = read_history(session) if history is None else history
    pending = pending_migrations(files, applied_before)
    set_owner = sql.SQL("SET LOCAL ROLE {}").format(ident(owner))
    outer = session.conn.transaction(force_rollback=True) if check_mode else contextlib.nullcontext()
    result = {"applied": [], "rls": None}
    with outer:
        with session.conn.transaction():
            # History table, and current_tenant_id() before any migration so that migrations can use
            # it (e.g. DEFAULT current_tenant_id(), or in a view).
            # A history with rows has its table; an empty one is looked at again inside the transaction.
            ddl = [] if applied_before or session.read("SELECT to_regclass(%s)", (HISTORY,))[0][0] else list(HISTORY_DDL)
            ddl += [f["fix"] for f in function_findings(session) if f["fix"] is not None]
            if ddl:
                session.change(set_owner)
                for statement in ddl:
                    session.change(statement)
        for mig in pending:
            result["rls"] = _apply_one(session, mig, set_owner, owner=owner, app_role=app_role, column=column, rls_mode=rls_mode)
            result["applied"].append(mig["file"])
        if not pending:  # nothing new: still prove (or restore) coverage, e.g. a table added by hand
            with session.conn.transaction():
                summary, remaining = rls_step(session, owner=owner, app_role=app_role, column=column, mode=rls_mode)
                result["rls"] = summary
                if remaining:
                    raise PgError(failure_message(session.dbname, remaining, rls_mode), rls=summary, applied=[])
    result["version"] = max([m["version"] for m in pending] + list(applied_before), default=0)
    return result


def _apply_one(session, mig: dict, set_owner, **rls) -> dict:
    with session.conn.transaction():
        session.change(set_owner)
        session.read("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        if session.read("SELECT 1 FROM cf_meta.schema_migrations WHERE version = %s", (mig["version"],)):
            return None  # another runner applied it while we waited for the lock
        session.queries.append(f"-- migration {mig['file']} ({mig['checksum']})")
        try:
            session.conn.execute(mig["sql"])
        except psycopg.Error as exc:
            position = getattr(exc.diag, "statement_position", None)
            where = f" (line {mig['sql'][:int(position)].count(chr(10)) + 1})" if position else ""
            raise PgError(f"migration {mig['file']} failed{where}, nothing of it was applied: {error_text(exc)}") from None
        if session.conn.info.transaction_status != psycopg.pq.TransactionStatus.INTRANS:   # what the scan above missed
            raise PgError(f"migration {mig['file']} ended the runner's transaction itself: what it did before that is "
                          "committed without the row level security step. Run postgresql_rls (mode=enforce) on this "
                          "database now, and take the transaction control out of the file")
        summary, remaining = rls_step(session, owner=rls["owner"], app_role=rls["app_role"], column=rls["column"],
                                      mode=rls["rls_mode"])
        if remaining:
            raise PgError(f"migration {mig['file']} rolled back: " + failure_message(session.dbname, remaining, rls["rls_mode"]),
                          rls=summary)
        session.change(sql.SQL("SET LOCAL ROLE {}").format(ident(rls["owner"])))
        session.change("INSERT INTO cf_meta.schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                       (mig["version"], mig["name"], mig["checksum"]))
        return summary

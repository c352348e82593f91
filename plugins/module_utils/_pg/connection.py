# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to the collection: PostgreSQL connections for the postgresql_* modules (psycopg 3).

Rules every caller follows: identifiers go through `ident()` (psycopg.sql.Identifier), values
are bound as parameters. The one exception is a role password in CREATE/ALTER ROLE (utility
statements take no bind parameters): it is encrypted client side (SCRAM) and sent as a quoted
literal, and `queries` shows it masked.
"""
from __future__ import annotations

import re
import threading
from typing import Any, Iterable

try:
    import psycopg
    from psycopg import sql
except ImportError as _exc:  # the import sanity test runs without psycopg
    psycopg = None
    sql = None
    PSYCOPG_IMPORT_ERROR: Exception | None = _exc
else:
    PSYCOPG_IMPORT_ERROR = None

PSYCOPG_MISSING = "the Python package psycopg 3 is required on the host that runs this module: pip install 'psycopg[binary]'"
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# A conservative identifier rule: what the tier's names use, and nothing that needs quoting
# to read right in logs. Quoting still happens for every identifier.
IDENTIFIER_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
MASK = "********"

CONNECTION_ARGSPEC: dict[str, dict[str, Any]] = {
    "login_host": {"type": "str", "required": True},
    "login_port": {"type": "int", "default": 5432},
    "login_user": {"type": "str", "required": True},
    "login_password": {"type": "str", "required": True, "no_log": True},
    "ssl_mode": {"type": "str", "default": "require", "choices": list(SSL_MODES)},
    "ssl_rootcert": {"type": "path"},
    "connect_timeout": {"type": "int", "default": 10},
}


class PgError(Exception):
    """An error to show the user as is (no traceback); never contains a password.

    Keyword arguments become extra keys of the failed result (e.g. the audit's findings).
    """

    def __init__(self, message: str, **result) -> None:
        super().__init__(message)
        self.result = result


def require_psycopg() -> None:
    if PSYCOPG_IMPORT_ERROR is not None:
        raise PgError(PSYCOPG_MISSING)


def check_identifier(value: str, what: str) -> str:
    """Fail early on a name that is not a plain lower-case PostgreSQL identifier."""
    if not isinstance(value, str) or not IDENTIFIER_RE.match(value):
        raise PgError(f"invalid {what} {value!r}: use 1-63 characters a-z, 0-9 and _, starting with a letter or _")
    return value


def ident(*names: str):
    return sql.Identifier(*names)


def connect(params: dict, dbname: str, *, autocommit: bool = True):
    """Connect with the module's connection options; errors become PgError with libpq's message."""
    require_psycopg()
    kwargs = {"host": params["login_host"], "port": params["login_port"], "user": params["login_user"],
              "password": params["login_password"], "dbname": dbname, "sslmode": params["ssl_mode"],
              "connect_timeout": params.get("connect_timeout") or 10, "application_name": "complianceflow.infra"}
    if params.get("ssl_rootcert"):
        kwargs["sslrootcert"] = params["ssl_rootcert"]
    try:
        return psycopg.connect(autocommit=autocommit, **kwargs)
    except psycopg.Error as exc:
        message = str(exc).strip().replace(params["login_password"] or MASK, MASK)
        raise PgError(f"cannot connect to database {dbname!r} at {params['login_host']}:{params['login_port']} "
                      f"as {params['login_user']!r} (ssl_mode={params['ssl_mode']}): {message}") from None


def existing_databases(conn, names: Iterable[str]) -> list[str]:
    """Which of `names` exist on the server of `conn` (a psycopg connection), in the order given: one query."""
    names = list(names)
    try:
        found = {row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname = ANY(%s)", (names,))}
    except psycopg.Error as exc:
        raise PgError(f"cannot list the server's databases: {error_text(exc)}") from None
    return [name for name in names if name in found]


class ConnectAhead:
    """Connections to a step's databases, the next one opened while the one before it is worked on.

    A new connection costs a TCP, a TLS and a SCRAM exchange, about four round trips, before its first
    statement: from a controller 30 ms away from its server, about 0.1 s for each database of each step.
    `take(name)` returns the connection to `name` and starts opening the one after it in `order` (only
    that one) in a thread. Nothing runs in a database before `take` hands it out, so a step's order and
    its stop at a failed database are unchanged; `close()` closes what was opened and not taken (after a
    failure, the next database's connection, unused). A failed connection is raised by `take`, as
    `connect` raises it.
    """

    def __init__(self, params: dict, order: Iterable[str]) -> None:
        self._params, self._order = params, list(order)
        self._opening: dict[str, _Opening] = {}

    def take(self, dbname: str):
        following = self._order.index(dbname) + 1 if dbname in self._order else len(self._order)
        if following < len(self._order) and self._order[following] not in self._opening:
            name = self._order[following]
            self._opening[name] = _Opening(self._params, name)
        opening = self._opening.pop(dbname, None)
        return opening.result() if opening else connect(self._params, dbname)

    def close(self) -> None:
        """Wait for a connection still being opened (connect_timeout bounds it) and close what was not taken."""
        for opening in self._opening.values():
            opening.discard()
        self._opening.clear()


class _Opening:
    """One connection opened in a thread of its own; its error is kept for `result()`."""

    def __init__(self, params: dict, dbname: str) -> None:
        self._conn, self._error = None, None
        self._thread = threading.Thread(target=self._run, args=(params, dbname), name="pg-connect-ahead", daemon=True)
        self._thread.start()

    def _run(self, params: dict, dbname: str) -> None:
        try:
            self._conn = connect(params, dbname)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # re-raised by result() in the caller's thread
            self._error = exc

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._conn

    def discard(self) -> None:
        self._thread.join()
        if self._conn is not None:
            self._conn.close()


class Session:
    """One connection plus the query recorder behind the `queries` return value.

    `read()` runs always and is not recorded. `change()` is recorded and runs unless in check
    mode. Recorded text is the statement with placeholders, never the bound values.
    """

    def __init__(self, conn, queries: list[str], check_mode: bool = False) -> None:
        self.conn = conn
        self.queries = queries
        self.check_mode = check_mode

    @property
    def dbname(self) -> str:
        return self.conn.info.dbname

    def _text(self, query) -> str:
        return query if isinstance(query, str) else query.as_string(self.conn)

    def read(self, query, params: Iterable | dict | None = None) -> list[tuple]:
        try:
            cur = self.conn.execute(query, params)
            return cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            raise PgError(f"{self.dbname}: {error_text(exc)} (in: {self._text(query)})") from None

    def change(self, query, params: Iterable | dict | None = None, *, shown: str | None = None) -> None:
        self.queries.append(shown or self._text(query))
        if self.check_mode:
            return
        try:
            self.conn.execute(query, params)
        except psycopg.Error as exc:
            raise PgError(f"{self.dbname}: {error_text(exc)} (in: {shown or self._text(query)})") from None

    def close(self) -> None:
        self.conn.close()


def error_text(exc: Exception) -> str:
    """The server's message (first line + detail/hint) without psycopg's class noise."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag else None
    text = primary or str(exc).strip().splitlines()[0]
    for extra in ("message_detail", "message_hint"):
        value = getattr(diag, extra, None) if diag else None
        if value:
            text += f" ({value})"
    return text


def encrypted_password(conn, password: str, role: str) -> str:
    """The SCRAM verifier of a password: the clear text never reaches server logs."""
    return conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()


def password_clause(conn, password: str, role: str):
    """(SQL fragment, masked text) for `PASSWORD '<verifier>'`."""
    return sql.SQL("PASSWORD {}").format(sql.Literal(encrypted_password(conn, password, role))), f"PASSWORD '{MASK}'"

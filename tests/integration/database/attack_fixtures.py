"""Fixtures of the cross-tenant attack suite (tests/integration/database/test_attack_*.py).

The database under attack is prepared once per test session, on a cluster of its own, by the
collection itself: playbooks/seed.yml (the roles database_setup, database_schema and
database_seed) through the real ansible-playbook, exactly as an operator would run it. The attacks
then connect as the app role of each database, like a service behind the pooler.

Ground truth comes from the seed files, never from the database under attack: "what tenant X
owns" is what data/seed/<db>.yml says it owns. A victim's data is
compared before/after an attack through the victim's own view (app role, victim tenant set).

Usage in a test module:
    from attack_fixtures import attack_tier  # noqa: F401  (pytest fixture)
"""
from __future__ import annotations

import contextlib
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import psycopg
import psycopg.types.json
import pytest
import yaml
from psycopg import sql

from ansible_run import JSON_CALLBACK_ENV
from pg import connect, start_cluster

REPO = Path(__file__).resolve().parents[3]
SEED_DIR = REPO / "data" / "seed"
MIGRATIONS_DIR = REPO / "roles" / "database_schema" / "files" / "migrations"
GLOBAL_DATABASES = ["tenant_registry", "master_data", "global_config"]
REGIONAL_DATABASES = ["user_service", "form_service", "rule_service", "declaration_service", "review_service",
                      "case_service", "notification_service", "analytics_service"]
DATABASES = GLOBAL_DATABASES + REGIONAL_DATABASES
PLAYBOOK_ENV = JSON_CALLBACK_ENV


def load_seed(database: str) -> dict[str, list[dict]]:
    """{table: rows} of a seed file, in file order."""
    data = yaml.safe_load((SEED_DIR / f"{database}.yml").read_text(encoding="utf-8"))
    return {entry["table"]: entry["rows"] for entry in data["tables"]}


TENANTS = {row["slug"]: row["id"] for row in load_seed("tenant_registry")["tenants"]}
ACME, CONTOSO, FABRIKAM = TENANTS["acme"], TENANTS["contoso"], TENANTS["fabrikam"]
NOBODY = str(uuid.UUID(int=0x0BADC0DE))  # a well-formed tenant id that owns nothing


def seeded(database: str, table: str, tenant: str | None = None) -> list[dict]:
    """Rows the seed file gives `table` (of one tenant when given)."""
    rows = load_seed(database).get(table, [])
    return [r for r in rows if tenant is None or r.get("tenant_id") == tenant]


@dataclass
class Tier:
    """The prepared databases and how to reach them as each role."""

    cluster: object
    app_password: str
    opened: list = field(default_factory=list)

    def app(self, database: str, **kwargs) -> psycopg.Connection:
        """A new autocommit connection as <database>_app (closed at the end of the test)."""
        conn = connect(self.cluster, database, user=f"{database}_app", password=self.app_password, **kwargs)
        self.opened.append(conn)
        return conn

    def admin(self, database: str = "postgres") -> psycopg.Connection:
        conn = connect(self.cluster, database)
        self.opened.append(conn)
        return conn

    def tenant_tables(self, database: str) -> list[str]:
        """Every table (partitions and partitioned parents included) with a tenant_id column."""
        with connect(self.cluster, database) as conn:
            rows = conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
                " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')"
                " AND a.attname = 'tenant_id' AND NOT a.attisdropped ORDER BY 1").fetchall()
        return [name for (name,) in rows]

    def snapshot(self, database: str, tenant: str) -> dict[str, list[tuple]]:
        """What `tenant` itself sees in every tenant table: the victim's view, before/after an attack."""
        conn = self.app(database)
        found = {}
        with as_tenant(conn, tenant):
            for table in self.tenant_tables(database):
                query = sql.SQL("SELECT * FROM {} ORDER BY id").format(sql.Identifier(table))
                found[table] = conn.execute(query).fetchall()
        conn.close()
        return found

    def close(self) -> None:
        while self.opened:
            self.opened.pop().close()


@contextlib.contextmanager
def as_tenant(conn: psycopg.Connection, tenant: str | None) -> Iterator[psycopg.Connection]:
    """One transaction with the tenant set the documented way (set_config(..., true))."""
    with conn.transaction():
        if tenant is not None:
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        yield conn


@contextlib.contextmanager
def rolled_back(conn: psycopg.Connection, tenant: str | None) -> Iterator[psycopg.Connection]:
    """Like as_tenant, but always rolled back: attacks that succeed on own rows leave no trace."""
    with conn.transaction(force_rollback=True):
        if tenant is not None:
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        yield conn


def expect_error(conn: psycopg.Connection, statement, params=None, *, sqlstate: str | None) -> psycopg.Error:
    """Run one statement (in a savepoint when inside a transaction) and return the error it must raise."""
    with pytest.raises(psycopg.Error) as caught:
        with conn.transaction():
            conn.execute(statement, params)
    assert sqlstate is None or caught.value.sqlstate == sqlstate, f"expected SQLSTATE {sqlstate}, got {caught.value.sqlstate}: {caught.value}"
    return caught.value


def insert(table: str, row: dict, suffix: str = ""):
    """(statement, values) inserting one seed-style row; mappings go to json columns."""
    stmt = sql.SQL("INSERT INTO {} ({}) VALUES ({})" + suffix).format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, row)), sql.SQL(", ").join(sql.Placeholder() * len(row)))
    return stmt, [psycopg.types.json.Jsonb(v) if isinstance(v, dict) else v for v in row.values()]


def victim_row(database: str, table: str, victim: str, **changes) -> dict:
    """A copy of one seeded row of `victim` with some columns changed."""
    row = dict(seeded(database, table, victim)[0])
    row.update(changes)
    return row


def _prepare_with_roles(cluster, password: str) -> None:
    """Prepare every database as an operator would: playbooks/seed.yml (roles database_setup,
    database_schema, database_seed) through the real ansible-playbook."""
    from ansible_run import run_playbook

    extra = {"postgresql_login_host": cluster.host, "postgresql_login_port": cluster.port,
             "postgresql_login_user": cluster.admin_user, "postgresql_login_password": cluster.admin_password,
             "postgresql_ssl_mode": "disable", "postgresql_app_password": password,
             "deployment_plan": {"databases": DATABASES}}
    run = run_playbook(REPO / "playbooks" / "seed.yml", extra_vars=extra, env=PLAYBOOK_ENV)
    assert run.rc == 0, f"preparing the databases failed:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"


_STATE: dict = {}


def _session_tier(config) -> Tier:
    """One prepared cluster per pytest process, whichever test module asks first."""
    if "tier" not in _STATE:
        cluster = start_cluster("attack")
        config.add_cleanup(lambda: cluster.stop(remove=True))
        password = secrets.token_urlsafe(18)
        _prepare_with_roles(cluster, password)
        tier = Tier(cluster, password)
        config.add_cleanup(tier.close)
        _STATE["tier"] = tier
    return _STATE["tier"]


@pytest.fixture()
def attack_tier(request) -> Iterator[Tier]:
    tier = _session_tier(request.config)
    yield tier
    tier.close()

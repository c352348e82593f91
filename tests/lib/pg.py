"""pytest helpers around tools/local_postgres.py: throwaway clusters and connections.

    from pg import cluster_fixture, connect, module_args, tenant_transaction
    pg_cluster = cluster_fixture()            # in a conftest: session-scoped running cluster

Every cluster mirrors Azure Flexible Server: the only TCP login is an admin with LOGIN CREATEDB
CREATEROLE (no superuser). Clusters live under <repo>/.tmp/ (the postgres OS user must be able
to traverse the path, which pytest's tmp_path under /tmp/pytest-of-root does not allow).
"""
from __future__ import annotations

import contextlib
import itertools
import os
import sys
import uuid
from pathlib import Path
from typing import Iterator

import psycopg
import pytest
from ansible_run import JSON_CALLBACK_ENV  # noqa: F401  (re-exported for the database tests)

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import local_postgres  # noqa: E402  (tools/ is not a package)

Cluster = local_postgres.Cluster
_counter = itertools.count(1)


def start_cluster(name: str = "pytest", *, tls: bool = False, durable: bool = False) -> Cluster:
    """Start a fresh cluster under .tmp/pg-<name>-<pid>-<n>; the caller stops it (cluster.stop(remove=True))."""
    base = REPO / ".tmp" / f"pg-{name}-{os.getpid()}-{next(_counter)}"
    if base.exists():
        local_postgres.stop(base, remove=True)
    return local_postgres.start(base, tls=tls, durable=durable)


def cluster_fixture(*, tls: bool = False, scope: str = "session", name: str = "pytest"):
    """A pytest fixture (assign it to a name in a conftest) yielding a running Cluster."""

    @pytest.fixture(scope=scope)
    def _fixture() -> Iterator[Cluster]:
        cluster = start_cluster(name, tls=tls)
        try:
            yield cluster
        finally:
            cluster.stop(remove=True)

    return _fixture


def connect(cluster: Cluster, dbname: str = "postgres", *, user: str | None = None, password: str | None = None,
            autocommit: bool = True, **kwargs) -> psycopg.Connection:
    """A psycopg connection; admin unless user/password are given. Autocommit by default so
    that every test decides its own transactions (like an app behind a transaction pooler)."""
    info = cluster.conninfo(dbname, user=user, password=password)
    info.update(kwargs)
    return psycopg.connect(autocommit=autocommit, **info)


@contextlib.contextmanager
def tenant_transaction(conn: psycopg.Connection, tenant_id: str | None) -> Iterator[psycopg.Connection]:
    """One transaction with app.tenant_id set the documented way: set_config(..., true)."""
    with conn.transaction():
        if tenant_id is not None:
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant_id),))
        yield conn


def module_args(cluster: Cluster) -> dict:
    """The connection options every complianceflow.infra.postgresql_* module takes."""
    args = {"login_host": cluster.host, "login_port": cluster.port, "login_user": cluster.admin_user,
            "login_password": cluster.admin_password, "ssl_mode": "require" if cluster.tls else "disable"}
    if cluster.ssl_rootcert:
        args["ssl_rootcert"] = cluster.ssl_rootcert
    return args


def unique_name(prefix: str = "t") -> str:
    """A fresh lower-case identifier (database or role name) for one test."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def run_module(module: str, args: dict, *, check: bool = False, diff: bool = False, verbosity: int = 0,
               extra_vars: dict | None = None):
    """Run one complianceflow.infra.<module> task through ansible-playbook; returns (run, result).

    The task is named "under test"; args are embedded as JSON (valid YAML) so no quoting games.
    """
    import json

    from ansible_run import run_playbook

    play = ("- hosts: localhost\n  gather_facts: false\n  connection: local\n  tasks:\n"
            f"    - name: under test\n      complianceflow.infra.{module}: {json.dumps(args)}\n")
    run = run_playbook(play, check=check, diff=diff, verbosity=verbosity, extra_vars=extra_vars,
                       json_output=verbosity == 0, env=JSON_CALLBACK_ENV if verbosity == 0 else None)
    result = run.result("under test") if verbosity == 0 else {}
    return run, result

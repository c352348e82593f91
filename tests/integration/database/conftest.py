"""Database-tier fixtures: one throwaway PostgreSQL 15 per test session (see tests/lib/pg.py).

Fixtures:
  pg_cluster     running Cluster (host, port, admin_user, admin_password, conninfo(), ...)
                 whose only TCP login is an admin with LOGIN CREATEDB CREATEROLE (no superuser)
  pg_admin       autocommit psycopg connection to the `postgres` database as that admin
  pg_args        the connection options of the complianceflow.infra.postgresql_* modules
"""
from __future__ import annotations

import pytest
from pg import cluster_fixture, connect, module_args

pg_cluster = cluster_fixture(name="db")


@pytest.fixture()
def pg_admin(pg_cluster):
    with connect(pg_cluster) as conn:
        yield conn


@pytest.fixture()
def pg_args(pg_cluster):
    return module_args(pg_cluster)

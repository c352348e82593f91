"""The throwaway cluster really mirrors Azure Flexible Server's admin: no superuser anywhere on TCP."""
from __future__ import annotations

import psycopg
import pytest
from pg import connect, start_cluster


def test_admin_has_only_createdb_createrole(pg_admin):
    row = pg_admin.execute("SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolreplication "
                           "FROM pg_roles WHERE rolname = current_user").fetchone()
    assert row == (False, True, True, False, False)


def test_bootstrap_superuser_unreachable_over_tcp(pg_cluster):
    with pytest.raises(psycopg.OperationalError, match="authentication failed"):
        connect(pg_cluster, user="postgres", password="postgres")


def test_tls_cluster_requires_tls_and_verifies():
    cluster = start_cluster("tls", tls=True)
    try:
        with connect(cluster, sslmode="verify-full", sslrootcert=cluster.ssl_rootcert) as conn:
            assert conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone() == (True,)
        with pytest.raises(psycopg.OperationalError, match="no encryption"):
            connect(cluster, sslmode="disable")
    finally:
        cluster.stop(remove=True)

"""The throwaway cluster really mirrors Azure Flexible Server's admin: no superuser anywhere on TCP; pgaudit
loaded and an extension allow-list, as a server the postgresql_server role configured."""
from __future__ import annotations

import uuid
from pathlib import Path

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


def test_pgaudit_loaded_and_the_admin_creates_allow_listed_extensions_only(pg_cluster, pg_admin):
    """As on Azure: pgaudit preloaded; the admin (no superuser) creates an allow-listed extension
    (azure.extensions there, pgextwlist's extwlist.extensions here) and no other untrusted one."""
    assert pg_admin.execute("SHOW extwlist.extensions").fetchone() == ("pgaudit,pg_stat_statements,pgcrypto,uuid-ossp",)
    name = f"harness_{uuid.uuid4().hex[:8]}"
    pg_admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with connect(pg_cluster, name) as conn:
            conn.execute("CREATE EXTENSION pgaudit")
            assert conn.execute("SELECT extname FROM pg_extension WHERE extname = 'pgaudit'").fetchone() == ("pgaudit",)
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="file_fdw"):
                conn.execute("CREATE EXTENSION file_fdw")  # untrusted and not allow-listed
    finally:
        pg_admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_only_the_platform_login_sets_audit_parameters_and_nothing_else(pg_cluster, pg_admin):
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="pgaudit.log"):
        pg_admin.execute("ALTER SYSTEM SET pgaudit.log = 'all'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="pgaudit.log"):
        pg_admin.execute("SET pgaudit.log = 'none'")  # a session cannot switch its own audit off
    password = Path(pg_cluster.platform_password_file).read_text(encoding="utf-8").strip()
    with connect(pg_cluster, user=pg_cluster.platform_user, password=password) as platform:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="log_min_messages"):
            platform.execute("ALTER SYSTEM SET log_min_messages = 'debug5'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            platform.execute("CREATE DATABASE harness_platform")
        platform.execute("ALTER SYSTEM SET pgaudit.log_relation = 'on'")
        platform.execute("ALTER SYSTEM RESET pgaudit.log_relation")

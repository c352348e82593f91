# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to the collection: the AnsibleModule glue shared by every postgresql_* module."""
from __future__ import annotations

from typing import Callable

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import (
    CONNECTION_ARGSPEC,
    PgError,
    check_identifier,
    connect,
    existing_databases,
    require_psycopg,
)

# Options of the modules that work inside one tier database (doc fragment postgresql.DATABASE).
DATABASE_ARGSPEC = {
    "database": {"type": "str", "required": True},
    "owner": {"type": "str"},
    "app_role": {"type": "str"},
    "tenant_column": {"type": "str", "default": "tenant_id"},
}


def database_roles(params: dict) -> tuple[str, str, str, str]:
    """(database, owner, app role, tenant column) with the naming defaults, all validated."""
    database = check_identifier(params["database"], "database name")
    owner = check_identifier(params["owner"] or f"{database}_owner", "owner role name")
    app = check_identifier(params["app_role"] or f"{database}_app", "app role name")
    return database, owner, app, check_identifier(params["tenant_column"], "tenant column name")


def run_pg_module(argument_spec: dict, runner: Callable[[AnsibleModule, list], dict], **module_kwargs) -> None:
    """Build the module (connection options + its own), run `runner(module, queries)`.

    `runner` returns the result dict (changed, diff, ...). A PgError becomes fail_json with the
    message and the queries recorded so far; nothing else is caught, so a real bug still shows.
    """
    module = AnsibleModule(argument_spec={**CONNECTION_ARGSPEC, **argument_spec}, supports_check_mode=True,
                           **module_kwargs)
    queries: list[str] = []
    try:
        require_psycopg()
        result = runner(module, queries)
    except PgError as exc:
        module.fail_json(msg=str(exc), queries=queries, **exc.result)
    result.setdefault("queries", queries)
    module.exit_json(**result)


def absent_in_check_mode(module: AnsibleModule, database: str) -> bool:
    """In check mode, a database that postgresql_tier has not created yet (it would have, in a real
    run) cannot be connected to: callers then predict 'everything would change' instead of failing."""
    return module.check_mode and database in absent_databases(module, [database])


def absent_databases(module: AnsibleModule, databases: list[str]) -> set[str]:
    """Which of `databases` do not exist (one query for all of them)."""
    conn = connect(module.params, "postgres")
    try:
        found = existing_databases(conn, databases)
    finally:
        conn.close()
    return set(databases) - set(found)

#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_tier
short_description: Databases of a tier with their owner and app roles
version_added: 1.0.0
description:
  - Creates (or drops) the databases of a ComplianceFlow database tier. Per database it manages an owner role (NOLOGIN; owns
    the database, its C(public) schema and every object) and an app role (LOGIN, NOBYPASSRLS, NOINHERIT, member of nothing).
  - The app role gets exactly C(CONNECT) on its database, C(USAGE) on the schema, C(SELECT, INSERT, UPDATE, DELETE) on every
    table and C(USAGE, SELECT) on every sequence, and the same through default privileges for objects the owner creates later.
    C(TRUNCATE), C(REFERENCES) and C(TRIGGER) are revoked wherever found. C(PUBLIC) loses C(CONNECT) on the database and every
    privilege on the schema.
  - Works with an admin that has only C(CREATEDB CREATEROLE) (Azure Flexible Server). The admin is granted membership in each
    owner role, and everything inside a database runs as the owner through C(SET LOCAL ROLE).
  - With O(extensions), creates those extensions in every database that lacks them (C(CREATE EXTENSION IF NOT EXISTS), as the
    admin itself), for example V(pgaudit), whose event triggers give the audit log the type and name of DDL objects.
  - The databases are handled one after another in list order, a failure stopping at that database; with O(databases_at_once)
    above 1, that many side by side, each with two connections of its own (one to C(postgres) for its roles and the database,
    one inside the database).
author: ComplianceFlow Platform Team (@complianceflow)
extends_documentation_fragment:
  - complianceflow.infra.postgresql
  - complianceflow.infra.postgresql.databases_at_once
  - complianceflow.infra.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
    details: With O(update_password=always) and a password given, every run reports a change (a password cannot be compared).
options:
  databases:
    description: The databases of the tier.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Database name (lower case letters, digits, C(_)).
        type: str
        required: true
      owner:
        description: Owner role. Defaults to C(<name>_owner).
        type: str
      app_role:
        description: App role. Defaults to C(<name>_app).
        type: str
      app_password:
        description: Password of the app role (sent as a SCRAM verifier computed on the controller).
        type: str
      app_timeouts:
        description:
          - Session bounds of the app role in this database, set with C(ALTER ROLE <app> IN DATABASE <name> SET) and so
            applied to every new login of the app role there (not to the admin's C(SET ROLE) sessions of seed and import).
          - An app role session then does not wait for a lock, run a statement or sit idle inside a transaction longer than
            this unless it changes them itself with C(SET), so they bound accidents and the waits of other tenants' requests (see
            the C(LOCK TABLE) case in C(docs/database-security.md)), not a hostile session.
          - Values are PostgreSQL durations (V(250ms), V(3s), V(2min), V(1h); a bare number is milliseconds; V(0) means no
            limit). Values are compared in milliseconds, so V(3000ms) and V(3s) are the same. Omitted keys take the default.
        type: dict
        suboptions:
          lock_timeout:
            description: Longest wait for a lock.
            type: str
            default: 3s
          statement_timeout:
            description: Longest run of one statement.
            type: str
            default: 30s
          idle_in_transaction_session_timeout:
            description: Longest idle time inside an open transaction before the server ends the session.
            type: str
            default: 60s
  schema:
    description: Schema that holds the objects.
    type: str
    default: public
  extensions:
    description:
      - Extensions to create in every database of the list (O(state=present) only), in their default schema. An existing one is
        left as it is (its version is not compared); one not listed is never dropped.
      - "On Azure an extension must first be allow-listed in the server parameter C(azure.extensions), one that needs it loaded
        through C(shared_preload_libraries) (which takes a restart), and the user that creates it must be a member of
        C(azure_pg_admin), as the server's administrator is; the statement runs as the admin, not as the owner role. See
        U(https://learn.microsoft.com/azure/postgresql/extensions/how-to-allow-extensions). An extension that is not
        allow-listed, or C(pgaudit) before the restart that loads it, fails with the server's message naming the database."
      - Names are lower case letters, digits, C(_) and C(-) (for example V(uuid-ossp)).
    type: list
    elements: str
    default: []
  update_password:
    description: V(on_create) sets O(databases[].app_password) only when the role is created; V(always) sets it on every run.
    type: str
    default: on_create
    choices: [on_create, always]
  state:
    description: V(absent) drops the databases and both roles of each (teardown).
    type: str
    default: present
    choices: [present, absent]
"""

EXAMPLES = r"""
- name: Databases and roles of a regional tier
  complianceflow.infra.postgresql_tier:
    login_host: psql-cf-westeu-dev-1.postgres.database.azure.com
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    databases:
      - name: user_service
        app_password: "{{ user_service_app_password }}"
      - name: form_service
        app_password: "{{ form_service_app_password }}"
        app_timeouts:  # reports run longer than the 30s default; the others keep theirs
          statement_timeout: 2min

- name: The same databases with pgaudit created in each (allow-listed, preloaded and restarted by postgresql_flexible_server)
  complianceflow.infra.postgresql_tier:
    login_host: psql-cf-westeu-dev-1.postgres.database.azure.com
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    extensions: [pgaudit]
    databases:
      - name: user_service
      - name: form_service
"""

RETURN = r"""
databases:
  description:
    - Per database the names used, whether this run changed (in check mode, would change) anything of it, and whether
      the database existed before the run (C(existed); a check-mode run with O(state=absent) lists what exists
      without dropping anything).
    - C(extensions_created) lists the extensions of O(extensions) this run created in that database (in check mode, would
      create); empty when they all existed, and with O(state=absent).
  returned: always
  type: list
  elements: dict
  sample: [{name: user_service, owner: user_service_owner, app_role: user_service_app, changed: false, existed: true,
            extensions_created: []}]
queries:
  description: Statements that changed something (in check mode, that would have), with placeholders instead of values.
  returned: always
  type: list
  elements: str
  sample: ['CREATE ROLE "user_service_owner" NOLOGIN NOBYPASSRLS', 'CREATE DATABASE "user_service" OWNER "user_service_owner"',
           'CREATE EXTENSION IF NOT EXISTS "pgaudit"']
diff:
  description:
    - Per database the observed state before and the wanted state after; C(extensions) lists the extensions of O(extensions)
      present before and wanted after.
  returned: when changed and in diff mode
  type: dict
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.module import run_pg_module
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.tier import (
    ensure_absent,
    ensure_present,
    normalize_databases,
)
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import (
    ConnectAhead,
    PgError,
    Session,
    check_identifier,
    connect,
    existing_databases,
)
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.multi import (
    WRITING_OPTIONS,
    at_once_failure,
    at_once_in_list_order,
    databases_at_once,
)

ARGUMENT_SPEC = {
    "databases": {"type": "list", "elements": "dict", "required": True, "options": {
        "name": {"type": "str", "required": True},
        "owner": {"type": "str"},
        "app_role": {"type": "str"},
        "app_password": {"type": "str", "no_log": True},
        "app_timeouts": {"type": "dict", "options": {
            "lock_timeout": {"type": "str", "default": "3s"},
            "statement_timeout": {"type": "str", "default": "30s"},
            "idle_in_transaction_session_timeout": {"type": "str", "default": "60s"},
        }},
    }},
    "schema": {"type": "str", "default": "public"},
    "extensions": {"type": "list", "elements": "str", "default": []},
    "update_password": {"type": "str", "default": "on_create", "choices": ["on_create", "always"], "no_log": False},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    **WRITING_OPTIONS,
}


def run(module, queries):
    params = module.params
    databases = normalize_databases(params["databases"], params["extensions"] if params["state"] == "present" else [])
    check_identifier(params["schema"], "schema name")
    at_once = databases_at_once(params)
    before, after, changed = {}, {}, {}
    if at_once > 1 and len(databases) > 1:
        _at_once(module, queries, databases, at_once, (before, after, changed))
    else:
        _one_after_another(module, queries, databases, (before, after, changed))
    result = {"changed": bool(queries), "databases": [_outcome(db, before, changed) for db in databases]}
    if module._diff and queries:
        result["diff"] = {"before": before, "after": after}
    return result


def _one_database(module, admin: Session, db: dict, connect_to=None) -> tuple[dict, dict]:
    params = module.params
    if params["state"] == "present":
        return ensure_present(admin, db, params["schema"], params, params["update_password"], connect_to=connect_to)
    return ensure_absent(admin, db)


def _one_after_another(module, queries, databases, found) -> None:
    params, (before, after, changed) = module.params, found
    admin = Session(connect(params, "postgres"), queries, check_mode=module.check_mode)
    ahead = ConnectAhead(params, [])
    try:
        if params["state"] == "present":  # the databases that exist already, each opened while the one before it is worked on
            ahead = ConnectAhead(params, existing_databases(admin.conn, [db["name"] for db in databases]))
        for db in databases:
            done = len(queries)
            before[db["name"]], after[db["name"]] = _one_database(module, admin, db, connect_to=ahead.take)
            changed[db["name"]] = len(queries) > done
    finally:
        ahead.close()
        admin.close()


def _at_once(module, queries, databases, at_once: int, found) -> None:
    """Up to at_once databases side by side, each with its own connections (databases_at_once); none started after a failure."""
    before, after, changed = found
    own: list[list[str]] = [[] for _db in databases]
    failed: dict[int, str] = {}

    def one(index: int) -> bool:
        db = databases[index]
        try:
            admin = Session(connect(module.params, "postgres"), own[index], check_mode=module.check_mode)
            try:
                before[db["name"]], after[db["name"]] = _one_database(module, admin, db)
            finally:
                admin.close()
        except PgError as exc:
            failed[index] = str(exc)
            return False
        changed[db["name"]] = bool(own[index])
        return True

    started = at_once_in_list_order(len(databases), at_once, one)
    for index, statements in enumerate(own):
        queries.extend(statements)
    if failed:
        outcomes = [{"name": db["name"], "failed": True, "msg": failed[i], "queries": own[i]} if i in failed
                    else {**_outcome(db, before, changed), "queries": own[i]}
                    for i, db in enumerate(databases) if started[i]]
        raise PgError(at_once_failure([db["name"] for db in databases], started, failed), databases=outcomes,
                      changed=bool(queries) and not module.check_mode)


def _outcome(db: dict, before: dict, changed: dict) -> dict:
    return {**{k: db[k] for k in ("name", "owner", "app_role")}, "changed": changed[db["name"]],
            "existed": before[db["name"]]["exists"],
            "extensions_created": [e for e in db["extensions"] if e not in before[db["name"]].get("extensions", [])]}


def main():
    run_pg_module(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()

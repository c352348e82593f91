#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_migrations
short_description: Apply versioned SQL migrations to a tier database, with row-level security after each
version_added: 1.0.0
description:
  - Applies the files C(NNNN_<name>.sql) of O(path) in version order, each in its own transaction as the owner role, and records
    version, name and SHA-256 checksum in C(cf_meta.schema_migrations) (a schema the app role cannot use).
  - A re-run applies nothing. A migration that was edited after it was applied, whose file vanished, or that is numbered below
    the last applied version is refused with an error naming the file (and both checksums), before anything runs.
  - In the same transaction as each migration, the row level security step of M(complianceflow.infra.postgresql_rls) runs
    (O(rls_mode)); if a problem remains, the migration is rolled back and the run fails. A table added by a later migration is
    therefore covered, or never committed. With nothing to apply, the step still runs (and fails on problems).
  - Files must not contain C(BEGIN)/C(COMMIT), nor statements that cannot run in a transaction (C(CREATE INDEX CONCURRENTLY)).
  - In check mode the pending migrations and the RLS step really run inside one transaction that is rolled back, so the
    prediction, failures included, is what a real run would do.
  - With O(databases), one invocation migrates several databases in list order (or O(databases_at_once) side by side); every
    directory is read and checked before the first connection, and a failure leaves the databases before it migrated.
author: ComplianceFlow Platform Team (@complianceflow)
extends_documentation_fragment:
  - complianceflow.infra.postgresql
  - complianceflow.infra.postgresql.databases
  - complianceflow.infra.postgresql.databases_at_once
  - complianceflow.infra.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  path:
    description:
      - Directory with the migration files of O(database).
      - Required with O(database); with O(databases) each entry has its own C(path).
    type: path
  databases:
    description:
      - Several tier databases in one invocation (the list form), migrated one after another in list order (or
        O(databases_at_once) side by side), each exactly as O(database) would be (each migration its own transaction).
      - Every entry is validated (names, migration file names and versions) before the first connection, so a bad entry fails
        before anything is done to any database.
      - A failure stops the run at that database (O(databases_at_once) says what stops when several run at once); the databases
        before it stay migrated. The failure message names the database and the ones done before it, and RV(databases) holds
        the result of each (with O(databases_at_once) above 1, of each database started).
      - Mutually exclusive with O(database), O(path), O(owner) and O(app_role).
    type: list
    elements: dict
    suboptions:
      name:
        description: The database.
        type: str
        required: true
      path:
        description: Directory with the migration files of this database.
        type: path
        required: true
      owner:
        description: Owner role. Defaults to C(<name>_owner).
        type: str
      app_role:
        description: App role. Defaults to C(<name>_app).
        type: str
      tenant_column:
        description: Name of the tenant column. Defaults to O(tenant_column).
        type: str
  rls_mode:
    description: The row level security step after each migration; see M(complianceflow.infra.postgresql_rls) O(ignore:mode).
    type: str
    default: enforce
    choices: [enforce, audit]
seealso:
  - module: complianceflow.infra.postgresql_rls
"""

EXAMPLES = r"""
- name: Schema of user_service
  complianceflow.infra.postgresql_migrations:
    login_host: "{{ postgresql_host }}"
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    database: user_service
    path: "{{ role_path }}/files/migrations/user_service"

- name: Schema of every database of the tier, one module run
  complianceflow.infra.postgresql_migrations:
    login_host: "{{ postgresql_host }}"
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    databases:
      - name: user_service
        path: "{{ role_path }}/files/migrations/user_service"
      - name: form_service
        path: "{{ role_path }}/files/migrations/form_service"
"""

RETURN = r"""
applied:
  description:
    - Files applied by this run (in check mode, that would be applied).
    - On failure, the files committed before the failed migration.
    - With O(databases), as C(<database>/<file>) in the order applied.
  returned: always
  type: list
  elements: str
  sample: [0001_baseline.sql]
version:
  description: The highest applied version after the run (0 when none).
  returned: with O(database)
  type: int
  sample: 1
rls:
  description:
    - Result of the last row level security step (see M(complianceflow.infra.postgresql_rls) RV(ignore:rls)).
    - Null in check mode when the database does not exist yet.
  returned: with O(database)
  type: dict
databases:
  description:
    - With O(databases), the result of each database handled, in list order, with keys C(name), C(changed), C(applied),
      C(version), C(rls) and C(queries) as above for one database.
    - On failure the last one is the failed database, with C(failed) and C(msg); the ones before it stay done.
  returned: with O(databases)
  type: list
  elements: dict
  sample: [{name: user_service, changed: true, applied: [0001_baseline.sql], version: 1, rls: {}, queries: []}]
diff:
  description: Applied migrations before and after; with O(databases), keyed by database (changed databases only).
  returned: when changed and in diff mode
  type: dict
queries:
  description: Statements that changed something, with placeholders instead of values; a migration appears as a comment line
    naming the file and its checksum.
  returned: always
  type: list
  elements: str
  sample: ['SET LOCAL ROLE "user_service_owner"', '-- migration 0001_baseline.sql (sha256:5d0c...)']
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.migrations import migrate, read_history, read_migrations
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.module import run_pg_module
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.multi import WRITING_OPTIONS, databases_argspec, run_databases
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError, Session

PER_DATABASE = {"path": {"type": "path", "required": True}}
MODULE_ARGS = databases_argspec(PER_DATABASE, rls_mode={"type": "str", "default": "enforce", "choices": ["enforce", "audit"]},
                                **WRITING_OPTIONS)


def migrate_one(module, entry, files, queries, absent, connect_to):
    database = entry["database"]
    if absent:
        return {"changed": True, "applied": [m["file"] for m in files], "version": max([m["version"] for m in files], default=0),
                "rls": None, "msg": f"database {database} does not exist yet: every migration would be applied"}
    # check_mode=False: in check mode the statements do run, in a transaction that is rolled back.
    session = Session(connect_to(database), queries, check_mode=False)
    try:
        # Check mode after a predicted postgresql_tier (a new tenant server's empty databases, tenant_migrate.yml): the
        # database exists, its owner role not yet. A real run needs the role and fails on it below.
        if module.check_mode and not session.read("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", (entry["owner"],)):
            return {"changed": True, "applied": [m["file"] for m in files], "version": max([m["version"] for m in files], default=0),
                    "rls": None, "msg": f"the roles of database {database} do not exist yet (postgresql_tier makes them): "
                                        "every migration would be applied"}
        history = read_history(session)
        before = applied_files(history)
        try:
            result = migrate(session, files, owner=entry["owner"], app_role=entry["app_role"], column=entry["tenant_column"],
                             rls_mode=module.params["rls_mode"], check_mode=module.check_mode, history=history)
        except PgError as exc:
            # The migrations before the failed one are committed (never in check mode): say which.
            try:
                done = [] if module.check_mode else [f for f in applied_files(read_history(session)) if f not in before]
            except PgError:  # the connection is gone too: the original error is the one to show
                done = None
            if done is not None:
                exc.result.update(applied=done, changed=bool(done))
            raise
    finally:
        session.close()
    result["changed"] = bool(queries)
    if module._diff and queries:
        result["diff"] = {"before": {"applied": before}, "after": {"applied": before + result["applied"]}}
    return result


def applied_files(history):
    return sorted(f"{v:04d}_{n}.sql" for v, (n, _c) in history.items())


def summarize(results):
    return {"applied": [f"{r['name']}/{f}" for r in results for f in r.get("applied") or []]}


def run(module, queries):
    return run_databases(module, queries, per_database=PER_DATABASE, prepare=lambda entry: read_migrations(entry["path"]),
                         work=migrate_one, summarize=summarize)


def main():
    run_pg_module(runner=run, **MODULE_ARGS)


if __name__ == "__main__":
    main()

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
author: ComplianceFlow Platform Team (@complianceflow)
extends_documentation_fragment:
  - complianceflow.infra.postgresql
  - complianceflow.infra.postgresql.database
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
    description: Directory with the migration files of this database.
    type: path
    required: true
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
"""

RETURN = r"""
applied:
  description: Files applied by this run (in check mode, that would be applied).
  returned: always
  type: list
  elements: str
  sample: [0001_baseline.sql]
version:
  description: The highest applied version after the run (0 when none).
  returned: always
  type: int
  sample: 1
rls:
  description:
    - Result of the last row level security step (see M(complianceflow.infra.postgresql_rls) RV(ignore:rls)).
    - Null in check mode when the database does not exist yet.
  returned: always
  type: dict
queries:
  description: Statements that changed something, with placeholders instead of values; a migration appears as a comment line
    naming the file and its checksum.
  returned: always
  type: list
  elements: str
  sample: ['SET LOCAL ROLE "user_service_owner"', '-- migration 0001_baseline.sql (sha256:5d0c...)']
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._pg_migrations import migrate, read_migrations, read_history
from ansible_collections.complianceflow.infra.plugins.module_utils._pg_module import (
    DATABASE_ARGSPEC,
    absent_in_check_mode,
    database_roles,
    run_pg_module,
)
from ansible_collections.complianceflow.infra.plugins.module_utils._postgres import Session, connect

ARGUMENT_SPEC = {
    **DATABASE_ARGSPEC,
    "path": {"type": "path", "required": True},
    "rls_mode": {"type": "str", "default": "enforce", "choices": ["enforce", "audit"]},
}


def run(module, queries):
    params = module.params
    database, owner, app, column = database_roles(params)
    files = read_migrations(params["path"])
    if absent_in_check_mode(module, database):
        return {"changed": True, "applied": [m["file"] for m in files], "version": max([m["version"] for m in files], default=0),
                "rls": None, "msg": f"database {database} does not exist yet: every migration would be applied"}
    # check_mode=False: in check mode the statements do run, in a transaction that is rolled back.
    session = Session(connect(params, database), queries, check_mode=False)
    try:
        before = sorted(f"{v:04d}_{n}.sql" for v, (n, _c) in read_history(session).items())
        result = migrate(session, files, owner=owner, app_role=app, column=column, rls_mode=params["rls_mode"],
                         check_mode=module.check_mode)
    finally:
        session.close()
    result["changed"] = bool(queries)
    if module._diff and queries:
        result["diff"] = {"before": {"applied": before}, "after": {"applied": before + result["applied"]}}
    return result


def main():
    run_pg_module(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_seed
short_description: Load seed data into a tier database through row-level security
version_added: 1.0.0
description:
  - Loads a seed file (YAML, C(tables) in insert order, each with C(table) and C(rows); see docs/database.md).
  - Rows of tenant tables are inserted as the app role with C(app.tenant_id) set for the transaction (one transaction per
    tenant), so the C(tenant_isolation) policy checks every row. Rows of reference tables (without the tenant column) are
    inserted as the owner role, in one transaction, first.
  - Every row is inserted with C(ON CONFLICT DO NOTHING) on the primary key; ids are literal in the file, so a re-run inserts
    nothing and reports no change. Rows that exist are never updated.
  - The file is validated against the database (tables, columns, primary key values, tenant ids) before anything is written.
author: ComplianceFlow Platform Team (@complianceflow)
extends_documentation_fragment:
  - complianceflow.infra.postgresql
  - complianceflow.infra.postgresql.database
  - complianceflow.infra.attributes
attributes:
  check_mode:
    support: full
    details: The load runs inside a transaction that is rolled back, so the counts are exact.
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  path:
    description: The seed file.
    type: path
    required: true
"""

EXAMPLES = r"""
- name: Seed user_service
  complianceflow.infra.postgresql_seed:
    login_host: "{{ postgresql_host }}"
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    database: user_service
    path: "{{ role_path }}/files/seed/user_service.yml"
"""

RETURN = r"""
inserted:
  description: Rows inserted per table (in check mode, that would be inserted).
  returned: success
  type: dict
  sample: {users: 6, user_roles: 8}
queries:
  description: Statements that ran (one INSERT per table and column set, with placeholders), role switches included.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._pg_data import load_seed
from ansible_collections.complianceflow.infra.plugins.module_utils._pg_module import (
    DATABASE_ARGSPEC,
    absent_in_check_mode,
    database_roles,
    run_pg_module,
)
from ansible_collections.complianceflow.infra.plugins.module_utils._postgres import PgError, Session, connect

try:
    import yaml
except ImportError:  # ansible-core itself requires PyYAML on the controller
    yaml = None

ARGUMENT_SPEC = {**DATABASE_ARGSPEC, "path": {"type": "path", "required": True}}


def read_seed(path: str):
    if yaml is None:
        raise PgError("the Python package PyYAML is required: pip install pyyaml")
    try:
        with open(path, encoding="utf-8") as handle:
            # libyaml's parser when PyYAML was built with it (about 4x faster on large files), same safe constructor
            return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # nosec B506: a safe loader
    except OSError as exc:
        raise PgError(f"cannot read seed file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PgError(f"seed file {path} is not valid YAML: {exc}") from None


def run(module, queries):
    database, owner, app, column = database_roles(module.params)
    path = module.params["path"]
    data = read_seed(path)
    if absent_in_check_mode(module, database):
        return {"changed": True, "inserted": {}, "msg": f"database {database} does not exist yet: every seed row would be inserted"}
    session = Session(connect(module.params, database), queries, check_mode=False)
    try:
        with session.conn.transaction(force_rollback=module.check_mode):
            inserted = load_seed(session, data, owner=owner, app_role=app, column=column, source=path)
    finally:
        session.close()
    total: dict[str, int] = {}
    for entry in data["tables"]:
        total[entry["table"]] = total.get(entry["table"], 0) + len(entry.get("rows") or [])
    result = {"changed": any(inserted.values()), "inserted": inserted}
    if module._diff and result["changed"]:
        result["diff"] = {"before": {t: f"{n - inserted.get(t, 0)} of {n} seed rows present" for t, n in total.items()},
                          "after": {t: f"{n} of {n} seed rows present" for t, n in total.items()}}
    return result


def main():
    run_pg_module(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()

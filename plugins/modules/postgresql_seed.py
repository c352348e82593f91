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
  - With O(databases), one invocation seeds several databases in list order (or O(databases_at_once) side by side); every
    file is read and parsed before the first connection, each database is loaded as with O(database), and a failure leaves
    the databases before it seeded.
author: ComplianceFlow Platform Team (@complianceflow)
extends_documentation_fragment:
  - complianceflow.infra.postgresql
  - complianceflow.infra.postgresql.databases
  - complianceflow.infra.postgresql.databases_at_once
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
    description:
      - The seed file of O(database).
      - Required with O(database); with O(databases) each entry has its own C(path).
    type: path
  databases:
    description:
      - Several tier databases in one invocation (the list form), seeded one after another in list order (or
        O(databases_at_once) side by side), each exactly as O(database) would be.
      - Every entry is validated (names; seed file readable, valid YAML, C(tables) well formed) before the first connection,
        so a bad entry fails before anything is done to any database.
      - A failure stops the run at that database (O(databases_at_once) says what stops when several run at once); the databases
        before it stay seeded. The failure message names the database and the ones done before it, and RV(databases) holds
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
        description: The seed file of this database.
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
"""

EXAMPLES = r"""
- name: Seed user_service
  complianceflow.infra.postgresql_seed:
    login_host: "{{ postgresql_host }}"
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    database: user_service
    path: "{{ role_path }}/files/seed/user_service.yml"

- name: Seed several databases, one module run
  complianceflow.infra.postgresql_seed:
    login_host: "{{ postgresql_host }}"
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    databases:
      - name: user_service
        path: "{{ role_path }}/files/seed/user_service.yml"
      - name: form_service
        path: "{{ role_path }}/files/seed/form_service.yml"
"""

RETURN = r"""
inserted:
  description:
    - Rows inserted per table (in check mode, that would be inserted).
    - With O(databases), keyed by database, then table.
  returned: success
  type: dict
  sample: {users: 6, user_roles: 8}
databases:
  description:
    - With O(databases), the result of each database handled, in list order, with keys C(name), C(changed), C(inserted) and
      C(queries) as above for one database.
    - On failure the last one is the failed database, with C(failed) and C(msg); the ones before it stay seeded.
  returned: with O(databases)
  type: list
  elements: dict
  sample: [{name: user_service, changed: true, inserted: {users: 6}, queries: []}]
diff:
  description: Seed rows present per table before and after; with O(databases), keyed by database (changed databases only).
  returned: when changed and in diff mode
  type: dict
queries:
  description: Statements that ran (one INSERT per table and column set, with placeholders), role switches included.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.data import check_seed_shape, load_seed
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.module import run_pg_module
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.multi import WRITING_OPTIONS, databases_argspec, run_databases
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError, Session

try:
    import yaml
except ImportError:  # ansible-core itself requires PyYAML on the controller
    yaml = None

PER_DATABASE = {"path": {"type": "path", "required": True}}
MODULE_ARGS = databases_argspec(PER_DATABASE, **WRITING_OPTIONS)


def read_seed(path: str):
    if yaml is None:
        raise PgError("the Python package PyYAML is required: pip install pyyaml")
    try:
        with open(path, encoding="utf-8") as handle:
            # libyaml's parser when PyYAML was built with it (about 4x faster on large files), same safe constructor
            data = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # nosec B506: a safe loader
    except OSError as exc:
        raise PgError(f"cannot read seed file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PgError(f"seed file {path} is not valid YAML: {exc}") from None
    check_seed_shape(data, path)
    return data


def seed_one(module, entry, data, queries, absent, connect_to):
    database, path = entry["database"], entry["path"]
    if absent:
        return {"changed": True, "inserted": {}, "msg": f"database {database} does not exist yet: every seed row would be inserted"}
    session = Session(connect_to(database), queries, check_mode=False)
    try:
        with session.conn.transaction(force_rollback=module.check_mode):
            inserted = load_seed(session, data, owner=entry["owner"], app_role=entry["app_role"], column=entry["tenant_column"],
                                 source=path)
    finally:
        session.close()
    total: dict[str, int] = {}
    for table in data["tables"]:
        total[table["table"]] = total.get(table["table"], 0) + len(table.get("rows") or [])
    result = {"changed": any(inserted.values()), "inserted": inserted}
    if module._diff and result["changed"]:
        result["diff"] = {"before": {t: f"{n - inserted.get(t, 0)} of {n} seed rows present" for t, n in total.items()},
                          "after": {t: f"{n} of {n} seed rows present" for t, n in total.items()}}
    return result


def run(module, queries):
    return run_databases(module, queries, per_database=PER_DATABASE, prepare=lambda entry: read_seed(entry["path"]), work=seed_one,
                         summarize=lambda results: {"inserted": {r["name"]: r.get("inserted") or {} for r in results}})


def main():
    run_pg_module(runner=run, **MODULE_ARGS)


if __name__ == "__main__":
    main()

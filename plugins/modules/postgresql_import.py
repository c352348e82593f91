#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_import
short_description: Import files written by postgresql_export into a tier database
version_added: 1.0.0
description:
  - Loads every export unit of O(src) (a C(<name>.manifest.json) with the data file it names), reference tables first (as the
    owner), then each tenant (as the app role with the tenant set, so the C(tenant_isolation) policy rejects any row of another
    tenant).
  - Every manifest is verified (file present, SHA-256 equal) before anything is loaded; a unit without a manifest (for example
    an interrupted export's C(.partial) file) is ignored.
  - "C(COPY FROM) straight into a table is refused under row-level security. So each table's section of a C(.pgcopy) file
    (format C(complianceflow.infra/export/v2)) is copied (C(COPY)) into a temporary staging table of its columns, created
    as the owner and dropped when the unit is done. Then one C(INSERT ... SELECT) per table runs as the unit's role, the
    tenant set, with C(ON CONFLICT DO NOTHING) on the primary key: rows that exist are kept as they are, a re-run inserts
    nothing, and every row is still a new row of an C(INSERT) that the policy's C(WITH CHECK) judges. The manifest's sections
    are checked against the database first (tables, columns, primary keys); a section with more or fewer rows than its
    manifest says is refused."
  - Files of earlier releases (C(<name>.jsonl), format C(complianceflow.infra/export/v1), one JSON object per line) are still
    imported, through a staging table of JSON lines and C(jsonb_populate_record); bench/rls measures both paths.
  - The whole import is one transaction (each unit in a savepoint), so if any row is refused, nothing of the import is left.
author: ComplianceFlow Platform Team (@complianceflow)
extends_documentation_fragment:
  - complianceflow.infra.postgresql
  - complianceflow.infra.postgresql.database
  - complianceflow.infra.attributes
attributes:
  check_mode:
    support: full
    details: The import runs inside a transaction that is rolled back, so the counts are exact.
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  src:
    description: Directory written by M(complianceflow.infra.postgresql_export) for this database.
    type: path
    required: true
  tenants:
    description: Only these tenants (uuid); default all tenant files in O(src). Each one listed must have a file.
    type: list
    elements: str
  include_reference:
    description: Also import the reference tables' unit (C(_reference.manifest.json) and its data file).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Restore case_service from an export
  complianceflow.infra.postgresql_import:
    login_host: "{{ postgresql_host }}"
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    database: case_service
    src: /var/backups/cf/case_service
"""

RETURN = r"""
inserted:
  description: Per unit (C(_reference) or the tenant id), rows inserted per table (in check mode, that would be inserted).
  returned: success
  type: dict
  sample: {_reference: {case_types: 0}, c4ac8cf9-3d47-58ca-ab5e-1e8d1c22a3c1: {cases: 3, case_events: 7}}
queries:
  description: >-
    Statements that ran, with placeholders: per unit the role switches, per table the staging table's
    C(CREATE TEMPORARY TABLE) and C(COPY), the C(GRANT SELECT) to the app role, one C(INSERT ... SELECT) per table, and the
    staging tables' C(DROP).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.data import REFERENCE, catalog, check_tenant_id, import_unit, verified_units
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.module import (
    DATABASE_ARGSPEC,
    absent_in_check_mode,
    database_roles,
    run_pg_module,
)
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import Session, connect

ARGUMENT_SPEC = {
    **DATABASE_ARGSPEC,
    "src": {"type": "path", "required": True},
    "tenants": {"type": "list", "elements": "str"},
    "include_reference": {"type": "bool", "default": True},
}


def run(module, queries):
    params = module.params
    database, owner, app, column = database_roles(params)
    tenants = None if params["tenants"] is None else [check_tenant_id(t, "tenants") for t in params["tenants"]]
    units = verified_units(params["src"], tenants, params["include_reference"])
    if absent_in_check_mode(module, database):
        return {"changed": True, "inserted": {}, "msg": f"database {database} does not exist yet: every row would be imported"}
    session = Session(connect(params, database), queries, check_mode=False)
    inserted = {}
    try:
        with session.conn.transaction(force_rollback=module.check_mode):
            tables = catalog(session, column)
            for manifest, data_path in units:
                role = owner if manifest["tenant"] is None else app
                inserted[manifest["tenant"] or REFERENCE] = import_unit(session, manifest, data_path, role=role, owner=owner,
                                                                        column=column, tables=tables)
    finally:
        session.close()
    changed = any(n for unit in inserted.values() for n in unit.values())
    result = {"changed": changed, "inserted": inserted}
    if module._diff and changed:
        result["diff"] = {"before": {u: {t: f"{n} rows missing" for t, n in c.items() if n} for u, c in inserted.items()},
                          "after": {u: {t: "present" for t, n in c.items() if n} for u, c in inserted.items()}}
    return result


def main():
    run_pg_module(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()

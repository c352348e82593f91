#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_export
short_description: Export a tier database per tenant to PostgreSQL COPY text files with manifests
version_added: 1.0.0
description:
  - Writes, into O(dest), one file per tenant C(<tenant_id>.pgcopy) (read as the app role with the tenant set, so row level
    security decides what is exported) and, with O(include_reference), C(_reference.pgcopy) with the tables without the tenant
    column (read as the owner).
  - "A file holds one section per table, parents first: the table's rows as PostgreSQL's C(COPY ... TO STDOUT) writes them in
    text format (one line per row, rows in primary key order), so the same data gives the same bytes. The manifest names each
    section's table, columns and row count (format C(complianceflow.infra/export/v2)). The session settings that decide how a
    value is written (C(DateStyle) ISO, C(TimeZone) UTC, C(IntervalStyle), C(extra_float_digits), C(bytea_output), UTF-8) are
    fixed for the export and the import, and recorded in the manifest."
  - Each file is written as C(<name>.pgcopy.partial) in one REPEATABLE READ snapshot, then renamed into place, then its manifest
    C(<name>.manifest.json) (sections, row counts per table and SHA-256 of the file) is renamed next to it. An export that fails
    part-way leaves no C(.pgcopy) and no manifest of its own; M(complianceflow.infra.postgresql_import) only loads files whose
    manifest matches.
  - Files of earlier releases (C(<name>.jsonl), JSON lines, format C(complianceflow.infra/export/v1)) are still imported. An
    export over such a unit writes the new file, then its manifest, then removes the C(.jsonl) the old manifest named.
  - A unit whose content did not change is not rewritten and reports no change.
author: ComplianceFlow Platform Team (@complianceflow)
extends_documentation_fragment:
  - complianceflow.infra.postgresql
  - complianceflow.infra.postgresql.database
  - complianceflow.infra.attributes
attributes:
  check_mode:
    support: full
    details: The export is computed and compared with the files in O(dest), which are left untouched.
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  dest:
    description: Directory for the files (created if missing).
    type: path
    required: true
  tenants:
    description: Tenant ids (uuid) to export, one file each.
    type: list
    elements: str
    default: []
  include_reference:
    description: Also export the tables without the tenant column.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Export two tenants of case_service (and its reference tables)
  complianceflow.infra.postgresql_export:
    login_host: "{{ postgresql_host }}"
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    database: case_service
    dest: /var/backups/cf/case_service
    tenants:
      - c4ac8cf9-3d47-58ca-ab5e-1e8d1c22a3c1
      - 0f3f3ad5-8a4b-5b55-9d3f-7f1d2b0c9e11
"""

RETURN = r"""
files:
  description: One entry per exported unit.
  returned: success
  type: list
  elements: dict
  sample:
    - {file: /var/backups/cf/case_service/_reference.pgcopy, manifest: /var/backups/cf/case_service/_reference.manifest.json,
       tenant: null, rows: 3, tables: {case_types: 3}, sha256: "sha256:...", changed: false}
queries:
  description: Always empty (an export changes nothing in the database).
  returned: always
  type: list
  elements: str
"""

import os

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.data import check_tenant_id, export_unit
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.module import DATABASE_ARGSPEC, database_roles, run_pg_module
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError, Session, connect

ARGUMENT_SPEC = {
    **DATABASE_ARGSPEC,
    "dest": {"type": "path", "required": True},
    "tenants": {"type": "list", "elements": "str", "default": []},
    "include_reference": {"type": "bool", "default": True},
}


def run(module, queries):
    params = module.params
    database, owner, app, column = database_roles(params)
    tenants = [check_tenant_id(t, "tenants") for t in params["tenants"]]
    if not tenants and not params["include_reference"]:
        raise PgError("nothing to export: give tenants or include_reference: true")
    dest = params["dest"]
    if not module.check_mode:
        os.makedirs(dest, exist_ok=True)
    session = Session(connect(params, database), queries, check_mode=False)
    files = []
    try:
        units = ([(None, owner)] if params["include_reference"] else []) + [(t, app) for t in tenants]
        for tenant, role in units:
            # check mode: each unit is computed in the module's temporary directory and compared with dest's files
            files.append(export_unit(session, dest, database, tenant, role=role, column=column, check_mode=module.check_mode,
                                     scratch=module.tmpdir))
    finally:
        session.close()
    result = {"changed": any(f["changed"] for f in files), "files": files}
    if module._diff and result["changed"]:
        result["diff"] = {"before": {f["file"]: "old content or none" for f in files if f["changed"]},
                          "after": {f["file"]: f"{f['rows']} rows, {f['sha256']}" for f in files if f["changed"]}}
    return result


def main():
    run_pg_module(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()

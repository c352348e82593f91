#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_tenant_export
short_description: GDPR export of one tenant, one portable JSON file per database of a tier
version_added: 1.1.0
description:
  - Writes C(<dest>/<database>.json) for each database listed that exists, a JSON document with the keys C(format)
    (C(complianceflow.infra/gdpr-export/v1)), C(tenant) (C(slug) and C(id)), C(deployment), C(database),
    C(schema_version) (the last migration applied), C(tables) (table name to the list of the tenant's rows, each as
    PostgreSQL's C(to_jsonb) gives it, in primary key order), C(rows) (their number) and C(exported_at).
  - Rows are read in one REPEATABLE READ, READ ONLY snapshot per database as the app role with C(app.tenant_id) set for
    the transaction, so row level security decides what is exported. For the registry database the tenant's own row
    of C(tenants) is included.
  - A file whose content (all but C(exported_at)) is unchanged is not rewritten and reports no change. Files hold
    personal data; they are written with mode 0600 in directories created with mode 0700.
  - The tenant id comes from the slug in the registry database when it is listed; otherwise O(tenant_id) is required.
author: ComplianceFlow Platform Team (@complianceflow)
extends_documentation_fragment:
  - complianceflow.infra.postgresql
  - complianceflow.infra.postgresql.databases
  - complianceflow.infra.attributes
attributes:
  check_mode:
    support: full
    details: The documents are read and compared with the files in O(dest), which are left untouched.
  diff_mode:
    support: full
    details: Rows per file before (the old file) and after.
  idempotent:
    support: full
options:
  tenant:
    description: The tenant's slug (as in the registry, e.g. V(acme)); checked against the registry's rule before any connection.
    type: str
    required: true
  tenant_id:
    description:
      - The tenant's id (uuid). Required when O(registry_database) is not among the databases; when it is, the id found
        there for O(tenant) must equal this one.
    type: str
  registry_database:
    description: The database whose table C(tenants) maps slugs to ids.
    type: str
    default: tenant_registry
  deployment:
    description: The deployment the databases belong to, written into each document.
    type: str
    required: true
  dest:
    description: Directory on the host that runs the module (the controller for the playbooks) for the files.
    type: path
    required: true
"""

EXAMPLES = r"""
- name: Export tenant acme from the regional tier
  complianceflow.infra.postgresql_tenant_export:
    login_host: "{{ postgresql_host }}"
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    databases: [{name: user_service}, {name: case_service}]
    tenant: acme
    tenant_id: c4ac8cf9-3d47-58ca-ab5e-1e8d1c22a3c1
    deployment: westeu-dev-1
    dest: output/gdpr/acme/westeu-dev-1
"""

RETURN = r"""
tenant_id:
  description: The tenant's id (null in check mode when the registry does not exist yet).
  returned: always
  type: str
files:
  description: One entry per database exported.
  returned: always
  type: list
  elements: dict
  sample:
    - {database: case_service, file: output/gdpr/acme/westeu-dev-1/case_service.json, rows: 5,
       tables: {cases: 2, case_events: 3}, schema_version: 1, changed: true}
databases:
  description: Each database exported, in list order, with C(name), C(changed), C(file) and C(rows) (as in RV(files)).
  returned: always
  type: list
  elements: dict
absent:
  description: Listed databases that do not exist (no file).
  returned: always
  type: list
  elements: str
queries:
  description: Always empty (an export changes nothing in the database).
  returned: always
  type: list
  elements: str
"""

import os

from ansible_collections.complianceflow.infra.plugins.module_utils._pg import gdpr
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError, Session, connect
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.module import absent_databases, run_pg_module
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.multi import database_entries, databases_argspec

MODULE_ARGS = databases_argspec({}, **gdpr.TENANT_OPTIONS, dest={"type": "path", "required": True})


def run(module, queries):
    params = module.params
    entries = database_entries(params, {})
    if os.path.exists(params["dest"]) and not os.path.isdir(params["dest"]):
        raise PgError(f"dest {params['dest']!r} exists and is not a directory")
    absent, tenant_id = gdpr.tenant_scope(params, entries, lambda names: absent_databases(module, names),
                                          lambda db: Session(connect(params, db), queries))
    files = []
    for entry in entries:
        database = entry["database"]
        if database in absent or tenant_id is None:
            continue
        session = Session(connect(params, database), [], check_mode=True)
        try:
            document = gdpr.export_document(session, database=database, deployment=params["deployment"],
                                            app_role=entry["app_role"], column=entry["tenant_column"], tenant=params["tenant"],
                                            tenant_id=tenant_id, registry=database == params["registry_database"])
        finally:
            session.close()
        path = os.path.join(params["dest"], f"{database}.json")
        try:
            changed = gdpr.write_export(path, document, check_mode=module.check_mode)
        except OSError as exc:
            raise PgError(f"cannot write {path}: {exc.strerror}") from None
        files.append({"database": database, "file": path, "rows": document["rows"], "schema_version": document["schema_version"],
                      "tables": {t: len(rows) for t, rows in document["tables"].items()}, "changed": changed})
    result = {"changed": any(f["changed"] for f in files), "tenant_id": tenant_id, "files": files, "absent": sorted(absent),
              "databases": [{"name": f["database"], "changed": f["changed"], "file": f["file"], "rows": f["rows"]} for f in files]}
    if module._diff and result["changed"]:
        result["diff"] = {"before": {f["file"]: "old content or none" for f in files if f["changed"]},
                          "after": {f["file"]: f"{f['rows']} rows" for f in files if f["changed"]}}
    return result


def main():
    run_pg_module(runner=run, **MODULE_ARGS)


if __name__ == "__main__":
    main()

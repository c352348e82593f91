#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_tenant_erase
short_description: GDPR erase of one tenant in the databases of a tier, with a signed record of what was deleted
version_added: 1.1.0
description:
  - Deletes every row of the tenant O(tenant) in every tenant table (a table of schema C(public) with the tenant column) of
    each database listed, as the app role with C(app.tenant_id) set for the transaction, so row level security decides
    which rows a statement can touch (each C(DELETE) also says C(WHERE tenant_id = <id>)). A database whose row level
    security audit (as M(complianceflow.infra.postgresql_rls) V(audit)) has findings is refused before anything is deleted.
  - One transaction per database. Tables go children first, in the order the foreign keys in the catalog give (never a
    hand-kept list), so each table's count is its own rows, not a cascade's.
  - In the registry database O(registry_database) the tenant's row of C(tenants) is kept as a tombstone (status
    C(offboarded), name replaced by the slug) so its id and slug are never reused; docs/gdpr.md gives the GDPR articles
    this relies on. Its contacts and settings are tenant rows and are deleted.
  - "The tenant id comes from the slug in the registry database when it is listed; otherwise O(tenant_id) is required
    (a regional deployment: the playbook passes the id its environment's registry gave)."
  - A real erase returns RV(record), one JSON record of the deployment (tenant, deployment, database, table, count, when,
    who, run id), and RV(record_hmac_sha256), its HMAC-SHA256 with O(signing_key) over the canonical JSON (sorted keys,
    no spaces, UTF-8). In diff mode both are also in the diff's C(after), which is what the audit trail callback
    (complianceflow.infra.audit_trail) writes for a changed task.
  - A second erase finds no rows, changes nothing and reports counts of 0. Databases that do not exist hold no rows and
    are reported in RV(absent).
author: ComplianceFlow Platform Team (@complianceflow)
extends_documentation_fragment:
  - complianceflow.infra.postgresql
  - complianceflow.infra.postgresql.databases
  - complianceflow.infra.attributes
attributes:
  check_mode:
    support: full
    details: Counts the rows each table would lose (same role, same tenant context, a read-only transaction) and deletes nothing.
  diff_mode:
    support: full
    details: Row counts per database and table before and after; after also holds the signed record.
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
    description: The database whose table C(tenants) maps slugs to ids and keeps the tombstone.
    type: str
    default: tenant_registry
  deployment:
    description: The deployment the databases belong to, for the record (e.g. V(westeu-dev-1)).
    type: str
    required: true
  signing_key:
    description:
      - The key of the record's HMAC-SHA256 (playbooks/gdpr_erase.yml reads it from the deployment's Key Vault). Never
        returned or logged.
      - Not needed in check mode, which signs nothing.
    type: str
  signing_key_id:
    description: What names the key (the Key Vault secret), written into the record so a verifier knows which key to use.
    type: str
    default: gdpr-signing-key
  run_id:
    description: The run the record belongs to. Default a new id made of the UTC time and random hex.
    type: str
  who:
    description: Who asked for the erase (the AWX user, else the local user), for the record.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Erase tenant acme from the global tier (registry, config)
  complianceflow.infra.postgresql_tenant_erase:
    login_host: "{{ postgresql_host }}"
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    databases: [{name: tenant_registry}, {name: master_data}, {name: global_config}]
    tenant: acme
    deployment: global-dev
    signing_key: "{{ gdpr_signing_key }}"
    who: "{{ lookup('ansible.builtin.env', 'USER') }}"
  diff: true
  register: erased

- name: Erase the same tenant in a regional tier (the id from the registry)
  complianceflow.infra.postgresql_tenant_erase:
    login_host: "{{ postgresql_host }}"
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    databases: [{name: user_service}, {name: case_service}]
    tenant: acme
    tenant_id: "{{ erased.tenant_id }}"
    deployment: westeu-dev-1
    signing_key: "{{ gdpr_signing_key }}"
    who: "{{ lookup('ansible.builtin.env', 'USER') }}"
  diff: true
"""

RETURN = r"""
tenant_id:
  description: The tenant's id (null in check mode when the registry does not exist yet).
  returned: always
  type: str
  sample: c4ac8cf9-3d47-58ca-ab5e-1e8d1c22a3c1
erased:
  description: Per database, per tenant table, the rows deleted (in check mode, that would be deleted).
  returned: always
  type: dict
  sample: {case_service: {case_events: 3, cases: 2}}
tombstoned:
  description: The registry databases whose C(tenants) row was (would be) turned into a tombstone by this run.
  returned: always
  type: list
  elements: str
  sample: [tenant_registry]
absent:
  description: Listed databases that do not exist (nothing to erase there).
  returned: always
  type: list
  elements: str
record:
  description: The erasure record of this run (a real run that changed something).
  returned: changed and not check mode
  type: dict
  sample:
    format: complianceflow.infra/gdpr-erasure/v1
    tenant: acme
    tenant_id: c4ac8cf9-3d47-58ca-ab5e-1e8d1c22a3c1
    deployment: westeu-dev-1
    run_id: 20261203T151500Z-5f2c9a1b
    who: alice
    when: "2026-12-03T15:15:02Z"
    key_id: gdpr-signing-key
    algorithm: HMAC-SHA256
    deleted: [{database: case_service, table: cases, count: 2}]
    rows: 2
    tombstoned: []
record_hmac_sha256:
  description: Lower-case hex HMAC-SHA256 of the canonical JSON of RV(record) with the signing key.
  returned: changed and not check mode
  type: str
databases:
  description: Each database's result in list order (name, changed, erased counts, tombstoned, queries).
  returned: always
  type: list
  elements: dict
queries:
  description: The statements that deleted or updated rows, with placeholders instead of values.
  returned: always
  type: list
  elements: str
  sample: ['DELETE FROM "public"."case_events" WHERE "tenant_id" = %s']
"""

import uuid

from ansible_collections.complianceflow.infra.plugins.module_utils._pg import gdpr
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError, Session, connect
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.module import absent_databases, run_pg_module
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.multi import database_entries, databases_argspec

MODULE_ARGS = databases_argspec({}, **gdpr.TENANT_OPTIONS, signing_key={"type": "str", "no_log": True},
                                signing_key_id={"type": "str", "default": "gdpr-signing-key", "no_log": False},
                                run_id={"type": "str"}, who={"type": "str", "required": True})


def run(module, queries):
    params = module.params
    entries = database_entries(params, {})
    if not params["who"]:
        raise PgError("who must not be empty: the erasure record names it")
    if not module.check_mode and not params["signing_key"]:
        raise PgError("signing_key is required (the erasure record is signed); check mode needs none")
    absent, tenant_id = gdpr.tenant_scope(params, entries, lambda names: absent_databases(module, names),
                                          lambda db: Session(connect(params, db), queries))
    results, counts, tombstoned = [], {}, []
    for entry in entries:
        database = entry["database"]
        if database in absent or tenant_id is None:
            continue
        own: list[str] = []
        session = Session(connect(params, database), own, check_mode=module.check_mode)
        try:
            done = gdpr.erase_database(session, app_role=entry["app_role"], column=entry["tenant_column"], tenant_id=tenant_id,
                                       registry=database == params["registry_database"], check_mode=module.check_mode)
        except PgError as exc:
            finished = ", ".join(r["name"] for r in results) or "none"
            raise PgError(f"database {database}: {exc} (databases erased before it, which stay erased: {finished})",
                          erased=counts, databases=results, **exc.result) from None
        finally:
            session.close()
        queries.extend(own)
        counts[database] = done["counts"]
        if done["tombstoned"]:
            tombstoned.append(database)
        results.append({"name": database, "changed": any(done["counts"].values()) or done["tombstoned"],
                        "erased": done["counts"], "tombstoned": done["tombstoned"], "queries": own})
    changed = any(r["changed"] for r in results)
    result = {"changed": changed, "tenant_id": tenant_id, "erased": counts, "tombstoned": tombstoned,
              "absent": sorted(absent), "databases": results}
    if changed and not module.check_mode:
        record = gdpr.erasure_record(
            tenant=params["tenant"], tenant_id=tenant_id, deployment=params["deployment"],
            run_id=params["run_id"] or f"{gdpr.utc_now().replace('-', '').replace(':', '')}-{uuid.uuid4().hex[:8]}",
            who=params["who"], when=gdpr.utc_now(), key_id=params["signing_key_id"], counts=counts,
            tombstones=[{"database": db, "table": gdpr.REGISTRY_TABLE, "status": gdpr.TOMBSTONE_STATUS} for db in tombstoned])
        result["record"] = record
        result["record_hmac_sha256"] = gdpr.sign(record, params["signing_key"])
    if module._diff and changed:
        after = {"rows": {db: dict.fromkeys(tables, 0) for db, tables in counts.items()}, "tombstoned": tombstoned}
        if "record" in result:
            after.update(record=result["record"], record_hmac_sha256=result["record_hmac_sha256"])
        result["diff"] = {"before": {"rows": counts, "tombstoned": []}, "after": after}
    return result


def main():
    run_pg_module(runner=run, **MODULE_ARGS)


if __name__ == "__main__":
    main()

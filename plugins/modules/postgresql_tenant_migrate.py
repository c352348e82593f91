#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_tenant_migrate
short_description: Move one tenant from the shared row level security databases to its dedicated server, resumably
version_added: 1.2.0
description:
  - One phase per run (playbooks/tenant_migrate.yml runs them in order; docs/tenant-migration.md).
  - V(status) (login = the registry's server) reads the tenant's id, status and placement in
    C(tenant_registry.tenant_placements).
  - V(copy) (login = the deployment's shared server, O(target_login_host) = the tenant's server) copies the tenant's rows of
    every tenant table of each database in O(databases) into the same-named database of the tenant server, read and
    written as the app role with C(app.tenant_id) set, so row level security decides what can be read; tables parents
    first (foreign keys of the catalog). Each table is copied in one transaction that first empties it of the tenant's
    rows and records the table in the journal C(cf_migration.journal) of the target database; journaled tables are
    skipped by a re-run. Then every table is verified (row count and md5 of the rows' canonical text in primary key
    order on both sides); a mismatch fails before anything is routed and clears the journal from that table on.
  - V(route) (login = the registry's server) refuses unless every database is verified on the tenant server, sets the
    tenant's placement to tier 3 on O(server), then journals C(routed) in each target database.
  - V(delete) (login = the shared server) refuses a database not journaled C(routed); deletes the tenant's rows as the app
    role in the tenant's row level security context, children first (the GDPR erase's order), and journals C(deleted).
  - A run killed at any point and run again finishes without loss or duplicates; a phase already done changes nothing.
author: ComplianceFlow Platform Team (@complianceflow)
extends_documentation_fragment:
  - complianceflow.infra.postgresql
  - complianceflow.infra.attributes
attributes:
  check_mode:
    support: full
    details: V(copy) reports per database per table the rows it would copy; V(delete) the rows it would delete; nothing changes.
  diff_mode:
    support: full
    details: Per database the journal state and the rows before and after.
  idempotent:
    support: full
options:
  phase:
    description: The step to run (see the description).
    type: str
    required: true
    choices: [status, copy, route, delete]
  tenant:
    description: The tenant's slug (e.g. V(acme)); checked against the registry's rule before any connection.
    type: str
    required: true
  tenant_id:
    description:
      - The tenant's id (uuid), required by V(copy) and V(delete) (the playbook takes it from phase V(status)).
      - With V(status) and V(route), the id found in the registry for O(tenant) must equal it when given.
    type: str
  databases:
    description: The tier's databases (required by V(copy), V(route), V(delete)); the same names on both servers.
    type: list
    elements: dict
    suboptions:
      name:
        description: Database name.
        type: str
        required: true
      owner:
        description: Owner role. Defaults to C(<name>_owner).
        type: str
      app_role:
        description: App role on both servers (rows are read and written as it). Defaults to C(<name>_app).
        type: str
      tenant_column:
        description: Tenant column of this database. Defaults to O(tenant_column).
        type: str
  tenant_column:
    description: Name of the tenant column; every table of schema C(public) that has it is copied.
    type: str
    default: tenant_id
  deployment:
    description: The deployment whose shared databases the tenant leaves (V(route) writes it into the placement).
    type: str
  server:
    description: The tenant server's name (V(route) writes it into the placement), e.g. V(psql-cf-westeu-dev-1-tenant-acme).
    type: str
  registry_database:
    description: The registry database (V(status), V(route)).
    type: str
    default: tenant_registry
  registry_app_role:
    description: The role that writes the placement. Defaults to C(<registry_database>_app).
    type: str
  target_login_host:
    description: Host of the tenant's server (V(copy), V(route), V(delete)).
    type: str
  target_login_port:
    description: Port of the tenant's server.
    type: int
    default: 5432
  target_login_user:
    description: Admin role of the tenant's server.
    type: str
  target_login_password:
    description: Password of O(target_login_user). Never logged, never returned.
    type: str
  target_ssl_mode:
    description: libpq C(sslmode) for the tenant's server.
    type: str
    default: require
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  target_ssl_rootcert:
    description: CA file for O(target_ssl_mode) V(verify-ca)/V(verify-full).
    type: path
  target_exists:
    description:
      - V(false) when the tenant server does not exist yet; allowed in check mode only (a dry run on a new deployment),
        where every row is predicted to move.
    type: bool
    default: true
  stop_after_tables:
    description:
      - For tests of resumability only. V(copy) stops (fails) after copying this many tables in this run, as if the run
        had been killed there.
    type: int
"""

EXAMPLES = r"""
- name: Copy and verify acme's rows on its server
  complianceflow.infra.postgresql_tenant_migrate:
    login_host: "{{ shared_server_fqdn }}"
    login_user: cfadmin
    login_password: "{{ shared_admin_password }}"
    target_login_host: psql-cf-westeu-dev-1-tenant-acme.postgres.database.azure.com
    target_login_user: cfadmin
    target_login_password: "{{ tenant_admin_password }}"
    phase: copy
    tenant: acme
    tenant_id: c4ac8cf9-3d47-58ca-ab5e-1e8d1c22a3c1
    databases: [{name: user_service}, {name: case_service}]
  diff: true

- name: Switch acme's routing to its server (registry of global-dev)
  complianceflow.infra.postgresql_tenant_migrate:
    login_host: "{{ global_server_fqdn }}"
    login_user: cfadmin
    login_password: "{{ global_admin_password }}"
    target_login_host: psql-cf-westeu-dev-1-tenant-acme.postgres.database.azure.com
    target_login_user: cfadmin
    target_login_password: "{{ tenant_admin_password }}"
    phase: route
    tenant: acme
    deployment: westeu-dev-1
    server: psql-cf-westeu-dev-1-tenant-acme
    databases: [{name: user_service}, {name: case_service}]
"""

RETURN = r"""
tenant_id:
  description: The tenant's id.
  returned: always
  type: str
status:
  description: The tenant's status in the registry (V(status), V(route)).
  returned: phase is status or route
  type: str
  sample: active
placement:
  description: The tenant's placement before this run (null is tier 2 in its home deployment).
  returned: phase is status or route
  type: dict
  sample: {deployment: westeu-dev-1, tier: 3, server: psql-cf-westeu-dev-1-tenant-acme}
tier:
  description: The tenant's tier now, from its placement (2, the shared server, when it has none).
  returned: phase is status
  type: int
  sample: 3
moved:
  description: Per database, per table, the rows copied by this run (in check mode, that would be copied).
  returned: phase is copy
  type: dict
  sample: {case_service: {cases: 2, case_events: 3}}
deleted:
  description: Per database, per table, the rows deleted from the shared database (would be, in check mode).
  returned: phase is delete
  type: dict
states:
  description: Per database the journal state after this run (new, copying, copied, verified, routed, deleted).
  returned: phase is not status
  type: dict
  sample: {case_service: verified}
databases:
  description:
    - Each database's result (name, state_before, state, moved or deleted, checksums after a verify, queries).
    - In check mode, C(note) when the tenant server's database is not migrated yet (a real run migrates it first).
  returned: phase is not status
  type: list
  elements: dict
queries:
  description: The statements that changed something, with placeholders instead of values.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._pg import gdpr
from ansible_collections.complianceflow.infra.plugins.module_utils._pg import tenant_migrate as tm
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import (
    SSL_MODES,
    PgError,
    Session,
    check_identifier,
    connect,
    existing_databases,
)
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.module import absent_databases, run_pg_module
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.multi import ENTRY_OPTIONS, database_entries

ARGUMENT_SPEC = {
    "phase": {"type": "str", "required": True, "choices": list(tm.PHASES)},
    "tenant": {"type": "str", "required": True},
    "tenant_id": {"type": "str"},
    "databases": {"type": "list", "elements": "dict", "options": ENTRY_OPTIONS},
    "tenant_column": {"type": "str", "default": "tenant_id"},
    "deployment": {"type": "str"},
    "server": {"type": "str"},
    "registry_database": {"type": "str", "default": gdpr.REGISTRY_DATABASE},
    "registry_app_role": {"type": "str"},
    "target_login_host": {"type": "str"},
    "target_login_port": {"type": "int", "default": 5432},
    "target_login_user": {"type": "str"},
    "target_login_password": {"type": "str", "no_log": True},
    "target_ssl_mode": {"type": "str", "default": "require", "choices": list(SSL_MODES)},
    "target_ssl_rootcert": {"type": "path"},
    "target_exists": {"type": "bool", "default": True},
    "stop_after_tables": {"type": "int"},
}
TARGET_KEYS = ("login_host", "login_port", "login_user", "login_password", "ssl_mode", "ssl_rootcert")


def target_params(params: dict) -> dict:
    out = {key: params["target_" + key] for key in TARGET_KEYS}
    missing = [f"target_{k}" for k in ("login_host", "login_user", "login_password") if not out[k]]
    if missing:
        raise PgError(f"phase {params['phase']} needs the tenant server's login: {', '.join(missing)} missing")
    return {**out, "connect_timeout": params.get("connect_timeout")}


def validate(module) -> tuple[list[dict], str | None]:
    """Everything checkable without a connection: slug, ids, names, the options each phase needs."""
    params = module.params
    gdpr.check_slug(params["tenant"])
    phase = params["phase"]
    tenant_id = gdpr.check_uuid(params["tenant_id"]) if params["tenant_id"] else None
    check_identifier(params["registry_database"], "registry database name")
    if phase == "status":
        return [], tenant_id
    if not params["databases"]:
        raise PgError(f"phase {phase} needs databases (the tier's databases, e.g. [{{name: user_service}}])")
    entries = database_entries({**params, "database": None, "owner": None, "app_role": None}, {})
    if phase in ("copy", "delete") and tenant_id is None:
        raise PgError(f"phase {phase} needs tenant_id (phase status gives it from the registry)")
    if phase == "route":
        for key in ("deployment", "server"):
            if not params[key]:
                raise PgError(f"phase route needs {key} (written into the tenant's placement)")
    if not params["target_exists"] and not module.check_mode:
        raise PgError("target_exists=false is for check mode only: create the tenant server first (role tenant_server)")
    if params["target_exists"]:
        target_params(params)
    if params["stop_after_tables"] is not None and params["stop_after_tables"] < 0:
        raise PgError(f"stop_after_tables must be 0 or more, not {params['stop_after_tables']}")
    return entries, tenant_id


def open_targets(module, entries, queries) -> dict:
    """{database: Session or None (absent, check mode only)} on the tenant server."""
    if not module.params["target_exists"]:
        return {e["database"]: None for e in entries}
    tparams = target_params(module.params)
    names = [e["database"] for e in entries]
    conn, shared = connect(tparams, "postgres"), connect(module.params, "postgres")
    try:
        tm.check_distinct(shared, conn)
        found = set(existing_databases(conn, names))
    finally:
        conn.close()
        shared.close()
    if set(names) - found and not module.check_mode:
        raise PgError(f"databases {', '.join(sorted(set(names) - found))} do not exist on the tenant server "
                      f"{tparams['login_host']}: create them first (role tenant_server, then postgresql_tier)")
    return {name: Session(connect(tparams, name), queries, check_mode=module.check_mode) if name in found else None
            for name in names}


def registry_session(module, queries) -> Session:
    return Session(connect(module.params, module.params["registry_database"]), queries, check_mode=module.check_mode)


def run(module, queries):
    params = module.params
    entries, tenant_id = validate(module)
    phase = params["phase"]
    if phase == "status":
        registry = registry_session(module, queries)
        try:
            status = tm.tenant_status(registry, params["tenant"], tenant_id)
        finally:
            registry.close()
        return {"changed": False, **status, "tier": (status["placement"] or {}).get("tier", tm.TIER_SHARED)}
    targets = open_targets(module, entries, queries)
    try:
        if phase == "route":
            return run_route(module, entries, tenant_id, targets, queries)
        return run_tier(module, entries, tenant_id, targets, queries)
    finally:
        for session in targets.values():
            if session is not None:
                session.close()


def run_route(module, entries, tenant_id, targets, queries):
    params = module.params
    registry = registry_session(module, queries)
    try:
        status = tm.tenant_status(registry, params["tenant"], tenant_id)
        tm.check_movable(status, params["tenant"], params["deployment"], params["server"])
        tenant_id = status["tenant_id"]
        for name, target in targets.items():  # every database verified before the switch
            journal = tm.read_journal(target, tenant_id) if target is not None else {}
            state = tm.journal_state([], journal)
            if state not in ("verified", "routed", "deleted") and not module.check_mode:
                raise PgError(f"{name}: journal state {state} on the tenant server, not verified: run phase copy first; "
                              "routing is not switched")
        before, after, changed = tm.route(registry, app_role=params["registry_app_role"] or f"{params['registry_database']}_app",
                                          tenant_id=tenant_id, deployment=params["deployment"], server=params["server"],
                                          check_mode=module.check_mode)
    finally:
        registry.close()
    results = []
    for name, target in targets.items():
        if target is None:
            results.append({"name": name, "state_before": "new", "state": "routed", "changed": True})
            continue
        own: list[str] = []
        target.queries = own
        state_before, db_changed = tm.mark_routed(target, tenant_id=tenant_id, check_mode=module.check_mode)
        queries.extend(own)
        results.append({"name": name, "state_before": state_before, "state": state_before if not db_changed else "routed",
                        "changed": db_changed, "queries": own})
    result = {"changed": changed or any(r["changed"] for r in results), "tenant_id": tenant_id, "status": status["status"],
              "placement": before, "databases": results, **tm.summary(results)}
    if module._diff and result["changed"]:
        result["diff"] = {"before": {"placement": before, "states": {r["name"]: r["state_before"] for r in results}},
                          "after": {"placement": after, "states": result["states"]}}
    return result


def run_tier(module, entries, tenant_id, targets, queries):
    params = module.params
    phase = params["phase"]
    budget = [params["stop_after_tables"]] if params["stop_after_tables"] is not None else None
    absent = absent_databases(module, [e["database"] for e in entries]) if module.check_mode else set()
    results = []
    for entry in entries:
        name = entry["database"]
        if name in absent:  # check mode on a new deployment: no shared database, no rows
            results.append({"name": name, "state_before": "new", "state": "new", "moved": {}, "changed": False})
            continue
        own: list[str] = []
        source = Session(connect(params, name), own, check_mode=module.check_mode)
        target = targets[name]
        if target is not None:
            target.queries = own
        try:
            if phase == "copy":
                done = tm.copy_database(source, target, entry=entry, tenant_id=tenant_id, check_mode=module.check_mode, budget=budget)
            else:
                done = tm.delete_database(source, target, entry=entry, tenant_id=tenant_id, check_mode=module.check_mode)
        except PgError as exc:
            queries.extend(own)
            finished = ", ".join(r["name"] for r in results) or "none"
            raise PgError(f"database {name}: {exc} (databases done before it, which stay done: {finished})",
                          databases=results + [{"name": name, "failed": True, **exc.result}],
                          **tm.summary(results)) from None
        finally:
            source.close()
        queries.extend(own)
        results.append({**done, "name": name, "queries": own})
    result = {"changed": any(r["changed"] for r in results), "tenant_id": tenant_id, "databases": results, **tm.summary(results)}
    if module._diff and result["changed"]:
        key = "moved" if phase == "copy" else "deleted"
        if phase == "copy":
            before = {r["name"]: {"state": r["state_before"], "rows_on_tenant_server": {}} for r in results if r["changed"]}
            after = {r["name"]: {"state": r["state"], "rows_on_tenant_server": r.get(key, {})} for r in results if r["changed"]}
        else:
            before = {r["name"]: {"state": r["state_before"], "rows_in_shared": r.get(key, {})} for r in results if r["changed"]}
            after = {r["name"]: {"state": r["state"], "rows_in_shared": dict.fromkeys(r.get(key, {}), 0)} for r in results if r["changed"]}
        result["diff"] = {"before": before, "after": after}
    return result


def main():
    run_pg_module(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()

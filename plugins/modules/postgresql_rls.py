#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_rls
short_description: Enforce or audit tenant row-level security in a tier database
version_added: 1.0.0
description:
  - Creates the function C(public.current_tenant_id), a STABLE SQL function reading the setting C(app.tenant_id) (unset or empty gives
    NULL, so no row is visible and every insert is rejected; a value that is not a uuid raises
    C(invalid input syntax for type uuid)).
  - Every table with the tenant column (partitions included) gets row level security ENABLEd and FORCEd and one policy
    C(tenant_isolation) FOR ALL TO the app role whose USING and WITH CHECK expressions are C(tenant_id = public.current_tenant_id()),
    a direct call the planner inlines into an index condition (a policy in the earlier C((SELECT current_tenant_id())) form is
    rewritten).
  - The audit fails on a tenant table without RLS, FORCE or that policy; an extra permissive policy for the app role; a
    PRIMARY KEY, UNIQUE (constraint or index), EXCLUDE or FOREIGN KEY on a tenant table without the tenant column, or a foreign
    key from a table without it to a tenant table (existence oracles across tenants); a view over tenant tables that is not
    C(security_invoker) or a materialized view over them; an app role with BYPASSRLS, a role membership, owned objects,
    C(TRUNCATE)/C(REFERENCES)/C(TRIGGER) on any table or C(CREATE) on a schema.
  - V(enforce) fixes what only narrows access (RLS, FORCE, the policy, the function, security_invoker, revoking privileges and
    memberships) in one transaction, commits it, and fails naming each object whose problem needs a human (keys, ownership,
    BYPASSRLS, materialized views, extra policies). V(audit) changes nothing.
  - Needs no superuser and no event trigger; M(complianceflow.infra.postgresql_migrations) runs the same step after every
    migration, which is what makes row level security automatic.
  - With O(databases), one invocation handles several databases, reported in list order. V(enforce) goes in list order
    and stops at the first database with a remaining problem (it writes; the databases before it keep what was done to
    them, the ones after it are not touched). V(audit) checks every database, four at a time side by side (it changes
    nothing), a connection failure included, then fails once naming each failed database with its first findings and the
    databases that passed.
author: ComplianceFlow Platform Team (@complianceflow)
extends_documentation_fragment:
  - complianceflow.infra.postgresql
  - complianceflow.infra.postgresql.databases
  - complianceflow.infra.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  mode:
    description: V(enforce) fixes what is safe and fails on the rest; V(audit) only reports and fails on any problem.
    type: str
    default: enforce
    choices: [enforce, audit]
"""

EXAMPLES = r"""
- name: Row level security on every tenant table of declaration_service
  complianceflow.infra.postgresql_rls:
    login_host: "{{ postgresql_host }}"
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    database: declaration_service

- name: Audit only (fails the run on any finding)
  complianceflow.infra.postgresql_rls:
    login_host: "{{ postgresql_host }}"
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    database: declaration_service
    mode: audit

- name: Audit every database of the tier, one module run
  complianceflow.infra.postgresql_rls:
    login_host: "{{ postgresql_host }}"
    login_user: cfadmin
    login_password: "{{ postgresql_admin_password }}"
    databases:
      - name: user_service
      - name: declaration_service
    mode: audit
"""

RETURN = r"""
rls:
  description:
    - What the step saw and did (null in check mode when the database does not exist yet).
    - With O(databases), keyed by database (the databases handled, the failed one included).
  returned: always, also on failure after the connection
  type: dict
  contains:
    tables:
      description: The tenant tables (schema-qualified), partitions included.
      type: list
      elements: str
      sample: [public.declarations, public.declarations_p0]
    findings:
      description: Every problem found before fixing, with O(mode=enforce) whether it was fixable.
      type: list
      elements: dict
      sample: [{object: table public.notes, problem: row level security not enabled, fixable: true}]
    fixed:
      description: The findings fixed (in check mode, that would be fixed).
      type: list
      elements: dict
databases:
  description:
    - With O(databases), the result of each database handled, in list order, with keys C(name), C(changed), C(rls) and
      C(queries) as above for one database.
    - With O(mode=enforce), on failure the last one is the failed database, with C(failed) and C(msg); the ones before it
      keep their fixes.
    - With O(mode=audit), every database listed; each failed one has C(failed) and C(msg) (its C(rls.findings) has all
      findings; it has no C(rls) when it could not be connected to).
  returned: with O(databases)
  type: list
  elements: dict
  sample: [{name: user_service, changed: false, rls: {tables: [public.users], findings: [], fixed: []}, queries: []}]
diff:
  description: Findings before and after; with O(databases), keyed by database (changed databases only).
  returned: when changed and in diff mode
  type: dict
queries:
  description: Statements that changed something (in check mode, that would have), with placeholders instead of values.
  returned: always
  type: list
  elements: str
  sample: ['SET LOCAL ROLE "declaration_service_owner"', 'ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY']
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.module import run_pg_module
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.multi import databases_argspec, run_databases
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.rls import failure_message, rls_step
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import PgError, Session

MODULE_ARGS = databases_argspec({}, mode={"type": "str", "default": "enforce", "choices": ["enforce", "audit"]})
BRIEF_FINDINGS = 5  # per database in the one message of a list audit; all of them are in its rls.findings


def audit_all(module) -> bool:
    """A list audit checks every database before failing (it changes nothing, so going on is safe);
    enforce changes things and stops at the first database with a remaining problem."""
    return module.params["mode"] == "audit" and module.params["databases"] is not None


def rls_one(module, entry, _prepared, queries, absent, connect_to):
    database, mode = entry["database"], module.params["mode"]
    if absent:
        return {"changed": mode == "enforce", "rls": None,
                "msg": f"database {database} does not exist yet: its row level security would be set up"}
    roles = {"owner": entry["owner"], "app_role": entry["app_role"], "column": entry["tenant_column"], "mode": mode}
    session = Session(connect_to(database), queries, check_mode=module.check_mode)
    try:
        if module.check_mode:
            summary, remaining = rls_step(session, **roles)
        else:
            with session.conn.transaction():  # the safe fixes are committed even when others remain
                summary, remaining = rls_step(session, **roles)
    finally:
        session.close()
    if remaining:
        limit = BRIEF_FINDINGS if audit_all(module) else None
        raise PgError(failure_message(database, remaining, mode, limit), rls=summary, changed=bool(queries))
    result = {"changed": bool(queries), "rls": summary}
    if module._diff and queries:
        result["diff"] = {"before": {"findings": summary["findings"]}, "after": {"findings": []}}
    return result


def run(module, queries):
    return run_databases(module, queries, per_database={}, work=rls_one, keep_going=audit_all(module),
                         summarize=lambda results: {"rls": {r["name"]: r.get("rls") for r in results}})


def main():
    run_pg_module(runner=run, **MODULE_ARGS)


if __name__ == "__main__":
    main()

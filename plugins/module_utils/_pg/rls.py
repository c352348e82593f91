# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to the collection: row-level security of a tier database, audited and enforced.

A tenant table is any table (partitions included) with the tenant column. Each finding names
one object and one problem; a finding with a `fix` can be repaired safely (it only narrows
access), the others fail the run so a human decides. All reads go through the catalogs, so the
audit needs no privilege beyond what the admin has.
"""
from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import ident, sql

POLICY = "tenant_isolation"
FUNCTION_SQL = ("CREATE OR REPLACE FUNCTION public.current_tenant_id() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS "
                "$fn$SELECT NULLIF(pg_catalog.current_setting('app.tenant_id', true), '')::pg_catalog.uuid$fn$")
FUNCTION_BODY = FUNCTION_SQL.split("$fn$")[1]
# Schemas that never hold tenant data: the catalogs and the migration history (no app access).
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "cf_meta")
USER_SCHEMAS = "n.nspname <> ALL(%(system)s) AND n.nspname NOT LIKE 'pg\\_%%'"


def _finding(obj: str, problem: str, fix=None, as_admin: bool = False) -> dict:
    return {"object": obj, "problem": problem, "fix": fix, "as_admin": as_admin}


def _norm(expr: str | None) -> str:
    """Policy expressions as PostgreSQL deparses them, without spacing, parentheses and aliases."""
    text = re.sub(r"[\s()]", "", (expr or "").lower())
    return text.replace("ascurrent_tenant_id", "").replace("public.", "")


def tenant_tables(session, column: str) -> list[dict]:
    rows = session.read(
        "SELECT c.oid, format('%%I.%%I', n.nspname, c.relname), c.relrowsecurity, c.relforcerowsecurity, "
        "a.atttypid = 'uuid'::regtype, a.attnotnull, a.attnum "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = %(col)s AND NOT a.attisdropped "
        "WHERE c.relkind IN ('r', 'p') AND " + USER_SCHEMAS + " ORDER BY 2",
        {"col": column, "system": list(SYSTEM_SCHEMAS)})
    keys = ("oid", "name", "rls", "force", "uuid", "notnull", "attnum")
    return [dict(zip(keys, row)) for row in rows]


def audit(session, app_role: str, column: str = "tenant_id") -> tuple[list[dict], list[str]]:
    """All findings for the database the session is connected to, and the tenant tables.

    The audit runs with the catalogs first on the search path: a migration audited in its own transaction could
    otherwise shadow a catalog with a temporary view of the same name (the session's temporary schema is searched
    first for relations unless it is listed; PostgreSQL docs, "Writing SECURITY DEFINER Functions Safely") and hide
    its tables. The caller's search path is restored after, for the migrations that follow in the transaction."""
    (saved,) = session.read("SELECT pg_catalog.current_setting('search_path')")[0]
    session.read("SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)")
    try:
        tables = tenant_tables(session, column)
        findings = function_findings(session)
        findings += _table_findings(session, tables, app_role, column)
        findings += _placement_findings(session, tables)
        findings += _constraint_findings(session, tables, column)
        findings += _view_findings(session, tables)
        findings += _app_role_findings(session, app_role)
    finally:
        session.read("SELECT pg_catalog.set_config('search_path', %s, true)", (saved,))
    return findings, [t["name"] for t in tables]


def _placement_findings(session, tables: list[dict]) -> list[dict]:
    """Where a tenant table may not be: under a parent without the tenant column (a query of the parent returns the
    child's rows under the parent's rules, which are none), or outside schema public (GDPR erase and export, tenant
    export and import and tenant moves cover schema public only, _pg/data.py). Neither has a safe fix."""
    oids = [t["oid"] for t in tables]
    findings = [_finding(f"table {t['name']}", "is outside schema public: GDPR erase and export and tenant moves would "
                         "leave its rows (move it to public)") for t in tables if not t["name"].startswith("public.")]
    rows = session.read(
        "SELECT h.inhrelid::regclass::text, h.inhparent::regclass::text FROM pg_inherits h "
        "JOIN pg_class p ON p.oid = h.inhparent WHERE h.inhrelid = ANY(%s) AND NOT (h.inhparent = ANY(%s)) "
        "AND p.relkind IN ('r', 'p', 'f') ORDER BY 1, 2", (oids, oids))
    findings += [_finding(f"table {child}", f"inherits from {parent}, which has no tenant column: the rows of {child} are "
                          f"read and written through {parent} without row level security (drop the inheritance, or "
                          f"give {parent} the tenant column)") for child, parent in rows]
    return findings


def function_findings(session) -> list[dict]:
    rows = session.read("SELECT p.prosrc, p.provolatile, l.lanname, p.prorettype = 'uuid'::regtype "
                        "FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
                        "WHERE p.oid = to_regprocedure('public.current_tenant_id()')")
    fix = sql.SQL(FUNCTION_SQL)
    if not rows:
        return [_finding("function public.current_tenant_id()", "missing", fix)]
    src, volatile, lang, uuid_ret = rows[0]
    if not uuid_ret:
        return [_finding("function public.current_tenant_id()", "does not return uuid: drop it in a migration")]
    if (src.strip(), volatile, lang) != (FUNCTION_BODY, "s", "sql"):
        return [_finding("function public.current_tenant_id()", "definition differs from the STABLE SQL one reading app.tenant_id", fix)]
    return []


def _table_findings(session, tables: list[dict], app_role: str, column: str) -> list[dict]:
    findings = []
    if not tables:
        return findings
    policies = session.read(
        "SELECT p.polrelid, p.polname, p.polcmd, p.polpermissive, "
        "ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END FROM unnest(p.polroles) r ORDER BY 1), "
        "pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid) "
        "FROM pg_policy p WHERE p.polrelid = ANY(%s)", ([t["oid"] for t in tables],))
    # A direct call, not an initplan `(SELECT ...)`: the SQL function is inlined into a STABLE
    # expression the planner uses as an index condition (and for partition pruning at executor
    # start) with no InitPlan and no One-Time Filter over joins (bench/rls/README.md).
    wanted_expr = f"{column}=current_tenant_id"
    for table in tables:
        name = table["name"]
        qname = sql.SQL(name)  # already quoted by format('%I.%I') in tenant_tables()
        if not table["uuid"] or not table["notnull"]:
            findings.append(_finding(f"table {name}", f"column {column} must be uuid NOT NULL"))
        if not table["rls"]:
            findings.append(_finding(f"table {name}", "row level security not enabled",
                                     sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(qname)))
        if not table["force"]:
            findings.append(_finding(f"table {name}", "row level security not forced (the owner would bypass it)",
                                     sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(qname)))
        mine = [p for p in policies if p[0] == table["oid"]]
        create = sql.SQL("CREATE POLICY {} ON {} AS PERMISSIVE FOR ALL TO {} USING ({} = public.current_tenant_id()) "
                         "WITH CHECK ({} = public.current_tenant_id())").format(
            ident(POLICY), qname, ident(app_role), ident(column), ident(column))
        own = [p for p in mine if p[1] == POLICY]
        if not own:
            findings.append(_finding(f"table {name}", f"policy {POLICY} missing", create))
        elif (own[0][2], own[0][3], own[0][4], _norm(own[0][5]), _norm(own[0][6])) != ("*", True, [app_role], wanted_expr, wanted_expr):
            drop = sql.SQL("DROP POLICY {} ON {}").format(ident(POLICY), qname)
            findings.append(_finding(f"table {name}", f"policy {POLICY} differs (must be FOR ALL TO {app_role} USING and WITH CHECK "
                                     f"{column} = current_tenant_id())", sql.Composed([drop, sql.SQL("; "), create])))
        for pol in mine:
            if pol[1] != POLICY and pol[3] and (app_role in pol[4] or "public" in pol[4]):
                findings.append(_finding(f"policy {pol[1]} on {name}", "extra PERMISSIVE policy for the app role widens "
                                         f"{POLICY}: drop it or make it RESTRICTIVE"))
    return findings


def _constraint_findings(session, tables: list[dict], column: str) -> list[dict]:
    """Keys without the tenant column are existence oracles across tenants."""
    by_oid = {t["oid"]: t for t in tables}
    findings = []
    rows = session.read(
        "SELECT con.conname, con.conrelid, con.conrelid::regclass::text, con.contype, con.conkey, con.confrelid, "
        "con.confrelid::regclass::text, con.confkey FROM pg_constraint con "
        "WHERE con.contype IN ('p', 'u', 'f', 'x') AND con.conparentid = 0 AND (con.conrelid = ANY(%(oids)s) "
        "OR (con.contype = 'f' AND con.confrelid = ANY(%(oids)s)))", {"oids": list(by_oid)})
    kinds = {"p": "PRIMARY KEY", "u": "UNIQUE", "f": "FOREIGN KEY", "x": "EXCLUDE"}
    for name, rel, relname, kind, key, frel, frelname, fkey in rows:
        label = f"{kinds[kind]} {name} on {relname}"
        table = by_oid.get(rel)
        if table is None:  # a non-tenant table pointing at tenant rows
            findings.append(_finding(label, f"references tenant table {frelname} from a table without {column}"))
            continue
        if kind == "f" and frel not in by_oid:
            continue  # pointing at reference data (no tenant column) reveals nothing about other tenants
        if table["attnum"] not in key:
            findings.append(_finding(label, f"does not include {column} (an existence oracle across tenants)"))
        elif kind == "f" and fkey[key.index(table["attnum"])] != by_oid[frel]["attnum"]:
            findings.append(_finding(label, f"does not map {column} to {column} of {frelname}"))
    rows = session.read(
        "SELECT i.indexrelid::regclass::text, i.indrelid, i.indkey::int2[] FROM pg_index i "
        "WHERE i.indisunique AND i.indrelid = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
        "AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)", (list(by_oid),))
    for index, rel, key in rows:
        if by_oid[rel]["attnum"] not in key:
            findings.append(_finding(f"UNIQUE INDEX {index}", f"does not include {column} (an existence oracle across tenants)"))
    return findings


def _view_findings(session, tables: list[dict]) -> list[dict]:
    """Views over tenant tables (directly or through other views) must be security_invoker."""
    findings = []
    reached = {t["oid"] for t in tables}
    seen = set()
    while True:
        rows = session.read(
            "SELECT DISTINCT v.oid, v.oid::regclass::text, v.relkind, "
            "coalesce(v.reloptions::text[] && ARRAY['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false) "
            "FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class "
            "WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass "
            "AND d.refobjid = ANY(%s) AND v.oid <> d.refobjid AND v.relkind IN ('v', 'm')", (list(reached),))
        new = [row for row in rows if row[0] not in seen]
        if not new:
            return findings
        for oid, name, kind, invoker in new:
            seen.add(oid)
            reached.add(oid)
            if kind == "m":
                findings.append(_finding(f"materialized view {name}", "stores tenant rows without row level security: drop it"))
            elif not invoker:
                findings.append(_finding(f"view {name}", "reads tenant tables but is not security_invoker",
                                         sql.SQL("ALTER VIEW {} SET (security_invoker = true)").format(sql.SQL(name))))


def _app_role_findings(session, app_role: str) -> list[dict]:
    findings = []
    app = ident(app_role)
    rows = session.read("SELECT rolbypassrls, ARRAY(SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = r.oid) "
                        "FROM pg_roles r WHERE rolname = %s", (app_role,))
    if not rows:
        return [_finding(f"role {app_role}", "app role does not exist (run postgresql_tier first)")]
    bypass, member_of = rows[0]
    if bypass:
        findings.append(_finding(f"role {app_role}", "has BYPASSRLS (only a superuser can remove it: ALTER ROLE ... NOBYPASSRLS)"))
    for parent in member_of:
        findings.append(_finding(f"role {app_role}", f"is a member of {parent} (could SET ROLE to it)",
                                 sql.SQL("REVOKE {} FROM {}").format(ident(parent), app), as_admin=True))
    params = {"app": app_role, "system": list(SYSTEM_SCHEMAS)}
    owned = session.read(
        "SELECT 'relation ' || c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relowner = to_regrole(%(app)s) AND " + USER_SCHEMAS + " AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
        "UNION ALL SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE p.proowner = to_regrole(%(app)s) AND " + USER_SCHEMAS +
        " UNION ALL SELECT 'schema ' || n.nspname FROM pg_namespace n WHERE n.nspowner = to_regrole(%(app)s) ORDER BY 1", params)
    for (obj,) in owned:
        findings.append(_finding(obj, f"is owned by the app role {app_role} (an owner can disable row level security)"))
    granted = session.read(
        "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND " + USER_SCHEMAS + " AND c.relowner <> to_regrole(%(app)s) AND "
        "(has_table_privilege(%(app)s, c.oid, 'TRUNCATE') OR has_table_privilege(%(app)s, c.oid, 'REFERENCES') "
        "OR has_table_privilege(%(app)s, c.oid, 'TRIGGER')) ORDER BY 1", params)
    for (table,) in granted:
        findings.append(_finding(f"table {table}", f"{app_role} has TRUNCATE, REFERENCES or TRIGGER",
                                 sql.SQL("REVOKE TRUNCATE, REFERENCES, TRIGGER ON TABLE {} FROM PUBLIC, {}").format(sql.SQL(table), app)))
    create = session.read("SELECT n.nspname FROM pg_namespace n WHERE " + USER_SCHEMAS +
                          " AND has_schema_privilege(%(app)s, n.oid, 'CREATE') ORDER BY 1", params)
    for (schema,) in create:
        findings.append(_finding(f"schema {schema}", f"{app_role} may CREATE in it (own objects escape the audit)",
                                 sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC, {}").format(ident(schema), app)))
    return findings


def apply_fixes(session, findings: list[dict], owner: str) -> list[dict]:
    """Run the fix of every fixable finding (role fixes as the admin, the rest as the owner).

    The caller holds the transaction. Returns the findings that have no fix.
    """
    set_owner = sql.SQL("SET LOCAL ROLE {}").format(ident(owner))
    admin_fixes = [f for f in findings if f["fix"] is not None and f["as_admin"]]
    if admin_fixes:
        session.change(sql.SQL("RESET ROLE"))
        for finding in admin_fixes:
            session.change(finding["fix"])
    object_fixes = [f for f in findings if f["fix"] is not None and not f["as_admin"]]
    if object_fixes:
        session.change(set_owner)
        for finding in object_fixes:
            session.change(finding["fix"])
    return [f for f in findings if f["fix"] is None]


def describe(findings: list[dict]) -> list[dict]:
    """Findings for the module's return value (the fix as text)."""
    return [{"object": f["object"], "problem": f["problem"], "fixable": f["fix"] is not None} for f in findings]


def failure_message(database: str, findings: list[dict], mode: str, limit: int | None = None) -> str:
    """The failure of one database. With `limit` (one entry of a list whose failures are shown
    together), a short form: no database name (the caller gives it) and at most `limit` findings."""
    what = "cannot be fixed safely" if mode == "enforce" else "found"
    if limit is None:
        lines = "; ".join(f"{f['object']}: {f['problem']}" for f in findings)
        return f"row level security audit of database {database!r} failed, {len(findings)} problem(s) {what}: {lines}"
    lines = "; ".join(f"{f['object']}: {f['problem']}" for f in findings[:limit])
    more = f"; and {len(findings) - limit} more (all in its rls.findings)" if len(findings) > limit else ""
    return f"row level security audit: {len(findings)} problem(s) {what}: {lines}{more}"


def rls_step(session, *, owner: str, app_role: str, column: str, mode: str) -> tuple[dict, list[dict]]:
    """Audit and, in enforce mode, fix; the caller holds the transaction and decides on failure.

    Returns (summary for the module result, remaining findings). In check mode (session does not
    execute), fixes are recorded and assumed to work.
    """
    findings, tables = audit(session, app_role, column)
    summary = {"tables": tables, "findings": describe(findings), "fixed": []}
    if mode == "audit":
        return summary, findings
    remaining = apply_fixes(session, findings, owner)
    summary["fixed"] = describe([f for f in findings if f["fix"] is not None])
    if summary["fixed"] and not session.check_mode:
        remaining, summary["tables"] = audit(session, app_role, column)  # a fix that did not take still fails
    return summary, remaining

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to the collection: one module invocation for one or several tier databases.

The modules that work inside a tier database (postgresql_migrations, postgresql_rls, postgresql_seed)
take either `database` (+ its options at the top level, the original form) or a `databases` list of
entries. A module process costs about 0.35 s before it does anything, so a deployment runs each step
once for all its databases instead of once per database.

Order of work: every entry is validated (identifiers, files read and parsed) before the first
connection; then the databases are handled one after another, each in its own transaction(s) as in
the single form, the next database's connection opened meanwhile (connection.ConnectAhead). A
failure stops the run at that database: the ones before it stay done, and the failed result says
which they were. A read-only step (the RLS audit) passes keep_going=True instead: its databases are
handled side by side (READ_ONLY_SIDE_BY_SIDE at a time: it changes nothing, so their order does not
matter), then one failure names each failed database and the ones that passed, so an operator sees
all of them in one run rather than one per re-run.

A writing step may ask for `databases_at_once` > 1 (WRITING_OPTIONS; 1 is the default and the order above): up to that
many databases are worked on side by side, each on its own connection and in its own transaction(s). After a failure
no further database is started; the ones already started finish, and the failure names the failed, the done and the
not started databases. With 1 that is exactly the stop at the failed database above.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from ansible_collections.complianceflow.infra.plugins.module_utils._pg.module import DATABASE_ARGSPEC, absent_databases
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.connection import ConnectAhead, PgError, check_identifier, connect

# Connections a read-only step holds at once: every statement waits a round trip to the server, so from a controller
# 30 ms away the RLS audit of a regional tier's 8 databases took 8 times one database's time. 4 leave the smallest
# server room for the apps: a Burstable B1ms has 35 user connections (50, 15 kept by Azure; Microsoft Learn, postgresql
# flexible-server concepts-limits).
READ_ONLY_SIDE_BY_SIDE = 4

# A writing step's databases at once (module option databases_at_once): 1, one after another, unless the caller asks.
# Each is a connection to the server; 8 is a regional tier's databases (deployment plan), well inside the 35 user
# connections of the smallest server.
AT_ONCE_MAX = 8
WRITING_OPTIONS = {"databases_at_once": {"type": "int", "default": 1}}

ENTRY_OPTIONS = {
    "name": {"type": "str", "required": True},
    "owner": {"type": "str"},
    "app_role": {"type": "str"},
    "tenant_column": {"type": "str"},
}


def databases_argspec(per_database: dict, **common) -> dict:
    """argument_spec and the other AnsibleModule keyword arguments of a module with both forms, for
    run_pg_module(runner=..., **this).

    `per_database` holds the options that differ per database (e.g. `path`); they exist at the top
    level for the single form (required there when required per entry) and inside each entry.
    `common` are the module's options that apply to every database.
    """
    spec = {
        **DATABASE_ARGSPEC,
        **common,
        "database": {"type": "str"},
        **{key: {**value, "required": False} for key, value in per_database.items()},
        "databases": {"type": "list", "elements": "dict", "options": {**ENTRY_OPTIONS, **per_database}},
    }
    exclusive = [("database", "databases")] + [("databases", key) for key in ("owner", "app_role", *per_database)]
    kwargs = {"argument_spec": spec, "mutually_exclusive": exclusive, "required_one_of": [("database", "databases")]}
    required = [key for key, value in per_database.items() if value.get("required")]
    if required:
        kwargs["required_by"] = {"database": required}
    return kwargs


def database_entries(params: dict, per_database) -> list[dict]:
    """The entries of either form, each {database, owner, app_role, tenant_column, <per-database options>},
    names defaulted and validated. An error names the entry (`databases[2] (form_service)`)."""
    listed = params.get("databases")
    raw = listed if listed is not None else [{"name": params["database"], "owner": params["owner"],
                                              "app_role": params["app_role"], **{k: params[k] for k in per_database}}]
    if listed is not None and not listed:
        raise PgError("databases is empty: give at least one entry (or use database)")
    entries, seen = [], {}
    for index, item in enumerate(raw):
        try:
            database = check_identifier(item["name"], "database name")
            entry = {
                **{key: item[key] for key in per_database},
                "database": database,
                "owner": check_identifier(item["owner"] or f"{database}_owner", "owner role name"),
                "app_role": check_identifier(item["app_role"] or f"{database}_app", "app role name"),
                "tenant_column": check_identifier(item.get("tenant_column") or params["tenant_column"], "tenant column name"),
            }
        except PgError as exc:
            raise PgError(entry_label(listed, index, item.get("name")) + str(exc)) from None
        if database in seen:
            raise PgError(f"databases[{index}]: database {database!r} is listed twice (also databases[{seen[database]}])")
        seen[database] = index
        entries.append(entry)
    return entries


def entry_label(listed, index: int, name) -> str:
    return "" if listed is None else f"databases[{index}] ({name}): "


def run_databases(module, queries: list, *, per_database, work: Callable, prepare: Callable | None = None,
                  summarize: Callable | None = None, keep_going: bool = False) -> dict:
    """Validate and prepare every entry, then `work(module, entry, prepared, queries, absent, connect_to)` per database.

    `prepare(entry)` reads what the entry names (files) before any connection. `work` returns that
    database's result (changed, optional diff, module keys) or raises PgError; `absent` is True in
    check mode for a database that does not exist yet; `connect_to(name)` is its connection (the list
    form opens each while the one before it is worked on; work closes it). The single form returns `work`'s result as
    is. The list form returns changed (any), `databases` (each database's own result with name and
    queries), diff keyed by database, and whatever `summarize(results)` adds.

    `keep_going` (list form only; for steps that change nothing): the databases are handled side by
    side and a failed one does not stop the others; then one PgError names every failed database with
    its message.
    """
    listed = module.params.get("databases") is not None
    at_once = databases_at_once(module.params)
    entries = database_entries(module.params, per_database)
    prepared = []
    for index, entry in enumerate(entries):
        try:
            prepared.append(prepare(entry) if prepare else None)
        except PgError as exc:
            raise PgError(entry_label(module.params.get("databases"), index, entry["database"]) + str(exc), **exc.result) from None
    absent = absent_databases(module, [e["database"] for e in entries]) if module.check_mode else set()
    if not listed:
        return work(module, entries[0], prepared[0], queries, entries[0]["database"] in absent,
                    lambda name: connect(module.params, name))
    if keep_going:
        return _side_by_side(module, queries, entries, prepared, absent, work, summarize)
    if at_once > 1 and len(entries) > 1:
        return _some_at_once(module, queries, entries, prepared, absent, work, summarize, at_once)
    ahead = ConnectAhead(module.params, [e["database"] for e in entries if e["database"] not in absent])
    try:
        return _one_after_another(module, queries, entries, prepared, absent, work, ahead.take, summarize)
    finally:
        ahead.close()


def databases_at_once(params: dict) -> int:
    """The writing step's databases_at_once (1 where the module has no such option), checked before any connection."""
    value = params.get("databases_at_once")
    if value is None:
        return 1
    if not 1 <= value <= AT_ONCE_MAX:
        raise PgError(f"databases_at_once is {value}: give 1 (one database after another, the default) up to {AT_ONCE_MAX} "
                      "(that many side by side, each on a connection of its own)")
    if value > 1 and params.get("databases") is None:
        raise PgError(f"databases_at_once is {value} with the single form (database): it applies to the list form (databases)")
    return value


def _one_database(module, entry, data, absent, work, connect_to) -> tuple[dict, PgError | None]:
    """(that database's result, None), or (its failed result, the error)."""
    own: list[str] = []
    try:
        result = work(module, entry, data, own, entry["database"] in absent, connect_to)
    except PgError as exc:
        failed = {**exc.result, "name": entry["database"], "failed": True, "msg": str(exc), "queries": own}
        failed.setdefault("changed", bool(own) and not module.check_mode)
        return failed, exc
    return {**result, "name": entry["database"], "queries": own}, None


def _one_after_another(module, queries, entries, prepared, absent, work, connect_to, summarize) -> dict:
    results: list[dict] = []
    for entry, data in zip(entries, prepared):
        result, error = _one_database(module, entry, data, absent, work, connect_to)
        queries.extend(result["queries"])
        if error is not None:
            done = ", ".join(r["name"] for r in results) or "none"
            raise PgError(f"database {entry['database']}: {error} (databases done before it, which stay done: {done})",
                          **merge(results + [result], summarize)) from None
        results.append(result)
    return merge(results, summarize)


def _side_by_side(module, queries, entries, prepared, absent, work, summarize) -> dict:
    """Every database, READ_ONLY_SIDE_BY_SIDE at a time, each on its own connection; results in the entries' order."""
    def one(pair):
        return _one_database(module, pair[0], pair[1], absent, work, lambda name: connect(module.params, name))[0]

    with ThreadPoolExecutor(max_workers=min(READ_ONLY_SIDE_BY_SIDE, len(entries)), thread_name_prefix="pg-read-only") as pool:
        results = list(pool.map(one, zip(entries, prepared)))
    for result in results:
        queries.extend(result["queries"])
    failed = [r for r in results if r.get("failed")]
    if failed:
        passed = ", ".join(r["name"] for r in results if not r.get("failed")) or "none"
        each = " | ".join(f"database {r['name']}: {r['msg']}" for r in failed)
        raise PgError(f"{len(failed)} of {len(results)} databases failed (passed: {passed}): {each}", **merge(results, summarize))
    return merge(results, summarize)


def at_once_in_list_order(count: int, at_once: int, one: Callable[[int], bool]) -> list[bool]:
    """one(index) for every index, up to at_once side by side, taken in list order; one returns False when that index
    failed, and then no further index is started. Returns, per index, whether it was started."""
    started = [False] * count
    upcoming, lock, stop = iter(range(count)), threading.Lock(), threading.Event()

    def take() -> int | None:
        with lock:   # checked and taken together: nothing starts once a failure is known
            index = None if stop.is_set() else next(upcoming, None)
            if index is not None:
                started[index] = True
            return index

    def run_some() -> None:
        while (index := take()) is not None:
            try:
                succeeded = one(index)
            except BaseException:   # not a reported failure (a bug, an interrupt): stop the others too, then raise it
                stop.set()
                raise
            if not succeeded:
                stop.set()

    workers = min(at_once, count)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pg-step") as pool:
        for runner in [pool.submit(run_some) for _slot in range(workers)]:
            runner.result()
    return started


def at_once_failure(names: list[str], started: list[bool], failed: dict[int, str]) -> str:
    """The message of a step whose databases ran several at once: each failed one, the ones done, the ones not started."""
    done = ", ".join(n for i, n in enumerate(names) if started[i] and i not in failed) or "none"
    not_started = ", ".join(n for i, n in enumerate(names) if not started[i]) or "none"
    each = " | ".join(f"database {names[i]}: {failed[i]}" for i in sorted(failed))
    head = each if len(failed) == 1 else f"{len(failed)} of {sum(started)} databases started failed: {each}"
    return f"{head} (databases done, which stay done: {done}; not started: {not_started})"


def _some_at_once(module, queries, entries, prepared, absent, work, summarize, at_once: int) -> dict:
    """A writing step's databases, up to at_once side by side, taken in list order; after a failure none is started."""
    results: list[dict | None] = [None] * len(entries)

    def one(index: int) -> bool:
        results[index], error = _one_database(module, entries[index], prepared[index], absent, work,
                                              lambda name: connect(module.params, name))
        return error is None

    started = at_once_in_list_order(len(entries), at_once, one)
    done = [r for r in results if r is not None]
    for result in done:
        queries.extend(result["queries"])
    failed = {i: r["msg"] for i, r in enumerate(results) if r is not None and r.get("failed")}
    if failed:
        raise PgError(at_once_failure([e["database"] for e in entries], started, failed), **merge(done, summarize))
    return merge(done, summarize)


def merge(results: list[dict], summarize: Callable | None = None) -> dict:
    """The list form's result: per-database diffs lifted into one diff keyed by database."""
    before, after = {}, {}
    for result in results:
        diff = result.pop("diff", None)
        if diff:
            before[result["name"]], after[result["name"]] = diff["before"], diff["after"]
    merged = {"changed": any(r.get("changed") for r in results), "databases": results}
    if after:
        merged["diff"] = {"before": before, "after": after}
    if summarize:
        merged.update(summarize(results))
    return merged

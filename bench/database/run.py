# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deploy's database steps over a regional tier, with the server near and far.

    .venv/bin/python bench/database/run.py [--rtt 0 30] [--runs 3] [--at-once 1 4] [--collection DIR]

What deploy.yml runs once its server is done, against a throwaway PostgreSQL 15 with TLS (as
Flexible Server requires): the roles database_setup (postgresql_tier), database_schema
(postgresql_migrations, then the postgresql_rls audit) and database_seed (postgresql_seed) for
the 8 databases of a regional deployment, through ansible-playbook as deploy.yml runs them. Each
--rtt (milliseconds) puts a loopback relay between the modules and the server that holds every
byte for half of it in each direction: a controller that far from its server (a laptop over a
VPN to West Europe is some tens of ms away; AWX in the server's region about 1 ms). Per RTT: the
first deploy onto empty databases (the server's databases made by its ARM create, as the emulator
and Azure leave them: here CREATE DATABASE beforehand), then --runs no-change re-runs (median).
--at-once runs the whole set once per value of the steps' databases_at_once (roles database_setup,
database_schema and database_seed; 1, one database after another, is deploy.yml's default).
--collection runs another checkout's collection (e.g. a worktree of an older commit) with this
script, to compare the two on the same machine. bench/database/README.md records a run.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))   # tools/ is not a package

import local_postgres  # noqa: E402  pylint: disable=wrong-import-position

REGIONAL = ["user_service", "form_service", "rule_service", "declaration_service", "review_service",
            "case_service", "notification_service", "analytics_service"]   # _deployment/plan.py DATABASES["regional"]
PLAY = """---
- name: The database steps of deploy.yml
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    deployment_plan: {databases: %s}
  vars_files: [%s]   # the collection's own login of every database module, as deploy.yml loads it
  module_defaults:
    group/complianceflow.infra.postgresql: "{{ postgresql_login_options }}"
  roles:
    - complianceflow.infra.database_setup
    - complianceflow.infra.database_schema
    - complianceflow.infra.database_seed
"""


class DelayRelay:
    """A loopback TCP relay to (host, port) that delivers every chunk `one_way` seconds after it arrived,
    in order, in each direction: a network path of RTT 2 x one_way (its bandwidth is not limited)."""

    def __init__(self, host: str, port: int, one_way: float) -> None:
        self.target, self.one_way = (host, port), one_way
        self.loop = asyncio.new_event_loop()
        self.server, self.port = None, 0
        ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(10)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _client(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True)
        finally:
            for end in (writer, up_writer):
                end.close()

    async def _pipe(self, reader, writer) -> None:
        queue: asyncio.Queue = asyncio.Queue()

        async def deliver() -> None:
            while (item := await queue.get()) is not None:
                due, chunk = item
                await asyncio.sleep(max(0.0, due - self.loop.time()))
                writer.write(chunk)
                await writer.drain()
            writer.close()

        sender = asyncio.ensure_future(deliver())
        try:
            while chunk := await reader.read(65536):
                queue.put_nowait((self.loop.time() + self.one_way, chunk))
        finally:
            queue.put_nowait(None)
            await sender

    def close(self) -> None:
        """Stop listening, end the connections still open, stop the loop."""
        async def shutdown() -> None:
            self.server.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def playbook(path: Path, extra: dict, collections: Path) -> float:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, COMPLIANCEFLOW_AUDIT_DIR=str(path.parent / "audit"))
    start = time.perf_counter()
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), str(path), "-i", "localhost,",
                           "-e", json.dumps(extra)], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"bench: ansible-playbook failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return wall


def fresh_databases(cluster) -> None:
    """Empty databases, as the server's ARM create leaves them (owned by the admin; the tier then hands them over)."""
    import psycopg  # pylint: disable=import-outside-toplevel

    with psycopg.connect(**cluster.conninfo(), autocommit=True) as conn:
        for name in REGIONAL:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            for role in (f"{name}_app", f"{name}_owner"):
                conn.execute(f"DROP ROLE IF EXISTS {role}")
            conn.execute(f"CREATE DATABASE {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rtt", type=float, nargs="+", default=[0.0, 30.0], help="round trip times to the server, ms")
    parser.add_argument("--runs", type=int, default=3, help="no-change re-runs per RTT (the median is reported)")
    parser.add_argument("--at-once", type=int, nargs="+", default=[1],
                        help="the tier's, the migrations' and the seed's databases_at_once (1: one after another, the default)")
    parser.add_argument("--collection", type=Path, default=REPO, help="the checkout whose collection runs (default: this one)")
    args = parser.parse_args(argv)
    collections = REPO / ".tmp" / f"bench-database-{os.getpid()}"
    shutil.rmtree(collections, ignore_errors=True)
    (collections / "ansible_collections" / "complianceflow").mkdir(parents=True)
    (collections / "ansible_collections" / "complianceflow" / "infra").symlink_to(args.collection.resolve())
    book = collections / "steps.yml"
    login = args.collection.resolve() / "playbooks" / "vars" / "postgresql_login.yml"
    book.write_text(PLAY % (json.dumps(REGIONAL), json.dumps(str(login))), encoding="utf-8")
    cluster = local_postgres.start(collections / "postgres", tls=True)
    print(f"bench/database ({platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; collection {args.collection.resolve()})", flush=True)
    try:
        for rtt, at_once in [(rtt, at_once) for rtt in args.rtt for at_once in args.at_once]:
            relay = DelayRelay(cluster.host, cluster.port, rtt / 2000.0)
            at_once_vars = {} if at_once == 1 else {f"database_{step}_databases_at_once": at_once
                                                    for step in ("setup", "schema", "seed")}
            extra = {**at_once_vars, "postgresql_login_host": "127.0.0.1", "postgresql_login_port": relay.port,
                     "postgresql_login_user": cluster.admin_user, "postgresql_login_password": cluster.admin_password,
                     "postgresql_ssl_mode": "require", "postgresql_ssl_rootcert": str(cluster.ssl_rootcert),
                     "postgresql_app_password": "bench-app-password-1"}
            try:
                fresh_databases(cluster)
                deploy = playbook(book, extra, collections)
                reruns = [playbook(book, extra, collections) for _run in range(args.runs)]
            finally:
                relay.close()
            print(f"  RTT {rtt:5.1f} ms, {at_once} at once: deploy {deploy:6.2f} s; no-change re-run {statistics.median(reruns):6.2f} s "
                  f"(median of {', '.join(f'{r:.2f}' for r in reruns)})", flush=True)
    finally:
        cluster.stop(remove=True)
        shutil.rmtree(collections, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

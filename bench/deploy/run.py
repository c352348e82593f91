# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deploy wall time against the critical path of a latency profile that mirrors Azure's create times.

    .venv/bin/python bench/deploy/run.py [--only pair|prod|estate] [--profile bench/deploy/profile.json] [--json out.json]
                                         [--dry-run] [--reruns N] [--scale S [S ...]] [--ca-bundle emulator|full]

Two scenarios, each in its own sandbox services (PostgreSQL + ARM emulator under .tmp/, started with the profile as the
emulator's config, as SANDBOX_LATENCY does; nothing of ./sandbox is touched), so the two never share a PostgreSQL
cluster (their database names would collide):

  pair  global-dev + westeu-dev-1 in one run of playbooks/deploy.yml (globals, then regionals: the seed's order)
  estate  all 11 deployments (scripts/sandbox.sh --all's order) in one run of deploy.yml, a PostgreSQL cluster per server,
        --forks 11: deploy and the no-change re-run; wall time against 1.5x the slowest single deployment's critical
        path, and the sandbox's memory (emulator + clusters, RSS and PSS) after each (only with --only estate)
  prod  westeu-prod-1 alone, timed; global-prod (whose Event Hubs namespace and hubs westeu-prod-1 reads, and which
        makes the region's shared DDoS plan) is deployed first, untimed and with the latencies off

and in each: deploy with the profile (wall time, changed, module invocations per module), the same deploy again with
nothing to do (must report changed=0), then the seed's rehearsal: teardown, then deploy again, both timed.

The critical path comes from DEPENDENCIES below (which resource needs which) and the writes the emulator logged during
the run: every logged write (PUT/PATCH/POST answered as a long-running operation) is placed on its node; a node waits
for what it needs, then takes the profile's latency of its type (nodes marked serial take the sum of their writes:
Azure runs one operation at a time on one Flexible Server). A logged write no node claims is reported (the model must
grow with the collection). "overlapped" lets a regional deployment start at once, waiting only for what it reads from its
global one: what deploy.yml does (one play for both scopes), so the ratio is against it; "globals then regionals" (the
seed's strict order, deploy.yml before its scopes ran side by side) is printed too. bench/deploy/README.md records a run.

--scale runs each scenario with every latency of the profile times S (S seconds for each Azure minute; 1 is the profile
as written). Given two scales or more, it fits each scenario's deploy wall time to F + G x S: F is the local work that
does not grow with Azure's times (the controller's start, each step's module call and poll, the database tier after
the server), G what grows with them, against the critical path's own growth; and it projects both onto Azure's own
times (60 s for each minute). On a 1 s scale every fixed second weighs sixty times what it weighs in Azure. A deploy
that kept the cores at least half busy at some scale (the estate on 2 cores) is bound by CPU, and is not split.

--ca-bundle full has every TLS connection verify against certifi's bundle (the public CAs) plus the emulator's CA, as a
machine that trusts the public CAs and a private one does, instead of the emulator's one certificate (the sandbox's
default): what a real run pays to load its trust store shows (module_utils/_azure/tls.py).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "sandbox"))

import services  # noqa: E402  pylint: disable=wrong-import-position

RECAP = re.compile(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", re.M)
NS_NET, NS_PG = "microsoft.network/", "microsoft.dbforpostgresql/flexibleservers"


@dataclass(frozen=True)
class Node:
    """One step of a deployment: the writes of `types` (optionally only those whose path matches `path`, or with this
    `method`), started once every node of `needs` is done ("name@global": that node of the environment's global
    deployment). serial: its writes run one after another (sum), else side by side (max)."""

    types: tuple[str, ...]
    needs: tuple[str, ...] = ()
    serial: bool = False
    path: str = ""
    method: str = ""


# Which resource needs which (docs/deployment-model.md, the roles' own waits, Azure's rules in docs/azure.md):
# network first (NSGs, then the VNet with its subnets, on the region's DDoS plan in prod); the private DNS zones need
# only the group, their VNet links the VNet; the vault (its firewall names subnets), the Container Apps environment
# (its subnet, its workspace), API Management (its subnet) after the VNet; the server after its subnet and its zone's
# link (a new server's password is made on the controller, and stored in the vault after it); its databases,
# parameters and restart one at a time on the server; each private endpoint after its target and the VNet, its DNS
# zone group after it and the zone; Redis, the registry, storage and the workspace need only their group. Order
# matters: the first node whose type (and path/method) fits takes a write.
PE = "/privateendpoints/pe-cf-[^/]+-"
DEPENDENCIES: dict[str, Node] = {
    "resource groups": Node(("microsoft.resources/resourcegroups",)),
    "budget": Node(("microsoft.consumption/budgets",), ("resource groups",)),
    "workspace": Node(("microsoft.operationalinsights/workspaces",), ("resource groups",)),
    "workspace tables": Node(("microsoft.operationalinsights/workspaces/tables",), ("workspace",)),
    "registry": Node(("microsoft.containerregistry/registries",), ("resource groups",)),
    "storage": Node(("microsoft.storage/storageaccounts",), ("resource groups",)),
    "audit container": Node(("microsoft.storage/storageaccounts/blobservices",
                             "microsoft.storage/storageaccounts/blobservices/containers",
                             "microsoft.storage/storageaccounts/blobservices/containers/immutabilitypolicies"),
                            ("storage",), serial=True),
    "ddos plan": Node((NS_NET + "ddosprotectionplans",)),
    "nsgs": Node((NS_NET + "networksecuritygroups",), ("resource groups",)),
    "vnet": Node((NS_NET + "virtualnetworks", NS_NET + "virtualnetworks/subnets"), ("nsgs", "ddos plan")),
    # westeu-prod-1 <-> westeu-prod-2 (roles/peering): each side after its own VNet; a peer not deployed is skipped.
    "vnet peerings": Node((NS_NET + "virtualnetworks/virtualnetworkpeerings",), ("vnet",)),
    "dns zones": Node((NS_NET + "privatednszones",), ("resource groups",)),
    "dns links": Node((NS_NET + "privatednszones/virtualnetworklinks",), ("dns zones", "vnet")),
    "api management": Node(("microsoft.apimanagement/service",), ("vnet",)),
    "key vault": Node(("microsoft.keyvault/vaults",), ("vnet",)),
    "container apps env": Node(("microsoft.app/managedenvironments",), ("vnet", "workspace")),
    "redis": Node(("microsoft.cache/redisenterprise",), ("resource groups",)),
    "redis database": Node(("microsoft.cache/redisenterprise/databases",), ("redis",)),
    "app insights": Node(("microsoft.insights/components",), ("workspace",)),
    "public ip": Node((NS_NET + "publicipaddresses",), ("resource groups",)),
    "bastion": Node((NS_NET + "bastionhosts",), ("vnet", "public ip")),
    "event hubs namespace": Node(("microsoft.eventhub/namespaces",), ("resource groups",)),
    "event hubs": Node(("microsoft.eventhub/namespaces/eventhubs",), ("event hubs namespace",)),
    "consumer groups": Node(("microsoft.eventhub/namespaces/eventhubs/consumergroups",), ("event hubs@global",)),
    "identity": Node(("microsoft.managedidentity/userassignedidentities",), ("resource groups",)),
    "role assignments": Node(("microsoft.authorization/roleassignments",),
                             ("identity", "registry", "key vault", "event hubs namespace@global")),
    "pe key vault": Node((NS_NET + "privateendpoints", NS_NET + "privateendpoints/privatednszonegroups"),
                         ("key vault", "vnet", "dns zones"), serial=True, path=PE + "kv(/|$)"),
    "pe blob": Node((NS_NET + "privateendpoints", NS_NET + "privateendpoints/privatednszonegroups"),
                    ("storage", "vnet", "dns zones"), serial=True, path=PE + "blob(/|$)"),
    "pe registry": Node((NS_NET + "privateendpoints", NS_NET + "privateendpoints/privatednszonegroups"),
                        ("registry", "vnet", "dns zones"), serial=True, path=PE + "acr(/|$)"),
    "pe redis": Node((NS_NET + "privateendpoints", NS_NET + "privateendpoints/privatednszonegroups"),
                     ("redis", "vnet", "dns zones"), serial=True, path=PE + "redis(/|$)"),
    "pe event hubs": Node((NS_NET + "privateendpoints", NS_NET + "privateendpoints/privatednszonegroups"),
                          ("event hubs namespace@global", "vnet", "dns zones"), serial=True, path=PE + "evhns(/|$)"),
    "server restart": Node((NS_PG,), ("server databases",), method="POST"),
    "server": Node((NS_PG,), ("vnet", "dns links")),
    # Azure runs one operation at a time on a server (docs/azure.md, ServerIsBusy): databases, parameters, in turn.
    "server databases": Node((NS_PG + "/databases", NS_PG + "/configurations"), ("server",), serial=True),
    "diagnostic settings": Node(("microsoft.insights/diagnosticsettings",),
                                ("key vault", "server restart", "container apps env", "workspace", "storage")),
    "network watcher": Node((NS_NET + "networkwatchers",)),
    "flow log": Node((NS_NET + "networkwatchers/flowlogs",), ("vnet", "storage", "network watcher")),
}


PHASES = (("deploy", "deploy"), ("rerun", "deploy"), ("teardown", "teardown"), ("redeploy", "deploy"))


@dataclass(frozen=True)
class Scenario:
    name: str
    timed: tuple[str, ...]            # deployments deployed, re-run, torn down and redeployed together, timed
    before: tuple[str, ...] = ()      # deployed first, untimed, latencies off
    confirm: str = ""                 # prod teardowns need -e confirm_teardown=<names>
    postgres: str | None = None       # services.py --postgres: None (one cluster) or "per-server" (a cluster per server)
    phases: tuple[tuple[str, str], ...] = PHASES
    forks: bool = False               # --forks <number of deployments> (scripts/sandbox.sh does so for --all)
    estate: bool = False              # figure: wall time against 1.5x the slowest single deployment's path, memory


def _estate() -> tuple[str, ...]:
    """Every inventory in scripts/sandbox.sh --all's order (tools/sandbox/deployments.py: globals, then regionals)."""
    # tools/sandbox, on sys.path above
    import deployments  # noqa: E402  pylint: disable=import-outside-toplevel
    return tuple(deployments.deployments(REPO))


SCENARIOS = {"pair": Scenario("pair", ("global-dev", "westeu-dev-1")),
             "prod": Scenario("prod", ("westeu-prod-1",), before=("global-prod",), confirm="westeu-prod-1"),
             # Issue 14's whole estate: all 11 deployments in one run of deploy.yml, each Flexible Server on its own
             # PostgreSQL cluster (database names repeat across deployments), then the no-change re-run.
             "estate": Scenario("estate", (), postgres="per-server", phases=PHASES[:2], forks=True, estate=True)}


AUDIT_TRAIL = "complianceflow.infra.audit_trail"


def inventories(names) -> list[str]:
    return [arg for name in names for arg in ("-i", f"inventories/{name}")]


def playbook(name: str, deployments, env: dict, vars_file: Path, count_file: Path | None = None,
             extra: tuple[str, ...] = (), forks: bool = False) -> dict:
    audit = vars_file.parent / "audit"
    # The audit trail stays on, as ansible.cfg and the EE have it for every user: naming callbacks here replaces that
    # list. It writes under the scenario's own directory, and ships nothing (services.up: the sandbox's setting).
    run_env = dict(env, ANSIBLE_CALLBACK_PLUGINS=str(Path(__file__).parent / "callback_plugins"),
                   ANSIBLE_CALLBACKS_ENABLED=f"{AUDIT_TRAIL},count_modules", BENCH_COUNT_FILE=str(count_file or os.devnull),
                   COMPLIANCEFLOW_AUDIT_DIR=str(audit))
    load, trails_before = os.getloadavg()[0], set(audit.glob("*/*.jsonl"))
    services_before, busy, start = service_cpu_seconds(), busy_cpu_seconds(), time.monotonic()
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), f"playbooks/{name}.yml",
                           *inventories(deployments), "-e", f"@{vars_file}", *extra,
                           *(("--forks", str(len(deployments))) if forks else ())],
                          cwd=REPO, env=run_env, capture_output=True, text=True, check=False)
    wall, busy = time.monotonic() - start, busy_cpu_seconds() - busy
    services_cpu = {k: round(v - services_before.get(k, 0.0), 1) for k, v in service_cpu_seconds().items()}
    if proc.returncode:
        kept = keep_failed_output(name, proc.stdout, proc.stderr)
        raise SystemExit(f"bench: {name}.yml {' '.join(deployments)} failed ({proc.returncode}):\n"
                         f"{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}\nbench: its whole output: {kept}")
    counts = json.loads(count_file.read_text()) if count_file else {}
    changed = sum(int(m[2]) for m in RECAP.finditer(proc.stdout))
    if changed and not set(audit.glob("*/*.jsonl")) - trails_before:
        raise SystemExit(f"bench: {name}.yml changed {changed} things and its audit trail wrote nothing under {audit}")
    return {"wall": wall, "changed": changed, "counts": counts,
            "load": [round(load, 2), round(os.getloadavg()[0], 2)], "busy_cpu": round(busy, 1),
            "services_cpu": services_cpu}


def keep_failed_output(name: str, stdout: str, stderr: str, under: Path = REPO / ".tmp" / "bench-deploy-failed") -> Path:
    """The whole output of a failed playbook run, kept where the scenario's cleanup does not reach (the message shows
    only its tail, and the task that failed is often far above it); the file's path."""
    under.mkdir(parents=True, exist_ok=True)
    path = under / f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}-{name}.log"
    path.write_text(f"{stdout}\n--- stderr ---\n{stderr}", encoding="utf-8")
    return path


def service_cpu_seconds() -> dict[str, float]:
    """CPU seconds so far of the sandbox's services: the ARM emulator, and PostgreSQL (each postmaster with the
    backends it has reaped, plus its live backends). Whatever else the machine spent in a run is Ansible's."""
    tick, out = os.sysconf("SC_CLK_TCK"), {"emulator": 0.0, "postgres": 0.0}
    for entry in Path("/proc").iterdir():
        try:
            comm, rest = (entry / "stat").read_text().split("(", 1)[1].rsplit(")", 1)
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # not a process, or one that just ended
        fields = rest.split()
        if fields[0] == "Z":
            # An ended process not yet reaped (a stopped cluster's postmaster that init has not reaped yet, in a
            # container): its CPU was spent before; counted, it would leave the total when reaped (negative figures).
            continue
        own, reaped = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
        if b"arm_emulator" in cmdline:
            out["emulator"] += (own + reaped) / tick
        elif comm == "postgres":
            postmaster = not cmdline.startswith(b"postgres:")  # backends retitle themselves "postgres: ..."
            out["postgres"] += (own + (reaped if postmaster else 0)) / tick
    return out


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine spent busy so far (/proc/stat: all but idle and iowait), whoever spent them:
    the controller, its workers, the emulator and PostgreSQL alike. Over a run, busy / cores is the least wall time
    that run could take here."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def admin(env: dict, method: str, path: str, body=None):
    request = urllib.request.Request(f"{env['ARM_EMULATOR_URL']}/_emulator/{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=env["ARM_EMULATOR_CA"]), timeout=30) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def latency_of(profile: dict, resource_type: str) -> float:
    table = {k.lower(): float(v) for k, v in profile["latency"].items()}
    return table.get(resource_type.lower(), table.get("default", 0.0))


def _owner(entry: dict, deployments: tuple[str, ...]) -> str:
    """The deployment a logged write belongs to: named in its own name, else its group's, else in its path."""
    name, path = (entry.get("name") or "").lower(), entry["path"].lower()
    by_length = sorted(deployments, key=len, reverse=True)
    for dep in by_length:
        if dep in name:
            return dep
    group = re.search(r"/resourcegroups/rg-cf-([^/]+?)(-audit)?(/|$)", path)
    if group and group[1] in deployments:
        return group[1]
    return next((dep for dep in by_length if dep in path), deployments[0])


def _node_of(entry: dict) -> str | None:
    rtype, path = entry["resource_type"].lower(), entry["path"].lower()
    for key, node in DEPENDENCIES.items():
        if rtype in node.types and (not node.path or re.search(node.path, path)) \
                and (not node.method or node.method == entry["method"]):
            return key
    return None


def writes_of(log: Path, first_line: int, last_line: int, profile: dict, deployments: tuple[str, ...]):
    """The run's writes (log lines first_line..last_line): {deployment: {node: [seconds, ...]}}, the unmodelled ones, and
    the sum of every write's latency. A write waits its type's latency only when the emulator made it a long-running
    operation (the log names the operation; a POST action answers 202)."""
    placed: dict[str, dict[str, list[float]]] = {dep: {} for dep in deployments}
    unmodelled: dict[str, list[float]] = {}
    total = 0.0
    with log.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number < first_line or number >= last_line:
                continue
            entry = json.loads(line)
            if entry["method"] not in ("PUT", "PATCH", "POST") or not entry.get("resource_type") or entry["status"] >= 400:
                continue
            if entry["method"] == "POST" and entry["status"] != 202:
                continue   # a synchronous action (listKeys and the like), not a write that waits
            slow = entry.get("async_operation") or entry["method"] == "POST"
            seconds = latency_of(profile, entry["resource_type"]) if slow else 0.0
            total += seconds
            node = _node_of(entry)
            if node is None:
                unmodelled.setdefault(entry["resource_type"], []).append(seconds)
            else:
                placed[_owner(entry, deployments)].setdefault(node, []).append(seconds)
    return placed, unmodelled, total


def global_of(deployment: str) -> str:
    return "global-" + deployment.split("-")[-2] if not deployment.startswith("global-") else deployment


def critical_path(placed: dict, overlapped: bool) -> dict[str, tuple[float, list[str]]]:
    """Per deployment: when its last node is done and the chain that decides it. overlapped=False: every deployment
    starts at 0 with what it reads from its global one already there (its global deployed before, as the seed orders)."""
    done: dict[tuple[str, str], tuple[float, list[str]]] = {}

    def finish(dep: str, key: str) -> tuple[float, list[str]]:
        if (dep, key) in done:
            return done[(dep, key)]
        node = DEPENDENCIES[key]
        start, chain = 0.0, []
        for need in node.needs:
            name, scope = need.split("@") if "@" in need else (need, "")
            owner = global_of(dep) if scope else dep
            if scope and (not overlapped or owner not in placed or owner == dep):
                continue
            at, via = finish(owner, name)
            if at > start:
                start, chain = at, via
        seconds = placed[dep].get(key, [])
        took = (sum(seconds) if node.serial else max(seconds, default=0.0))
        result = (start + took, chain + ([f"{key} {took:g}" + (f"@{dep}" if overlapped else "")] if took else []))
        done[(dep, key)] = result
        return result

    result = {}
    for dep in placed:
        result[dep] = max((finish(dep, key) for key in DEPENDENCIES), key=lambda r: r[0])
    return result


def analyse(log: Path, lines: tuple[int, int], profile: dict, deployments: tuple[str, ...]) -> dict:
    placed, unmodelled, total = writes_of(log, *lines, profile, deployments)
    seeded = critical_path(placed, overlapped=False)
    scopes = {}
    for dep in deployments:
        scope = "global" if dep.startswith("global-") else "regional"
        scopes[scope] = max(scopes.get(scope, 0.0), seeded[dep][0])
    overlapped = critical_path(placed, overlapped=True)
    return {"critical_path": sum(scopes.values()),
            "per_deployment": {dep: {"seconds": seeded[dep][0], "chain": seeded[dep][1]} for dep in deployments},
            "overlapped": max(v[0] for v in overlapped.values()),
            "latency_sum": total,
            "writes": sum(len(v) for nodes in placed.values() for v in nodes.values()),
            "unmodelled": {t: len(v) for t, v in unmodelled.items()}}


def line_count(log: Path) -> int:
    if not log.exists():
        return 0
    with log.open("rb") as handle:
        return sum(1 for _line in handle)


def sandbox_memory(state: Path) -> dict:
    """RSS and PSS (MB) of the emulator and every PostgreSQL cluster of the scenario's sandbox (tools/sandbox/report.py)."""
    # tools/sandbox
    import report as sandbox_report  # noqa: E402  pylint: disable=import-outside-toplevel
    clusters = services.server_clusters(state) + ([state / "postgres"] if (state / "postgres").is_dir() else [])
    lines, rss, pss = sandbox_report.sandbox_memory(state, clusters)
    return {"rss_mb": rss, "pss_mb": pss, "clusters": len(clusters), "lines": lines}


def full_ca_bundle(state: Path, emulator_ca: str) -> str:
    """A PEM file of certifi's CAs and the emulator's: what a machine that trusts the public CAs and a private one
    verifies against."""
    import certifi  # pylint: disable=import-outside-toplevel

    bundle = state / "ca-full.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes() + b"\n" + Path(emulator_ca).read_bytes())
    return str(bundle)


def run_scenario(scenario: Scenario, profile_path: Path, profile: dict, report, reruns: int = 1,
                 ca_bundle: str = "emulator") -> dict:
    state = REPO / ".tmp" / f"bench-deploy-{scenario.name}-{os.getpid()}"
    shutil.rmtree(state, ignore_errors=True)
    timed = scenario.timed or _estate()
    result: dict = {"scenario": scenario.name, "deployments": list(timed), "untimed_before": list(scenario.before)}
    confirm = ("-e", f"confirm_teardown={scenario.confirm}") if scenario.confirm else ()
    try:
        env = dict(os.environ, **services.up(state, profile_path, scenario.postgres))
        if ca_bundle == "full":
            env["REQUESTS_CA_BUNDLE"] = full_ca_bundle(state, env["ARM_EMULATOR_CA"])
        vars_file, log = state / "ansible-vars.yml", state / "arm" / "requests.jsonl"
        if scenario.before:
            admin(env, "PUT", "latency", {})
            playbook("deploy", scenario.before, env, vars_file)
            admin(env, "PUT", "latency", profile["latency"])
        for phase, book in scenario.phases:
            first = line_count(log)
            runs = [playbook(book, timed, env, vars_file, state / f"count-{phase}.json",
                             confirm if book == "teardown" else (), forks=scenario.forks)
                    for _run in range(reruns if phase == "rerun" else 1)]
            # The no-change re-run is short and this machine's neighbours move it by 10-20 %: the median of `reruns`.
            outcome = sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]
            if len(runs) > 1:
                outcome = dict(outcome, walls=[round(r["wall"], 1) for r in runs],
                               changed=max(r["changed"] for r in runs))
            if phase in ("deploy", "redeploy"):
                outcome.update(analyse(log, (first, line_count(log)), profile, timed))
            if scenario.estate:
                outcome["memory"] = sandbox_memory(state)
            result[phase] = outcome
            report(scenario, phase, outcome)
    finally:
        services.down(state)
        shutil.rmtree(state, ignore_errors=True)
    return result


# Above half the cores busy over a deploy, the CPU rather than the waits sets its wall time (bench/deploy/README.md).
CPU_BOUND = 0.5


def scaled(profile: dict, scale: float) -> dict:
    """The profile with every latency times `scale` (seconds for each Azure minute)."""
    return dict(profile, latency={key: seconds * scale for key, seconds in profile["latency"].items()})


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares of wall = fixed + growth x scale over (scale, wall) points of two scales or more."""
    xs, ys = [x for x, _y in points], [y for _x, y in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    growth = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x in xs)
    return mean_y - growth * mean_x, growth


def report_fit(scenario: Scenario, runs: list[dict]) -> dict:
    """Deploy wall time split into what does not grow with Azure's times and what does (runs at two scales or more).
    Only where waits set the wall time: a deploy that kept the cores busy at some scale (the estate on 2 cores) is
    bound by CPU there, and wall = fixed + growth x scale does not hold."""
    cores = os.cpu_count() or 1
    busy = {run["scale"]: run["deploy"]["busy_cpu"] / (cores * run["deploy"]["wall"]) for run in runs}
    if max(busy.values()) >= CPU_BOUND:
        print(f"  {scenario.name} deploy: not split into fixed and growing parts; the cores were "
              f"{', '.join(f'{share:.0%} busy at x{x:g}' for x, share in sorted(busy.items()))}: bound by CPU, "
              f"not by Azure's times", flush=True)
        return {"cpu_bound": {str(x): round(share, 2) for x, share in busy.items()}}
    points = [(run["scale"], run["deploy"]["wall"]) for run in runs]
    paths = {run["scale"]: run["deploy"]["overlapped"] for run in runs}
    fixed, growth = fit(points)
    path = fit(list(paths.items()))[1]
    share = growth / path if path else float("nan")
    azure = (fixed + 60 * growth) / (60 * path) if path else float("nan")
    print(f"  {scenario.name} deploy over scales {', '.join(f'{x:g}' for x in sorted(paths))}: wall = {fixed:.1f} s + "
          f"{growth:.1f} s x scale; the critical path grows {path:.1f} s x scale (the order takes {share:.2f} of it)."
          f"\n  {'':18} The {fixed:.1f} s are local work Azure's times do not change; at Azure's own times (60 s a minute) "
          f"the deploy would take {azure:.3f}x its critical path (a projection)", flush=True)
    return {"fixed_seconds": round(fixed, 2), "growth_per_scale": round(growth, 2), "path_per_scale": round(path, 2),
            "projected_ratio_at_60": round(azure, 4)}


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "?") if Path("/proc/cpuinfo").exists() else "?"
    mem = next((int(line.split()[1]) // 1048576 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    return f"{os.cpu_count()} CPUs ({model}), {mem} GiB, Python {platform.python_version()}"


def report(scenario: Scenario, phase: str, out: dict) -> None:
    label = f"{scenario.name} {phase}"
    counts = out.get("counts") or {}
    line = f"  {label:18} {out['wall']:7.1f} s  changed={out['changed']:<3} {counts.get('total', 0):3} module invocations" \
           f"  (load {out['load'][0]:.2f} -> {out['load'][1]:.2f})"
    if out.get("busy_cpu") is not None:
        cores = os.cpu_count() or 1
        line += (f"\n  {'':18} machine CPU busy {out['busy_cpu']:.1f} s over {cores} cores: this work needs at least "
                 f"{out['busy_cpu'] / cores:.1f} s here ({out['busy_cpu'] / (cores * out['wall']):.0%} of the cores used)")
        used = out.get("services_cpu") or {}
        if used:
            line += (f"; of it the emulator {used.get('emulator', 0):.1f} s, PostgreSQL {used.get('postgres', 0):.1f} s, "
                     f"the rest (ansible-playbook, its workers and modules) "
                     f"{out['busy_cpu'] - sum(used.values()):.1f} s")
    if out.get("walls"):
        line += f"\n  {'':18} median of {len(out['walls'])} runs: {', '.join(f'{w:.1f}' for w in out['walls'])} s"
    if "critical_path" in out:
        ratio = out["wall"] / out["overlapped"] if out["overlapped"] else float("nan")
        seeded = out["wall"] / out["critical_path"] if out["critical_path"] else float("nan")
        # deploy.yml runs the scopes side by side (a regional deployment waits only for what it reads from its global
        # one): its critical path is the overlapped one; the seed's strict order (globals, then regionals) for reference.
        line += (f"\n  {'':18} critical path {out['overlapped']:.0f} s (deploy.yml's order: scopes side by side) -> "
                 f"{ratio:.2f}x; globals then regionals {out['critical_path']:.0f} s -> {seeded:.2f}x; sum of latencies "
                 f"{out['latency_sum']:.0f} s over {out['writes']} writes")
        if scenario.estate:
            slowest = max(path["seconds"] for path in out["per_deployment"].values())
            line += (f"\n  {'':18} estate: {out['wall']:.1f} s against 1.5 x the slowest single deployment's path "
                     f"({slowest:.0f} s) = {1.5 * slowest:.0f} s -> {out['wall'] / (1.5 * slowest) if slowest else float('nan'):.2f} "
                     f"of the target (<= 1.00 meets it)")
        for dep, path in out["per_deployment"].items():
            line += f"\n  {'':18}   {dep}: {path['seconds']:.0f} s = {' -> '.join(path['chain']) or 'nothing slow'}"
        if out["unmodelled"]:
            line += f"\n  {'':18} WARNING: writes no node of DEPENDENCIES claims: {out['unmodelled']}"
    if out.get("memory"):
        mem = out["memory"]
        line += (f"\n  {'':18} sandbox memory after it: RSS {mem['rss_mb']} MB, PSS {mem['pss_mb']} MB (emulator and "
                 f"{mem['clusters']} PostgreSQL clusters)")
    if phase in ("deploy", "rerun") and counts.get("by_module"):
        top = sorted(counts["by_module"].items(), key=lambda kv: (-kv[1], kv[0]))
        line += f"\n  {'':18} by module: " + ", ".join(f"{m.rsplit('.', 1)[-1]} {n}" for m, n in top)
    print(line, flush=True)


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 60:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds for each Azure minute, a number above 0 and at most 60")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", type=Path, default=Path(__file__).parent / "profile.json")
    parser.add_argument("--only", choices=sorted(SCENARIOS),
                        help="run one scenario (default: pair, then prod; estate only when named)")
    parser.add_argument("--dry-run", action="store_true", help="print what each chosen scenario would run, run nothing")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--reruns", type=int, default=3, choices=range(1, 10), metavar="N",
                        help="no-change re-runs per scenario; the median is reported (default 3)")
    parser.add_argument("--scale", type=_scale, nargs="+", default=[1.0], metavar="S",
                        help="every latency of the profile times S (S seconds for each Azure minute; default 1); two "
                             "or more: each scenario at each, and its deploy time split into fixed and growing parts")
    parser.add_argument("--ca-bundle", choices=("emulator", "full"), default="emulator",
                        help="what TLS connections verify against: the emulator's CA alone (default, as the sandbox), "
                             "or certifi's public CAs plus the emulator's (as a real machine with a private CA)")
    args = parser.parse_args(argv)
    if len(set(args.scale)) != len(args.scale):
        parser.error(f"--scale: each scale once, got {' '.join(f'{x:g}' for x in args.scale)}")
    profile_path = args.profile.resolve()
    profile = json.loads(profile_path.read_text(encoding="utf-8"))
    chosen = [SCENARIOS[args.only]] if args.only else [SCENARIOS["pair"], SCENARIOS["prod"]]
    if args.dry_run:
        for scenario in chosen:
            timed = scenario.timed or _estate()
            print(f"{scenario.name}: untimed first {list(scenario.before)}; then " + "; ".join(
                f"{phase}: playbooks/{book}.yml {' '.join(inventories(timed))}"
                + (f" --forks {len(timed)}" if scenario.forks else "") for phase, book in scenario.phases)
                + f" (PostgreSQL: {scenario.postgres or 'one cluster'}; latencies x{', x'.join(f'{x:g}' for x in args.scale)})")
        return 0
    started = time.monotonic()
    trust = "; CA bundle: certifi + the emulator's CA" if args.ca_bundle == "full" else ""
    print(f"bench/deploy ({profile_path.name}{trust}; {machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})", flush=True)
    results, fits = [], {}
    for scenario in chosen:
        before = f" ({', '.join(scenario.before)} deployed first, untimed, latencies off)" if scenario.before else ""
        runs = []
        for scale in args.scale:
            at_scale = f" (latencies x{scale:g}: {scale:g} s for each Azure minute)" if args.scale != [1.0] else ""
            print(f"{scenario.name}: {' + '.join(scenario.timed)}{before}{at_scale}", flush=True)
            scaled_path = REPO / ".tmp" / f"bench-deploy-profile-{os.getpid()}-x{scale:g}.json"
            scaled_path.parent.mkdir(exist_ok=True)
            at_profile = scaled(profile, scale)
            scaled_path.write_text(json.dumps(at_profile, indent=1) + "\n", encoding="utf-8")
            try:
                runs.append(dict(run_scenario(scenario, scaled_path, at_profile, report, args.reruns, args.ca_bundle),
                                 scale=scale))
            finally:
                scaled_path.unlink(missing_ok=True)
        if len(runs) > 1:
            fits[scenario.name] = report_fit(scenario, runs)
        results.extend(runs)
    total = time.monotonic() - started
    print(f"bench/deploy: {total / 60:.1f} min in all; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "minutes": total / 60, "results": results, "fits": fits},
                                        indent=1) + "\n", encoding="utf-8")
    return 0 if all(r.get("rerun", {}).get("changed", 0) == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

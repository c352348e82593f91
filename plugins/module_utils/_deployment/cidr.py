# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CIDR registry (data/cidr-registry.yml), overlap checks, the subnet plan and /16 allocation.

PRIVATE to the collection: the API may change without notice.
"""

from __future__ import annotations

import os
import re
import tempfile

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import (
    DeploymentError,
    parse_deployment_name,
)
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.tiers import tiers_for

try:
    from netaddr import AddrFormatError, IPAddress, IPNetwork
    HAS_NETADDR = True
except ImportError:
    HAS_NETADDR = False

try:
    import yaml
    HAS_YAML = True
except ImportError:
    HAS_YAML = False

DEFAULT_REGISTRY = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "data", "cidr-registry.yml"))
STATUSES = ("Active (MVP)", "Active", "Reserved")
NEW_STATUS = "Reserved"
SUPERNET = "10.0.0.0/8"
ALLOCATE_HINT = "allocate one with: python tools/cidr_allocate.py {name}"

HEADER = """\
---
# CIDR registry: one /16 per ComplianceFlow deployment, seeded from the architecture's
# "CIDR Allocation Table". Every plan reads its vnet_cidr from here.
# Add a deployment only with: python tools/cidr_allocate.py <deployment>
# (docs/deployment-model.md). Rows are kept sorted by CIDR.
"""


def _require_netaddr():
    if not HAS_NETADDR:
        raise DeploymentError("the Python package netaddr is required on the controller: pip install netaddr")


def parse_cidr(value, what: str = "CIDR", within: str | None = SUPERNET, error=DeploymentError, version: int | None = 4):
    """The collection's one CIDR parser: a network in canonical form (network address, explicit prefix).

    The deployment model asks for an IPv4 block inside 10.0.0.0/8 (the defaults); the Azure modules
    pass within=None, version=None and error=AzureInputError. The message names the value and the valid form.
    """
    _require_netaddr()
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    example = "10.30.0.0/16"
    try:
        net = IPNetwork(text) if text and "/" in text else None
        if text and "/" not in text:
            address = IPAddress(text)
            raise error(f"{what}: {value!r} has no prefix length (expected e.g. {address}/24)")
    except (AddrFormatError, ValueError, TypeError) as exc:
        if isinstance(exc, error):
            raise
        net = None
    if net is None or (net.version == 4 and not re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}/\d{1,2}", text)):
        raise error(f"{what}: {value!r} is not a CIDR block (expected e.g. {example})")
    if version is not None and net.version != version:
        raise error(f"{what}: {value!r} is not an IPv{version} network (expected e.g. {example})")
    if str(net.cidr) != str(net):
        raise error(f"{what}: {value!r} has host bits set; the network is {net.cidr} (did you mean {str(net.cidr)!r}?)")
    if within is not None and net not in IPNetwork(within):
        raise error(f"{what}: {value!r} is outside {within}")
    return net


def overlaps(a, b) -> bool:
    return a.first <= b.last and b.first <= a.last


class Registry:
    """Rows {name, cidr, status} plus the available pool; validated on construction."""

    def __init__(self, deployments: list, pool_first: str, pool_last: str, path: str | None = None):
        self.path = path
        where = f" in {path}" if path else ""
        self.pool_first = parse_cidr(pool_first, f"available_pool.first{where}")
        self.pool_last = parse_cidr(pool_last, f"available_pool.last{where}")
        if self.pool_first.prefixlen != 16 or self.pool_last.prefixlen != 16 or self.pool_last.first < self.pool_first.first:
            raise DeploymentError(f"invalid available_pool{where}: expected first <= last, both /16")
        self.rows = []
        seen = {}
        for row in deployments:
            if not isinstance(row, dict) or set(row) != {"name", "cidr", "status"}:
                raise DeploymentError(f"invalid registry row{where}: {row!r}; expected name, cidr and status")
            dep = parse_deployment_name(row["name"])
            net = parse_cidr(row["cidr"], f"CIDR of {dep.name}{where}")
            if net.prefixlen != 16:
                raise DeploymentError(f"invalid CIDR of {dep.name}{where}: {row['cidr']!r} is not a /16")
            if row["status"] not in STATUSES:
                raise DeploymentError(f"invalid status of {dep.name}{where}: {row['status']!r}; expected one of {', '.join(STATUSES)}")
            if dep.name in seen:
                raise DeploymentError(f"deployment {dep.name!r} appears twice in the registry{where}")
            for other, other_net in seen.items():
                if overlaps(net, other_net):
                    raise DeploymentError(f"registry{where}: {dep.name} {net} overlaps {other} {other_net}")
            seen[dep.name] = net
            self.rows.append({"name": dep.name, "cidr": str(net), "status": row["status"]})
        self.rows.sort(key=lambda r: IPNetwork(r["cidr"]).first)

    def names(self) -> list:
        return [r["name"] for r in self.rows]

    def lookup(self, name: str) -> str:
        for row in self.rows:
            if row["name"] == name:
                return row["cidr"]
        where = f" {self.path}" if self.path else ""
        raise DeploymentError(f"deployment {name!r} has no CIDR in the registry{where}; " + ALLOCATE_HINT.format(name=name))

    def overlapping(self, cidr: str, exclude: str | None = None) -> list:
        """[(name, cidr)] of registry rows other than `exclude` that overlap cidr."""
        net = parse_cidr(cidr)
        return [(r["name"], r["cidr"]) for r in self.rows if r["name"] != exclude and overlaps(net, IPNetwork(r["cidr"]))]

    def free_pool(self) -> list:
        used = [IPNetwork(r["cidr"]) for r in self.rows]
        out = []
        for first in range(self.pool_first.first, self.pool_last.first + 1, 1 << 16):
            net = IPNetwork(f"{IPAddress(first)}/16")
            if not any(overlaps(net, u) for u in used):
                out.append(net)
        return out

    def allocate(self, name: str, status: str = NEW_STATUS) -> str:
        """Add a /16 for a new deployment and return it (the caller writes the registry).

        Region-adjacent first: the /16 right after the highest (else right before the lowest) block
        of the same region and environment, staying inside that block's group of ten (10.30-10.39 …),
        which is how the seed groups deployments. Otherwise the lowest free /16 of the pool.
        """
        dep = parse_deployment_name(name)
        if name in self.names():
            raise DeploymentError(f"deployment {name!r} already has {self.lookup(name)} in the registry; nothing to allocate")
        if status not in STATUSES:
            raise DeploymentError(f"invalid status {status!r}: expected one of {', '.join(STATUSES)}")
        used = [IPNetwork(r["cidr"]) for r in self.rows]

        def free(octet):
            if not 0 <= octet <= 255:
                return None
            net = IPNetwork(f"10.{octet}.0.0/16")
            return None if any(overlaps(net, u) for u in used) else net

        siblings = []
        for row in self.rows:
            other = parse_deployment_name(row["name"])
            if other.scope == dep.scope and other.region_code == dep.region_code and other.environment == dep.environment:
                siblings.append(int(row["cidr"].split(".")[1]))
        chosen = None
        if siblings:
            for octet, anchor in ((max(siblings) + 1, max(siblings)), (min(siblings) - 1, min(siblings))):
                if octet // 10 == anchor // 10:
                    chosen = free(octet)
                    if chosen is not None:
                        break
        if chosen is None:
            pool = self.free_pool()
            if not pool:
                raise DeploymentError(f"no free /16 left for {name!r}: the adjacent blocks are taken and the pool "
                                      f"{self.pool_first}-{self.pool_last} is exhausted")
            chosen = pool[0]
        self.rows.append({"name": name, "cidr": str(chosen), "status": status})
        self.rows.sort(key=lambda r: IPNetwork(r["cidr"]).first)
        return str(chosen)

    def render(self) -> str:
        lines = [HEADER.rstrip("\n"), "available_pool:",
                 f"  first: {self.pool_first}", f"  last: {self.pool_last}", "  status: Available", "deployments:"]
        for row in self.rows:
            lines += [f"  - name: {row['name']}", f"    cidr: {row['cidr']}", f"    status: {row['status']}"]
        return "\n".join(lines) + "\n"


def load_registry(path: str | None = None) -> Registry:
    path = path or DEFAULT_REGISTRY
    if not HAS_YAML:
        raise DeploymentError("the Python package PyYAML is required on the controller: pip install pyyaml")
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as exc:
        raise DeploymentError(f"cannot read the CIDR registry {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise DeploymentError(f"the CIDR registry {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("deployments"), list) or not isinstance(data.get("available_pool"), dict):
        raise DeploymentError(f"the CIDR registry {path} needs 'available_pool' (first, last) and a 'deployments' list")
    pool = data["available_pool"]
    return Registry(data["deployments"], pool.get("first"), pool.get("last"), path=path)


def write_registry(registry: Registry, path: str | None = None) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a registry."""
    path = path or registry.path or DEFAULT_REGISTRY
    text = registry.render()
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".cidr-registry.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def subnet_plan(vnet_cidr: str, environment: str, features: dict | None = None) -> dict:
    """Subnet key -> its block inside the deployment's /16 (the third octet of its tier, the tier's prefix length: the
    seed's /24s, AzureBastionSubnet's /26 at 10.x.11.0 only when features.bastion); api_management only in prod."""
    net = parse_cidr(vnet_cidr, "vnet_cidr")
    if net.prefixlen != 16:
        raise DeploymentError(f"invalid vnet_cidr {vnet_cidr!r}: expected a /16 like 10.30.0.0/16")
    return {key: str(IPNetwork(f"{IPAddress(net.first + tier.octet * 256)}/{tier.prefix_length}"))
            for key, tier in tiers_for(environment, features).items()}

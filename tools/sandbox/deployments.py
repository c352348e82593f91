# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployments `scripts/sandbox.sh --all` deploys and `scripts/sandbox-down.sh` tears down, one name a line.

    python tools/sandbox/deployments.py all        # global ones, then regional ones (deploy order)
    python tools/sandbox/deployments.py teardown   # regional ones, then global ones

Every inventory under inventories/ (a directory with hosts.yml), in the seed's order: the order of the CIDR registry
(data/cidr-registry.yml, seeded from the seed's allocation table), global deployments first. An inventory the
registry does not list comes last in its scope, by name.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def deployments(repo: Path = REPO) -> list[str]:
    registry = yaml.safe_load((repo / "data" / "cidr-registry.yml").read_text(encoding="utf-8"))
    order = [row["name"] for row in registry.get("deployments", [])]
    names = sorted(p.parent.name for p in (repo / "inventories").glob("*/hosts.yml"))
    rank = {name: index for index, name in enumerate(order)}
    return sorted(names, key=lambda n: (not n.startswith("global-"), rank.get(n, len(order)), n))


def teardown_order(repo: Path = REPO) -> list[str]:
    names = deployments(repo)
    return [n for n in names if not n.startswith("global-")] + [n for n in names if n.startswith("global-")]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in ("all", "teardown"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    print("\n".join(deployments() if argv[1] == "all" else teardown_order()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

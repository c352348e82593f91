#!/usr/bin/env python
"""Allocate a /16 for a new deployment in the CIDR registry (data/cidr-registry.yml).

    python tools/cidr_allocate.py westeu-prod-3            # writes the registry, prints the CIDR
    python tools/cidr_allocate.py westeu-prod-3 --dry-run  # prints only
    python tools/cidr_allocate.py --list                   # the registry and the free pool

Rule (docs/deployment-model.md): the /16 next to the same region+environment blocks when the
seed's group of ten leaves room (westeu-prod-3 -> 10.32.0.0/16), else the lowest free /16 of the
10.60-10.99 pool. Refuses (exit 1) when the deployment already has a CIDR or nothing is free.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
try:
    from ansible_collections.complianceflow.infra.plugins.module_utils._deployment import cidr as _cidr
except ImportError:
    sys.path.insert(0, str(REPO / ".collections"))  # created by scripts/setup.sh
    try:
        from ansible_collections.complianceflow.infra.plugins.module_utils._deployment import cidr as _cidr
    except ImportError:
        sys.exit("cidr_allocate: cannot import complianceflow.infra; run scripts/setup.sh first")
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import DeploymentError  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("deployment", nargs="?", help="new deployment name, e.g. westeu-prod-3")
    parser.add_argument("--registry", default=_cidr.DEFAULT_REGISTRY, help="registry file (default: %(default)s)")
    parser.add_argument("--status", default=_cidr.NEW_STATUS, choices=_cidr.STATUSES)
    parser.add_argument("--dry-run", action="store_true", help="print the CIDR, do not write the registry")
    parser.add_argument("--list", action="store_true", help="print the registry and the free pool")
    args = parser.parse_args(argv)
    try:
        registry = _cidr.load_registry(args.registry)
        if args.list:
            for row in registry.rows:
                print(f"{row['name']:<24} {row['cidr']:<15} {row['status']}")
            free = registry.free_pool()
            print(f"free in pool: {len(free)} /16 ({free[0] if free else '-'} first)")
            return 0
        if not args.deployment:
            parser.error("a deployment name is required (or --list)")
        cidr = registry.allocate(args.deployment, status=args.status)
        if not args.dry_run:
            _cidr.write_registry(registry, args.registry)
    except DeploymentError as exc:
        print(f"cidr_allocate: {exc}", file=sys.stderr)
        return 1
    print(f"{args.deployment} {cidr}" + (" (dry run, registry unchanged)" if args.dry_run else f" written to {args.registry}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

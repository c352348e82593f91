"""Root pytest configuration: make the checkout importable as complianceflow.infra.

scripts/setup.sh links the checkout to .collections/ansible_collections/complianceflow/infra;
tests import the collection from there, exactly as ansible does.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS = REPO / ".collections"

if not (COLLECTIONS / "ansible_collections" / "complianceflow" / "infra").exists():
    raise SystemExit("tests: run scripts/setup.sh first (it links the collection into .collections)")

sys.path.insert(0, str(COLLECTIONS))
sys.path.insert(0, str(REPO / "tests" / "lib"))
os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS)
os.environ["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")

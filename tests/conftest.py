"""Root pytest configuration: make the checkout importable as complianceflow.infra.

scripts/setup.sh links the checkout to .collections/ansible_collections/complianceflow/infra;
tests import the collection from there, exactly as ansible does.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS = REPO / ".collections"

if not (COLLECTIONS / "ansible_collections" / "complianceflow" / "infra").exists():
    raise SystemExit("tests: run scripts/setup.sh first (it links the collection into .collections)")

sys.path.insert(0, str(COLLECTIONS))
sys.path.insert(0, str(REPO / "tests" / "lib"))
if str(REPO) not in sys.path:   # `tools.…` (the emulator) also under plain `pytest`, which, unlike `python -m pytest`, adds no cwd
    sys.path.append(str(REPO))
os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS)
os.environ["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: end-to-end runs of whole playbooks and scripts (minutes); "
                                       "deselect with -m 'not slow' for a quick run")


def pytest_collection_modifyitems(items):
    """The files with slow tests first. With pytest-xdist's loadfile each file runs whole on one worker, in collection
    order: a file of minutes collected late ran alone at the end while the other worker had nothing left to do. The
    order within each group stays as collected (a stable sort)."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)


# One ARM emulator per test worker, shared by every Azure test (tests/emulator, tests/integration/azure*):
# its flexible servers are backed by one throwaway PostgreSQL 15 (TLS on), started on first use only.
@pytest.fixture(scope="session")
def local_pg():
    from pg import start_cluster  # pylint: disable=import-outside-toplevel

    cluster = start_cluster("servers", tls=True)
    try:
        yield cluster
    finally:
        cluster.stop(remove=True)


@pytest.fixture(scope="session")
def emu(tmp_path_factory, local_pg):
    from emulator import OWNER_CONFIG, Emulator  # pylint: disable=import-outside-toplevel

    state_dir = tmp_path_factory.mktemp("arm-emulator")
    # The platform login lets the emulator apply the servers' pgaudit settings and allow-list to the cluster.
    backing = {"host": local_pg.host, "port": local_pg.port, "user": local_pg.admin_user,
               "password_file": local_pg.password_file, "sslmode": "require",
               "platform_user": local_pg.platform_user, "platform_password_file": local_pg.platform_password_file}
    (state_dir / "local-postgres.json").write_text(json.dumps(backing), encoding="utf-8")
    # Strict access (the emulator's default): the deploying identity is the subscription's Owner, as on a real
    # subscription, and has no data-plane role on any vault until one is assigned; it sits outside every network.
    with Emulator(state_dir, config=OWNER_CONFIG) as running:
        yield running


@pytest.fixture(scope="session")
def awx_env(emu):
    """Credentials only as AWX injects them; the emulator's CA as REQUESTS_CA_BUNDLE; vault hosts through its proxy."""
    for name in ("AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST", "AZURE_AD_USER", "AZURE_PASSWORD"):
        assert name not in os.environ, f"{name} is set in the test environment"
    return emu.awx_env(with_proxy=True)


@pytest.fixture(scope="session")
def ansible(awx_env):
    from azure_play import Runner  # pylint: disable=import-outside-toplevel

    return Runner(awx_env)

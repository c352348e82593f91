"""Key Vault and PostgreSQL Flexible Server modules and roles, run by real ansible-playbook against the
local ARM emulator, whose flexible servers are backed by a throwaway local PostgreSQL 15 (TLS on).

Credentials reach the modules only as AWX injects them; the emulator's CA comes in as
REQUESTS_CA_BUNDLE; vault hosts (<vault>.vault.localhost) are reached through the emulator's
CONNECT proxy (HTTPS_PROXY), as docs/azure-servers.md describes.
"""
from __future__ import annotations

import json

import pytest
from azure_play import Runner
from emulator import Emulator
from pg import start_cluster


@pytest.fixture(scope="session")
def local_pg():
    cluster = start_cluster("servers", tls=True)
    try:
        yield cluster
    finally:
        cluster.stop(remove=True)


@pytest.fixture(scope="session")
def emu(tmp_path_factory, local_pg):
    state_dir = tmp_path_factory.mktemp("arm-emulator-servers")
    backing = {"host": local_pg.host, "port": local_pg.port, "user": local_pg.admin_user,
               "password_file": local_pg.password_file, "sslmode": "require"}
    (state_dir / "local-postgres.json").write_text(json.dumps(backing), encoding="utf-8")
    with Emulator(state_dir) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_faults(emu):
    yield
    emu.clear_faults()


@pytest.fixture(scope="session")
def awx_env(emu):
    return emu.awx_env(with_proxy=True)


@pytest.fixture(scope="session")
def ansible(awx_env):
    return Runner(awx_env)

"""The Azure modules and roles, run by real ansible-playbook against one local ARM emulator.

Credentials reach the modules only as AWX injects them (AZURE_SUBSCRIPTION_ID, AZURE_CLIENT_ID,
AZURE_SECRET, AZURE_TENANT, AZURE_CLOUD_ENVIRONMENT); the emulator's CA comes in as
REQUESTS_CA_BUNDLE, as a private CA would on an AWX execution environment.
"""
from __future__ import annotations

import os
import uuid

import pytest
from azure_play import Runner
from emulator import Emulator


@pytest.fixture(scope="session")
def emu(tmp_path_factory):
    with Emulator(tmp_path_factory.mktemp("arm-emulator-azure")) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_faults(emu):
    yield
    emu.clear_faults()


@pytest.fixture(scope="session")
def awx_env(emu):
    env = emu.awx_env()
    # Nothing else may supply credentials: the run must work from the AWX names alone.
    for name in ("AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST", "AZURE_AD_USER", "AZURE_PASSWORD"):
        assert name not in os.environ, f"{name} is set in the test environment"
    return env


@pytest.fixture
def rg_name():
    return f"rg-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def ansible(awx_env):
    return Runner(awx_env)

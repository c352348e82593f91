"""The Azure modules and roles, run by real ansible-playbook against the worker's emulator (tests/conftest.py).

Credentials reach the modules only as AWX injects them (AZURE_SUBSCRIPTION_ID, AZURE_CLIENT_ID,
AZURE_SECRET, AZURE_TENANT, AZURE_CLOUD_ENVIRONMENT); the emulator's CA comes in as
REQUESTS_CA_BUNDLE, as a private CA would on an AWX execution environment. Vault hosts
(<vault>.vault.localhost) are reached through the emulator's CONNECT proxy (HTTPS_PROXY), and its
flexible servers are backed by a throwaway local PostgreSQL 15 (docs/azure-servers.md).
"""
from __future__ import annotations

import uuid

import pytest


@pytest.fixture(autouse=True)
def _clean_faults(emu):
    yield
    emu.clear_faults()


@pytest.fixture
def rg_name():
    return f"rg-test-{uuid.uuid4().hex[:8]}"

"""Key Vault and PostgreSQL Flexible Server modules, run by real ansible-playbook against the worker's
emulator (tests/conftest.py), whose flexible servers are backed by a throwaway local PostgreSQL 15 (TLS on).

Vault hosts (<vault>.vault.localhost) are reached through the emulator's CONNECT proxy (HTTPS_PROXY),
as docs/azure-servers.md describes.
"""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clean_faults(emu):
    yield
    emu.clear_faults()

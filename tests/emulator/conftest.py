"""One emulator per test session, real SDK clients and a real ClientSecretCredential against it."""
from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from emulator import OWNER_CONFIG, Emulator


@pytest.fixture(scope="session")
def emu(tmp_path_factory):
    """The emulator's own tests: a plain emulator (no PostgreSQL backing), the providers registered (tests/lib/emulator.py)."""
    with Emulator(tmp_path_factory.mktemp("arm-emulator"), config=OWNER_CONFIG) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_leftover_faults(emu):
    yield
    emu.clear_faults()
    emu.set_latency({}, replace=True)


@pytest.fixture(scope="session")
def credential(emu):
    return emu.credential()


@pytest.fixture(scope="session")
def resources(emu, credential):
    from azure.mgmt.resource.resources import ResourceManagementClient
    return ResourceManagementClient(credential, emu.subscription_id, **emu.client_kwargs())


@pytest.fixture(scope="session")
def network(emu, credential):
    from azure.mgmt.network import NetworkManagementClient
    # polling_interval only applies when a response lacks Retry-After; the emulator always sends it.
    return NetworkManagementClient(credential, emu.subscription_id, **emu.client_kwargs())


@pytest.fixture(scope="session")
def privatedns(emu, credential):
    from azure.mgmt.privatedns import PrivateDnsManagementClient
    return PrivateDnsManagementClient(credential, emu.subscription_id, **emu.client_kwargs())


@pytest.fixture
def group(emu, resources):
    """A fresh resource group per test (unique name), deleted afterwards without latency or faults."""
    name = f"rg-{uuid.uuid4().hex[:8]}"
    resources.resource_groups.create_or_update(name, {"location": "westeurope"})
    yield name
    emu.clear_faults()
    emu.set_latency({}, replace=True)
    if resources.resource_groups.check_existence(name):
        try:
            resources.resource_groups.begin_delete(name).result()
        except HttpResponseError as exc:   # a locked retention policy keeps its account, as on Azure: left in this emulator
            if exc.error is None or exc.error.code != "ResourceGroupDeletionBlocked":
                raise

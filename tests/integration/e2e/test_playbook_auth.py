"""deploy.yml and teardown.yml give `azure_auth` to every Azure module (module_defaults), with no AZURE_* in the environment.

A wrong subscription id in azure_auth fails the run (ARM's 404 SubscriptionNotFound) instead of reading as "nothing deployed".
"""
from __future__ import annotations

import os

import pytest
from ansible_run import REPO, run_playbook
from emulator import Emulator

pytestmark = pytest.mark.slow

AZURE_NAMES = ("AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT", "AZURE_CLOUD_ENVIRONMENT",
               "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST")


WRONG_SUBSCRIPTION = "0bad0bad-1111-2222-3333-444444444444"


def azure_auth(emu, subscription_id=None):
    return {"auth_source": "module", "subscription_id": subscription_id or emu.subscription_id, "client_id": emu.client_id,
            "secret": emu.client_secret, "tenant": emu.tenant_id, "cloud_environment": emu.url, "ca_bundle": emu.ca}


def test_teardown_reaches_the_emulator_with_azure_auth_only(tmp_path):
    with Emulator(tmp_path / "arm") as emu:
        auth = azure_auth(emu)
        leaked = [name for name in AZURE_NAMES if os.environ.get(name)]
        assert not leaked, f"{leaked} set in the test environment: the run must work from azure_auth alone"
        run = run_playbook(REPO / "playbooks" / "teardown.yml", inventory=[REPO / "inventories" / "westeu-dev-1"],
                           extra_vars={"azure_auth": auth, "teardown_export_dir": str(tmp_path / "exports")})
        assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert run.total("changed") == 0  # nothing deployed: a no-op
        probes = emu.requests(name="psql-cf-westeu-dev-1")
        assert probes and all(r["status"] == 404 for r in probes)  # the server probe asked the emulator, authenticated


def test_teardown_with_a_wrong_subscription_fails_instead_of_a_silent_no_op(tmp_path):
    with Emulator(tmp_path / "arm") as emu:
        auth = azure_auth(emu, WRONG_SUBSCRIPTION)
        run = run_playbook(REPO / "playbooks" / "teardown.yml", inventory=[REPO / "inventories" / "westeu-dev-1"],
                           extra_vars={"azure_auth": auth, "teardown_export_dir": str(tmp_path / "exports")})
        out = run.stdout + run.stderr
        assert run.rc != 0, run.stdout[-4000:]
        assert f"subscription_id {WRONG_SUBSCRIPTION} does not exist" in out and "SubscriptionNotFound" in out, run.stdout[-4000:]
        assert run.total("failures") >= 1 and run.total("changed") == 0
        arm = [r for r in emu.requests() if r["path"].lower().startswith("/subscriptions/")]
        assert arm and all(r["error_code"] == "SubscriptionNotFound" and r["method"] == "GET" for r in arm)
        assert emu.client_secret not in out

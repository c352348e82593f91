"""deploy.yml and teardown.yml give `azure_auth` to every Azure module (module_defaults), with no AZURE_* in the environment."""
from __future__ import annotations

import os

from ansible_run import REPO, run_playbook
from emulator import Emulator

AZURE_NAMES = ("AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT", "AZURE_CLOUD_ENVIRONMENT",
               "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST")


def test_teardown_reaches_the_emulator_with_azure_auth_only(tmp_path):
    with Emulator(tmp_path / "arm") as emu:
        auth = {"auth_source": "module", "subscription_id": emu.subscription_id, "client_id": emu.client_id,
                "secret": emu.client_secret, "tenant": emu.tenant_id, "cloud_environment": emu.url, "ca_bundle": emu.ca}
        leaked = [name for name in AZURE_NAMES if os.environ.get(name)]
        assert not leaked, f"{leaked} set in the test environment: the run must work from azure_auth alone"
        run = run_playbook(REPO / "playbooks" / "teardown.yml", inventory=[REPO / "inventories" / "westeu-dev-1"],
                           extra_vars={"azure_auth": auth, "teardown_export_dir": str(tmp_path / "exports")})
        assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert run.total("changed") == 0  # nothing deployed: a no-op
        probes = emu.requests(name="psql-cf-westeu-dev-1")
        assert probes and all(r["status"] == 404 for r in probes)  # the server probe asked the emulator, authenticated

"""A module trusts only the CA certificates it is told to (the environment's bundle, or its ca_bundle option), whether
it runs in the task's worker (the default, with the trust store the controller built before the fork:
module_utils/_azure/tls.py) or as a new Python; validate_certs=false skips the check. Real ansible-playbook runs against
the emulator, whose certificate comes from its own CA."""
from __future__ import annotations

import pytest
from azure_play import arm_id, resource, task

from tools.arm_emulator.certs import ensure_certificates


@pytest.mark.parametrize("in_process", ["true", "false"])
def test_a_module_trusts_only_its_bundle(ansible, emu, rg_name, tmp_path, in_process):
    other_ca, _cert, _key = ensure_certificates(tmp_path / "other-ca")
    env = {"REQUESTS_CA_BUNDLE": str(other_ca), "COMPLIANCEFLOW_IN_PROCESS": in_process}
    group = {"name": rg_name, "location": "westeurope"}

    refused = ansible.play([task("group", "resource_group", **group)], extra_env=env)
    assert refused.rc != 0
    assert "CERTIFICATE_VERIFY_FAILED" in refused.result("group")["msg"], refused.result("group")["msg"]
    assert "set the ca_bundle option" in refused.result("group")["msg"]
    assert resource(emu, arm_id(emu, rg_name)) is None

    # Its ca_bundle option names the emulator's CA: trusted, whatever the environment's bundle, in the same run as a
    # task that still refuses it.
    run = ansible.play([task("trusted", "resource_group", ca_bundle=emu.ca, **group),
                        task("still refused", "resource_group", **group)], extra_env=env)
    assert run.result("trusted")["changed"] is True and resource(emu, arm_id(emu, rg_name)) is not None
    # In the worker the cloud's metadata is the run's copy by now, so this task's first call is its token request:
    # refused there, with the same advice.
    assert "CERTIFICATE_VERIFY_FAILED" in run.result("still refused")["msg"]
    assert "set the ca_bundle option" in run.result("still refused")["msg"]

    unchecked = ansible.play([task("unchecked", "resource_group", validate_certs=False, state="absent", name=rg_name)],
                             extra_env=env)
    assert unchecked.rc == 0 and unchecked.result("unchecked")["changed"] is True
    assert resource(emu, arm_id(emu, rg_name)) is None

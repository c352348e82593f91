"""Throttling retried, failed operations and bad credentials reported clearly, secrets never printed."""
from __future__ import annotations

from azure_play import arm_id, resource, task


def test_429_and_500_then_success_are_retried(ansible, emu, rg_name):
    emu.add_fault(status=429, retry_after=1, count=1, method="PUT", resource_type="Microsoft.Resources/resourceGroups")
    emu.add_fault(status=500, count=1, method="PUT", resource_type="Microsoft.Resources/resourceGroups")
    mark = emu.request_count()
    run = ansible.play([task("group", "resource_group", name=rg_name, location="westeurope")])
    assert run.rc == 0, run.stdout[-2000:]
    assert run.result("group")["changed"] is True
    puts = [r["status"] for r in emu.requests(since=mark) if r["method"] == "PUT" and r.get("name") == rg_name]
    assert puts[:2] == [429, 500] and puts[-1] in (200, 201) and len(puts) == 3
    assert resource(emu, arm_id(emu, rg_name)) is not None
    ansible.play([task("group", "resource_group", name=rg_name, state="absent")])


def test_four_server_errors_in_a_row_are_still_retried(ansible, emu, rg_name):
    """azure-core retries a status only 3 times unless told; the collection asks for 6 (docs/azure.md)."""
    emu.add_fault(status=503, count=4, method="PUT", resource_type="Microsoft.Resources/resourceGroups")
    mark = emu.request_count()
    run = ansible.play([task("group", "resource_group", name=rg_name, location="westeurope")])
    assert run.rc == 0, run.stdout[-2000:]
    puts = [r["status"] for r in emu.requests(since=mark) if r["method"] == "PUT" and r.get("name") == rg_name]
    assert puts == [503, 503, 503, 503, 201]
    ansible.play([task("group", "resource_group", name=rg_name, state="absent")])


def test_operation_that_ends_failed_gives_a_clear_error(ansible, emu, rg_name):
    emu.add_fault(kind="fail_operation", name="vnet-failing", code="InternalServerError",
                  message="Allocation of the virtual network failed.")
    run = ansible.play([
        task("group", "resource_group", name=rg_name, location="westeurope"),
        task("vnet", "virtual_network", resource_group=rg_name, name="vnet-failing", location="westeurope", address_prefixes=["10.10.0.0/16"]),
    ])
    result = run.result("vnet")
    assert result["failed"] is True
    assert result["msg"].startswith("create virtual network vnet-failing failed")
    assert "InternalServerError: Allocation of the virtual network failed." in result["msg"]
    assert result["azure_error"]["operation"] == "create virtual network vnet-failing"
    ansible.play([task("group", "resource_group", name=rg_name, state="absent")])


def test_long_running_operation_past_timeout_fails_clearly(ansible, emu, rg_name):
    emu.set_latency({"Microsoft.Network/virtualNetworks": 5})
    try:
        run = ansible.play([
            task("group", "resource_group", name=rg_name, location="westeurope"),
            task("vnet", "virtual_network", resource_group=rg_name, name="vnet-slow", location="westeurope",
                 address_prefixes=["10.10.0.0/16"], timeout=1),
        ])
    finally:
        emu.set_latency({"Microsoft.Network/virtualNetworks": 0})
    result = run.result("vnet")
    assert result["failed"] is True
    assert result["msg"].startswith("create virtual network vnet-slow: timed out after 1 s (status InProgress)")
    ansible.play([task("group", "resource_group", name=rg_name, state="absent")])


def test_wrong_secret_is_an_authentication_error_without_the_secret(ansible, emu):
    # For this test the emulator accepts only its own secret (by default it takes any, which later files of the same
    # pytest worker rely on: another client id, tests/integration/azure/test_key_vault_access.py).
    emu.admin("POST", "credentials", [{"client_id": emu.client_id, "client_secret": emu.client_secret, "tenant_id": emu.tenant_id}])
    wrong = "not-the-Emulator-secret-4711"
    try:
        run = ansible.play([task("group", "resource_group", name="rg-never", location="westeurope")], verbosity=3,
                           extra_env={"AZURE_SECRET": wrong})
    finally:
        emu.admin("POST", "credentials", [])
    result = run.result("group")
    assert result["failed"] is True
    assert result["msg"].startswith("get resource group rg-never failed: Azure authentication failed with credentials from AWX environment variables")
    assert "AADSTS7000215" in result["msg"]
    assert wrong not in run.stdout + run.stderr


def test_secret_given_as_module_option_is_never_printed(ansible, emu, rg_name):
    secret = emu.client_secret
    run = ansible.play([task("group", "resource_group", name=rg_name, location="westeurope", auth_source="module",
                             client_id=emu.client_id, tenant=emu.tenant_id, secret=secret)],
                       verbosity=3, extra_env={"AZURE_SECRET": "unused-because-auth_source-is-module"})
    assert run.result("group")["changed"] is True, run.stdout[-2000:]
    assert secret not in run.stdout + run.stderr
    ansible.play([task("group", "resource_group", name=rg_name, state="absent")])


def test_missing_sdk_names_the_pip_package(ansible, emu, tmp_path):
    # A directory shadowing azure.mgmt.network makes its import fail as if not installed.
    shadow = tmp_path / "azure" / "mgmt" / "network"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named azure.mgmt.network')\n")
    run = ansible.play([task("nsg", "network_security_group", resource_group="rg-x", name="nsg-x", location="westeurope")],
                       extra_env={"PYTHONPATH": str(tmp_path)})
    msg = run.result("nsg")["msg"]
    assert "azure-mgmt-network (pip install azure-mgmt-network)" in msg

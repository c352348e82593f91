"""The start/stop/status command, and state that survives a restart."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from azure.mgmt.network import NetworkManagementClient, models as nm
from azure.mgmt.resource.resources import ResourceManagementClient
from arm_emulator.state import State
from emulator import CLI, Emulator


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=60, check=False,
                          env={"ARM_EMULATOR_PYTHON": sys.executable, "PATH": "/usr/bin:/bin"})


def test_state_survives_a_restart_on_the_same_url(tmp_path):
    emu = Emulator(tmp_path / "arm", config={"latency": {"default": 0}}).start()
    try:
        url = emu.url
        cred = emu.credential()
        rgs = ResourceManagementClient(cred, emu.subscription_id, **emu.client_kwargs()).resource_groups
        rgs.create_or_update("rg-keep", {"location": "westeurope", "tags": {"Owner": "platform"}})
        net = NetworkManagementClient(cred, emu.subscription_id, **emu.client_kwargs())
        net.virtual_networks.begin_create_or_update("rg-keep", "vnet-keep", nm.VirtualNetwork(
            location="westeurope", address_space=nm.AddressSpace(address_prefixes=["10.50.0.0/16"]),
            subnets=[nm.Subnet(name="a", address_prefix="10.50.1.0/24")])).result()

        emu.restart()

        assert emu.url == url  # the previous port is reused when free
        # The old credential's cached token still verifies: the signing key is in the state dir.
        assert rgs.get("rg-keep").tags == {"Owner": "platform"}
        assert [s.name for s in net.subnets.list("rg-keep", "vnet-keep")] == ["a"]
        saved = json.loads((emu.state_dir / "state.json").read_text())
        assert any(key.endswith("/virtualnetworks/vnet-keep") for key in saved["resources"])
    finally:
        emu.stop()


def test_status_and_stop_report_a_stopped_emulator(tmp_path):
    state = tmp_path / "arm"
    started = _cli("start", "--state-dir", str(state), "--port", "0")
    assert started.returncode == 0, started.stderr
    lines = dict(line.split("=", 1) for line in started.stdout.splitlines())
    assert lines["ARM_EMULATOR_URL"].startswith("https://127.0.0.1:")
    assert lines["ARM_EMULATOR_CA"] == str(state.resolve() / "ca.pem")
    status = _cli("status", "--state-dir", str(state))
    assert status.returncode == 0 and lines["ARM_EMULATOR_URL"] in status.stdout
    assert _cli("stop", "--state-dir", str(state)).returncode == 0
    stopped = _cli("status", "--state-dir", str(state))
    assert stopped.returncode == 3 and "not running" in stopped.stdout


def test_a_bad_config_fails_before_starting(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"latency": {"Microsoft.Network/virtualNetworks": "slow"}}))
    result = _cli("start", "--state-dir", str(tmp_path / "arm"), "--config", str(config))
    assert result.returncode == 2
    assert "latency for 'Microsoft.Network/virtualNetworks' must be a number of seconds, got 'slow'" in result.stderr
    assert not (tmp_path / "arm" / "emulator.pid").exists()


def test_a_stale_pid_file_never_stops_an_unrelated_process(tmp_path):
    state = tmp_path / "arm"
    state.mkdir()
    bystander = subprocess.Popen(["sleep", "30"])  # pylint: disable=consider-using-with
    try:
        (state / "emulator.pid").write_text(str(bystander.pid))
        assert _cli("status", "--state-dir", str(state)).returncode == 3
        stopped = _cli("stop", "--state-dir", str(state))
        assert stopped.returncode == 0 and "not running" in stopped.stdout
        assert bystander.poll() is None, "stop killed a process that was not the emulator"
    finally:
        bystander.kill()
        bystander.wait()


def test_a_config_may_carry_comment_keys_but_no_other_unknown_key():
    """bench/deploy/profile.json documents itself in `_comment` (SANDBOX_LATENCY=bench/deploy/profile.json); a misspelt
    real key is still refused by name."""
    from tools.arm_emulator.config import Config, ConfigError, load_file  # pylint: disable=import-outside-toplevel

    profile = load_file(Path(__file__).resolve().parents[2] / "bench" / "deploy" / "profile.json")
    assert "_comment" in profile
    assert Config(profile).delay_for("Microsoft.DBforPostgreSQL/flexibleServers") > 1
    with pytest.raises(ConfigError, match=r"unknown config keys \['_latency'\]"):
        Config({"_latency": {"default": 1}})


def _saved(state_dir):
    return json.loads((state_dir / "state.json").read_text())["resources"]


def test_a_change_reaches_state_json_soon_after_it_and_whole_at_close(tmp_path):
    state = State(tmp_path)
    assert _saved(tmp_path) == {}   # written at start, so that a reader never finds no file
    with state.lock:
        state.put({"id": "/subscriptions/s/resourceGroups/rg-first"})
        state.save()
    deadline = time.monotonic() + 10   # the writer's interval is 0.2 s; 10 s only bounds a stuck writer
    while "/subscriptions/s/resourcegroups/rg-first" not in _saved(tmp_path):
        assert time.monotonic() < deadline, "a saved change never reached state.json"
        time.sleep(0.05)
    with state.lock:
        state.put({"id": "/subscriptions/s/resourceGroups/rg-last"})
        state.save()
    state.close()   # the emulator stops: what the writer has not written yet is written now
    assert set(_saved(tmp_path)) == {"/subscriptions/s/resourcegroups/rg-first", "/subscriptions/s/resourcegroups/rg-last"}
    assert State(tmp_path).get("/subscriptions/s/resourceGroups/rg-last") is not None

"""VNet peering of two deployments in one sandbox (issue 16, item 4): roles/peering against the emulator, as the
inventories declare it (westeu-prod-1 <-> westeu-prod-2): check mode on a brand-new deployment predicts without failing or
writing, both directions are made and Connected, a re-run changes nothing, the teardown of one side removes both."""
from __future__ import annotations

from pathlib import Path

import yaml
from azure_play import arm_id, resource, task

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan

ROOT = Path(__file__).resolve().parents[3]
WRITES = ("PUT", "PATCH", "DELETE", "POST")


def _plan(deployment: str) -> dict:
    with open(ROOT / "inventories" / deployment / "host_vars" / f"{deployment}.yml", encoding="utf-8") as handle:
        return build_plan(deployment, yaml.safe_load(handle)["deployment_overrides"])


def _writes(emu, since: int) -> list:
    return [r for r in emu.requests(since=since) if r["method"] in WRITES and "/_emulator/" not in r["path"] and "token" not in r["path"]]


def _peerings(emu, plan: dict) -> dict:
    """{peering name: stored peering state} of the deployment's VNet, read from the emulator's state."""
    vnet = resource(emu, arm_id(emu, plan["names"]["resource_group"], f"Microsoft.Network/virtualNetworks/{plan['names']['virtual_network']}"))
    return {p["name"]: p["properties"]["peeringState"] for p in (vnet or {}).get("properties", {}).get("virtualNetworkPeerings", [])}


def _changed(run) -> int:
    return run.data["stats"]["localhost"]["changed"]


def test_two_deployments_peered_both_ways_idempotent_and_removed_with_either(ansible, emu):
    one, two = _plan("westeu-prod-1"), _plan("westeu-prod-2")
    there, back = one["peerings"][0]["directions"]
    peering = {"role": "complianceflow.infra.peering"}

    # --check on a brand-new deployment: nothing exists, the role predicts and writes nothing.
    mark = emu.request_count()
    run = ansible.play([], roles=[peering], check=True, vars_={"deployment_plan": one})
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert f"would peer once {one['names']['virtual_network']} and {two['names']['virtual_network']} exists" in run.stdout + run.stderr
    assert not _writes(emu, mark), "check mode wrote"

    networks = [t for plan in (one, two) for t in (
        task(f"group {plan['name']}", "resource_group", name=plan["names"]["resource_group"], location=plan["location"]),
        task(f"vnet {plan['name']}", "virtual_network", resource_group=plan["names"]["resource_group"],
             name=plan["names"]["virtual_network"], location=plan["location"], address_prefixes=[plan["vnet_cidr"]]))]
    cleanup = [task(f"remove {plan['name']}", "resource_group", name=plan["names"]["resource_group"], state="absent") for plan in (one, two)]
    try:
        run = ansible.play(networks + [{"ansible.builtin.include_role": {"name": "complianceflow.infra.peering"}}],
                           vars_={"deployment_plan": one})
        assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert _peerings(emu, one) == {there["name"]: "Connected"} and _peerings(emu, two) == {back["name"]: "Connected"}

        # A re-run, from either deployment, changes nothing and writes nothing.
        mark = emu.request_count()
        run = ansible.play([{"ansible.builtin.include_role": {"name": "complianceflow.infra.peering"}, "vars": {"deployment_plan": plan}}
                            for plan in (one, two)])
        assert run.rc == 0 and _changed(run) == 0 and not _writes(emu, mark), run.stdout[-3000:]

        # Teardown of westeu-prod-2: both directions go, westeu-prod-1's VNet keeps no Disconnected peering (the state is
        # read before westeu-prod-1's group is removed too, in the same run).
        read_state = {"name": "state after teardown", "ansible.builtin.set_fact": {"peering_state": (
            f"{{{{ lookup('ansible.builtin.url', '{emu.url}/_emulator/state', ca_path='{emu.ca}', use_proxy=false, "
            "split_lines=false) | from_json }}")}}
        run = ansible.play([{"ansible.builtin.include_role": {"name": "complianceflow.infra.peering", "tasks_from": "teardown"}},
                            cleanup[1], read_state, cleanup[0]], vars_={"deployment_plan": two})
        assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
        stored = run.result("state after teardown")["ansible_facts"]["peering_state"]["resources"]
        vnet_one = stored[arm_id(emu, one["names"]["resource_group"], f"Microsoft.Network/virtualNetworks/{one['names']['virtual_network']}").lower()]
        assert vnet_one["properties"]["virtualNetworkPeerings"] == []
        assert arm_id(emu, two["names"]["resource_group"]).lower() not in stored
    except BaseException:
        ansible.play(cleanup)
        raise

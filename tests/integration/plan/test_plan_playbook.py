"""Real ansible-playbook runs: playbooks/plan.yml, the filters and deployment_info, bad input, inventory validation."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import yaml

from ansible_run import JSON_CALLBACK_ENV as JSON_ENV, REPO, run_playbook

PLAN = REPO / "playbooks" / "plan.yml"
VALID_FORM = "{region}-{env}-{instance}"
BAD_NAMES = {
    "WestEU-prod-1": "did you mean 'westeu-prod-1'",
    "westeu-test-1": "did you mean 'westeu-dev-1'",
    "westeu-prod-0": "out of range 1..99",
    "westeu-prod-01": "without leading zeros",
    "mars-prod-1": "region 'mars'",
    "global-prod-1": "did you mean 'global-prod'",
    "westeu-prod": "needs an instance number",
    "": "the name is empty",
}
OVERLAP = {"vnet_cidr": "10.30.0.0/16"}
OVERLAP_MESSAGE = "invalid override vnet_cidr='10.30.0.0/16' for westeu-dev-1: it overlaps westeu-prod-1 (10.30.0.0/16)"


def no_azure_env():
    """The environment without any Azure credential variable: the plan must not need one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ARM_", "MSI_", "IDENTITY_"))}
    env.update(JSON_ENV)
    return env


def assert_clean(run):
    assert "Traceback" not in run.stdout + run.stderr


@pytest.fixture(scope="module")
def prod1_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    run = run_playbook(PLAN, inventory=REPO / "inventories" / "westeu-prod-1", extra_vars={"plan_output_dir": str(out)},
                       env=no_azure_env())
    return run, out


def test_plan_of_westeu_prod_1_shows_the_seed_names_and_subnets(prod1_plan):
    run = prod1_plan[0]
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = "\n".join(run.result("Show the plan")["msg"])
    for expected in ("rg-cf-westeu-prod-1", "vnet-cf-westeu-prod-1", "snet-cf-westeu-prod-1-db", "psql-cf-westeu-prod-1",
                     "redis-cf-westeu-prod-1", "kv-cf-westeu-prod-1-", "stcfwesteuprod1", "acrcfwesteuprod1",
                     "log-cf-westeu-prod-1", "appi-cf-westeu-prod-1", "10.30.0.0/16", "10.30.1.0/24", "10.30.2.0/24",
                     "10.30.3.0/24", "10.30.4.0/24", "10.30.5.0/24", "10.30.10.0/24", "5000 USD/month", "ManagedBy=Ansible",
                     "CostCenter=Production", "Owner=Platform Team", "GP_Standard_D4s_v3", "analytics_service"):
        assert expected in lines, expected
    assert_clean(run)


def test_plan_shows_prod_only_resources_and_budget_alerts_in_prod_and_none_of_them_in_dev(prod1_plan, tmp_path):
    prod = "\n".join(prod1_plan[0].result("Show the plan")["msg"])
    assert "api management  apim-cf-westeu-prod-1 Premium x1, VNet Internal" in prod
    assert "ddos protection ddos-cf-prod-westeu in rg-cf-prod-westeu-ddos" in prod
    assert "budget          5000 USD/month, alerts at 50%/80%/100%\n" in prod
    assert "budget alerts   to platform-team@complianceflow.example" in prod   # the inventory's contacts
    dev = run_playbook(PLAN, inventory=REPO / "inventories" / "westeu-dev-1", extra_vars={"plan_output_dir": str(tmp_path)},
                       env=no_azure_env())
    assert dev.rc == 0, dev.stdout[-3000:]
    lines = "\n".join(dev.result("Show the plan")["msg"])
    assert "budget          200 USD/month, alerts at 50%/80%/100%\n" in lines
    assert "apim-cf" not in lines and "api management" not in lines and "ddos protection" not in lines
    written = json.loads((tmp_path / "westeu-dev-1.json").read_text(encoding="utf-8"))
    assert "api_management" not in written and written["ddos_protection"] is None
    assert "api_management" not in written["subnets"]


def test_plan_json_is_written_and_equals_the_module_result(prod1_plan):
    run, out = prod1_plan
    written = json.loads((out / "westeu-prod-1.json").read_text(encoding="utf-8"))
    returned = run.result("Compute the deployment plan (inventory overrides merged and validated)")["plan"]
    assert written == returned
    assert written["subnets"]["database"] == "10.30.2.0/24"
    assert written["tags"]["CostCenter"] == "Production"   # from inventories/westeu-prod-1/group_vars/prod.yml


def test_plan_is_unchanged_on_a_second_run_and_in_check_mode(prod1_plan, tmp_path):
    out = prod1_plan[1]
    again = run_playbook(PLAN, inventory=REPO / "inventories" / "westeu-prod-1", extra_vars={"plan_output_dir": str(out)},
                         env=no_azure_env())
    assert again.rc == 0 and again.total("changed") == 0
    check = run_playbook(PLAN, inventory=REPO / "inventories" / "westeu-prod-1", check=True,
                         extra_vars={"plan_output_dir": str(tmp_path / "never")}, env=no_azure_env())
    assert check.rc == 0
    assert not (tmp_path / "never").exists()


FILTERS_AND_MODULE = """
- name: Bad input through the filters and the module
  hosts: localhost
  gather_facts: false
  vars:
    bad: %s
  tasks:
    - name: resource_names filter
      ansible.builtin.debug:
        msg: "{{ item | complianceflow.infra.resource_names }}"
      loop: "{{ bad }}"
      ignore_errors: true
    - name: deployment filter
      ansible.builtin.debug:
        msg: "{{ item | complianceflow.infra.deployment }}"
      loop: "{{ bad }}"
      ignore_errors: true
    - name: deployment_info module
      complianceflow.infra.deployment_info:
        name: "{{ item }}"
      loop: "{{ bad }}"
      ignore_errors: true
    - name: deployment filter with an overlapping CIDR override
      ansible.builtin.debug:
        msg: "{{ 'westeu-dev-1' | complianceflow.infra.deployment(overrides={'vnet_cidr': '10.30.0.0/16'}) }}"
      ignore_errors: true
    - name: deployment_info with an overlapping CIDR override
      complianceflow.infra.deployment_info:
        name: westeu-dev-1
        overrides: {vnet_cidr: 10.30.0.0/16}
      ignore_errors: true
""" % json.dumps(list(BAD_NAMES))


@pytest.fixture(scope="module")
def bad_input_run():
    return run_playbook(FILTERS_AND_MODULE, env=JSON_ENV)


@pytest.mark.parametrize("task", ["resource_names filter", "deployment filter", "deployment_info module"])
def test_bad_names_fail_in_filters_and_module(bad_input_run, task):
    assert_clean(bad_input_run)
    results = bad_input_run.result(task)["results"]
    assert [r["item"] for r in results] == list(BAD_NAMES)
    for result, (bad, hint) in zip(results, BAD_NAMES.items()):
        assert result.get("failed") is True, (task, bad)
        assert f"invalid deployment name {bad!r}" in result["msg"], (task, result["msg"])
        assert hint in result["msg"] and VALID_FORM in result["msg"], (task, result["msg"])


@pytest.mark.parametrize("task", ["deployment filter with an overlapping CIDR override",
                                  "deployment_info with an overlapping CIDR override"])
def test_overlapping_override_fails_in_filter_and_module(bad_input_run, task):
    result = bad_input_run.result(task)
    assert result["failed"] is True
    assert OVERLAP_MESSAGE in result["msg"] and "the registry gives westeu-dev-1 10.10.0.0/16" in result["msg"]


def test_bad_names_and_overlap_fail_in_the_playbook(tmp_path):
    hosts = {f"bad{i}": {"ansible_connection": "local", "deployment_name": name} for i, name in enumerate(BAD_NAMES)}
    hosts["overlap"] = {"ansible_connection": "local", "deployment_name": "westeu-dev-1", "deployment_overrides": OVERLAP}
    inventory = tmp_path / "bad.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}), encoding="utf-8")
    run = run_playbook(PLAN, inventory=inventory, extra_vars={"plan_output_dir": str(tmp_path / "out")}, env=no_azure_env())
    assert run.rc != 0
    assert_clean(run)
    results = {}
    for play in run.data["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].startswith("Compute the deployment plan"):
                results = task["hosts"]
    for i, (bad, hint) in enumerate(BAD_NAMES.items()):
        msg = results[f"bad{i}"]["msg"]
        assert results[f"bad{i}"]["failed"] and f"{bad!r}" in msg and hint in msg and VALID_FORM in msg, msg
    assert OVERLAP_MESSAGE in results["overlap"]["msg"]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def validate(*inventories):
    return subprocess.run(["bash", str(REPO / "scripts" / "validate-inventories.sh"), *map(str, inventories)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "PLAN_OUTPUT_DIR": str(inventories[0].parent / "plan-out")})


def copy_inventory(tmp_path, name, as_name=None):
    target = tmp_path / (as_name or name)
    shutil.copytree(REPO / "inventories" / name, target)
    return target


def test_validation_accepts_good_inventories(tmp_path):
    result = validate(copy_inventory(tmp_path, "westeu-dev-1"), copy_inventory(tmp_path, "global-prod"))
    assert result.returncode == 0, result.stderr
    assert "2 inventories, 2 deployments" in result.stdout
    assert json.loads((tmp_path / "plan-out" / "global-prod.json").read_text())["vnet_cidr"] == "10.2.0.0/16"


def test_validation_refuses_an_overlapping_override(tmp_path):
    dev = copy_inventory(tmp_path, "westeu-dev-1")
    (dev / "host_vars").mkdir()
    (dev / "host_vars" / "westeu-dev-1.yml").write_text(yaml.safe_dump({"deployment_overrides": OVERLAP}))
    result = validate(dev)
    assert result.returncode == 1
    assert OVERLAP_MESSAGE in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "plan-out").exists()   # no plan after a failed validation


def test_validation_refuses_a_deployment_in_two_inventories_and_leaking_group_vars(tmp_path):
    first = copy_inventory(tmp_path, "westeu-prod-1")
    second = copy_inventory(tmp_path, "westeu-prod-1", as_name="westeu-prod-1-copy")
    (second / "group_vars" / "prod.yml").write_text(yaml.safe_dump({"deployment_overrides": {"owner": "Someone Else"}}))
    result = validate(first, second)
    assert result.returncode == 1
    assert "deployment westeu-prod-1 is defined twice" in result.stderr
    assert "it must be named after the inventory ('westeu-prod-1-copy')" in result.stderr


def test_validation_refuses_group_vars_leaking_into_other_deployments(tmp_path):
    # Two prod deployments whose overrides come from group_vars only (westeu-prod-1/2 set theirs in host_vars, which
    # a leaking group file cannot reach).
    prod1 = copy_inventory(tmp_path, "eastus-prod-1")
    prod2 = copy_inventory(tmp_path, "northeu-prod-1")
    (prod2 / "group_vars" / "prod.yml").write_text(yaml.safe_dump({"deployment_overrides": {"key_vault_suffix": "ab12"}}))
    result = validate(prod1, prod2)
    assert result.returncode == 1
    assert "with all inventories loaded (a group_vars file of another inventory leaks in" in result.stderr

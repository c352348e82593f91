"""playbooks/awx/configure.yml without an AWX server: its syntax, every awx.awx task's arguments against the installed
module's argument spec (awx_tasks.py says how), and that the objects it creates fit together as AWX needs them (a node's
job template, inventory and success nodes exist before it; the playbooks and inventory paths exist in the project).
Survey questions are checked against the rules AWX applies when a survey is saved (ansible/awx,
awx/api/views/__init__.py, JobTemplateSurveySpec._validate_spec_data; WorkflowJobTemplateSurveySpec inherits it).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
PLAYBOOK = REPO / "playbooks" / "awx" / "configure.yml"
WALKER = Path(__file__).with_name("awx_tasks.py")
AWX = REPO / ".collections" / "ansible_collections" / "awx" / "awx"
CONTROLLER = {"awx_controller_host": "https://awx.example.test", "awx_controller_username": "admin",
              "awx_controller_password": "not-a-secret"}

pytestmark = pytest.mark.skipif(not AWX.is_dir(), reason="awx.awx not installed: run scripts/setup.sh")


def walk(playbook: Path, extra_vars: dict) -> dict[str, list[dict]]:
    out = subprocess.run([sys.executable, str(WALKER), str(playbook), "-e", json.dumps(extra_vars)],
                         capture_output=True, text=True, check=False, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)["tasks"]


@pytest.fixture(scope="module")
def tasks():
    return walk(PLAYBOOK, CONTROLLER)


def args_of(tasks, module):
    return [args for task in tasks if task["module"] == module for args in task["args"]]


def test_every_awx_task_passes_its_module_argument_spec(tasks):
    assert {t["module"] for t in tasks} == {"execution_environment", "project", "inventory", "inventory_source",
                                            "job_template", "workflow_job_template", "workflow_job_template_node"}
    assert [e for t in tasks for e in t["errors"]] == []
    # The controller's address and login reach every module through module_defaults.
    assert all(a["controller_host"] == CONTROLLER["awx_controller_host"] for t in tasks for a in t["args"])


def test_the_checker_refuses_what_the_module_would(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump([{"name": "Bad", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Misspelt option and a value outside the choices", "awx.awx.job_template": {
            "name": "x", "playbok": "playbooks/deploy.yml", "job_type": "deploy"}},
        {"name": "Both of two exclusive options", "awx.awx.workflow_job_template_node": {
            "identifier": "n", "workflow_job_template": "w", "unified_job_template": "jt", "approval_node": {"name": "a"}}},
    ]}]))
    errors = [e for t in walk(bad, {}) for e in t["errors"]]
    assert any("playbok" in e for e in errors), errors
    assert any("job_type" in e and "run, check" in e for e in errors), errors
    assert any("mutually exclusive" in e for e in errors), errors


def test_one_inventory_per_deployment_sourced_from_its_directory(tasks):
    registry = [row["name"] for row in yaml.safe_load((REPO / "data/cidr-registry.yml").read_text())["deployments"]]
    with_inventory = [name for name in registry if (REPO / "inventories" / name / "hosts.yml").is_file()]
    assert [a["name"] for a in args_of(tasks, "inventory")] == with_inventory
    for source in args_of(tasks, "inventory_source"):
        assert source["source"] == "scm" and source["source_project"] == args_of(tasks, "project")[0]["name"]
        assert source["source_path"] == f"inventories/{source['inventory']}"


def test_job_templates_run_the_projects_playbooks_with_the_azure_credential(tasks):
    templates = {a["name"].split()[-1]: a for a in args_of(tasks, "job_template")}
    assert set(templates) == {"plan", "preflight", "deploy", "seed", "teardown"}
    for action, jt in templates.items():
        assert jt["playbook"] == f"playbooks/{action}.yml" and (REPO / jt["playbook"]).is_file()
        assert jt["ask_inventory_on_launch"] is True and jt["allow_simultaneous"] is True
        assert jt["credentials"] == ([] if action == "plan" else ["ComplianceFlow Azure"])
    assert [q["variable"] for q in templates["teardown"]["survey_spec"]["spec"]] == ["confirm_teardown", "teardown_export_dir"]
    assert [q["variable"] for q in templates["seed"]["survey_spec"]["spec"]] == ["confirm_seed"]


def test_workflows_deploy_global_first_and_tear_down_prod_only_after_an_approval(tasks):
    workflows = {a["name"]: a for a in args_of(tasks, "workflow_job_template")}
    nodes = args_of(tasks, "workflow_job_template_node")
    registry = yaml.safe_load((REPO / "data/cidr-registry.yml").read_text())["deployments"]
    for env in ("dev", "stg", "prod"):
        names = [r["name"] for r in registry if r["name"].split("-")[1] == env]
        regional = sorted(n for n in names if not n.startswith("global-"))
        for action in ("deploy", "teardown"):
            flow = f"ComplianceFlow {action} {env}"
            assert flow in workflows
            mine = [n for n in nodes if n["workflow_job_template"] == flow]
            created = set()
            for node in mine:  # AWX resolves success_nodes by identifier: they must exist already
                assert set(node["success_nodes"]) <= created, node
                created.add(node["identifier"])
            children = {c for n in mine for c in n["success_nodes"]}
            roots = [n for n in mine if n["identifier"] not in children]
            by_id = {n["identifier"]: n for n in mine}
            if action == "deploy":
                assert [r["identifier"] for r in roots] == [f"deploy global-{env}"]
                assert sorted(by_id[f"deploy global-{env}"]["success_nodes"]) == [f"deploy {r}" for r in regional]
            elif env == "prod":
                assert [r["identifier"] for r in roots] == ["approve teardown prod"]
                assert "approval_node" in by_id["approve teardown prod"]
                assert sorted(by_id["approve teardown prod"]["success_nodes"]) == [f"teardown {r}" for r in regional]
            else:
                assert sorted(r["identifier"] for r in roots) == [f"teardown {r}" for r in regional]
                assert not any("approval_node" in n for n in mine)
            if action == "teardown":
                assert all(by_id[f"teardown {r}"]["success_nodes"] == [f"teardown global-{env}"] for r in regional)
                assert by_id[f"teardown global-{env}"]["all_parents_must_converge"] is True
            for node in mine:
                if "unified_job_template" in node:
                    assert node["unified_job_template"] == f"ComplianceFlow {action}"
                    assert node["inventory"] == node["identifier"].split()[-1]
    prod_survey = workflows["ComplianceFlow teardown prod"]["survey_spec"]["spec"]
    confirm = next(q for q in prod_survey if q["variable"] == "confirm_teardown")
    assert confirm["required"] is True and "global-prod" in confirm["question_description"]
    assert workflows["ComplianceFlow teardown prod"]["survey_enabled"] is True


AWX_SURVEY_TYPES = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
                    "integer": int, "float": float}


def test_every_survey_is_one_awx_accepts(tasks):
    surveys = [a["survey_spec"] for t in tasks for a in t["args"] if "survey_spec" in a]
    assert surveys
    for survey in surveys:
        assert isinstance(survey["name"], str) and isinstance(survey["description"], str) and survey["spec"]
        variables = [q["variable"] for q in survey["spec"]]
        assert len(variables) == len(set(variables))
        for q in survey["spec"]:
            assert all(isinstance(q[f], str) for f in ("type", "question_name", "variable")) and isinstance(q["required"], bool)
            assert q["type"] in AWX_SURVEY_TYPES
            if q.get("default", "") != "":
                assert isinstance(q["default"], AWX_SURVEY_TYPES[q["type"]])
                assert q.get("min", 0) <= len(q["default"]) <= q.get("max", 1024)
            assert all(isinstance(q[k], int) for k in ("min", "max") if q.get(k) is not None)


def test_syntax_check():
    # The venv's ansible-playbook, next to this Python: PATH may not hold it (python -m pytest from another shell).
    out = subprocess.run([str(Path(sys.executable).with_name("ansible-playbook")), "--syntax-check", str(PLAYBOOK)],
                         capture_output=True, text=True, check=False, cwd=REPO)
    assert out.returncode == 0, out.stderr

"""deploy.yml's role imports: each private (`public: false`) and none checking its variables again when it starts
(`rolespec_validate: false`), with what those properties rely on held here, so that a new import cannot publish its
defaults to every task of the play again (ansible-core merges every published role's defaults into the variables of
every task and host: about 1.4 ms each; bench/deploy/README.md, 6 Dec 2026) nor add a check the plan play does not
cover."""
from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.complianceflow.infra.plugins.plugin_utils import role_variables

REPO = Path(__file__).resolve().parents[3]
PLAYBOOK = REPO / "playbooks" / "deploy.yml"
IMPORT_ROLE = ("ansible.builtin.import_role", "import_role")
INCLUDE_ROLE = ("ansible.builtin.include_role", "include_role")
# The required options of the entry points deploy.yml runs, and the role whose tasks set each before the role that
# needs it starts (None: deploy.yml itself, its plan play).
SET_BY_THE_RUN = {"deployment_plan": None,
                  "log_analytics_workspace_id": "log_analytics",
                  "network_vnet_started": "network",
                  "network_dns_zones_started": "network",
                  "network_dns_zone_links": "network",
                  "redis_result": "redis",
                  "container_apps_environment_result": "container_apps_environment"}
# What an entry point's spec may hold besides its options: nothing the plan play's check leaves out.
SPEC_TEXT = {"short_description", "description", "author", "version_added", "options"}


def _tasks(entries):
    for entry in entries or []:
        yield entry
        for key in ("block", "rescue", "always"):
            yield from _tasks(entry.get(key))


def _role_tasks(keys=IMPORT_ROLE):
    """(task, its import or include arguments) of every role deploy.yml imports (or includes, with INCLUDE_ROLE)."""
    for play in yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8")):
        for section in ("pre_tasks", "tasks", "post_tasks"):
            for task in _tasks(play.get(section)):
                for key in keys:
                    if key in task:
                        yield task, task[key]


def _role_imports():
    for task, args in _role_tasks():
        yield task["name"], args


def _entry_point(args) -> tuple[str, str]:
    return args["name"].rsplit(".", 1)[-1], args.get("tasks_from", "main")


def test_every_role_import_of_deploy_yml_is_private():
    imports = list(_role_imports())
    assert len(imports) >= 25, "deploy.yml's role imports were not found: has its layout changed?"
    published = [name for name, args in imports if args.get("public") is not False]
    assert not published, f"import_role without public: false in deploy.yml: {published}"


def test_deploy_yml_checks_every_role_s_variables_once_in_its_plan_play():
    """The roles start without their own check; the plan play's check, before any cloud call, reads every role."""
    plays = yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))
    checks = [task for task in plays[0]["tasks"] if "complianceflow.infra.validate_role_variables" in task]
    assert len(checks) == 1, "the plan play (deploy.yml's first) no longer checks the roles' variables"
    args = checks[0]["complianceflow.infra.validate_role_variables"]
    assert "roles" not in args, "the check is narrowed to some roles: the others would start unchecked"
    assert args.get("deferred_warning") is True
    roles = list(_role_tasks(IMPORT_ROLE + INCLUDE_ROLE))
    assert len(roles) >= 30, "deploy.yml's role imports were not found: has its layout changed?"
    checking = [task["name"] for task, args in roles if args.get("rolespec_validate") is not False]
    assert not checking, f"roles started with their own check again (one more task per deployment): {checking}"


def test_what_a_role_s_own_check_would_add_has_nothing_to_find_in_deploy_yml():
    """What Ansible's check at a role's start covers beyond the plan play's: no rules between options in any entry point
    deploy.yml runs; its required options set by the run before the role starts (SET_BY_THE_RUN, each found where it
    says); and the literal values deploy.yml passes valid for the entry point."""
    specs = role_variables.load_specs()
    problems = []
    for task, args in _role_tasks(IMPORT_ROLE + INCLUDE_ROLE):
        role, entry = _entry_point(args)
        spec_file = REPO / "roles" / role / "meta" / "argument_specs.yml"
        if not spec_file.is_file():
            continue   # a role without specs (deployment_summary): Ansible has nothing to check either
        spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))["argument_specs"][entry]
        if set(spec) - SPEC_TEXT:
            problems.append(f"{role} {entry}: {sorted(set(spec) - SPEC_TEXT)} is not checked by the plan play")
        required = sorted(name for name, option in specs[(role, entry)].items() if option.get("required"))
        problems += [f"{role} {entry}: required {name} is not set by the run" for name in required
                     if name not in SET_BY_THE_RUN and name not in (task.get("vars") or {})]
        literal = {name: value for name, value in (task.get("vars") or {}).items() if "{{" not in str(value)}
        problems += [f"{role} {entry}: {p}" for p in role_variables.check(literal, {(role, entry): specs[(role, entry)]})]
    assert not problems, problems
    for name, role in SET_BY_THE_RUN.items():
        paths = [PLAYBOOK] if role is None else sorted((REPO / "roles" / role / "tasks").glob("*.yml"))
        text = "\n".join(path.read_text(encoding="utf-8") for path in paths)
        assert f"register: {name}" in text or f"{name}:" in text, f"{name} is no longer set by {role or 'deploy.yml'}"

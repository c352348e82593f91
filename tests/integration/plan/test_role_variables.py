"""complianceflow.infra.validate_role_variables through real ansible-playbook runs, and where the playbooks call it.

Offline: no Azure credential is set, so a playbook that got past the check would fail at its first Azure task."""
from __future__ import annotations

import pytest

from ansible_run import REPO, run_playbook
from test_plan_playbook import no_azure_env

CHECK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Check
      complianceflow.infra.validate_role_variables:
{args}
"""
SEED_AT_ONCE_MANY = ("argument 'database_seed_databases_at_once' is of type str and we were unable to convert to int: "
                     "\"'many'\" cannot be converted to an int (role database_seed)")
DNS_LINKS_SOMETIMES = "argument 'network_dns_links' is of type str and we were unable to convert to bool"


def check(extra_vars, args=""):
    run = run_playbook(CHECK.format(args=args), extra_vars=extra_vars, env=no_azure_env())
    return run, run.result("Check")


def test_valid_values_pass_and_are_listed():
    run, result = check({"database_setup_databases_at_once": "4", "redis_wait": "false",
                         "key_vault_ip_rules": ["203.0.113.7"], "evidence_parts": ["resource_logs"]})
    assert run.rc == 0 and not result.get("failed"), run.stdout[-3000:]
    assert result["checked"] == ["database_setup_databases_at_once", "evidence_parts", "key_vault_ip_rules", "redis_wait"]
    assert result["deferred"] == [] and "tenant_server" in result["roles"] and len(result["roles"]) == 23


def test_every_bad_value_is_named_at_once_with_what_is_valid_and_its_roles():
    run, result = check({"database_seed_databases_at_once": "many", "database_schema_databases_at_once": 9,
                         "network_dns_links": "sometimes", "evidence_parts": ["resource_logs", "metrics"],
                         "redis_wait": True})
    assert run.rc != 0 and result["failed"]
    problems = result["problems"]
    assert len(problems) == 4, problems
    assert SEED_AT_ONCE_MANY in problems
    assert "value of database_schema_databases_at_once must be one of: 1, 2, 3, 4, 5, 6, 7, 8, got: 9 (role database_schema)" in problems
    assert any(p.startswith(DNS_LINKS_SOMETIMES) and p.endswith("(role network)") for p in problems)
    assert any("evidence_parts" in p and "metrics" in p and "resource_logs, activity_log, flow_log" in p for p in problems)
    assert result["msg"].startswith("4 variables are not valid, found before any role ran")
    assert "redis_wait" in result["checked"]


def test_the_database_roles_documented_variables_are_checked_and_a_password_is_never_printed():
    """docs/database.md's variables of the database roles are in their argument specs, so a misspelt value stops the
    deploy in its plan play, not at the database step after the server is built."""
    secret = "Never-Printed-Passw0rd"
    run, result = check({"database_schema_rls_mode": "enforc", "database_setup_update_password": "alwayss",
                         "database_setup_app_timeouts": {"statment_timeout": "2min"},
                         "database_setup_app_passwords": {"case_service": secret, "report_service": ["x"]},
                         "database_seed_databases": "case_service", "database_setup_app_password": secret})
    assert run.rc != 0
    problems = result["problems"]
    assert any("database_schema_rls_mode must be one of: enforce, audit, got: enforc (role database_schema)" in p for p in problems)
    assert any("database_setup_update_password must be one of: on_create, always" in p for p in problems)
    assert any("statment_timeout" in p and "database_setup_app_timeouts" in p for p in problems), problems
    assert secret not in run.stdout + run.stderr
    assert "database_setup_app_password" in result["checked"]


PER_DATABASE_ROLE = """
- hosts: localhost
  gather_facts: false
  module_defaults:   # never reached: the task's arguments fail first (a port nothing listens on, if they did not)
    group/complianceflow.infra.postgresql: {login_host: 127.0.0.1, login_port: 1, login_user: x, login_password: y}
  tasks:
    - name: Role
      ansible.builtin.include_role:
        name: complianceflow.infra.database_setup
"""


def test_a_per_database_password_must_name_a_database_of_the_tier_and_be_a_string():
    """A misspelt database in database_setup_app_passwords would be ignored (its app role given the tier-wide password):
    refused before any call, naming the key and the tier's databases, never the password."""
    secret = "Never-Printed-Passw0rd"
    plan = {"databases": ["user_service", "case_service"]}
    run, result = check({"deployment_plan": plan, "database_setup_app_passwords": {
        "case_servce": secret, "user_service": ["x"], "case_service": secret}})
    assert run.rc != 0
    assert result["problems"] == [
        "database_setup_app_passwords names case_servce: not a database of the tier (database_setup_databases, by default "
        "the plan's databases: user_service, case_service), so its value would be ignored",
        "database_setup_app_passwords: the value for user_service must be a string (a password)"]
    assert secret not in run.stdout + run.stderr
    # The role's own list of databases, where given, is the tier.
    run, result = check({"deployment_plan": plan, "database_setup_databases": ["case_servce"],
                         "database_setup_app_passwords": {"case_servce": secret}})
    assert run.rc == 0 and not result.get("failed"), run.stdout[-3000:]
    # A plan that cannot be templated yet is left to later, as any such value: the keys cannot be judged here.
    run, result = check({"deployment_plan": "{{ later_fact }}", "database_setup_app_passwords": {"case_servce": secret}})
    assert run.rc == 0 and result["deferred"] == ["deployment_plan"], run.stdout[-3000:]
    # Without a playbook's check first, the role refuses it itself, before connecting to the server.
    run = run_playbook(PER_DATABASE_ROLE, extra_vars={"database_setup_databases": ["user_service", "case_service"],
                                                      "database_setup_app_passwords": {"case_servce": secret}},
                       env=no_azure_env())
    assert run.rc != 0 and "database_setup_app_passwords names case_servce: not databases of the tier" in run.stdout, \
        run.stdout[-3000:]
    assert "cannot connect" not in run.stdout and secret not in run.stdout + run.stderr


def test_a_variable_of_several_roles_names_each_of_them_once():
    run, result = check({"deployment_plan": ["not", "a", "dict"]})
    assert run.rc != 0
    [problem] = result["problems"]
    roles = problem.rsplit("(roles ", 1)[1].rstrip(")").split(", ")
    assert len(roles) == len(set(roles)) > 10 and "postgresql_server" in roles and "tenant_server" in roles


def test_a_value_that_cannot_be_templated_yet_is_left_to_the_role():
    run, result = check({"network_dns_links": "{{ later_fact }}", "redis_wait": "no",
                         "key_vault_ip_rules": "{{ lookup('ansible.builtin.file', '/nonexistent/made-later.txt') }}"})
    assert run.rc == 0, run.stdout[-3000:]
    assert result["deferred"] == ["key_vault_ip_rules", "network_dns_links"] and result["checked"] == ["redis_wait"]


def test_a_value_left_unchecked_is_named_in_a_warning_where_the_roles_will_not_check_it():
    """deploy.yml's roles start without their own check (rolespec_validate: false): it asks for the warning."""
    extra = {"network_dns_links": "{{ later_fact }}", "redis_wait": "no"}
    run, result = check(extra, args="        deferred_warning: true")
    assert run.rc == 0 and result["deferred"] == ["network_dns_links"], run.stdout[-3000:]
    output = " ".join((run.stdout + run.stderr).split())
    assert ("network_dns_links: not checked before the run, as its value names a variable not set yet or a lookup that "
            "failed here; the roles of this playbook do not check their variables again when they start") in output
    run, result = check(extra)
    assert run.rc == 0 and result["deferred"] == ["network_dns_links"]
    assert "not checked before the run" not in run.stdout + run.stderr


def test_roles_narrows_the_check_and_an_unknown_role_is_refused():
    run, result = check({"redis_wait": "sometimes", "database_seed_databases_at_once": "many"},
                        args="        roles: [database_seed]")
    assert run.rc != 0 and result["problems"] == [SEED_AT_ONCE_MANY] and result["roles"] == ["database_seed"]
    run, result = check({}, args="        roles: [database_seed, databse_schema]")
    assert run.rc != 0
    assert result["msg"].startswith("roles 'databse_schema' are not roles of complianceflow.infra with argument specs; "
                                    "valid: api_management, ")


@pytest.mark.parametrize("playbook, extra", [("deploy.yml", {"deploy_seed": "ture"}),
                                             ("teardown.yml", {"teardown_export_dir": "/nonexistent/exports",
                                                               "teardown_delete_audit": "ture"})])
def test_deploy_and_teardown_stop_at_the_check_before_any_azure_task(playbook, extra):
    own = next(name for name in extra if name != "teardown_export_dir")
    extra = dict(extra, database_seed_databases_at_once="many", resource_group_delete_audit="perhaps")
    run = run_playbook(REPO / "playbooks" / playbook, inventory=REPO / "inventories" / "westeu-dev-1", extra_vars=extra,
                       env=no_azure_env())
    assert run.rc != 0
    result = run.result("Check the roles' variables (inventory, -e)")
    assert SEED_AT_ONCE_MANY in result["problems"] and len(result["problems"]) == 3, result["problems"]
    assert any(p.startswith(f"argument '{own}' is of type str") and p.endswith("(the playbook)") for p in result["problems"])
    ran = [task["task"]["name"] for play in run.data["plays"] for task in play["tasks"]]
    assert ran[-1] == "Check the roles' variables (inventory, -e)", ran
    assert not any(name.startswith("complianceflow.infra.") for name in ran), ran   # no role task ran


def test_the_playbook_s_own_variables_are_checked_as_given():
    args = "        variables: {deploy_seed: {type: bool}, teardown_export_dir: {type: path}}"
    run, result = check({"deploy_seed": "ture", "teardown_export_dir": "/exports"}, args=args)
    assert run.rc != 0 and result["problems"] == [
        "argument 'deploy_seed' is of type str and we were unable to convert to bool: The value 'ture' is not a valid "
        "boolean. Valid booleans include: " + result["problems"][0].split("Valid booleans include: ", 1)[1]]
    assert result["problems"][0].endswith("(the playbook)") and result["checked"] == ["deploy_seed", "teardown_export_dir"]
    run, result = check({"deploy_seed": "yes"}, args=args)
    assert run.rc == 0 and result["checked"] == ["deploy_seed"]
    run, result = check({}, args="        variables: {deploy_seed: bool}")
    assert run.rc != 0 and result["msg"] == ("variables: give each variable an option spec as a dict (for example "
                                             "{type: bool}), not 'deploy_seed'")


@pytest.mark.parametrize("playbook, extra, inventory", [
    ("export.yml", {"export_dir": "/nonexistent/export", "export_reference": "ture"}, None),
    ("import.yml", {"import_dir": "/nonexistent/export", "import_reference": "ture"}, None),
    ("tenant_key_revoke.yml", {"tenant": "acme", "restore": "ture"}, "westeu-dev-1")])
def test_a_switch_the_bool_filter_would_read_as_false_stops_the_playbook_first(playbook, extra, inventory):
    """`'ture' | bool` is false (a warning only): export and import would skip the reference tables, and
    tenant_key_revoke would take the revoke path. Each playbook stops at its first task instead."""
    switch = next(name for name, value in extra.items() if value == "ture")
    run = run_playbook(REPO / "playbooks" / playbook, inventory=inventory and REPO / "inventories" / inventory,
                       extra_vars=dict(extra, database_seed_databases_at_once="many"), env=no_azure_env())
    assert run.rc != 0
    ran = [task["task"]["name"] for play in run.data["plays"] for task in play["tasks"]]
    assert len(ran) == 1, ran   # nothing after the check: no database, no Azure call
    [result] = [task["hosts"] for play in run.data["plays"] for task in play["tasks"]][0].values()
    assert len(result["problems"]) == 2 and SEED_AT_ONCE_MANY in result["problems"], result["problems"]
    assert any(p.startswith(f"argument '{switch}' is of type str and we were unable to convert to bool")
               and p.endswith("(the playbook)") for p in result["problems"])


def test_deploy_stops_before_any_role_when_a_roles_extra_tags_would_not_fit_what_it_writes():
    """network_extra_tags go onto the VNet (50 tags) and then onto the private DNS zones (15): found in the plan play,
    not after the network role's first writes. Other roles' extra tags that fit what they write pass."""
    extra = {"network_extra_tags": {f"team{n}": "x" for n in range(7)}, "redis_extra_tags": {f"team{n}": "x" for n in range(7)},
             "key_vault_extra_tags": {"Cost Center": "42"}}
    run = run_playbook(REPO / "playbooks" / "deploy.yml", inventory=REPO / "inventories" / "westeu-dev-1", extra_vars=extra,
                       env=no_azure_env())
    assert run.rc != 0
    result = run.result("Check the roles' variables (inventory, -e)")
    assert result["problems"] == [
        "network_extra_tags: tags: a private DNS zone would have 16 tags; Azure allows at most 15 per private DNS zone "
        "(9 from the plan, 7 extra; role network)"], result["problems"]
    ran = [task["task"]["name"] for play in run.data["plays"] for task in play["tasks"]]
    assert ran[-1] == "Check the roles' variables (inventory, -e)", ran

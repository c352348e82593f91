"""The roles' variables checked before the roles run (plugins/plugin_utils/role_variables.py): what is read from the
roles' specs, what is checked, what is left to the role, and that a secret never reaches a message."""
from __future__ import annotations

import pytest

from ansible_collections.complianceflow.infra.plugins.plugin_utils import role_variables as rv


def roles_dir(tmp_path, specs: dict[str, str]):
    for role, text in specs.items():
        (tmp_path / role / "meta").mkdir(parents=True)
        (tmp_path / role / "meta" / "argument_specs.yml").write_text(text, encoding="utf-8")
    (tmp_path / "no_specs" / "tasks").mkdir(parents=True)   # a role without specs is not one to check
    return tmp_path


SPECS = {
    "vault": """
argument_specs:
  main:
    options:
      vault_password: {type: int, no_log: true}
      vault_name: {type: str, required: true}
      vault_timeout: {type: int}
      vault_rules: {type: list, elements: dict, options: {cidr: {type: str, required: true}}}
  find:
    options:
      vault_name: {type: str, required: true}
      vault_timeout: {type: int}
""",
    "db": """
argument_specs:
  main:
    options:
      db_at_once: {type: int, default: 1, choices: [1, 2, 3]}
""",
}


def test_the_collection_s_roles_are_all_read():
    specs = rv.load_specs()
    assert {role for role, _entry in specs} == set(rv.role_names()) and len(rv.role_names()) == 23
    assert ("postgresql_server", "prepare") in specs and "database_seed_databases_at_once" in rv.option_names(specs)


def test_a_secret_that_fails_its_check_is_masked(tmp_path):
    specs = rv.load_specs(roles_dir=roles_dir(tmp_path, SPECS))
    [problem] = rv.check({"vault_password": "Hunter2-secret"}, specs)
    assert "Hunter2-secret" not in problem and "vault_password" in problem and problem.endswith("(role vault)")


def test_required_is_left_to_the_role_but_suboptions_of_a_value_given_are_checked(tmp_path):
    specs = rv.load_specs(roles_dir=roles_dir(tmp_path, SPECS))
    assert rv.check({}, specs) == []   # vault_name is required by the role, and may come from a default or a task
    assert rv.check({"vault_rules": [{"cidr": "10.0.0.0/24"}]}, specs) == []
    assert rv.check({"vault_rules": [{"port": 443}]}, specs) == [
        "missing required arguments: cidr found in vault_rules (role vault)",
        "vault_rules.port. Supported parameters include: cidr. (role vault)"]


def test_a_wrong_type_is_one_problem_not_also_a_choices_one(tmp_path):
    specs = rv.load_specs(roles_dir=roles_dir(tmp_path, SPECS))
    assert rv.check({"db_at_once": "many"}, specs) == [
        "argument 'db_at_once' is of type str and we were unable to convert to int: \"'many'\" cannot be converted to "
        "an int (role db)"]
    assert rv.check({"db_at_once": "4"}, specs) == ["value of db_at_once must be one of: 1, 2, 3, got: 4 (role db)"]
    assert rv.check({"db_at_once": "3"}, specs) == []


def test_an_option_of_two_entry_points_gives_its_problem_once(tmp_path):
    specs = rv.load_specs(roles_dir=roles_dir(tmp_path, SPECS))
    assert rv.check({"vault_timeout": "soon"}, specs) == [
        "argument 'vault_timeout' is of type str and we were unable to convert to int: \"'soon'\" cannot be converted "
        "to an int (role vault)"]


def test_roles_named_narrow_the_specs_and_unknown_ones_are_refused(tmp_path):
    base = roles_dir(tmp_path, SPECS)
    assert rv.role_names(base) == ["db", "vault"]
    assert list(rv.load_specs(["db"], roles_dir=base)) == [("db", "main")]
    with pytest.raises(rv.RoleSpecError, match=r"roles 'no_specs', 'x' are not roles of .* valid: db, vault$"):
        rv.load_specs(["db", "no_specs", "x"], roles_dir=base)


def test_an_unreadable_spec_file_is_named(tmp_path):
    base = roles_dir(tmp_path, {"bad": "argument_specs: [unclosed\n"})
    with pytest.raises(rv.RoleSpecError, match="cannot read the argument specs of role bad"):
        rv.load_specs(roles_dir=base)


def test_a_playbook_spec_with_an_unknown_type_or_not_a_dict_is_refused():
    assert rv.playbook_spec_error({"deploy_seed": {"type": "bool"}, "dir": {}}) is None
    assert rv.playbook_spec_error({"deploy_seed": {"type": "boolean"}}).startswith(
        "variables: unknown type for deploy_seed (type 'boolean'); valid: bits, bool, bytes, dict, float, int, json, jsonarg, list")
    assert rv.playbook_spec_error({"tenants": {"type": "list", "elements": "strr"}}).startswith(
        "variables: unknown type for tenants (elements 'strr'); valid: bits, bool,")
    assert rv.playbook_spec_error({"deploy_seed": "bool"}) == (
        "variables: give each variable an option spec as a dict (for example {type: bool}), not 'deploy_seed'")


def test_per_database_dicts_name_databases_of_the_tier_with_string_values():
    tier = ["user_service", "case_service"]
    assert rv.per_database_problems({"database_setup_app_passwords": {"case_service": "pw", "user_service": 123}}, tier) == []
    unknown, not_text = rv.per_database_problems(
        {"database_setup_app_passwords": {"case_servce": "pw", "user_service": None, "case_service": True}}, tier)
    assert unknown.startswith("database_setup_app_passwords names case_servce: not a database of the tier")
    assert "user_service, case_service" in unknown
    assert not_text == "database_setup_app_passwords: the values for case_service, user_service must be a string (a password)"
    # The role's own list wins over the plan's; without either the keys cannot be judged, the values still are.
    assert rv.per_database_problems({"database_setup_app_passwords": {"x": "pw"}, "database_setup_databases": ["x"]}, tier) == []
    assert rv.per_database_problems({"database_setup_app_passwords": {"x": "pw", "y": ["z"]}}, None) == [
        "database_setup_app_passwords: the value for y must be a string (a password)"]
    # Not a dict: the spec's own type check reports it.
    assert rv.per_database_problems({"database_setup_app_passwords": ["x"]}, tier) == []

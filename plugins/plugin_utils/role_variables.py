# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's roles' variables, checked against the roles' argument specs before any role runs.

Ansible checks a role's variables when the role starts (its ``meta/argument_specs.yml``). In deploy.yml the last
roles start after every resource is made, so a bad value given in the inventory or with ``-e`` (a database role's
``database_seed_databases_at_once: many``) would fail the run then: after forty minutes of real Azure, with
everything before it done. The action ``complianceflow.infra.validate_role_variables`` runs this at the start of a
playbook instead, on what a user can set there. The roles check themselves again when they start, unless the
playbook imports them with ``rolespec_validate: false`` as deploy.yml does (see ``deferred_warning``).

What is checked: every option of every entry point of the roles named (all of the collection's by default) whose
variable is set for the host at that task. Each value is checked against its option alone: type, choices, elements,
suboptions. Not checked here: that an option is required (a role default or an earlier task may give it later), and
the entry point's cross-option rules (they apply to the role's defaults too, which are not loaded yet). A playbook's
own variables that no role declares are checked the same way against the spec it gives (the action's ``variables``).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import DEFAULT_TYPE_VALIDATORS
from ansible.module_utils.basic import remove_values

ROLES_DIR = Path(__file__).resolve().parents[2] / "roles"
SPEC_FILES = ("meta/argument_specs.yml", "meta/argument_specs.yaml")
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml's, where PyYAML has it: 23 files per host


class RoleSpecError(ValueError):
    """A role named that the collection does not have, or a spec file that cannot be read."""


def role_names(roles_dir: Path = ROLES_DIR) -> list[str]:
    """The roles of the collection that declare argument specs."""
    return sorted(p.name for p in roles_dir.iterdir() if any((p / f).is_file() for f in SPEC_FILES))


def load_specs(roles: list[str] | None = None, roles_dir: Path = ROLES_DIR) -> dict[tuple[str, str], dict]:
    """{(role, entry point): options} of the roles named (all when None), in role then entry point order."""
    known = role_names(roles_dir)
    unknown = [r for r in (roles or []) if r not in known]
    if unknown:
        raise RoleSpecError(f"roles {', '.join(repr(r) for r in unknown)} are not roles of complianceflow.infra "
                            f"with argument specs; valid: {', '.join(known)}")
    specs: dict[tuple[str, str], dict] = {}
    for role in sorted(set(roles)) if roles else known:
        path = next(roles_dir / role / f for f in SPEC_FILES if (roles_dir / role / f).is_file())
        try:
            entry_points = (yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}).get("argument_specs") or {}
        except (OSError, yaml.YAMLError) as err:
            raise RoleSpecError(f"cannot read the argument specs of role {role} ({path}): {err}") from err
        for entry, spec in sorted(entry_points.items()):
            specs[(role, entry)] = (spec or {}).get("options") or {}
    return specs


def option_names(specs: dict[tuple[str, str], dict]) -> list[str]:
    return sorted({name for options in specs.values() for name in options})


def playbook_spec_error(playbook: dict) -> str | None:
    """What is wrong with a playbook's own argument spec (name -> option), or None. A misspelt type would otherwise
    turn every value into an obscure conversion error."""
    not_dicts = sorted(name for name, option in playbook.items() if not isinstance(option, dict))
    if not_dicts:
        return (f"variables: give each variable an option spec as a dict (for example {{type: bool}}), not "
                f"{', '.join(repr(n) for n in not_dicts)}")
    unknown = sorted(f"{name} ({key} {option[key]!r})" for name, option in playbook.items() for key in ("type", "elements")
                     if isinstance(option.get(key), str) and option[key] not in DEFAULT_TYPE_VALIDATORS)
    if unknown:
        return f"variables: unknown type for {', '.join(unknown)}; valid: {', '.join(sorted(DEFAULT_TYPE_VALIDATORS))}"
    return None


def _alone(option: dict) -> dict:
    """The option's own checks: without `required` (given later by a default or a task) nor a default to fill in."""
    return {k: v for k, v in option.items() if k not in ("required", "default")}


def check(values: dict, specs: dict[tuple[str, str], dict], playbook: dict | None = None) -> list[str]:
    """Problems with the values given (variable -> value): one line per problem, naming the roles that declare the
    variable, or the playbook for the variables of its own spec (`playbook`: name -> option); a no_log option's value
    never appears in it."""
    places: dict[str, list[str]] = {}
    for (role, _entry), options in [*specs.items(), (("", ""), playbook or {})]:
        for name in (n for n in options if n in values):
            for message in _problems(name, options[name], values[name]):
                roles = places.setdefault(message, [])
                if role not in roles:
                    roles.append(role)
    return [f"{message} ({_readers(roles)})" for message, roles in places.items()]


# Dict variables keyed by database name, and the list variable that names the tier's databases (its role default: the
# plan's databases). A key that names no database of the tier would be ignored without a word, and its role would get
# the tier-wide value instead: a per-database password that never reaches its database.
PER_DATABASE = {"database_setup_app_passwords": "database_setup_databases"}


def per_database_problems(values: dict, plan_databases) -> list[str]:
    """Problems with the per-database dicts given (values: variable -> value), against the tier's databases: the list
    variable where given, else the plan's (`plan_databases`; None: not known here, keys not checked). Each value must
    be a string or a number (a list, a mapping or a null would reach the module as something else than the password
    meant). Names keys only, never a value."""
    problems = []
    for name, databases_name in PER_DATABASE.items():
        given = values.get(name)
        if not isinstance(given, dict):
            continue
        databases = values.get(databases_name, plan_databases)
        if isinstance(databases, list):
            unknown = sorted(str(key) for key in given if key not in databases)
            if unknown:
                problems.append(f"{name} names {', '.join(unknown)}: not {'a database' if len(unknown) == 1 else 'databases'} "
                                f"of the tier ({databases_name}, by default the plan's databases: "
                                f"{', '.join(str(d) for d in databases) or 'none'}), so its value would be ignored")
        not_text = sorted(str(key) for key, value in given.items()
                          if isinstance(value, bool) or not isinstance(value, (str, int, float)))
        if not_text:
            problems.append(f"{name}: the value{'s' if len(not_text) > 1 else ''} for {', '.join(not_text)} must be a "
                            "string (a password)")
    return problems


def deferred_warning(names: list[str]) -> str:
    """For a playbook whose roles do not check their variables again when they start (rolespec_validate: false)."""
    return (f"{', '.join(names)}: not checked before the run, as {'their values name' if len(names) > 1 else 'its value names'} "
            "a variable not set yet or a lookup that failed here; the roles of this playbook do not check their variables "
            "again when they start, so a wrong value is found only by the task that uses it")


def _readers(roles: list[str]) -> str:
    named = [r for r in roles if r]
    playbook = ["the playbook"] if "" in roles else []
    return ", ".join(playbook + ([f"role{'s' if len(named) > 1 else ''} {', '.join(named)}"] if named else []))


def _problems(name: str, option: dict, value) -> list[str]:
    result = ArgumentSpecValidator({name: _alone(option)}).validate({name: value})
    secrets = result._no_log_values  # pylint: disable=protected-access  # what AnsibleModule masks its output with
    messages = [remove_values(m, secrets) for m in result.error_messages]
    # A value of the wrong type is also reported as not among the choices: the type is what to fix.
    wrong_type = [m for m in messages if m.startswith(f"argument '{name}' is of type")]
    return wrong_type or messages

"""Walk every awx.awx task of a playbook, templated as ansible-playbook would, and check its arguments against the
argument spec of the installed awx.awx module. Run as a script (a process of its own: it installs Ansible's collection
loader), by tests/unit/awx/test_configure_playbook.py:

    python tests/unit/awx/awx_tasks.py playbooks/awx/configure.yml -e '{"awx_controller_host": "https://awx.test"}'

Prints one JSON document: {"tasks": [{"task", "module", "args": [...one per loop item...], "errors": [...]}]}.

How the arguments are obtained: Ansible's own loaders (Playbook.load, VariableManager, Templar) give each task's
variables (vars_files, play vars, extra vars); the task's loop is templated, and for each item its arguments; `omit`
drops a key, as when the task runs; the play's module_defaults for group/awx.awx.controller (the action group of
awx.awx's meta/runtime.yml) are merged under the task's own arguments, as Ansible does. Nothing contacts an AWX.

How the argument spec is obtained: each awx.awx module builds it in main() and hands it to ControllerAPIModule
(module_utils/controller_api.py), which adds ControllerModule.AUTH_ARGSPEC (controller_host, ...) and passes both to
AnsibleModule. Here the module's main() runs with ControllerAPIModule replaced by a recorder that keeps the spec and
its constraints (mutually_exclusive, required_if, ...) and stops the module; the spec plus the real AUTH_ARGSPEC are
then checked with ansible-core's ArgumentSpecValidator, the validator AnsibleModule itself runs: unknown options,
types, choices, required options, aliases and the module's constraints, the errors a real run would stop on before
any request. What only the AWX server checks (that a named object exists, a survey's fields) is out of its reach.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
COLLECTIONS = REPO / ".collections"


class _Recorded(Exception):
    def __init__(self, argument_spec, kwargs):
        super().__init__("recorded")
        self.argument_spec = argument_spec
        self.kwargs = kwargs


class _Recorder:
    def __init__(self, argument_spec=None, **kwargs):
        raise _Recorded(argument_spec or {}, kwargs)


def module_spec(module: str):
    """The full argument spec of awx.awx.<module> and its constraints, as the module gives them to AnsibleModule."""
    from ansible_collections.awx.awx.plugins.module_utils.controller_api import ControllerModule

    mod = importlib.import_module(f"ansible_collections.awx.awx.plugins.modules.{module}")
    saved = mod.ControllerAPIModule
    mod.ControllerAPIModule = _Recorder
    try:
        mod.main()
    except _Recorded as rec:
        spec = dict(rec.argument_spec)
        spec.update(ControllerModule.AUTH_ARGSPEC)
        constraints = {k: v for k, v in rec.kwargs.items()
                       if k in ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")}
        return spec, constraints
    finally:
        mod.ControllerAPIModule = saved
    raise AssertionError(f"awx.awx.{module}: main() never built its ControllerAPIModule")


def validate(module: str, args: dict) -> list[str]:
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    spec, constraints = module_spec(module)
    result = ArgumentSpecValidator(spec, **constraints).validate(args)
    return list(result.error_messages)


def walk(playbook: Path, extra_vars: dict) -> list[dict]:
    import yaml
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook import Playbook
    from ansible.playbook.block import Block
    from ansible.plugins.loader import init_plugin_loader
    from ansible.template import Templar
    from ansible.utils.sentinel import Sentinel
    from ansible.vars.manager import VariableManager

    init_plugin_loader([str(COLLECTIONS)])
    runtime = yaml.safe_load((COLLECTIONS / "ansible_collections/awx/awx/meta/runtime.yml").read_text())
    group = {f"awx.awx.{name}" for name in runtime["action_groups"]["controller"]}

    loader = DataLoader()
    loader.set_basedir(str(playbook.parent))  # playbook_dir, as ansible-playbook sets it
    inventory = InventoryManager(loader=loader, sources="localhost,")
    variables = VariableManager(loader=loader, inventory=inventory)
    variables._extra_vars = extra_vars  # what -e gives (the property has no setter)
    host = inventory.get_host("localhost")
    found = []

    def tasks_of(blocks):
        for block in blocks:
            for entry in block.block + block.rescue + block.always:
                if isinstance(entry, Block):
                    yield from tasks_of([entry])
                else:
                    yield entry

    def without_omit(value, omit):
        if isinstance(value, dict):
            return {k: without_omit(v, omit) for k, v in value.items() if not _is_omit(v, omit)}
        if isinstance(value, list):
            return [without_omit(v, omit) for v in value]
        return value

    for play in Playbook.load(str(playbook), variable_manager=variables, loader=loader).get_plays():
        for task in tasks_of(play.compile()):
            if not task.resolved_action or not task.resolved_action.startswith("awx.awx."):
                continue
            module = task.resolved_action.split(".")[-1]
            task_vars = variables.get_vars(play=play, host=host, task=task)
            templar = Templar(loader=loader, variables=task_vars)
            omit = task_vars.get("omit")
            items = templar.template(task.loop) if task.loop else [Sentinel]
            loop_var = task.loop_control.loop_var if task.loop_control else "item"
            defaults = {}
            for entry in play.module_defaults or []:
                for key, value in entry.items():
                    if key == "group/awx.awx.controller" and task.resolved_action in group or key == task.resolved_action:
                        defaults.update(value)
            record = {"task": task.get_name(), "module": module, "args": [], "errors": []}
            for item in items:
                item_vars = dict(task_vars) if item is Sentinel else dict(task_vars, **{loop_var: item})
                item_templar = Templar(loader=loader, variables=item_vars)
                args = without_omit(item_templar.template(dict(defaults, **task.args)), omit)
                args = json.loads(json.dumps(args))
                record["args"].append(args)
                record["errors"].extend(f"{json.dumps(args.get('name', args.get('identifier')))}: {e}"
                                        for e in validate(module, args))
            found.append(record)
    return found


def _is_omit(value, omit) -> bool:
    if omit is not None and isinstance(value, str) and value == omit:
        return True
    return type(value).__name__ == "Omit" or value.__class__.__name__.endswith("OmitType")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("playbook", type=Path)
    parser.add_argument("-e", "--extra-vars", default="{}")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(COLLECTIONS))
    print(json.dumps({"tasks": walk(args.playbook.resolve(), json.loads(args.extra_vars))}, indent=1))


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of complianceflow.infra.validate_role_variables: on the controller, it reads the roles' specs from
the collection (plugins/plugin_utils/role_variables.py) and the host's variables, which a module could not."""

from __future__ import annotations

from ansible.errors import AnsibleError

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.role_tags import ROLE_TAG_RULES, role_tag_problems
from ansible_collections.complianceflow.infra.plugins.plugin_utils import role_variables
from ansible_collections.complianceflow.infra.plugins.plugin_utils.controller_action import ControllerAction


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = {"roles": {"type": "list", "elements": "str"},
                     "variables": {"type": "dict", "default": {}},
                     "plan_tags": {"type": "dict"},
                     "deferred_warning": {"type": "bool", "default": False}}

    def work(self, args, task_vars):
        try:
            specs = role_variables.load_specs(args["roles"])
        except role_variables.RoleSpecError as err:
            return {"failed": True, "msg": str(err)}
        values, deferred = {}, []
        playbook = args["variables"]
        spec_error = role_variables.playbook_spec_error(playbook)
        if spec_error:
            return {"failed": True, "msg": spec_error}
        for name in sorted(set(role_variables.option_names(specs)) | set(playbook)):
            if name not in task_vars:
                continue
            try:
                values[name] = self._templar.template(task_vars[name])
            except AnsibleError:
                # Names a variable not set yet, or a lookup of something the run has not made yet: the role checks it
                # when it starts, as before.
                deferred.append(name)
        problems = role_variables.check(values, specs, playbook)
        # Each per-database dict's keys against the tier's databases (the role's default: the plan's, as templated above
        # with the other role variables; not known here when it is not set or deferred).
        plan = values.get("deployment_plan")
        problems += role_variables.per_database_problems(values, plan.get("databases") if isinstance(plan, dict) else None)
        if args["plan_tags"] is not None:
            extra = {role: values[f"{role}_extra_tags"] for role in ROLE_TAG_RULES
                     if isinstance(values.get(f"{role}_extra_tags"), dict)}
            problems += role_tag_problems(extra, {str(k): v for k, v in args["plan_tags"].items()})
        result = {"checked": sorted(values), "deferred": deferred, "roles": sorted({role for role, _entry in specs})}
        if deferred and args["deferred_warning"]:
            result["warnings"] = [role_variables.deferred_warning(deferred)]
        if problems:
            result.update(failed=True, problems=problems,
                          msg=f"{len(problems)} variable{'s are' if len(problems) > 1 else ' is'} not valid, "
                              f"found before any role ran (set in the inventory, with -e or in the play): "
                              + "; ".join(problems))
        return result

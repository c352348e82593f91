# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of complianceflow.infra.deployment_info: the plan is computed on the controller.

Running here (not through AnsiballZ) lets the model read the collection's CIDR registry file and
costs no module process per host.
"""

from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan, plan_summary
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import DeploymentError
from ansible_collections.complianceflow.infra.plugins.plugin_utils.controller_action import ControllerAction


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = {
        "name": {"type": "str"},
        "overrides": {"type": "dict"},
        "registry": {"type": "path"},
    }

    def work(self, args, task_vars):
        name = args["name"] if args["name"] is not None else task_vars.get("inventory_hostname")
        overrides = args["overrides"]
        if overrides is None:
            overrides = self._templar.template(task_vars.get("deployment_overrides")) or {}
        try:
            plan = build_plan(name, overrides=overrides, registry_path=args["registry"])
        except DeploymentError as exc:
            return {"failed": True, "msg": str(exc)}
        return {"plan": plan, "summary": plan_summary(plan)}

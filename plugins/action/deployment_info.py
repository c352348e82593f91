# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of complianceflow.infra.deployment_info: the plan is computed on the controller.

Running here (not through AnsiballZ) lets the model read the collection's CIDR registry file and
costs no module process per host.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan, plan_summary
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import DeploymentError

ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "overrides": {"type": "dict"},
    "registry": {"type": "path"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        name = args["name"] if args["name"] is not None else task_vars.get("inventory_hostname")
        overrides = args["overrides"]
        if overrides is None:
            overrides = self._templar.template(task_vars.get("deployment_overrides")) or {}
        try:
            plan = build_plan(name, overrides=overrides, registry_path=args["registry"])
        except DeploymentError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        result.update(changed=False, plan=plan, summary=plan_summary(plan))
        return result

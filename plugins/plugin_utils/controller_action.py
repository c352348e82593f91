# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the collection's actions that do all their work on the controller (no connection, no module shipped):
deployment_info and validate_role_variables. A subclass gives its ARGUMENT_SPEC and ``work``."""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ControllerAction(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True   # they change nothing
    _supports_async = False
    _requires_connection = False
    ARGUMENT_SPEC: dict = {}

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        result.update(changed=False)
        result.update(self.work(args, task_vars))
        return result

    def work(self, args: dict, task_vars: dict) -> dict:
        """The task's result (``failed`` and ``msg`` on a failure), from its validated arguments."""
        raise NotImplementedError

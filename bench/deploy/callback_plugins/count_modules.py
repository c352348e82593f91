# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench-only callback: count module invocations (one per host, per loop item) into $BENCH_COUNT_FILE."""
from __future__ import annotations

import json
import os
from collections import Counter

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: count_modules
type: aggregate
short_description: Count module invocations of a run (bench/deploy only)
description: At the end of the run, writes the total and the count per module as JSON to the file named by E(BENCH_COUNT_FILE).
"""

# Actions that run inside the controller process: no module is shipped or started for them.
CONTROLLER_ONLY = {"set_fact", "assert", "debug", "fail", "meta", "include_tasks", "import_tasks", "include_role",
                   "import_role", "include_vars", "validate_argument_spec", "add_host", "group_by", "deployment_info",
                   "validate_role_variables"}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "count_modules"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.counts = Counter()

    def _count(self, result):
        action = result._task.action.rsplit(".", 1)[-1]
        if action not in CONTROLLER_ONLY:
            self.counts[result._task.action] += 1

    def _done(self, result):
        if not result._task.loop:  # loop tasks are counted per item
            self._count(result)

    v2_runner_on_ok = v2_runner_on_failed = _done
    v2_runner_item_on_ok = v2_runner_item_on_failed = _count

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_COUNT_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump({"total": sum(self.counts.values()), "by_module": dict(self.counts)}, handle, indent=1)

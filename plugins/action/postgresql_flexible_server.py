# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module postgresql_flexible_server, run in process where that equals a new Python (plugins/plugin_utils/in_process.py)."""
from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.plugin_utils.in_process import InProcessAction, preload_later

preload_later()   # in the controller, before this module's first worker (it uses the PostgreSQL SDK)


class ActionModule(InProcessAction):
    """The action of module postgresql_flexible_server."""

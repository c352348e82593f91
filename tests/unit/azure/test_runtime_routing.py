"""Every module of the collection (but those that are action plugins themselves) runs through plugins/action/in_process.py (meta/runtime.yml plugin_routing)."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def test_every_module_is_routed_to_the_in_process_action():
    own_action = {p.stem for p in (ROOT / "plugins" / "action").glob("*.py")}   # deployment_info is its own action
    modules = {p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__"} - own_action
    routing = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["plugin_routing"]["action"]
    assert set(routing) == modules, "add the new module to plugin_routing.action in meta/runtime.yml"
    assert {entry["redirect"] for entry in routing.values()} == {"complianceflow.infra.in_process"}

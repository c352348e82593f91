"""Every module of the collection has an action plugin of its own name that runs it in process
(plugins/plugin_utils/in_process.py): a new module without one would silently run the slow way."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SHIM = "from ansible_collections.complianceflow.infra.plugins.plugin_utils.in_process import InProcessAction"


def _new_python(*lines: str) -> str:
    """What a new Python with this test's import path prints running `lines` (a controller's caches are per process)."""
    return subprocess.run([sys.executable, "-c", "\n".join(lines)], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": ":".join(sys.path)}).stdout


def test_every_module_has_its_in_process_action():
    modules = {p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__"}
    own_action = {"deployment_info", "validate_role_variables"}   # actions of their own (all in the controller)
    actions = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "plugins" / "action").glob("*.py")}
    missing = sorted(modules - set(actions))
    assert not missing, f"add plugins/action/<module>.py (as the others) for {missing}"
    assert sorted(m for m in modules - own_action if SHIM not in actions[m]) == []
    assert set(actions) <= modules   # no action plugin without its module


def test_no_module_declares_serialization_metadata():
    """in_process.py sends every module's arguments with the profile of a module without METADATA ("legacy")."""
    declaring = [p.name for p in (ROOT / "plugins" / "modules").glob("*.py")
                 if any(line.startswith("METADATA") for line in p.read_text(encoding="utf-8").splitlines())]
    assert declaring == []


def test_the_controller_builds_the_template_lexer_every_worker_uses():
    """in_process.py builds Jinja's lexer for Ansible's default settings before any fork; a task's first template
    then finds it (no second lexer), instead of every worker building its own. A new Python: the cache is per process."""
    out = _new_python(
        "from ansible._internal._templating._jinja_bits import AnsibleEnvironment",
        "before = len(AnsibleEnvironment._lexer_cache)",
        "import ansible_collections.complianceflow.infra.plugins.plugin_utils.in_process",
        "built = len(AnsibleEnvironment._lexer_cache)",
        "from ansible.parsing.dataloader import DataLoader",
        "from ansible.template import Templar, trust_as_template",
        "assert Templar(loader=DataLoader(), variables={'x': 2}).template(trust_as_template('{{ x + 1 }}')) == 3",
        "print(before, built, len(AnsibleEnvironment._lexer_cache))")
    assert out.split() == ["0", "1", "1"], out


def test_modules_that_use_the_later_imports_load_them_in_the_controller():
    """in_process.py imports psycopg, the Key Vault data plane and the PostgreSQL SDK only when a module that uses them is
    first loaded (or operation_wait, where deploy.yml first waits). A module using them whose action plugin does not ask
    would import them again in every worker."""
    later_users = set()
    for path in (ROOT / "plugins" / "modules").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if any(uses in text for uses in ("module_utils._pg", "_azure.key_vault_secret import", "_azure.key_vault_key import",
                                         "_azure.postgresql_server import")):
            later_users.add(path.stem)
    asking = {p.stem for p in (ROOT / "plugins" / "action").glob("*.py")
              if "\npreload_later()" in p.read_text(encoding="utf-8")}
    assert {"postgresql_tier", "postgresql_flexible_server_info", "key_vault_secret"} <= later_users   # the scan finds them
    assert sorted(later_users - asking) == []
    assert "operation_wait" in asking


def test_the_first_azure_task_does_not_wait_for_the_later_imports():
    """Loading the in-process runner (the controller's first Azure task) brings the network SDK and no module_utils; a
    module's action plugin brings its own module's module_utils, not another module's; preload_later the rest, once:
    psycopg, the Key Vault data plane, the PostgreSQL SDK and every module_utils (the package's own `_background`
    among them)."""
    utils = "ansible_collections.complianceflow.infra.plugins.module_utils"
    out = _new_python(
        "import sys",
        "from ansible_collections.complianceflow.infra.plugins.plugin_utils import in_process",
        f"group, runner, redis = ['{utils}._azure.resource_group', '{utils}._azure.runner', '{utils}._azure.managed_redis']",
        f"later = ['psycopg', 'azure.keyvault.secrets', 'azure.mgmt.postgresqlflexibleservers', '{utils}._pg.tier', "
        f"'{utils}._background', redis]",
        "print([m in sys.modules for m in ['azure.mgmt.network', group, runner] + later])",
        "import ansible_collections.complianceflow.infra.plugins.action.resource_group",
        "print([m in sys.modules for m in [group, runner] + later])",
        "in_process.preload_later()",
        "print([m in sys.modules for m in later])")
    assert out.splitlines() == [str([True] + [False] * 8), str([True, True] + [False] * 6), str([True] * 6)], out

"""Every module of the collection has an action plugin of its own name that runs it in process
(plugins/plugin_utils/in_process.py): a new module without one would silently run the slow way."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SHIM = "from ansible_collections.complianceflow.infra.plugins.plugin_utils.in_process import InProcessAction"


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
    import subprocess   # pylint: disable=import-outside-toplevel
    import sys   # pylint: disable=import-outside-toplevel

    probe = "\n".join([
        "from ansible._internal._templating._jinja_bits import AnsibleEnvironment",
        "before = len(AnsibleEnvironment._lexer_cache)",
        "import ansible_collections.complianceflow.infra.plugins.plugin_utils.in_process",
        "built = len(AnsibleEnvironment._lexer_cache)",
        "from ansible.parsing.dataloader import DataLoader",
        "from ansible.template import Templar, trust_as_template",
        "assert Templar(loader=DataLoader(), variables={'x': 2}).template(trust_as_template('{{ x + 1 }}')) == 3",
        "print(before, built, len(AnsibleEnvironment._lexer_cache))",
    ])
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": ":".join(sys.path)})
    assert out.stdout.split() == ["0", "1", "1"], out.stdout + out.stderr

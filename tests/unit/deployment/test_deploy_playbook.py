"""deploy.yml imports every role privately (`public: false`): the property its comment states, held here so that a new
import cannot publish its defaults to every task of the play again (ansible-core merges every published role's defaults
into the variables of every task and host: about 1.4 ms each; bench/deploy/README.md, 6 Dec 2026)."""
from __future__ import annotations

from pathlib import Path

import yaml

PLAYBOOK = Path(__file__).resolve().parents[3] / "playbooks" / "deploy.yml"
IMPORT_ROLE = ("ansible.builtin.import_role", "import_role")


def _tasks(entries):
    for entry in entries or []:
        yield entry
        for key in ("block", "rescue", "always"):
            yield from _tasks(entry.get(key))


def _role_imports():
    for play in yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8")):
        for section in ("pre_tasks", "tasks", "post_tasks"):
            for task in _tasks(play.get(section)):
                for key in IMPORT_ROLE:
                    if key in task:
                        yield task["name"], task[key]


def test_every_role_import_of_deploy_yml_is_private():
    imports = list(_role_imports())
    assert len(imports) >= 25, "deploy.yml's role imports were not found: has its layout changed?"
    published = [name for name, args in imports if args.get("public") is not False]
    assert not published, f"import_role without public: false in deploy.yml: {published}"

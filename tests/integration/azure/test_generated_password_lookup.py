"""Lookup generated_password in a real playbook: a new password Azure accepts per call, bad options named."""
from __future__ import annotations

from ansible_run import run_playbook

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault_secret import password_problems

PLAY = """
- hosts: localhost
  gather_facts: false
  vars: {ansible_connection: local}
  tasks:
    - name: Two passwords
      ansible.builtin.set_fact:
        first: "{{ lookup('complianceflow.infra.generated_password') }}"
        second: "{{ lookup('complianceflow.infra.generated_password', length=12) }}"
    - name: Show
      ansible.builtin.debug:
        msg: "{{ [first, second] }}"
    - name: Too short
      ansible.builtin.debug:
        msg: "{{ lookup('complianceflow.infra.generated_password', length=7) }}"
      ignore_errors: true
    - name: With a term
      ansible.builtin.debug:
        msg: "{{ lookup('complianceflow.infra.generated_password', 'x') }}"
      ignore_errors: true
"""


def test_each_call_gives_a_new_password_azure_accepts_and_bad_options_are_named():
    run = run_playbook(PLAY)
    first, second = run.result("Show")["msg"]
    assert len(first) == 32 and len(second) == 12   # the documented default, then the length given
    assert password_problems(first, "psqladmin") == [] and password_problems(second, "psqladmin") == []
    assert "length: 7 is out of range; Azure passwords have 8-128 characters" in run.result("Too short")["msg"]
    assert "takes no terms" in run.result("With a term")["msg"]

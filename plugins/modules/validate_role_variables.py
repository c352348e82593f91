#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The work runs on the controller in plugins/action/validate_role_variables.py (it reads the roles' argument specs
# from the collection and the host's variables); this file carries the documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: validate_role_variables
short_description: Check the variables given to the collection's roles before any of them runs
version_added: 1.0.0
author: ComplianceFlow Platform Team (@complianceflow)
description:
  - Checks every variable of the collection's roles that is set for the host when this task runs (in the inventory,
    with C(-e), in the play's vars or by an earlier task) against the roles' argument specs
    (C(roles/<role>/meta/argument_specs.yml), every entry point).
  - Ansible checks a role's variables only when that role starts. In C(playbooks/deploy.yml) the database roles start
    after every Azure resource is made, so a bad value for one of them would otherwise stop the run after everything
    before it was done. Run first, this task stops the run before any cloud or database call, and names every bad
    variable at once, with what would be valid and the roles that read it.
  - Each value is checked against its own option, as the role would check it when it starts. The type, C(choices),
    C(elements) and suboptions are checked.
  - Beyond the roles' specs, a dict keyed by database (C(database_setup_app_passwords)) must name only databases of the
    tier (C(database_setup_databases) where set, else the C(databases) of the C(deployment_plan) variable, as the role's
    default), each with a string; a misspelt key would otherwise be ignored and that database's app role given the
    tier-wide password. Its values are never shown.
  - Left to the role's own check when it starts, as only the role can tell, are a required variable that is not set
    (a role default or an earlier task may still give it), the rules between the options of an entry point (they apply
    to the role's defaults too, which are not loaded yet), and a value that cannot be templated yet, as it names a
    variable not set yet or looks up something the run has not made yet (returned in RV(deferred)).
  - The roles check their variables again when they start, unless the playbook imports them with
    C(rolespec_validate=false), as C(playbooks/deploy.yml) does (see O(deferred_warning)).
  - Runs on the controller only; nothing is sent to a host.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.attributes.INFO_MODULE
options:
  roles:
    description:
      - The roles whose variables are checked, by their short name (V(database_seed)).
      - Default all the roles of the collection that declare argument specs. A variable of a role that the playbook
        does not use is then checked too; a value that role would refuse is wrong wherever it is set.
    type: list
    elements: str
  variables:
    description:
      - The playbook's own variables to check the same way, as an argument spec (each name to its option, for example
        C(deploy_seed) to an option of C(type=bool)), for a variable that no role declares but the playbook reads later
        in the run. A spec that is not a dict, or names a type Ansible does not know, is refused.
      - Ansible's C(bool) filter turns an unknown string into V(false) (ansible-core 2.19 warns that this will become
        an error); checked here, C(-e deploy_seed=ture) stops the run at once.
    type: dict
    default: {}
  plan_tags:
    description:
      - The deployment's tags (the plan's C(tags)). Given, each role's C(<role>_extra_tags) that is set is combined under
        them, as the role combines them, and checked against the smallest limits of every resource type that role
        writes with them, so that a role's first resource cannot take tags its later one refuses (a VNet takes 50, a
        private DNS zone 15; a Key Vault 50, its secrets 15; API Management 15; a storage account tag names of 128
        characters; names with a space, a colon, parentheses or a leading digit on private DNS zones).
      - C(playbooks/deploy.yml) gives them. Not given, no tags are checked.
    type: dict
    version_added: 1.2.0
  deferred_warning:
    description:
      - Warn, naming them, of the variables that could not be checked here (RV(deferred)).
      - For a playbook that imports the roles without their own check when they start (C(rolespec_validate=false)),
        where such a value is found wrong only by the task that uses it. C(playbooks/deploy.yml) sets it.
    type: bool
    default: false
    version_added: 1.2.0
notes:
  - A value that refers to a secret is templated here too, as the role would template it; a C(no_log) option's value
    never appears in the message.
seealso:
  - module: ansible.builtin.validate_argument_spec
  - name: Role argument validation
    description: How Ansible checks a role's variables when the role starts.
    link: https://docs.ansible.com/ansible/latest/playbook_guide/playbooks_reuse_roles.html#role-argument-validation
"""

EXAMPLES = r"""
- name: Check the roles' variables before any cloud call
  complianceflow.infra.validate_role_variables:

- name: Check the roles' variables and the playbook's own switch
  complianceflow.infra.validate_role_variables:
    variables:
      deploy_seed: {type: bool}

- name: Check the roles' variables, and the tags each role writes under the deployment's
  complianceflow.infra.validate_role_variables:
    plan_tags: "{{ deploy_plan.plan.tags }}"

- name: Check the roles' variables once, for roles imported without their own check
  complianceflow.infra.validate_role_variables:
    deferred_warning: true

- name: Check only the database roles' variables
  complianceflow.infra.validate_role_variables:
    roles: [database_setup, database_schema, database_seed]
"""

RETURN = r"""
checked:
  description: The role variables (and the playbook's own, O(variables)) that were set and checked.
  returned: always
  type: list
  elements: str
  sample: [database_seed_databases_at_once, deployment_plan]
deferred:
  description: Role variables whose value cannot be templated yet (a variable not set yet, a failing lookup), left to the
    role's own check (or, with roles imported without it, to the task that uses the value; O(deferred_warning)).
  returned: always
  type: list
  elements: str
  sample: []
roles:
  description: The roles whose argument specs were read.
  returned: unless a role named is not one of the collection's
  type: list
  elements: str
  sample: [database_schema, database_seed, database_setup]
problems:
  description: One line per problem, with the roles that read the variable (or C(the playbook)).
  returned: failure
  type: list
  elements: str
  sample:
    - >-
      argument 'database_seed_databases_at_once' is of type str and we were unable to convert to int:
      "'many'" cannot be converted to an int (role database_seed)
"""

#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: operation_wait
short_description: Wait for long-running Azure operations, or background tasks, that other tasks started
version_added: 1.1.0
description:
  - Waits, in one process, for every operation that modules of this collection started with O(complianceflow.infra.postgresql_flexible_server#module:wait=false)
    (for example a PostgreSQL Flexible Server create). Operations are polled side by side as Azure's
    C(Retry-After) says, so the task takes as long as the slowest of them.
  - Fails when any operation ended V(Failed) or V(Canceled), naming each one with Azure's error code and message,
    after waiting for all of them.
  - Only the operations' own polling URLs on the Azure Resource Manager endpoint of the credentials are read;
    an operation pointing elsewhere is refused (the access token is never sent to another host).
  - Also waits for tasks run in the background (C(async) with C(poll=0)), in this one process, by reading each job's
    results file, where M(ansible.builtin.async_status) would start a new process per poll. The task reports the
    jobs' own change, diff and failure, and removes their results files once they have ended.
options:
  operations:
    description:
      - The operations to wait for. Each item is either the RV(complianceflow.infra.postgresql_flexible_server#module:operation)
        of a task that started it, or the whole registered result of such a task (a result without an operation,
        because nothing was started or the write finished at once, is skipped). A result's RV(complianceflow.infra.private_dns_zone#module:operations)
        (child writes started side by side, such as a zone's virtual network links) are all waited for.
    type: list
    elements: raw
  jobs:
    description:
      - Registered results of tasks started with C(async) and C(poll=0) on this host. A result without a job (the task
        ran at once, for example with C(async=0) in check mode, or was skipped) is left out.
      - At least one of O(operations) and O(jobs) is given.
    type: list
    elements: raw
    version_added: 1.2.0
  timeout:
    description: Seconds to wait for all the operations, then for all the jobs.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
attributes:
  check_mode:
    support: full
    details: Only reads; in check mode the starting tasks start nothing, so there is usually nothing to wait for.
  diff_mode:
    support: partial
    details: Operations have none (the task that started one shows it); a background job's diff is its module's.
  idempotent:
    support: full
    details: >-
      Waiting changes nothing. For operations the task that started one reported the change; for a background job,
      whose starting task cannot know it yet, this task reports the job's.
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Start the server's create and go on
  complianceflow.infra.postgresql_flexible_server:
    resource_group: rg-cf-westeu-dev-1
    name: psql-cf-westeu-dev-1
    location: westeurope
    version: "15"
    sku_name: Standard_B1ms
    delegated_subnet_id: vnet-cf-westeu-dev-1/snet-cf-westeu-dev-1-db
    private_dns_zone_id: westeu-dev-1.private.postgres.database.azure.com
    administrator_login: psqladmin
    administrator_login_password: "{{ admin_password }}"
    wait: false
  register: server_started

- name: Other work meanwhile
  ansible.builtin.debug:
    msg: the server is being created

- name: Wait for it
  complianceflow.infra.operation_wait:
    operations: ["{{ server_started }}"]
    timeout: 1800

- name: A whole chain in the background (the server, then its databases and parameters, one at a time)
  complianceflow.infra.postgresql_flexible_server:
    resource_group: rg-cf-westeu-dev-1
    name: psql-cf-westeu-dev-1
    location: westeurope
    version: "15"
    sku_name: Standard_B1ms
    delegated_subnet_id: vnet-cf-westeu-dev-1/snet-cf-westeu-dev-1-db
    private_dns_zone_id: westeu-dev-1.private.postgres.database.azure.com
    administrator_login: psqladmin
    administrator_login_password: "{{ admin_password }}"
    databases: [{name: user_service}]
  async: 3600
  poll: 0
  register: server_job

- name: Wait for the job (one process, however long it runs)
  complianceflow.infra.operation_wait:
    jobs: ["{{ server_job }}"]
    timeout: 3600
  register: server_built
"""

RETURN = r"""
operations:
  description: Every operation waited for, in the order given (skipped items left out).
  returned: always
  type: list
  elements: dict
  contains:
    what:
      description: What the operation does, for example C(create PostgreSQL server psql-cf-westeu-dev-1).
      type: str
    resource_id:
      description: The resource it writes.
      type: str
    status:
      description: V(Succeeded), V(Failed) or V(Canceled).
      type: str
    error:
      description: Azure's error code and message of a failed operation.
      type: dict
      returned: when the operation failed
jobs:
  description: Each background job's module result (what its module returned), in the order given.
  returned: when O(jobs) names a job
  type: list
  elements: dict
  sample: [{"changed": true, "server": {"name": "psql-cf-westeu-dev-1", "state": "Ready"}}]
"""

from ansible_collections.complianceflow.infra.plugins.module_utils import _background as background
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import Operation, failures_text, operation_tokens
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import AzureModule


def main():
    module = AzureModule(argument_spec=dict(operations={"type": "list", "elements": "raw"},
                                            jobs={"type": "list", "elements": "raw"}),
                         required_one_of=[("operations", "jobs")])
    try:
        ops = [Operation.from_token(token) for token in operation_tokens(module.params["operations"] or [])]
        jobs = background.jobs_of(module.params["jobs"] or [])
    except ValueError as err:
        module.fail_json(msg=str(err))
    what = ", ".join(op.what for op in ops) or "nothing"
    with module.operation(f"wait for {what}"):
        failed = module.arm.finish_all(ops, module.deadline()) if ops else {}
    results = []
    for index, op in enumerate(ops):
        entry = {"what": op.what, "resource_id": op.resource_id, "status": "Succeeded"}
        if index in failed:
            err = failed[index]
            entry.update(status=err.status, error={"code": err.code, "message": err.message})
        results.append(entry)
    if failed:
        module.fail_json(msg=failures_text(ops, failed),
                         operations=results)
    if not jobs:
        module.exit_json(changed=False, operations=results)
    finish_jobs(module, jobs, results)


def finish_jobs(module, jobs: list, operations: list):
    """Every job's end: its failure is this task's (each job's own message), else its change and diff are."""
    try:
        outcomes = background.wait_jobs(jobs, module.deadline())
    except ValueError as err:
        module.fail_json(msg=str(err), operations=operations)
    background.collect(jobs)
    failures = [f"job {job['jid']}: {out.get('msg') or 'failed'}" for job, out in zip(jobs, outcomes) if out.get("failed")]
    if failures:
        module.fail_json(msg="; ".join(failures), operations=operations, jobs=outcomes)
    diffs = [out["diff"] for out in outcomes if out.get("diff")]
    extra = {"diff": diffs[0] if len(diffs) == 1 else diffs} if diffs and module._diff else {}
    module.exit_json(changed=any(out.get("changed") for out in outcomes), operations=operations, jobs=outcomes, **extra)


if __name__ == "__main__":
    main()

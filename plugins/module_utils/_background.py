# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for tasks Ansible runs in the background (``async`` with ``poll: 0``). PRIVATE to the collection.

Such a task's registered result names its job and its results file; ansible-core's async wrapper writes
``{"started": true, "finished": false, ...}`` there when the job starts and replaces it with the module's own result
when it ends (what ``ansible.builtin.async_status`` reads, one new process per poll). Here one process reads every
job's file until each has ended. No Ansible import: unit-testable.
"""
from __future__ import annotations

import json
import os
import time

# What the async wrapper or Ansible adds around a module's result; not the module's answer.
_WRAPPER_KEYS = ("invocation", "ansible_job_id", "results_file", "started", "finished")


class JobError(ValueError):
    """A bad item among the jobs, or a job that did not end in time."""


def jobs_of(items: list) -> list[dict]:
    """The background jobs among registered results: {"jid", "results_file"}; a result that ran at once or was skipped
    (no job) is left out; anything else fails clearly."""
    found = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise JobError(f"jobs[{index}]: {item!r} is not a registered result")
        if "ansible_job_id" in item:
            path = item.get("results_file")
            if not isinstance(path, str) or not path:
                raise JobError(f"jobs[{index}]: job {item['ansible_job_id']} has no results_file (was it started with "
                               "async and poll: 0?)")
            found.append({"jid": str(item["ansible_job_id"]), "results_file": path})
        elif "changed" in item or "skipped" in item or "failed" in item:
            continue   # the task ran at once (no async, check mode) or not at all: nothing to wait for
        else:
            raise JobError(f"jobs[{index}]: {item!r} is not the registered result of a task")
    return found


def read_job(path: str) -> dict | None:
    """The job's result once it has ended, None while it runs. A file the wrapper is still writing reads as running;
    a missing file is an error (the job was never started here, or its result was already collected)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError as err:
        raise JobError(f"no results file {path}: the job did not start on this host, or its result was already "
                       "collected") from err
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or "started" in data:
        return None
    return data


def module_result(data: dict) -> dict:
    """The module's own answer from a job's result (the wrapper's and Ansible's internal keys left out)."""
    return {k: v for k, v in data.items() if k not in _WRAPPER_KEYS and not k.startswith("_ansible")}


def wait_jobs(jobs: list[dict], deadline: float, interval: float = 0.02, clock=time.monotonic, sleep=time.sleep) -> list[dict]:
    """Each job's module result, in the order given, once all have ended; JobError when the deadline passes first.
    A results file is a small local file: read every 0.02 s, so a job's end is seen 0.01 s late on average (0.05 s at
    0.1 s, in deploy.yml on the critical path: the server's job), for about 0.4 ms of CPU per second of waiting."""
    done: dict[int, dict] = {}
    while True:
        for index, job in enumerate(jobs):
            if index not in done:
                data = read_job(job["results_file"])
                if data is not None:
                    done[index] = module_result(data)
        if len(done) == len(jobs):
            return [done[i] for i in range(len(jobs))]
        if clock() >= deadline:
            running = ", ".join(jobs[i]["jid"] for i in range(len(jobs)) if i not in done)
            raise JobError(f"background job(s) {running} still running at the timeout; they go on (their results files "
                           "stay for ansible.builtin.async_status)")
        sleep(interval)


def collect(jobs: list[dict]) -> None:
    """Remove the ended jobs' results files, as async_status's cleanup mode would (best effort)."""
    for job in jobs:
        try:
            os.unlink(job["results_file"])
        except OSError:
            pass

"""Waiting for background (async, poll 0) jobs in one process: module_utils/_background.py."""
from __future__ import annotations

import json

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils import _background as background


def _started(tmp_path, jid="1.2"):
    path = tmp_path / jid
    path.write_text(json.dumps({"started": True, "finished": False, "ansible_job_id": jid}), encoding="utf-8")
    return {"ansible_job_id": jid, "results_file": str(path), "started": 1, "finished": 0, "changed": False}, path


def test_jobs_of_takes_jobs_and_leaves_out_results_that_ran_at_once(tmp_path):
    job, _path = _started(tmp_path)
    found = background.jobs_of([job, {"changed": True, "server": {}}, {"skipped": True}])
    assert found == [{"jid": "1.2", "results_file": str(tmp_path / "1.2")}]


@pytest.mark.parametrize("item, message", [
    ("text", "is not a registered result"),
    ({"ansible_job_id": "9"}, "has no results_file"),
    ({"name": "x"}, "is not the registered result of a task"),
])
def test_jobs_of_refuses_what_is_not_a_job_or_a_result(item, message):
    with pytest.raises(background.JobError, match=message):
        background.jobs_of([item])


def test_read_job_running_half_written_done_and_missing(tmp_path):
    _job, path = _started(tmp_path)
    assert background.read_job(str(path)) is None                       # started, not ended
    path.write_text('{"changed": tr', encoding="utf-8")
    assert background.read_job(str(path)) is None                       # the wrapper is still writing it
    path.write_text(json.dumps({"changed": True, "invocation": {"module_args": {}}, "_ansible_no_log": False}), encoding="utf-8")
    assert background.module_result(background.read_job(str(path))) == {"changed": True}
    with pytest.raises(background.JobError, match="no results file"):
        background.read_job(str(tmp_path / "nope"))


def test_wait_jobs_returns_every_result_in_order_once_all_ended(tmp_path):
    first, first_path = _started(tmp_path, "1")
    second, second_path = _started(tmp_path, "2")
    jobs = background.jobs_of([first, second])
    ticks = []

    def sleep(_seconds):   # the second job ends first, the first on the next poll
        ticks.append(1)
        (second_path if len(ticks) == 1 else first_path).write_text(json.dumps({"changed": len(ticks) == 1}), encoding="utf-8")

    assert background.wait_jobs(jobs, deadline=float("inf"), sleep=sleep) == [{"changed": False}, {"changed": True}]
    assert len(ticks) == 2
    background.collect(jobs)
    assert not first_path.exists() and not second_path.exists()


def test_wait_jobs_names_the_jobs_still_running_at_the_deadline(tmp_path):
    job, _path = _started(tmp_path, "77.5")
    clock = iter([0.0, 5.0, 11.0])
    with pytest.raises(background.JobError, match="77.5 still running at the timeout"):
        background.wait_jobs(background.jobs_of([job]), deadline=10.0, clock=lambda: next(clock), sleep=lambda _s: None)

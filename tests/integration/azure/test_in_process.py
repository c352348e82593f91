"""The modules run inside the controller's worker (plugins/plugin_utils/in_process.py) give what a new Python gives."""
from __future__ import annotations

import sys

from azure_play import arm_id, resource, task

IN_PROCESS = "runs in the controller's worker process"
CONTROLLER_PYTHON = {"ansible_python_interpreter": sys.executable}   # the inventories' setting: the controller's Python


def _steps(rg):
    return [
        dict(task("predict", "resource_group", name=rg, location="westeurope", tags={"Owner": "DevOps"}), check_mode=True),
        task("create", "resource_group", name=rg, location="westeurope", tags={"Owner": "DevOps"}),
        task("again", "resource_group", name=rg, location="westeurope", tags={"Owner": "DevOps"}),
        task("retag", "resource_group", name=rg, tags={"Owner": "Platform"}),
        dict(task("bad name", "resource_group", name=rg + "!", location="westeurope"), ignore_errors=True),
        task("delete", "resource_group", name=rg, state="absent"),
    ]


def _seen(run, names):
    keys = ("changed", "failed", "msg", "diff", "resource_group")
    return {name: {k: run.result(name).get(k) for k in keys} for name in names}


def test_in_process_and_a_new_python_give_the_same_results(ansible, emu, rg_name):
    names = ["predict", "create", "again", "retag", "bad name", "delete"]
    fast = ansible.play(_steps(rg_name), diff=True, verbosity=3, vars_=CONTROLLER_PYTHON)
    assert fast.rc == 0, fast.stdout[-3000:]
    assert IN_PROCESS in fast.stdout + fast.stderr
    slow = ansible.play(_steps(rg_name), diff=True, verbosity=3, vars_=CONTROLLER_PYTHON,
                        extra_env={"COMPLIANCEFLOW_IN_PROCESS": "false"})
    assert slow.rc == 0, slow.stdout[-3000:]
    assert IN_PROCESS not in slow.stdout + slow.stderr

    seen = _seen(fast, names)
    assert seen == _seen(slow, names)
    # What a user sees, whichever way: a prediction, a create, nothing, a tag change, a clear refusal, a delete.
    assert [seen[n]["changed"] for n in names] == [True, True, False, True, False, True]
    assert seen["retag"]["diff"]["after"]["tags"] == {"Owner": "Platform"}
    assert "is not a valid name" in seen["bad name"]["msg"] and seen["bad name"]["failed"] is True
    assert resource(emu, arm_id(emu, rg_name)) is None


def test_another_interpreter_runs_the_usual_way(ansible, emu, rg_name):
    """A module's Python may differ from the controller's (its own venv): then it gets its own process."""
    run = ansible.play([task("create", "resource_group", name=rg_name, location="westeurope")], verbosity=4,
                       vars_={"ansible_python_interpreter": sys.executable + "-not-the-controller"})
    assert run.rc != 0   # that Python does not exist: proof the task did not run in the controller
    assert IN_PROCESS not in run.stdout + run.stderr
    assert resource(emu, arm_id(emu, rg_name)) is None


def test_no_log_values_stay_hidden_in_process(ansible, emu, rg_name):
    secret = emu.client_secret
    run = ansible.play([task("group", "resource_group", name=rg_name, location="westeurope", auth_source="module",
                             client_id=emu.client_id, tenant=emu.tenant_id, secret=secret)],
                       verbosity=4, vars_=CONTROLLER_PYTHON, extra_env={"AZURE_SECRET": "unused-because-auth_source-is-module"})
    assert run.rc == 0, run.stdout[-3000:]
    assert IN_PROCESS in run.stdout + run.stderr
    assert secret not in run.stdout + run.stderr
    ansible.play([task("group", "resource_group", name=rg_name, state="absent")], vars_=CONTROLLER_PYTHON)


def test_module_defaults_groups_reach_only_their_own_modules(ansible, emu, rg_name):
    """module_defaults by action group work as with a new Python: the azure group's defaults reach an Azure module, the
    postgresql group's login options do not (they would be unsupported parameters)."""
    other = "11111111-2222-3333-4444-555555555555"
    run = ansible.play([task("group", "resource_group", name=rg_name, location="westeurope")], verbosity=3,
                       vars_=CONTROLLER_PYTHON,
                       module_defaults={"group/complianceflow.infra.azure": {"subscription_id": other},
                                        "group/complianceflow.infra.postgresql": {"login_host": "db.invalid"}})
    assert IN_PROCESS in run.stdout + run.stderr
    msg = run.result("group")["msg"]
    assert other in msg and "Unsupported parameters" not in msg, msg


def test_an_async_task_runs_as_a_job_forked_from_the_worker_and_async_status_reads_it(ansible, emu, rg_name):
    """async (poll 0, then async_status) gives the same answer in a job forked from the worker as in async_wrapper's
    new Python: the same results file, read by ansible.builtin.async_status."""
    started = dict(task("start", "resource_group", name=rg_name, location="westeurope"), register="job", poll=0)
    started["async"] = 120
    steps = [started, {"name": "done", "ansible.builtin.async_status": {"jid": "{{ job.ansible_job_id }}"},
                       "register": "done", "until": "done.finished", "retries": 60, "delay": 1}]
    answers = {}
    ways = (({}, "forked from the controller's worker process"), ({"COMPLIANCEFLOW_IN_PROCESS": "false"}, "runs in a new Python"))
    for extra_env, how in ways:
        run = ansible.play(steps, verbosity=4, vars_=CONTROLLER_PYTHON, extra_env=extra_env)
        assert run.rc == 0, run.stdout[-3000:]
        assert how in run.stdout + run.stderr
        done = run.result("done")
        answers[how] = {k: done.get(k) for k in ("changed", "failed", "resource_group")}
        answers[how]["start"] = {k: run.result("start").get(k) for k in ("changed", "started", "finished")}
        assert resource(emu, arm_id(emu, rg_name)) is not None
        ansible.play([task("group", "resource_group", name=rg_name, state="absent")], vars_=CONTROLLER_PYTHON)
    forked, usual = answers[ways[0][1]], answers[ways[1][1]]
    assert forked == usual and forked["changed"] is True and forked["resource_group"]["name"] == rg_name
    assert forked["start"]["changed"] is True   # ansible-core reports every started job as a change


def test_a_forked_job_past_its_async_seconds_ends_as_async_wrapper_ends_it(ansible, tmp_path):
    """A job still running after its async seconds is stopped and its results file says so (async_wrapper's words)."""
    running = tmp_path / "other-job"
    running.write_text('{"started": true, "finished": false, "ansible_job_id": "other"}')
    # operation_wait on a job that never ends: it would wait its 60 s; the task's async gives it 2.
    waiting = dict(task("wait", "operation_wait", jobs=[{"ansible_job_id": "other", "results_file": str(running)}],
                        timeout=60), register="job", poll=0)
    waiting["async"] = 2
    run = ansible.play([waiting, {"name": "done", "ansible.builtin.async_status": {"jid": "{{ job.ansible_job_id }}"},
                                  "register": "done", "until": "done.finished", "retries": 20, "delay": 1,
                                  "ignore_errors": True}], verbosity=3, vars_=CONTROLLER_PYTHON)
    assert "forked from the controller's worker process" in run.stdout + run.stderr
    done = run.result("done")
    assert done["failed"] is True and done["msg"] == "Timeout exceeded", done


def test_a_custom_clouds_metadata_is_read_once_per_run_in_process(ansible, emu, rg_name):
    """The emulator is a custom cloud (an ARM URL): in the worker the modules share the run's copy of its metadata
    (module_utils/_azure/auth.py, in ansible-core's private per-run directory); each new Python reads it again."""
    steps = [task(f"read {n}", "resource_group", name=rg_name, state="absent") for n in range(3)]
    for extra_env, expected in (({}, 1), ({"COMPLIANCEFLOW_IN_PROCESS": "false"}, 3)):
        since = emu.request_count()
        run = ansible.play(steps, vars_=CONTROLLER_PYTHON, extra_env=extra_env)
        assert run.rc == 0, run.stdout[-3000:]
        reads = [r for r in emu.requests(since) if r["path"] == "/metadata/endpoints"]
        assert len(reads) == expected, (extra_env, reads)


def test_operation_wait_collects_background_jobs_with_their_change_and_failure(ansible, emu, rg_name):
    """A job started with async and poll 0 is collected by one operation_wait: the job's change, diff and failure are
    the task's, and its results file is gone after (ansible.builtin.async_status would poll with a process each time)."""
    good = dict(task("start", "resource_group", name=rg_name, location="westeurope"), register="job", poll=0)
    good["async"] = 120
    bad = dict(task("start bad", "resource_group", name=rg_name + "-x", location="westeurope",
                    tags={"Bad": "x" * 300}), register="bad_job", poll=0)   # a tag value longer than 256: refused
    bad["async"] = 120
    run = ansible.play([good, bad,
                        dict(task("done", "operation_wait", jobs=["{{ job }}"]), register="done"),
                        {"name": "file gone", "ansible.builtin.stat": {"path": "{{ job.results_file }}"}, "register": "gone"},
                        dict(task("done bad", "operation_wait", jobs=["{{ bad_job }}"]), ignore_errors=True),
                        dict(task("nothing named", "operation_wait"), ignore_errors=True)],
                       diff=True, vars_=CONTROLLER_PYTHON)
    done = run.result("done")
    assert done["changed"] is True and done["jobs"][0]["resource_group"]["name"] == rg_name, run.stdout[-3000:]
    assert done["diff"]["after"]["location"] == "westeurope" and not done["diff"]["before"]
    assert "invocation" not in done["jobs"][0]
    assert run.result("file gone")["stat"]["exists"] is False
    failed = run.result("done bad")
    assert failed["failed"] is True and "job " in failed["msg"] and "256" in failed["msg"], failed
    assert run.result("nothing named")["msg"] == "one of the following is required: operations, jobs"
    assert resource(emu, arm_id(emu, rg_name)) is not None and resource(emu, arm_id(emu, rg_name + "-x")) is None
    ansible.play([task("group", "resource_group", name=rg_name, state="absent")], vars_=CONTROLLER_PYTHON)


def _token_requests(emu, since):
    return [r for r in emu.requests(since) if r.get("operation") == "oauth2/token"]


def test_a_loops_items_share_one_token_in_the_worker_and_a_forked_job_gets_its_own(ansible, emu, rg_name):
    """The items of a loop run one after another in one worker: the first one's credential (and its token) serve the
    next ones, where each new Python asks Entra ID again. A job forked from that worker never shares them: it asks for
    its own token."""
    names = [f"{rg_name}-{n}" for n in range(4)]
    loop = dict(task("groups", "resource_group", name="{{ item }}", location="westeurope"), loop=names)
    for extra_env, expected in (({}, 1), ({"COMPLIANCEFLOW_IN_PROCESS": "false"}, len(names))):
        since = emu.request_count()
        run = ansible.play([loop], vars_=CONTROLLER_PYTHON, extra_env=extra_env)
        assert run.rc == 0, run.stdout[-3000:]
        assert len(_token_requests(emu, since)) == expected, extra_env
        assert all(resource(emu, arm_id(emu, name)) is not None for name in names)
        ansible.play([dict(task("gone", "resource_group", name="{{ item }}", state="absent"), loop=names)],
                     vars_=CONTROLLER_PYTHON)

    # The first item in the worker itself (async 0), the next ones as jobs forked from it after: each job asks for its
    # own token (with the worker's credential, it would share the worker's connections too).
    jobs = dict(task("jobs", "resource_group", name="{{ item }}", location="westeurope"), loop=names[:3], register="jobs",
                poll=0)
    jobs["async"] = "{{ 0 if item == '%s' else 120 }}" % names[0]
    since = emu.request_count()
    run = ansible.play([jobs, dict(task("done", "operation_wait", jobs="{{ jobs.results[1:] }}"), register="done")],
                       vars_=CONTROLLER_PYTHON)
    assert run.rc == 0, run.stdout[-3000:]
    started = run.result("jobs")["results"]
    assert "ansible_job_id" not in started[0] and all("ansible_job_id" in item for item in started[1:]), started
    assert run.result("done")["changed"] is True
    assert len(_token_requests(emu, since)) == 3   # the worker's first item, then each job's own
    assert all(resource(emu, arm_id(emu, name)) is not None for name in names[:3])
    ansible.play([dict(task("gone", "resource_group", name="{{ item }}", state="absent"), loop=names[:3])],
                 vars_=CONTROLLER_PYTHON)


def test_entra_ids_discovery_document_is_read_once_per_run_in_process(ansible, emu, rg_name):
    """Each task's credential reads the tenant's OpenID discovery document before its first token: in the worker the
    run's copy answers all but the first (module_utils/_azure/discovery.py); each new Python asks Entra ID again."""
    steps = [task(f"read {n}", "resource_group", name=rg_name, state="absent") for n in range(3)]
    for extra_env, expected in (({}, 1), ({"COMPLIANCEFLOW_IN_PROCESS": "false"}, 3)):
        since = emu.request_count()
        run = ansible.play(steps, vars_=CONTROLLER_PYTHON, extra_env=extra_env)
        assert run.rc == 0, run.stdout[-3000:]
        documents = [r for r in emu.requests(since) if r.get("operation") == "oidc/openid-configuration"]
        assert len(documents) == expected, (extra_env, documents)
        assert len(_token_requests(emu, since)) == 3, extra_env   # each task's worker still asks for its own token

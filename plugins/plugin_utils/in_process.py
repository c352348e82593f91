# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the collection's controller-side modules inside the Ansible worker instead of a new Python.

Each module has an action plugin of its own name (plugins/action/<module>.py) that is this class, so that Ansible
resolves the task to the module's own name (module_defaults groups, callbacks) and loads the class in the controller.

Every module of this collection talks to Azure or PostgreSQL from the controller (the inventories set
``ansible_connection: local`` and ``ansible_python_interpreter: "{{ ansible_playbook_python }}"``). Run the usual
way, each task starts a new Python, unpacks the module and imports the Azure SDK again: about 0.3 s of process
start plus 0.3 to 0.8 s of imports here, paid by every task of a deployment. Here the module runs in the worker
that Ansible forks for the task, the way AnsiballZ runs it (ansible-core's own loader: the same argument
and result encoding, check and diff mode, no_log). The worker is a fork of the controller, and this file is
imported by the controller before it forks (the linear strategy loads a task's action plugin class first), so
the SDK imports below are paid once per run.

An ``async`` task runs the same way in a daemon forked from the worker (ansible-core's async_wrapper forks one too,
then starts a new Python in it): it writes the same results file (started, then the module's result; "Timeout
exceeded" after ``async`` seconds), which async_status and operation_wait read. The job's first call goes out at
once instead of after the new Python's imports (about 1.5 s here: a new Flexible Server's create in deploy.yml).

Only where the result is bound to be the same as the usual way; anything else runs the usual way: another
connection than ``local``, another interpreter than the controller's, ``become``, an ansible-core without the loader
this relies on, or ``COMPLIANCEFLOW_IN_PROCESS=false``.
"""
from __future__ import annotations

import collections
import collections.abc
import contextlib
import gc
import importlib
import io
import json
import os
import re
import secrets
import signal
import ssl
import sys
import time
from pathlib import Path

from ansible import constants as C
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash
from ansible.vars.clean import remove_internal_keys

from ansible_collections.complianceflow.infra.plugins.module_utils._azure import tls
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.run_cache import RUN_CACHE_ENV

try:  # ansible-core's own module runner (what AnsiballZ calls); without it, every task runs the usual way
    from ansible.module_utils._internal._ansiballz import _loader as ansiballz_loader
    from ansible.module_utils.common.json import Direction, get_module_encoder
except ImportError:  # pragma: no cover - another ansible-core layout
    ansiballz_loader = None

display = Display()

# Imported once in the controller, so that no worker pays for them (best effort: a missing package is the module's
# own clear error, at its own task). What the first tasks of a deployment need (Azure auth, ARM, the network SDK) at
# once; the rest (LATER) where the run first waits (preload_later, below): the PostgreSQL SDK's 0.02 s were on the
# critical path here, before the first Azure call.
PRELOAD = ("azure.identity", "azure.mgmt.core", "azure.mgmt.network",
           "msal", "msal_extensions",
           # what the SDK, requests and ansible-core's module runner import on first use, in every worker otherwise
           "azure.core.pipeline.transport._requests_basic", "azure.core.rest._requests_basic", "netrc",
           "ansible.module_utils._internal._json._profiles._module_legacy_m2c",
           "ansible.module_utils._internal._json._profiles._module_legacy_c2m")
# The PostgreSQL SDK, the Key Vault data plane and psycopg: no task before deploy.yml's first wait task uses them.
LATER = ("azure.mgmt.postgresqlflexibleservers", "azure.keyvault.secrets", "azure.keyvault.keys", "psycopg")
for _name in PRELOAD:
    with contextlib.suppress(ImportError):
        importlib.import_module(_name)


PLUGINS = Path(__file__).resolve().parents[1]
UTILS_PACKAGE = __name__.rsplit(".plugin_utils.", 1)[0] + ".module_utils"
_UTILS_IMPORT = re.compile(r"^from (" + re.escape(UTILS_PACKAGE) + r"(?:\.[\w.]+)?) import ([\w, ]*)", re.MULTILINE)


def _preload_module_utils(names) -> None:
    """This collection's own module_utils too: a worker otherwise imports them again for every task through the
    collection loader (measured with py-spy on a no-change re-run of the pair: a quarter of the modules' time), and
    that loader compiles each from its source (0.13 s for all of them here, 6 Dec 2026). None reads the environment at
    import time, so importing them before a task sets its environment changes nothing."""
    for name in names:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _preload_module_utils_of(module: str) -> None:
    """The module_utils modules <module> imports (what they need comes with them), the ones of a package's
    `from <package> import <module>` too."""
    try:
        source = (PLUGINS / "modules" / f"{module}.py").read_text(encoding="utf-8")
    except OSError:
        return
    for package, names in _UTILS_IMPORT.findall(source):
        with contextlib.suppress(ImportError):
            if hasattr(importlib.import_module(package), "__path__"):
                _preload_module_utils(f"{package}.{name.strip()}" for name in names.split(",") if name.strip())


def _all_module_utils() -> list[str]:
    root = PLUGINS / "module_utils"
    return [UTILS_PACKAGE + "." + ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            for path in sorted([*root.glob("_*.py"), *root.glob("_*/*.py")])]


# Builtin types a worker tests against Mapping and MutableMapping (requests, azure-core, ansible-core: a list, a dict's
# values, a bool, ...). Such a test is cached on the ABC, but the SDK's models (about 1,200 MutableMapping subclasses)
# make a miss walk all of them, and the imports above invalidated what the controller had cached.
_WARM_TYPES = (list, tuple, str, bytes, bytearray, int, float, bool, type(None), set, frozenset, dict,
               collections.OrderedDict, type({}.keys()), type({}.values()), type({}.items()),
               type(collections.OrderedDict().keys()), type(collections.OrderedDict().values()),
               type(collections.OrderedDict().items()))


def _warm_abc_caches() -> None:
    """Fill those caches in the controller, before each fork (a hit costs nothing; an import that registers an ABC
    empties them again): every worker, and every task, otherwise pays the walk again, about 12 ms."""
    for kind in _WARM_TYPES:
        issubclass(kind, collections.abc.Mapping)
        issubclass(kind, collections.abc.MutableMapping)


_warm_abc_caches()
os.register_at_fork(before=_warm_abc_caches)


def _warm_template_lexer() -> None:
    """Jinja's lexer for Ansible's default template settings (about 30 regular expressions), built once here: each worker
    otherwise builds it again for its task's first template, about 2 ms of CPU. ansible-core keeps it in a class-level
    cache and notes it should be made before forking (ansible/_internal/_templating/_jinja_bits.py, `lexer`); that
    module is private, so best effort: without it each worker builds its own, as before."""
    with contextlib.suppress(Exception):
        from ansible._internal._templating._jinja_bits import AnsibleEnvironment  # pylint: disable=import-outside-toplevel
        AnsibleEnvironment().lexer  # pylint: disable=expression-not-assigned


_warm_template_lexer()
# OpenSSL's one-time set-up of a process (its configuration and providers), done on a process's first TLS context:
# done here, once, instead of in every worker's first connection (about 3 ms each).
ssl.create_default_context()
# And the CA bundle a task verifies against by default, parsed into its shared context (module_utils/_azure/tls.py):
# once here instead of once per worker (15 to 70 ms for certifi's).
tls.warm(os.environ)

# Every task's worker is a fork of the controller. Python's collector, when it runs in a worker, walks every object the
# controller holds (the SDK just imported above among them) and so copies the controller's memory page by page (copy on
# write). Frozen they are not walked: about 2 s less CPU over the pair's no-change re-run (3 runs each way, 3 Dec 2026).
# The objects frozen live as long as the controller anyway (modules, the loaded playbook). Not collected first: here
# nothing they hold is garbage yet (a full collection at this point found 0 unreachable objects of 243,000 in the pair's
# controller, and took 0.07-0.09 s before its first Azure call; 6 Dec 2026).
gc.freeze()

_later_done = False


def preload_later() -> None:
    """LATER and every module_utils of the collection not imported yet, in the controller once, before the first worker
    that needs them is forked: called at import by the action plugin of every module that uses LATER, and by
    operation_wait's (a module's own module_utils come with its action plugin: InProcessAction.__init_subclass__).
    Ansible loads a task's action plugin even where the task is then skipped: in deploy.yml the first operation_wait
    task is the network role's own wait (skipped there), right after the VNet's start, while the deploy waits for the
    VNet anyway, instead of before its first Azure call, on the critical path. Moving LATER here (and the full garbage
    collection before the freeze dropped) brought the pair's first Azure call 0.33-0.42 s sooner after the run's start;
    importing before it only the module_utils of the modules it runs, the others here, 0.06 s more (timed runs each way,
    6 Dec 2026). A module that needs them and whose action plugin did not ask would import them in each of its
    workers: slower, not wrong."""
    global _later_done  # pylint: disable=global-statement  # once per controller process
    if _later_done:
        return
    _later_done = True
    _preload_module_utils(LATER)
    _preload_module_utils(_all_module_utils())
    gc.freeze()   # the new objects too (see above)


SWITCH = "COMPLIANCEFLOW_IN_PROCESS"
SERIALIZATION_PROFILE = "legacy"


class InProcessAction(ActionBase):
    """Runs the task's module in this process where that is the same as running it in a new one."""

    _requires_connection = True
    _supports_async = True   # as ansible.builtin.normal: async tasks are accepted (run as a forked job, below)
    # Options that make the module return a secret: allowed only in a task that itself sets no_log. The module checks
    # its _ansible_no_log too, but ansible-core sets that also for no_target_syslog (ANSIBLE_NO_TARGET_SYSLOG, or the
    # variable ansible_no_target_syslog), which hides nothing from the output: only the task's own no_log does.
    secret_returning_options: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        """A module's action plugin is loaded in the controller before the module's first task forks its workers: its
        module's module_utils are imported then, and the others at the run's first wait (preload_later): all of them
        before the first Azure call took 0.13 s of the controller's time there, on the critical path."""
        super().__init_subclass__(**kwargs)
        _preload_module_utils_of(cls.__module__.rpartition(".")[2])
        gc.freeze()   # the new objects too (see above)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        refused = self._secret_option_without_no_log()
        if refused:
            return dict(result, failed=True, msg=refused)
        reason = self._why_not_in_process(task_vars or {})
        if reason:
            display.vvvv(f"{self._task.action}: runs in a new Python ({reason})")
            return self._run_usual_way(result, task_vars)
        if self._task.async_val:
            result.update(self._start_in_background(task_vars or {}))
        else:
            result.update(self._run_in_process(task_vars or {}))
        return result

    def _secret_option_without_no_log(self) -> str | None:
        if self._task.no_log:
            return None
        for option in self.secret_returning_options:
            if boolean(self._task.args.get(option, False), strict=False):
                return (f"{option}=true is allowed only in a task with no_log: true, so that the value stays out of the "
                        "output (no_target_syslog does not hide it)")
        return None

    def _run_usual_way(self, result: dict, task_vars) -> dict:
        """What ansible-core's `normal` action does for a module: async wrapper where asked, the temporary path removed."""
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _why_not_in_process(self, task_vars: dict) -> str | None:
        if not boolean(os.environ.get(SWITCH, "true"), strict=False):
            return f"{SWITCH} is off"
        if ansiballz_loader is None:
            return "this ansible-core has no module loader to reuse"
        if self._connection.transport not in ("local", "ansible.builtin.local"):
            return f"connection {self._connection.transport}"
        if self._play_context.become:
            return "become"
        interpreter = task_vars.get("ansible_python_interpreter")
        if interpreter is None:   # ansible.cfg's interpreter_python (or its ANSIBLE_PYTHON_INTERPRETER); "auto*" discovers
            interpreter = C.config.get_config_value("INTERPRETER_PYTHON", variables=task_vars)
        interpreter = self._templar.template(interpreter or "")
        if str(interpreter).startswith("auto"):
            interpreter = ""
        if not interpreter or os.path.realpath(str(interpreter)) != os.path.realpath(sys.executable):
            return f"interpreter {interpreter or 'discovered'} is not the controller's {sys.executable}"
        return None

    def _start_in_background(self, task_vars: dict) -> dict:
        """An async task: a daemon forked from this worker runs the module and writes the job's results file, the way
        ansible-core's async_wrapper does (the same file, the same answer here); this worker returns at once."""
        async_dir = os.path.expanduser(self.get_shell_option("async_dir", default="~/.ansible_async"))
        os.makedirs(async_dir, mode=0o700, exist_ok=True)
        jid = f"j{secrets.randbelow(10 ** 12)}.{os.getpid()}"
        results_file = os.path.join(async_dir, jid)
        _write_job(results_file, {"started": True, "finished": False, "ansible_job_id": jid})
        display.vvv(f"{self._task.action}: runs as background job {jid}, forked from the controller's worker process",
                    host=self._play_context.remote_addr)
        child = os.fork()
        if child == 0:   # pragma: no cover - the forked side (its work shows in the results file)
            try:
                os.setsid()          # out of the worker's session: the run's end or a Ctrl-C of it does not reach the job
                if os.fork() == 0:   # the daemon; its parent ends at once, so the worker waits for nothing
                    self._run_job(task_vars, jid, results_file)
            finally:
                os._exit(0)   # pylint: disable=protected-access  # never back into the worker's code
        os.waitpid(child, 0)
        # changed: what ansible-core's ActionBase._execute_module reports for every started async job.
        return {"ansible_job_id": jid, "results_file": results_file, "started": True, "finished": False, "changed": True}

    def _run_job(self, task_vars: dict, jid: str, results_file: str) -> None:
        """The daemon: a watchdog over the module's process, as async_wrapper's, which kills it after the task's async
        seconds and then writes "Timeout exceeded" (a module stuck in a call is stopped too)."""
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):   # nothing of the job reaches the worker's terminal or pipes
            os.dup2(devnull, fd)
        module = os.fork()
        if module == 0:
            try:
                self._run_job_module(task_vars, jid, results_file)
            finally:
                os._exit(0)   # pylint: disable=protected-access  # never back into the worker's code
        deadline = time.monotonic() + int(self._task.async_val)
        while os.waitpid(module, os.WNOHANG) == (0, 0):
            if time.monotonic() >= deadline:
                os.kill(module, signal.SIGKILL)
                os.waitpid(module, 0)
                _write_job(results_file, {"failed": True, "msg": "Timeout exceeded", "ansible_job_id": jid})
                return
            time.sleep(0.1)

    def _run_job_module(self, task_vars: dict, jid: str, results_file: str) -> None:
        try:
            # The module's own JSON, as async_wrapper keeps it (the controller parses it where the job is collected).
            stdout, stderr, _rc = self._module_output(task_vars, quiet=True)
            try:
                data = json.loads(stdout)
            except ValueError:
                data = {"failed": True, "msg": f"{self._task.action} returned no JSON in its background job", "data": stdout[-2000:]}
            if stderr:
                data["stderr"] = stderr
        except Exception as exc:  # pylint: disable=broad-exception-caught  # the job must end with a result
            data = {"failed": True, "msg": f"{self._task.action} failed in its background job: {exc}"}
        _write_job(results_file, dict(data, ansible_job_id=jid))

    def _run_in_process(self, task_vars: dict) -> dict:
        stdout, stderr, rc = self._module_output(task_vars)
        data = self._parse_returned_data({"stdout": stdout, "stderr": stderr, "rc": rc}, SERIALIZATION_PROFILE)
        remove_internal_keys(data)
        return data

    def _module_output(self, task_vars: dict, quiet: bool = False) -> tuple[str, str, int]:
        """The module run here as AnsiballZ would run it: its stdout (the JSON result), stderr and exit code."""
        # The task's own module (plugins/action/<module>.py, of the module's own name, is this class).
        module_name = self._shared_loader_obj.module_loader.find_plugin_with_context(
            self._task.action, collection_list=self._task.collections).resolved_fqcn
        module_args = self._task.args.copy()
        self._update_module_args(module_name, module_args, task_vars)
        # The serialization profile of a module without METADATA (none of this collection's modules declares one: a unit
        # test keeps it so), as ansible-core's module_common decides it. Building the AnsiballZ payload just to read it
        # (_configure_module) would cost more than the rest of the task.
        profile = SERIALIZATION_PROFILE
        params = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}, cls=get_module_encoder(profile, Direction.CONTROLLER_TO_MODULE))
        environment: dict = {}
        self._compute_environment_string(environment)
        if not quiet:   # a background job (forked) must not talk to the controller through the worker's queue
            display.vvv(f"{module_name}: runs in the controller's worker process", host=self._play_context.remote_addr)

        collection, _sep, short = module_name.rpartition(".")
        module_fqn = f"ansible_collections.{collection}.plugins.modules.{short}"
        stdout, stderr, rc = io.StringIO(), io.StringIO(), 0
        # This worker's own environment: the task's, and the run's private temporary directory for what a module may
        # keep for the run's later tasks (module_utils/_azure/run_cache.py: a custom cloud's metadata, Entra ID's
        # OpenID discovery document; public documents, never a token or a secret).
        if os.path.isdir(str(C.DEFAULT_LOCAL_TMP)):
            os.environ[RUN_CACHE_ENV] = str(C.DEFAULT_LOCAL_TMP)
        os.environ.update({str(k): str(v) for k, v in environment.items()})
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                ansiballz_loader.run_module(json_params=params.encode(), profile=profile, module_fqn=module_fqn,
                                            modlib_path="", extensions={})
            except SystemExit as done:
                rc = done.code if isinstance(done.code, int) else 1
        return stdout.getvalue(), stderr.getvalue(), rc


def _write_job(path: str, data: dict) -> None:
    """The results file as async_wrapper writes it: whole or not at all (a reader never sees half of it)."""
    partial = f"{path}.tmp"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(data, handle, default=str)
    os.replace(partial, path)

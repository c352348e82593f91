"""tools/arm-emulator start|stop|status|serve --state-dir DIR.

`start` runs `serve` in the background (its own session, output in DIR/emulator.log), waits
until it answers over HTTPS, then prints KEY=VALUE lines (URL, CA, accepted credentials).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .config import Config, ConfigError, load_file
from .identity import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_SUBSCRIPTION, DEFAULT_TENANT

PID_FILE = "emulator.pid"
SERVER_FILE = "server.json"
CONFIG_COPY = "config.json"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # An exited daemon stays a zombie until its adoptive parent reaps it: that is dead too.
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _running_pid(state_dir: Path) -> int | None:
    """The emulator's pid, only if that process still is this state dir's emulator.

    A stale pid file (a crash, a reboot) may name a pid the system has since given to another
    process: the command line must show `arm_emulator serve --state-dir <this dir>`.
    """
    try:
        pid = int((state_dir / PID_FILE).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    if not _pid_alive(pid):
        return None
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid  # no /proc: trust the pid file
    expected = [b"arm_emulator", b"serve", b"--state-dir", str(state_dir).encode()]
    return pid if all(part in argv for part in expected) else None


def _health(url: str, ca: Path, timeout: float = 2.0) -> bool:
    context = ssl.create_default_context(cafile=str(ca))
    try:
        with urllib.request.urlopen(f"{url}/_emulator/health", timeout=timeout, context=context) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def environment(state_dir: Path) -> dict[str, str]:
    """What a client needs, as printed by start/status."""
    info = json.loads((state_dir / SERVER_FILE).read_text(encoding="utf-8"))
    config = {}
    if (state_dir / CONFIG_COPY).exists():
        config = json.loads((state_dir / CONFIG_COPY).read_text(encoding="utf-8"))
    creds = (config.get("credentials") or [{}])[0]
    return {
        "ARM_EMULATOR_URL": info["url"],
        # The same port is an HTTPS proxy (CONNECT) for names DNS cannot resolve (*.localhost).
        "ARM_EMULATOR_PROXY": info["url"].replace("https://", "http://", 1),
        "ARM_EMULATOR_CA": str(state_dir / "ca.pem"),
        "ARM_EMULATOR_PID": str(info["pid"]),
        "ARM_EMULATOR_TENANT_ID": creds.get("tenant_id") or DEFAULT_TENANT,
        "ARM_EMULATOR_CLIENT_ID": creds.get("client_id") or DEFAULT_CLIENT_ID,
        "ARM_EMULATOR_CLIENT_SECRET": creds.get("client_secret") or DEFAULT_CLIENT_SECRET,
        "ARM_EMULATOR_SUBSCRIPTION_ID": DEFAULT_SUBSCRIPTION,
        "ARM_EMULATOR_REQUEST_LOG": str(state_dir / "requests.jsonl"),
    }


def cmd_start(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    if _running_pid(state_dir):
        print(f"arm-emulator: already running in {state_dir} (pid {_running_pid(state_dir)})", file=sys.stderr)
        return _print_env(state_dir)
    if args.config:
        try:
            data = load_file(Path(args.config))
            Config(data)  # validate before starting anything
        except (OSError, ValueError, ConfigError) as exc:
            print(f"arm-emulator: bad config {args.config}: {exc}", file=sys.stderr)
            return 2
        (state_dir / CONFIG_COPY).write_text(json.dumps(data, indent=1), encoding="utf-8")
        (state_dir / CONFIG_COPY).chmod(0o600)
    port = args.port
    if port is None and (state_dir / SERVER_FILE).exists():
        port = json.loads((state_dir / SERVER_FILE).read_text(encoding="utf-8")).get("port", 0)
    (state_dir / SERVER_FILE).unlink(missing_ok=True)
    tools_dir = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [tools_dir, os.environ.get("PYTHONPATH")])))
    with open(state_dir / "emulator.log", "ab") as log:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with  # a daemon outlives this command
            [sys.executable, "-m", "arm_emulator", "serve", "--state-dir", str(state_dir), "--port", str(port or 0),
             "--host", args.host],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, env=env)
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            print(f"arm-emulator: the server exited with {proc.returncode}; see {state_dir / 'emulator.log'}",
                  file=sys.stderr)
            return 1
        if (state_dir / SERVER_FILE).exists():
            url = json.loads((state_dir / SERVER_FILE).read_text(encoding="utf-8"))["url"]
            if _health(url, state_dir / "ca.pem"):
                return _print_env(state_dir)
        time.sleep(0.05)
    proc.terminate()
    print(f"arm-emulator: no answer within {args.timeout}s; see {state_dir / 'emulator.log'}", file=sys.stderr)
    return 1


def _print_env(state_dir: Path) -> int:
    for key, value in environment(state_dir).items():
        print(f"{key}={value}")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir).resolve()
    pid = _running_pid(state_dir)
    if pid is None:
        print(f"arm-emulator: not running in {state_dir}")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 10
    while time.time() < deadline and _pid_alive(pid):
        time.sleep(0.05)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    (state_dir / PID_FILE).unlink(missing_ok=True)
    print(f"arm-emulator: stopped (pid {pid})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir).resolve()
    pid = _running_pid(state_dir)
    if pid is None or not (state_dir / SERVER_FILE).exists():
        print(f"arm-emulator: not running in {state_dir}")
        return 3
    url = json.loads((state_dir / SERVER_FILE).read_text(encoding="utf-8"))["url"]
    if not _health(url, state_dir / "ca.pem"):
        print(f"arm-emulator: pid {pid} runs but does not answer at {url}")
        return 1
    return _print_env(state_dir)


def cmd_serve(args: argparse.Namespace) -> int:
    # Imported here so start/stop/status stay quick and need no cryptography import.
    from .listener import make_listener  # pylint: disable=import-outside-toplevel

    state_dir = Path(args.state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    data = {}
    if (state_dir / CONFIG_COPY).exists():
        data = json.loads((state_dir / CONFIG_COPY).read_text(encoding="utf-8"))
    try:
        server, app = make_listener(state_dir, data, args.host, args.port)
    except OSError:
        if not args.port:
            raise
        server, app = make_listener(state_dir, data, args.host, 0)  # the old port is taken: any port
    port = server.server_address[1]
    url = f"https://{args.host}:{port}"
    (state_dir / PID_FILE).write_text(str(os.getpid()), encoding="utf-8")
    tmp = state_dir / (SERVER_FILE + ".tmp")  # written whole, then renamed: `start` polls for it
    tmp.write_text(json.dumps({"url": url, "port": port, "pid": os.getpid()}), encoding="utf-8")
    os.replace(tmp, state_dir / SERVER_FILE)

    def _stop(signum: int, frame: object) -> None:
        del signum, frame
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    print(f"arm-emulator: serving {url} from {state_dir}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.state.close()   # the changes not written yet (state.py writes at most every SAVE_INTERVAL)
        (state_dir / PID_FILE).unlink(missing_ok=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="arm-emulator", description="Local HTTPS emulator of Azure Resource Manager.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("start", "stop", "status", "serve"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--state-dir", required=True, help="directory for state, certificates, logs and the pid file")
        if name in ("start", "serve"):
            cmd.add_argument("--port", type=int, default=None if name == "start" else 0,
                             help="TCP port (0: any free port; start reuses the previous port when free)")
            cmd.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback by default)")
        if name == "start":
            cmd.add_argument("--config", help="JSON or YAML config: latency, faults, credentials, subscriptions, token_lifetime")
            cmd.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for the server to answer")
    args = parser.parse_args(argv)
    return {"start": cmd_start, "stop": cmd_stop, "status": cmd_status, "serve": cmd_serve}[args.command](args)

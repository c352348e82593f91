"""Persistent state: resources by id, long-running operations, and the request log.

Everything lives in memory behind one lock and is written to <state-dir>/state.json at most every
SAVE_INTERVAL seconds after a change, and at once when the emulator stops (atomically, so a killed
emulator never leaves half a file; killed with SIGKILL, it loses at most that interval's changes).
Resource ids are compared case-insensitively, as ARM does; each document keeps the casing it was
created with.
"""
from __future__ import annotations

import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

STATE_FILE = "state.json"
REQUEST_LOG = "requests.jsonl"
# Writing the whole state after every write cost the whole estate's emulator most of its CPU (a 3.5 MB document
# dumped for each of thousands of writes and polls) and held every other request behind the lock meanwhile.
SAVE_INTERVAL = 0.2


def new_etag(weak: bool = True) -> str:
    tag = str(uuid.uuid4())
    return f'W/"{tag}"' if weak else tag


def set_provisioning_state(doc: Any, value: str) -> None:
    """Set every provisioningState in a document tree (inline subnets, rules, delegations too)."""
    if isinstance(doc, dict):
        for key, item in doc.items():
            if key == "provisioningState":
                doc[key] = value
            else:
                set_provisioning_state(item, value)
    elif isinstance(doc, list):
        for item in doc:
            set_provisioning_state(item, value)


class State:
    """Resources (top-level documents; children live inline in their parent) and operations."""

    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir
        self.lock = threading.RLock()
        self.resources: dict[str, dict] = {}
        self.operations: dict[str, dict] = {}
        self.providers: dict[str, list] = {}   # subscription (lower-case) -> namespaces it registered
        # resource id (lower-case) -> a hold (done() -> bool, error -> dict | None), in memory only: the operation on that
        # resource stays InProgress until the hold is done, and fails with its error if it has one (a Flexible
        # Server's create waits for its own local cluster: postgres_backing.py).
        self.holds: dict[str, Any] = {}
        # The holds not done yet, persisted as resource id -> the error their operation ends with if the emulator
        # stopped before they were: a restart must not turn a half-done hold (a half-made cluster) into success.
        self.pending_holds: dict[str, dict] = {}
        self._log_lock = threading.Lock()
        self._dirty = threading.Event()
        self._write_lock = threading.Lock()   # one write at a time, so an older document never replaces a newer one
        self._closed = False
        self.load()
        self.write()
        threading.Thread(target=self._writer, name="state-writer", daemon=True).start()

    # --- persistence --------------------------------------------------------------------
    def load(self) -> None:
        path = self.dir / STATE_FILE
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            self.resources = data.get("resources", {})
            self.operations = data.get("operations", {})
            self.providers = data.get("providers", {})
            self.pending_holds = data.get("pending_holds", {})
            for key, error in self.pending_holds.items():
                self.holds[key] = _Interrupted(error)

    def save(self) -> None:
        """Note a change: the writer thread writes it within SAVE_INTERVAL (close() writes what is left)."""
        self._dirty.set()

    def _writer(self) -> None:
        while not self._closed:
            self._dirty.wait()
            time.sleep(SAVE_INTERVAL)   # the changes of the next SAVE_INTERVAL go in the same write
            if not self._closed:
                self._dirty.clear()
                self.write()

    def close(self) -> None:
        """Write what changed since the last write, and stop writing (the emulator stops)."""
        self._closed = True
        self._dirty.set()   # wakes the writer, which then ends
        self.write()

    def write(self) -> None:
        path = self.dir / STATE_FILE
        tmp = path.with_suffix(".tmp")
        with self._write_lock:
            # Under the state's lock (a consistent document); without `indent` the json module's C encoder does it,
            # about 6x faster than the Python one `indent` needs.
            with self.lock:
                data = json.dumps({"resources": self.resources, "operations": self.operations,
                                   "providers": self.providers, "pending_holds": self.pending_holds}, sort_keys=True)
            # Owner-only: providers keep secret values (Key Vault secrets, admin passwords) in here.
            fd = os.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
            os.replace(tmp, path)

    def reset(self) -> None:
        self.resources.clear()
        self.operations.clear()
        self.providers.clear()
        self.save()

    # --- resource providers -------------------------------------------------------------
    def register(self, subscription_id: str, namespace: str) -> None:
        names = self.providers.setdefault(subscription_id.lower(), [])
        if namespace.lower() not in names:
            names.append(namespace.lower())

    def registered(self, subscription_id: str) -> list:
        return list(self.providers.get(subscription_id.lower(), []))

    # --- resources ----------------------------------------------------------------------
    def get(self, resource_id: str) -> dict | None:
        return self.resources.get(resource_id.lower())

    def put(self, doc: dict) -> None:
        self.resources[doc["id"].lower()] = doc

    def delete(self, resource_id: str) -> None:
        """Remove a top-level document, or a child from the list it lives in inside its parent."""
        if self.resources.pop(resource_id.lower(), None) is None:
            parent = self._owner(resource_id)
            if parent is not None:
                _remove_nested(parent, resource_id.lower())

    def find(self, resource_id: str) -> dict | None:
        """A top-level document, or a child document inline in its parent (a subnet in its VNet)."""
        doc = self.get(resource_id)
        if doc is None:
            parent = self._owner(resource_id)
            doc = _find_nested(parent, resource_id.lower()) if parent is not None else None
        return doc

    def _owner(self, resource_id: str) -> dict | None:
        low = resource_id.lower()
        best = None
        for key, doc in self.resources.items():
            if low.startswith(key + "/") and (best is None or len(key) > len(best["id"])):
                best = doc
        return best

    def under(self, prefix: str) -> Iterator[dict]:
        """Documents whose id is below prefix (a resource group, a parent resource)."""
        low = prefix.lower().rstrip("/") + "/"
        for key, doc in list(self.resources.items()):
            if key.startswith(low):
                yield doc

    def of_type(self, type_name: str, scope: str) -> list[dict]:
        low = type_name.lower()
        return [doc for doc in self.under(scope) if doc.get("type", "").lower() == low]

    # --- long-running operations --------------------------------------------------------
    def add_hold(self, resource_id: str, hold: Any, interrupted: dict) -> None:
        """Keep the operation on resource_id InProgress until hold is done; `interrupted` is the error it fails with if
        the emulator restarts first (the work behind the hold, a thread of this process, is then lost)."""
        key = resource_id.lower()
        self.holds[key] = hold
        self.pending_holds[key] = interrupted

    def start_operation(self, *, kind: str, resource_ids: list[str], namespace: str, location: str,
                        delay: float, failure: dict | None) -> dict:
        op_id = str(uuid.uuid4())
        op = {
            "id": op_id, "kind": kind, "resource_ids": resource_ids, "namespace": namespace,
            "location": location or "global", "status": "InProgress",
            "startTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "ready_at": time.time() + max(delay, 0.0),
            "outcome": "Failed" if failure else "Succeeded", "error": failure,
        }
        self.operations[op_id] = op
        return op

    def settle_operations(self) -> bool:
        """Complete every operation whose time has come; True when anything changed."""
        now = time.time()
        changed = False
        for op in self.operations.values():
            if op["status"] != "InProgress" or op["ready_at"] > now:
                continue
            hold_key = op["resource_ids"][0].lower() if op["resource_ids"] else ""
            if hold_key in self.holds:
                hold = self.holds[hold_key]
                if not hold.done():
                    continue
                del self.holds[hold_key]
                self.pending_holds.pop(hold_key, None)
                if hold.error:
                    op["outcome"], op["error"] = "Failed", hold.error
            op["status"] = op["outcome"]
            op["endTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            changed = True
            if op["kind"] == "delete" and op["outcome"] == "Succeeded":
                for resource_id in op["resource_ids"]:
                    self.delete(resource_id)
                continue
            # A delete that fails part-way (a resource group some resources survived) still deletes the rest, and may
            # leave its resource in another state than Failed (the group's is rolled back).
            then = (op.get("error") or {}).get("_then") or {}
            for resource_id in then.get("delete", []):
                self.delete(resource_id)
            for resource_id in op["resource_ids"][:1]:
                doc = self.find(resource_id)
                if doc is not None:
                    set_provisioning_state(doc, then.get("state") or op["outcome"])
        # Keep finished operations for a while (clients may poll late), not forever.
        stale = [k for k, op in self.operations.items() if op["status"] != "InProgress" and op["ready_at"] < now - 3600]
        for key in stale:
            del self.operations[key]
        return changed or bool(stale)

    # --- request log --------------------------------------------------------------------
    def log_request(self, entry: dict) -> None:
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self._log_lock, open(self.dir / REQUEST_LOG, "a", encoding="utf-8") as handle:
            handle.write(line)

    def read_log(self) -> list[dict]:
        path = self.dir / REQUEST_LOG
        if not path.exists():
            return []
        with self._log_lock:
            lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def clear_log(self) -> None:
        with self._log_lock:
            (self.dir / REQUEST_LOG).write_text("", encoding="utf-8")


def _find_nested(doc: Any, low_id: str) -> dict | None:
    if isinstance(doc, dict):
        if str(doc.get("id", "")).lower() == low_id:
            return doc
        items = doc.values()
    elif isinstance(doc, list):
        items = doc
    else:
        return None
    for item in items:
        found = _find_nested(item, low_id)
        if found is not None:
            return found
    return None


def _remove_nested(doc: Any, low_id: str) -> bool:
    if isinstance(doc, dict):
        return any(_remove_nested(item, low_id) for item in doc.values())
    if isinstance(doc, list):
        for index, item in enumerate(doc):
            if isinstance(item, dict) and str(item.get("id", "")).lower() == low_id:
                del doc[index]
                return True
        return any(_remove_nested(item, low_id) for item in doc)
    return False


class _Interrupted:
    """A hold whose work was lost with the previous emulator process: done, with its interrupted error."""

    def __init__(self, error: dict) -> None:
        self.error = error

    @staticmethod
    def done() -> bool:
        return True

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key Vault secrets (data plane) for the resource engine, and password generation. PRIVATE to the collection.

The secret's value never enters a view, a diff or a message: `SecretApi` keeps the value it reads
apart from the metadata it returns, and the plan's body (which holds a value to write) is never output.
A secret is created once and never given a new version unless asked (rotate, or force with a value
that differs); tags and content type are updated on the current version.

The client is azure-keyvault-secrets' SecretClient: its challenge policy asks the vault how to
authenticate and checks that the vault's host ends with the challenge's resource domain; nothing
here relaxes that check. The repository's emulator serves vaults as https://<name>.vault.localhost:<port>/,
reached through its CONNECT proxy (docs/azure-servers.md).

Key Vault refuses a request with 403 `Forbidden` and an inner error code saying why (learn.microsoft.com
key-vault/general/rest-error-codes and common-error-codes; the texts as real responses quote them):
`ForbiddenByFirewall` ("Client address is not authorized and caller is not a trusted service.", with the
"Client address: ..." Azure saw), `ForbiddenByConnection` (public network access disabled) and
`ForbiddenByRbac` ("Caller is not authorized to perform action on resource.", with the caller's oid and the
data action). `describe_forbidden` turns each into a message that says what to do; `check_access` asks the
data plane once, before any secret is written, whether this controller gets in.
"""

from __future__ import annotations

import importlib
import re
import secrets
import string
import time
from contextlib import contextmanager
from urllib.parse import urlparse

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import Operation
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    KEY_VAULT_OBJECT_MAX_TAGS, AzureInputError, check_tag_count, merge_tags, validate_tags)

SECRET_NAME_RE = re.compile(r"^[0-9A-Za-z-]{1,127}$")
# Punctuation that survives libpq connection strings, URLs in .pgpass-less tools, shells and YAML
# without quoting surprises (no quotes, backslash, '@', ':', '/', '%', '{', '}', '#', '$').
PASSWORD_SYMBOLS = "-_.!*+=~^"
PASSWORD_CLASSES = (string.ascii_uppercase, string.ascii_lowercase, string.digits, PASSWORD_SYMBOLS)
# Azure refuses an administrator password holding "all or part of the login name. Part of a login name is defined
# as three or more consecutive alphanumeric characters" (the Azure portal's rule for a PostgreSQL flexible server,
# quoted in Azure/reliable-web-app-pattern-java#98, where such a create failed minutes later with InternalServerError;
# microsoft/MCW-Continuous-delivery-in-Azure-DevOps#57). A generated password never has three alphanumerics in a row,
# so it holds no part of any login; its separators leave out '_', which a PostgreSQL login may hold.
GENERATED_SEPARATORS = "-.!*+=~^"
LOGIN_PART = 3


def validate_secret_name(name: str) -> str:
    if not isinstance(name, str) or not SECRET_NAME_RE.match(name):
        raise AzureInputError(f"name: {name!r} is not a valid secret name; Key Vault allows 1-127 letters, digits and hyphens")
    return name


def generate_password(length: int = 32) -> str:
    """A random password with all four character classes (Azure's rules need three of four, 8-128 chars) and never
    three alphanumerics in a row (so no part of any login: GENERATED_SEPARATORS). 32 characters carry about 160 bits."""
    if not 8 <= length <= 128:
        raise AzureInputError(f"length: {length} is out of range; Azure passwords have 8-128 characters")
    alphanumerics = string.ascii_letters + string.digits
    while True:
        chars: list[str] = []
        for _index in range(length):
            after_two = len(chars) >= 2 and chars[-1].isalnum() and chars[-2].isalnum()
            # A letter first: some tools treat a leading '-' or '=' specially.
            pool = string.ascii_letters if not chars else GENERATED_SEPARATORS if after_two else alphanumerics + GENERATED_SEPARATORS
            chars.append(secrets.choice(pool))
        candidate = "".join(chars)
        if all(any(c in cls for c in candidate) for cls in PASSWORD_CLASSES):
            return candidate


def holds_login_part(password: str, login: str) -> bool:
    """Whether `password` holds the login or part of it (three or more consecutive alphanumerics of it), compared
    without case (whether Azure compares case: unverified; without it is the stricter reading)."""
    lowered = password.lower()
    if login and login.lower() in lowered:
        return True
    for run in re.findall(r"[A-Za-z0-9]{%d,}" % LOGIN_PART, login or ""):
        run = run.lower()
        if any(run[i:i + LOGIN_PART] in lowered for i in range(len(run) - LOGIN_PART + 1)):
            return True
    return False


def password_problems(password: str, login: str | None = None) -> list[str]:
    """Why Azure Database for PostgreSQL would reject this administrator password (empty: fine)."""
    problems = []
    if not 8 <= len(password) <= 128:
        problems.append(f"it has {len(password)} characters (8-128 required)")
    classes = sum(any(c in cls for c in password) for cls in (string.ascii_uppercase, string.ascii_lowercase, string.digits))
    classes += any(not c.isalnum() for c in password)
    if classes < 3:
        problems.append("it uses fewer than three of: upper-case, lower-case, digits, non-alphanumeric")
    if login and holds_login_part(password, login):
        problems.append("it contains the login name or part of it (three or more consecutive letters or digits of "
                        f"{login!r}, in any case)")
    return problems


# Microsoft Learn, key-vault/secrets/about-secrets: a secret is stored "with a maximum size of 25k bytes"; its
# contentType: "The maximum length of this field is 255 characters".
MAX_SECRET_BYTES = 25 * 1024
MAX_CONTENT_TYPE = 255


def check_secret_value(value, content_type) -> None:
    """Sizes Key Vault refuses, before any call; the message gives the size, never the value."""
    if isinstance(value, str) and len(value.encode("utf-8")) > MAX_SECRET_BYTES:
        raise AzureInputError(f"value: the secret has {len(value.encode('utf-8'))} bytes; Key Vault stores at most "
                              f"{MAX_SECRET_BYTES} (25 KB)")
    if isinstance(content_type, str) and len(content_type) > MAX_CONTENT_TYPE:
        raise AzureInputError(f"content_type: {len(content_type)} characters; Key Vault allows at most {MAX_CONTENT_TYPE}")


def validate_vault_uri(vault_uri: str) -> str:
    parsed = urlparse(vault_uri or "")
    if parsed.scheme != "https" or not parsed.hostname or parsed.path not in ("", "/"):
        raise AzureInputError(f"vault_uri: {vault_uri!r} is not a vault URI such as https://kv-cf-westeu-dev-1.vault.azure.net/ "
                              "(the key_vault module returns it as key_vault.vault_uri)")
    return vault_uri.rstrip("/") + "/"


def secret_view(bundle: dict | None, vault_uri: str) -> dict:
    """A secret's metadata (never its value) from the SDK's KeyVaultSecret/SecretProperties fields."""
    if not bundle:
        return {}
    return {
        "name": bundle.get("name"),
        "id": bundle.get("id"),
        "version": bundle.get("version"),
        "vault_uri": vault_uri,
        "enabled": bundle.get("enabled"),
        "content_type": bundle.get("content_type"),
        "tags": dict(bundle.get("tags") or {}),
        "created_on": bundle.get("created_on"),
        "updated_on": bundle.get("updated_on"),
    }


def plan_secret(existing: dict | None, existing_value: str | None, spec: dict) -> dict:
    """Decide what to do with a secret. Never a new version of an existing secret unless spec['rotate'],
    or spec['force'] with a value that differs.

    Returns action: create | new_version | update_properties | none, and warning (or None).
    """
    if existing is None:
        return {"action": "create", "warning": None}
    value = spec.get("value")
    if spec.get("rotate"):
        return {"action": "new_version", "warning": None}
    warning = None
    if value is not None and value != existing_value:
        if spec.get("force"):
            return {"action": "new_version", "warning": None}
        warning = (f"secret {spec['name']} exists with a different value; it was left unchanged "
                   "(force=true sets the given value, rotate=true makes a new one)")
    tags = merge_tags(existing.get("tags"), spec.get("tags"), spec.get("purge_tags", True))
    check_tag_count(tags, KEY_VAULT_OBJECT_MAX_TAGS, "Key Vault secret")   # with the tags purge_tags=false keeps
    content_type = spec.get("content_type")
    if tags != dict(existing.get("tags") or {}) or (content_type is not None and content_type != existing.get("content_type")):
        return {"action": "update_properties", "warning": warning, "tags": tags}
    return {"action": "none", "warning": warning}


def secret_meta(secret) -> dict:
    """A secret's metadata from the SDK's KeyVaultSecret / SecretProperties (never the value)."""
    props = getattr(secret, "properties", secret)

    def stamp(when):
        return when.isoformat() if when else None

    return {"name": props.name, "id": props.id, "version": props.version, "enabled": props.enabled,
            "content_type": props.content_type, "tags": props.tags or {}, "created_on": stamp(props.created_on),
            "updated_on": stamp(props.updated_on)}


def _properties_after(meta: dict, body: dict) -> dict:
    """A secret's metadata (or its diff view) after a properties update: the tags, and the content type when given."""
    after = dict(meta, tags=body["tags"])
    if body.get("content_type") is not None:
        after["content_type"] = body["content_type"]
    return after


def diff_view(meta: dict | None) -> dict:
    if not meta:
        return {}
    return {"version": meta["version"], "content_type": meta["content_type"], "tags": meta["tags"]}


def forbidden_code(err) -> str | None:
    """Key Vault's inner error code of a 403 (ForbiddenByFirewall, ForbiddenByConnection, ForbiddenByRbac, ...)."""
    if getattr(err, "status_code", None) != 403:
        return None
    try:
        code = ((err.response.json() or {}).get("error") or {}).get("innererror", {}).get("code")
    except (AttributeError, ValueError, TypeError):
        code = None
    if not code:
        found = re.search(r"\b(ForbiddenBy[A-Za-z]+)\b", str(err))
        code = found.group(1) if found else "Forbidden"
    return code


# The data-plane role a refused identity needs, and who grants it, per data plane (secrets here, keys in key_vault_key).
SECRETS_ROLE = ("Key Vault Secrets Officer", "role key_vault does it unless key_vault_grant_deployer is false")


def describe_forbidden(err, vault_uri: str, role: tuple[str, str] = SECRETS_ROLE) -> str | None:
    """What to do about a 403 from a vault (`role`: the data-plane role to assign, and who does it); None when `err`
    is not one."""
    code = forbidden_code(err)
    if code is None:
        return None
    text = str(getattr(getattr(err, "error", None), "message", None) or err)
    address = re.search(r"Client address:\s*([0-9.]+)", text)
    oid = re.search(r"oid=([0-9a-fA-F-]{36})", text)
    action = re.search(r"Action:\s*'([^']+)'", text)
    if code == "ForbiddenByFirewall":
        seen = address.group(1) if address else "(not given)"
        return (f"vault {vault_uri} refused this controller at its firewall (403 ForbiddenByFirewall; Azure saw the client "
                f"address {seen}); nothing was written. The vault denies by default and lets in only its IP rules and "
                f"subnets: add {seen} (the controller's public address) to the vault's network_acls.ip_rules (role key_vault: "
                "key_vault_ip_rules), or run the controller in one of the vault's allowed subnets (role key_vault: "
                "key_vault_controller_subnet)")
    if code == "ForbiddenByConnection":
        return (f"vault {vault_uri} has public network access disabled (403 ForbiddenByConnection); nothing was written. "
                "Reach it through a private endpoint, or set public_network_access=Enabled and let the controller in "
                "with network_acls")
    if code == "ForbiddenByRbac":
        who = f"object id {oid.group(1)}" if oid else "the identity running this task"
        what = action.group(1) if action else "the operation"
        return (f"vault {vault_uri} refused {who}: it has no data-plane role there that allows {what} (403 "
                f"ForbiddenByRbac); nothing was written. Assign it '{role[0]}' on the vault (module "
                f"complianceflow.infra.role_assignment; {role[1]}). A new assignment can take up to 10 minutes to take "
                "effect (key_vault_info access_wait waits for it)")
    return (f"vault {vault_uri} refused the request (403 {code}); nothing was written: check the vault's network rules "
            "and the data-plane roles of the identity running this task")


@contextmanager
def forbidden_explained(module, vault_uri: str, role: tuple[str, str] = SECRETS_ROLE):
    """A 403 from the vault becomes one fail_json that says what to do (other errors pass through)."""
    try:
        yield
    except Exception as err:  # pylint: disable=broad-exception-caught  # only 403s are handled; the rest re-raised
        message = describe_forbidden(err, vault_uri, role)
        if message is None:
            raise
        module.fail_json(msg=message, azure_error={"code": forbidden_code(err), "status_code": 403, "vault_uri": vault_uri})


def check_access(module, vault_uri: str, wait: int = 0, sleep=time.sleep, clock=time.monotonic) -> dict:
    """Ask the vault's data plane, as the identity running the task, whether it gets in: one list of secret metadata
    (one page of at most one item, never a value). A 403 ForbiddenByRbac is retried for up to `wait` seconds (a role
    assignment made moments ago can take up to 10 minutes to take effect: learn.microsoft.com
    azure/role-based-access-control/troubleshooting); any other refusal fails at once with what to do."""
    api = SecretApi(vault_uri)
    deadline, started, attempts = clock() + max(wait, 0), clock(), 0
    with module.operation(f"check access to vault {vault_uri}"), forbidden_explained(module, vault_uri):
        while True:
            attempts += 1
            try:
                next(iter(api.client(module).list_properties_of_secrets(max_page_size=1).by_page()), None)
            except Exception as err:  # pylint: disable=broad-exception-caught  # re-raised unless a wait is still allowed
                if forbidden_code(err) != "ForbiddenByRbac" or clock() >= deadline:
                    raise
                sleep(min(5.0, max(deadline - clock(), 0.0)))
                continue
            return {"vault_uri": vault_uri, "allowed": True, "attempts": attempts, "waited": round(clock() - started, 1)}


class SecretRef:
    """A secret's address on the data plane (what the runner calls a resource id)."""

    def __init__(self, vault_uri: str, name: str):
        self.vault_uri, self.name = vault_uri, name

    def __str__(self) -> str:
        return f"{self.vault_uri}secrets/{self.name}"


def data_plane_client(module, vault_uri: str, package: str, class_name: str):
    """A client of a vault's data plane (azure.keyvault.<package>.<class_name>) with the modules' credential, retries,
    user agent and transport (the emulator's CA in tests)."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import RETRY_SETTINGS, USER_AGENT, retry_policy
    try:
        client_class = getattr(importlib.import_module(f"azure.keyvault.{package}"), class_name)
    except ImportError:
        module.fail_json(msg=f"the Python package azure-keyvault-{package} is required (pip install azure-keyvault-{package})")
    return client_class(vault_uri, module.credential, user_agent=USER_AGENT, retry_policy=retry_policy(), **RETRY_SETTINGS,
                        **module.client_transport())


class SecretApi:
    """The Key Vault data plane (azure-keyvault-secrets) behind the runner's Api interface. Writes are
    synchronous on the data plane (a delete or recovery is awaited here), so every Operation is done."""

    def __init__(self, vault_uri: str):
        self.vault_uri = vault_uri
        self.value = None      # the value of the last read: kept apart from the metadata
        self._client = None

    def client(self, module):
        if self._client is None:
            self._client = data_plane_client(module, self.vault_uri, "secrets", "SecretClient")
        return self._client

    def get(self, module, ref: SecretRef) -> dict:
        with forbidden_explained(module, self.vault_uri):
            secret = self.client(module).get_secret(ref.name)
        self.value = secret.value
        return secret_meta(secret)

    def get_deleted(self, module, ref: SecretRef):
        with forbidden_explained(module, self.vault_uri):
            return self.client(module).get_deleted_secret(ref.name)

    def start(self, module, what: str, method: str, ref: SecretRef, body: dict | None = None) -> Operation:
        with forbidden_explained(module, self.vault_uri):
            return self._start(module, what, method, ref, body)

    def _start(self, module, what: str, method: str, ref: SecretRef, body: dict | None = None) -> Operation:
        client, result, timeout = self.client(module), None, module.params["timeout"]
        if method == "PUT":
            result = secret_meta(client.set_secret(ref.name, body["value"], content_type=body.get("content_type"), tags=body.get("tags")))
            self.value = body["value"]
        elif method == "PATCH":
            # The data plane updates one version: the current one (PATCH /secrets/{name}/{version}).
            kwargs = {k: body[k] for k in ("tags", "content_type") if body.get(k) is not None}
            result = secret_meta(client.update_secret_properties(ref.name, body["version"], **kwargs))
        elif method == "DELETE":
            client.begin_delete_secret(ref.name).wait(timeout)
        elif method == "RECOVER":
            client.begin_recover_deleted_secret(ref.name).wait(timeout)
        elif method == "PURGE":
            client.purge_deleted_secret(ref.name)
        return Operation(what, method, str(ref), "", done=True, result=result)


class Secret(Resource):
    what = "secret"
    result_key = "secret"
    tags_method = "PATCH"
    generated = False

    def validate(self):
        params = self.params
        validate_secret_name(params["name"])
        self.vault_uri = validate_vault_uri(params["vault_uri"])
        params["tags"] = validate_tags(params["tags"], max_count=KEY_VAULT_OBJECT_MAX_TAGS, what="Key Vault secret")
        check_secret_value(params.get("value"), params.get("content_type"))
        if params["generate"]:
            generate_password(params["length"])  # validates the length before any call
        if params["return_value"] and not self.module.no_log:
            raise AzureInputError("return_value=true is allowed only in a task with no_log: true, so that the secret stays out of the output")
        if params["rotate"] and params["value"] is None and not params["generate"]:
            raise AzureInputError(f"rotate=true needs value or generate=true: the new version of secret {params['name']} needs a value")
        self.api = SecretApi(self.vault_uri)

    def resource_id(self) -> SecretRef:
        return SecretRef(self.vault_uri, self.params["name"])

    def view(self, doc):
        return secret_view(doc, self.vault_uri)

    def deleted_view(self, existing, related):
        return diff_view(existing)

    def after_delete(self, existing):
        if existing is not None and self.params["purge"] and not self.module.check_mode:
            self.module_apply("PURGE", f"purge deleted secret {self.params['name']}")
        return False

    def module_apply(self, method: str, what: str) -> None:
        with self.module.operation(what):
            self.api.start(self.module, what, method, self.resource_id())

    def before_plan(self, existing, related):
        """A soft-deleted secret blocks the name: recover it with its previous value (never silently replace it)."""
        name = self.params["name"]
        if existing is not None or self.module.get_or_none(f"look for deleted secret {name}", self.api.get_deleted,
                                                           self.module, self.resource_id()) is None:
            return existing
        if self.module.check_mode:
            self.module.exit_with(True, {}, {"recovered": name}, secret={"name": name, "vault_uri": self.vault_uri}, generated=False)
        self.module_apply("RECOVER", f"recover deleted secret {name}")
        self.module.warn(f"secret {name} was soft-deleted and has been recovered with its previous value")
        self.already_changed = True
        with self.module.operation(f"read secret {name}"):
            return self.api.get(self.module, self.resource_id())

    def plan(self, existing, related):
        params, name = self.params, self.params["name"]
        if existing is None and params["value"] is None and not params["generate"]:
            # Without value or generate the task only reads (and checks) an existing secret.
            raise AzureInputError(f"secret {name} does not exist in {self.vault_uri}: give value or generate=true to create it")
        decided = plan_secret(existing, self.api.value, params)
        before = diff_view(existing)
        notes = [decided["warning"]] if decided["warning"] else []
        action = decided["action"]
        if action == "update_properties":
            body = {"version": existing["version"], "tags": decided["tags"], "content_type": params["content_type"]}
            return Plan("patch", body, before, _properties_after(before, body), notes=notes)
        if action == "none":
            return Plan("none", None, before, before, notes=notes)
        self.generated = params["value"] is None
        tags = params["tags"] if params["tags"] is not None else (existing or {}).get("tags")
        body = {"value": params["value"], "content_type": params["content_type"], "tags": tags}
        after = {"version": "(new)", "content_type": params["content_type"], "tags": tags or {}}
        return Plan("create" if existing is None else "put", body, before, after, notes=notes)

    def before_write(self, existing, plan):
        if plan.body and "value" in plan.body and plan.body["value"] is None:
            plan.body["value"] = generate_password(self.params["length"])

    def predict(self, existing, plan):
        if plan.action == "patch":
            return _properties_after(existing, plan.body)
        return existing or {"name": self.params["name"]}

    def result(self, doc, related):
        result = {"secret": secret_view(doc, self.vault_uri) if doc else {}, "generated": self.generated}
        if self.params["return_value"] and doc and self.params["state"] == "present" and self.api.value is not None:
            result["value"] = self.api.value
        return result

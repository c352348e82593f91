"""Request bodies checked against the published OpenAPI (Swagger 2.0) definitions.

The spec files (excerpts of Azure/azure-rest-api-specs, see specs/README.md) live under
specs/<namespace>/<api-version>/ and specs/common-types/. A PUT or PATCH whose path and api-version
match an operation of a vendored file has its body checked against that operation's body schema;
any other request is not checked (and answers as before).

The Swagger subset understood: $ref (local and relative files; a reference into common-types/ is
looked up under specs/common-types/), allOf, properties, required, readOnly, x-ms-mutability,
type, enum with x-ms-enum.modelAsString (true: extensible, any string passes), pattern, minimum,
maximum, minLength, maxLength, minItems, maxItems, items, additionalProperties; a path parameter
with x-ms-skip-url-encoding (a role assignment's {scope}) matches several path segments.
A PATCH of a path whose vendored file (that api-version) has a PUT but no PATCH is refused with 405 (check_method):
the excerpts keep every PATCH Azure publishes for the paths they serve (specs/README.md).
Unknown properties and read-only properties with a value are refused by default (POLICY_BY_NAMESPACE
switches a namespace back to accepting them). Which refusals Azure gives, with which code, and the
sources: docs/emulator.md, "Request bodies checked against the spec". Standard library only.
"""
from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ArmError

SPEC_DIR = Path(__file__).resolve().parent / "specs"
COMMON = "common-types/"

# Error codes per rule (docs/emulator.md gives each one's source or says "unverified"). The keys are
# "<namespace>/<api-version>" (one spec) or "<namespace>" (every vendored version of it).
CODE_DEFAULT = "InvalidRequestContent"
CODE_BY_SPEC = {
    # The network RP (VNets, NSGs) answers bodies it cannot deserialize with InvalidRequestFormat "Cannot parse the
    # request." (hashicorp/terraform-provider-azurerm#32505, an NSG PUT); not applied to private DNS (2024-06-01).
    "microsoft.network/2026-03-01": {"type": "InvalidRequestFormat", "enum": "InvalidRequestFormat"},
    # Log Analytics refused a read-only value with InvalidParameter "'<path>' is a read only property and cannot be
    # set." (Azure/azure-rest-api-specs#32821, a cluster PUT).
    "microsoft.operationalinsights": {"readonly": "InvalidParameter"},
}
MESSAGE_BY_CODE = {"InvalidRequestFormat": "Cannot parse the request."}

# Unknown properties and read-only properties with a value: "refuse" (the default, the emulator at least as strict
# as Azure) or "ignore", per namespace: {"microsoft.network": {"unknown": "ignore"}} would accept both kinds there.
DEFAULT_POLICY = {"unknown": "refuse", "readonly": "refuse"}
POLICY_BY_NAMESPACE: dict[str, dict[str, str]] = {}


def policy(namespace: str, rule: str) -> str:
    """'refuse' or 'ignore' for rule 'unknown' or 'readonly' in namespace."""
    return POLICY_BY_NAMESPACE.get(namespace.lower(), {}).get(rule, DEFAULT_POLICY[rule])


def code_for(namespace: str, version: str, rule: str) -> str:
    ns = namespace.lower()
    for key in (f"{ns}/{version}", ns):
        if rule in CODE_BY_SPEC.get(key, {}):
            return CODE_BY_SPEC[key][rule]
    return CODE_DEFAULT


@dataclass
class Violation:
    rule: str      # required, enum, type, pattern, range, length, unknown, readonly
    target: str    # JSON path in the body, e.g. properties.securityRules[0].properties.access
    message: str


class SpecError(Exception):
    """A vendored spec file is missing or malformed (a bug of the emulator, not of the request)."""


class _Files:
    """Spec files loaded on first use, keyed by their path relative to SPEC_DIR."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.docs: dict[str, Any] = {}

    def load(self, rel: str) -> Any:
        if rel not in self.docs:
            path = self.root / rel
            if not path.is_file():
                raise SpecError(f"spec file {rel} is not vendored")
            self.docs[rel] = json.loads(path.read_text(encoding="utf-8"))
        return self.docs[rel]

    def resolve(self, ref: str, base: str) -> tuple[Any, str] | None:
        """(schema, file) for a $ref seen in file base; None when the target is not vendored."""
        file_part, pointer = ref.split("#", 1) if "#" in ref else (ref, "")
        rel = base
        if file_part:
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(base), file_part))
            if COMMON in joined:
                joined = COMMON + joined.split(COMMON, 1)[1]
            rel = joined
        try:
            node = self.load(rel)
        except SpecError:
            return None
        for part in [p for p in pointer.split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node, rel


@dataclass
class Operation:
    namespace: str
    version: str
    method: str
    template: str
    regex: re.Pattern
    schema: dict
    file: str


class Validator:
    def __init__(self, root: Path = SPEC_DIR) -> None:
        self.files = _Files(root)
        self.operations: list[Operation] = []
        for path in sorted(root.glob("*/*/*.json")):
            rel = path.relative_to(root).as_posix()
            if rel.startswith(COMMON):
                continue
            doc = self.files.load(rel)
            version = str(doc.get("info", {}).get("version", ""))
            for template, item in (doc.get("paths") or {}).items():
                for method, op in item.items():
                    if method.upper() not in ("PUT", "PATCH"):
                        continue
                    params = self._params(op, rel)
                    body = next((p for p in params if p.get("in") == "body"), None)
                    if body is None:
                        continue
                    self.operations.append(Operation(rel.split("/", 1)[0].lower(), version, method.upper(), template,
                                                     _path_regex(template, params), body["schema"], rel))

    def _params(self, op: dict, rel: str) -> list[dict]:
        out = []
        for param in op.get("parameters", []):
            if "$ref" in param:
                found = self.files.resolve(param["$ref"], rel)
                param = found[0] if found else {}
            out.append(param)
        return out

    def find(self, method: str, path: str, api_version: str) -> Operation | None:
        """The operation whose path matches; a literal path before one with a multi-segment parameter (the subscription's
        diagnostic setting before the {resourceUri} one that would match it too)."""
        found = [op for op in self.operations if op.method == method and op.version == api_version and op.regex.match(path)]
        return min(found, key=lambda op: ".+" in op.regex.pattern) if found else None

    def versions(self, namespace: str) -> list[str]:
        return sorted({op.version for op in self.operations if op.namespace == namespace.lower()})

    # --- validation --------------------------------------------------------------------------

    def validate(self, op: Operation, body: Any) -> list[Violation]:
        out: list[Violation] = []
        rules = {rule for rule in ("unknown", "readonly") if policy(op.namespace, rule) == "refuse"}
        self._check(op.schema, op.file, body, "", out, rules, 0)
        return out

    def _flatten(self, schema: dict, file: str, depth: int = 0) -> tuple[dict, str, dict, list, bool]:
        """(merged keywords, file, properties {name: (schema, file)}, required, closed) across $ref and allOf."""
        if depth > 32:
            raise SpecError("$ref/allOf nesting too deep")
        if "$ref" in schema:
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            found = self.files.resolve(schema["$ref"], file)
            if found is None:   # not vendored: nothing below it is checked (specs/README.md lists these)
                return dict(siblings, unresolved=schema["$ref"]), file, {}, [], False
            target, target_file = found
            merged, mfile, props, required, closed = self._flatten(target, target_file, depth + 1)
            return dict(merged, **siblings), mfile, props, required, closed
        merged = {k: v for k, v in schema.items() if k not in ("allOf", "properties", "required")}
        props: dict[str, tuple[dict, str]] = {}
        required: list[str] = []
        closed = "additionalProperties" not in schema
        for part in schema.get("allOf", []):
            pprops, preq, pclosed = self._flatten(part, file, depth + 1)[2:]
            props.update(pprops)
            required += preq
            closed = closed and pclosed
        for name, sub in (schema.get("properties") or {}).items():
            props[name] = (sub, file)
        required += list(schema.get("required") or [])
        # An object schema that declares no property at all (`{"type": "object"}`) is free-form: nothing is unknown in it.
        return merged, file, props, required, closed and bool(props)

    def _check(self, schema: dict, file: str, value: Any, where: str, out: list, strict: set, depth: int) -> None:
        """strict: the rules ('unknown', 'readonly') refused in this namespace."""
        if value is None or depth > 64:
            return   # null is accepted as "not set" (x-nullable is common and the RPs accept null)
        merged, file, props, required, closed = self._flatten(schema, file)
        if "unresolved" in merged:
            return
        kind = merged.get("type") or ("object" if props else None)
        if not _type_ok(kind, value):
            out.append(Violation("type", where or "(body)", f"The value at '{where or '(body)'}' must be of type {kind}, "
                                 f"got {type(value).__name__}."))
            return
        self._check_scalar(merged, value, where, out)
        if isinstance(value, list):
            if "minItems" in merged and len(value) < merged["minItems"] or \
                    "maxItems" in merged and len(value) > merged["maxItems"]:
                out.append(Violation("range", where, f"'{where}' has {len(value)} items; allowed: "
                                     f"{merged.get('minItems', 0)} to {merged.get('maxItems', 'any')}."))
            items = merged.get("items")
            if isinstance(items, dict):
                for index, item in enumerate(value):
                    self._check(items, file, item, f"{where}[{index}]", out, strict, depth + 1)
            return
        if not isinstance(value, dict):
            return
        for name in required:
            sub = props.get(name)
            # present means given a value: a required property sent as null is missing (the read-only rule below treats
            # null as not set too)
            if sub is not None and _read_only(*sub, self) or value.get(name) is not None:
                continue
            target = f"{where}.{name}" if where else name
            out.append(Violation("required", target, f"The required property '{target}' is missing."))
        extra = merged.get("additionalProperties")
        for name, item in value.items():
            target = f"{where}.{name}" if where else name
            if name in props:
                sub, sub_file = props[name]
                if not _read_only(sub, sub_file, self):
                    self._check(sub, sub_file, item, target, out, strict, depth + 1)
                elif item is not None and "readonly" in strict:   # null counts as "not set"
                    out.append(Violation("readonly", target, f"'{target}' is a read only property and cannot be set."))
            elif isinstance(extra, dict):
                self._check(extra, file, item, target, out, strict, depth + 1)
            elif closed and extra is not True and "unknown" in strict:
                out.append(Violation("unknown", target, f"Could not find member '{name}' on object '{where or '(body)'}'. "
                                                        f"Path '{target}'."))

    @staticmethod
    def _check_scalar(merged: dict, value: Any, where: str, out: list) -> None:
        enum = merged.get("enum")
        if enum and isinstance(value, str) and not (merged.get("x-ms-enum") or {}).get("modelAsString", False):
            if value.lower() not in [str(e).lower() for e in enum]:
                out.append(Violation("enum", where, f"The value '{value}' of '{where}' is not one of "
                                     f"{', '.join(map(str, enum))}."))
        if isinstance(value, str):
            if "pattern" in merged and not re.search(merged["pattern"], value):
                out.append(Violation("pattern", where, f"The value '{value}' of '{where}' does not match the pattern "
                                     f"{merged['pattern']}."))
            if "minLength" in merged and len(value) < merged["minLength"] or \
                    "maxLength" in merged and len(value) > merged["maxLength"]:
                out.append(Violation("length", where, f"The value of '{where}' has {len(value)} characters; allowed: "
                                     f"{merged.get('minLength', 0)} to {merged.get('maxLength', 'any')}."))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value == -1 and "-1" in str(merged.get("description", "")):
                return   # the spec's own text allows -1 ("Setting this property to -1 will default to ...")
            low, high = merged.get("minimum"), merged.get("maximum")
            if (low is not None and value < low) or (high is not None and value > high):
                out.append(Violation("range", where, f"The value {value} of '{where}' is out of range "
                                     f"{low if low is not None else '-inf'} to {high if high is not None else 'inf'}."))


def _path_regex(template: str, params: list[dict]) -> re.Pattern:
    """The operation's path as a regex: a {parameter} matches one segment, or several when the spec marks it
    x-ms-skip-url-encoding (a scope such as /subscriptions/{id}/resourceGroups/{name})."""
    multi = {p.get("name") for p in params if p.get("in") == "path" and p.get("x-ms-skip-url-encoding")}
    parts = re.split(r"\{([^/{}]+)\}", template)
    pattern = "".join(re.escape(part) if index % 2 == 0 else (".+" if part in multi else "[^/]+")
                      for index, part in enumerate(parts))
    return re.compile("^" + pattern + "$", re.IGNORECASE)


def _read_only(schema: dict, file: str, validator: Validator) -> bool:
    merged = validator._flatten(schema, file)[0]   # pylint: disable=protected-access
    if merged.get("readOnly") is True:
        return True
    mutability = merged.get("x-ms-mutability")
    return isinstance(mutability, list) and "create" not in mutability and "update" not in mutability


def _type_ok(kind: str | None, value: Any) -> bool:
    if kind is None:
        return True
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and value.is_integer()
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


_VALIDATOR: Validator | None = None


def validator() -> Validator:
    global _VALIDATOR   # pylint: disable=global-statement
    if _VALIDATOR is None:
        _VALIDATOR = Validator()
    return _VALIDATOR


# A PATCH of a path whose vendored spec (that api-version) has a PUT but no PATCH: Azure's answer to a Network RP PATCH
# with no PATCH operation, as the Azure SDK for Python's live tests note it (azure-mgmt-network, ip_groups); the status
# 405 and the code are unverified (the emulator's MethodNotAllowed). docs/emulator.md, "Errors".
NO_PATCH_MESSAGE = "The requested resource does not support http method 'PATCH'."


def check_method(method: str, path: str, api_version: str) -> None:
    """Raise 405 for a PATCH of a path whose vendored spec of api_version has a PUT operation but no PATCH operation.
    Paths, api-versions and namespaces with no vendored PUT are left alone (not known: not refused)."""
    if method.upper() != "PATCH":
        return
    found = validator()
    if found.find("PATCH", path, api_version) is None and found.find("PUT", path, api_version) is not None:
        raise ArmError(405, "MethodNotAllowed", NO_PATCH_MESSAGE)


def check_body(method: str, path: str, api_version: str, body: Any) -> None:
    """Raise the ArmError Azure answers when body breaks the spec of (method, path, api-version); a PATCH the spec has
    no operation for (check_method) first."""
    check_method(method, path, api_version)
    op = validator().find(method, path, api_version)
    if op is None:
        return
    found = validator().validate(op, body)
    if not found:
        return
    first = found[0]
    code = code_for(op.namespace, op.version, first.rule)
    if code in MESSAGE_BY_CODE:
        message = MESSAGE_BY_CODE[code]
    elif code == CODE_DEFAULT:
        message = f"The request content was invalid and could not be deserialized: {first.message}"
    else:
        message = first.message
    details = [{"code": code_for(op.namespace, op.version, v.rule), "target": v.target, "message": v.message}
               for v in found[:10]]
    raise ArmError(400, code, message, details=details)

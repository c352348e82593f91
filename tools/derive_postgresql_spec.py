#!/usr/bin/env python
"""Derive the emulator's Microsoft.DBforPostgreSQL 2026-10-01 OpenAPI excerpt from two sources.

No 2026-10-01 spec of Microsoft.DBforPostgreSQL is available to us (tools/arm_emulator/specs/README.md), but
azure-mgmt-postgresqlflexibleservers 3.0.0, which sends api-version 2026-10-01, is generated from that version's
TypeSpec. This script merges

- the vendored excerpt of the published 2025-08-01 spec
  (specs/Microsoft.DBforPostgreSQL/2025-08-01/openapi.json: types, enums with modelAsString, patterns, defaults,
  readOnly / x-ms-mutability), and
- the SDK's models (models/_models.py and _enums.py of the installed package, read with ast, never imported):
  which properties each model has at 2026-10-01 (rest name, visibility, type, required) and the enum values,

into specs/Microsoft.DBforPostgreSQL/2026-10-01/openapi.json. Rules (also in specs/README.md):

- a property in both: the 2025-08-01 schema, with the SDK's visibility where the two disagree on whether it can be
  written (listed under "x-derived" in the output);
- a property only in the SDK: built from its type annotation, readOnly when its visibility has neither create nor
  update, else x-ms-mutability from the visibility; an enum only in the SDK is modelAsString true (extensible: its
  extensibility at 2026-10-01 is unknown, so any string passes);
- a property only in 2025-08-01: dropped;
- required: the SDK's (a field annotated without Optional);
- enum values: the 2025-08-01 list plus any value the SDK adds.

Standard library only. Usage: python tools/derive_postgresql_spec.py [--check]
(--check: exit 1 when the file on disk differs from what the sources give).
"""
from __future__ import annotations

import ast
import copy
import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "arm_emulator" / "specs"
SOURCE = ROOT / "Microsoft.DBforPostgreSQL" / "2025-08-01" / "openapi.json"
TARGET = ROOT / "Microsoft.DBforPostgreSQL" / "2026-10-01" / "openapi.json"
PACKAGE = "azure.mgmt.postgresqlflexibleservers"
VERSION = "2026-10-01"
COMMON = "../../../../../common-types/resource-management/v6/types.json#/definitions/"
BASES = {"TrackedResource": COMMON + "TrackedResource", "ProxyResource": COMMON + "ProxyResource"}
PREFIX = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{serverName}"
# The operations the emulator checks and the body model the SDK 3.0.0 sends for each (operations/_operations.py).
OPERATIONS = {
    PREFIX: {"put": ("Servers_CreateOrUpdate", "Server"), "patch": ("Servers_Update", "ServerForPatch")},
    PREFIX + "/databases/{databaseName}": {"put": ("Databases_Create", "Database")},
    PREFIX + "/configurations/{configurationName}": {"put": ("Configurations_Put", "ConfigurationForUpdate"),
                                                     "patch": ("Configurations_Update", "ConfigurationForUpdate")},
}
PRIMITIVES = {"str": {"type": "string"}, "int": {"type": "integer"}, "bool": {"type": "boolean"},
              "float": {"type": "number"}, "datetime": {"type": "string", "format": "date-time"},
              "datetime.datetime": {"type": "string", "format": "date-time"}}


def _sdk_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{PACKAGE} is not installed (bash scripts/setup.sh)")
    return Path(list(spec.submodule_search_locations)[0])


def sdk_version(sdk: Path) -> str:
    tree = ast.parse((sdk / "_version.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "VERSION":
            return node.value.value
    raise SystemExit("no VERSION in _version.py")


def read_enums(sdk: Path) -> dict[str, list[str]]:
    tree = ast.parse((sdk / "models" / "_enums.py").read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out[node.name] = [stmt.value.value for stmt in node.body if isinstance(stmt, ast.Assign)
                              and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)]
    return out


def read_models(sdk: Path) -> dict[str, dict]:
    """{class: {"bases": [...], "fields": {rest_name: {"annotation", "visibility", "required"}}}}"""
    tree = ast.parse((sdk / "models" / "_models.py").read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields = {}
        for stmt in node.body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.value, ast.Call)
                    and getattr(stmt.value.func, "id", "") == "rest_field"):
                continue
            kwargs = {k.arg: ast.literal_eval(k.value) for k in stmt.value.keywords if k.arg in ("name", "visibility")}
            annotation = stmt.annotation
            optional = isinstance(annotation, ast.Subscript) and getattr(annotation.value, "id", "") == "Optional"
            fields[kwargs.get("name", stmt.target.id)] = {
                "annotation": annotation.slice if optional else annotation,
                "visibility": kwargs.get("visibility", ["read", "create", "update", "delete", "query"]),
                "required": not optional}
        out[node.name] = {"bases": [getattr(b, "id", "") for b in node.bases], "fields": fields}
    return out


class Deriver:
    def __init__(self, source: dict, models: dict, enums: dict, version: str) -> None:
        self.source = source["definitions"]
        self.models, self.enums, self.version = models, enums, version
        self.out: dict[str, dict] = {}
        self.notes: dict[str, list[str]] = {}

    def note(self, kind: str, text: str) -> None:
        self.notes.setdefault(kind, []).append(text)

    # --- types -----------------------------------------------------------------------------------
    def schema_of(self, node: ast.AST) -> dict:
        """A property schema from an SDK type annotation (new properties only)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value.split(".")[-1]
            if name in self.enums:
                return self.enum_ref(name)
            self.want(name)
            return {"$ref": f"#/definitions/{name}"}
        if isinstance(node, ast.Name) and node.id in PRIMITIVES:
            return dict(PRIMITIVES[node.id])
        if isinstance(node, ast.Attribute) and ast.unparse(node) in PRIMITIVES:
            return dict(PRIMITIVES[ast.unparse(node)])
        if isinstance(node, ast.Subscript):
            outer = ast.unparse(node.value)
            args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if outer in ("list", "List"):
                return {"type": "array", "items": self.schema_of(args[0])}
            if outer in ("dict", "Dict"):
                return {"type": "object", "additionalProperties": self.schema_of(args[1])}
            if outer == "Union":   # Union[str, "_models.SomeEnum"]: an enum the SDK accepts as any string too
                named = [a for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if named:
                    return self.schema_of(named[0])
                return self.schema_of(args[0])
            if outer == "Literal":
                return {"type": "string", "enum": [a.value for a in args]}
        raise SystemExit(f"unsupported annotation {ast.unparse(node)}")

    def enum_ref(self, name: str) -> dict:
        if name not in self.out:
            if name in self.source:
                definition = copy.deepcopy(self.source[name])
                added = [v for v in self.enums[name] if v not in definition["enum"]]
                if added:
                    definition["enum"] += added
                    self.note("enum values added from the SDK", f"{name}: {', '.join(added)}")
                self.out[name] = definition
            else:
                self.out[name] = {"type": "string", "enum": list(self.enums[name]),
                                  "x-ms-enum": {"name": name, "modelAsString": True}}
                self.note("enums only in the SDK (extensibility unknown: modelAsString true)", name)
        return {"$ref": f"#/definitions/{name}"}

    # --- models ----------------------------------------------------------------------------------
    def want(self, name: str) -> None:
        if name not in self.out and name not in BASES:
            self.out[name] = {}   # placeholder against cycles
            self.out[name] = self.model(name)

    def model(self, name: str) -> dict:
        sdk = self.models.get(name)
        src = self.source.get(name)
        if sdk is None:
            raise SystemExit(f"model {name} is not in the SDK")
        definition: dict = {"type": "object", "properties": {}}
        src_props = (src or {}).get("properties", {})
        for rest, field in sdk["fields"].items():
            if rest in src_props:
                prop = copy.deepcopy(src_props[rest])
                self.compare_type(name, rest, prop, field["annotation"])
                self.follow(prop)
                self.reconcile(name, rest, prop, field["visibility"])
            else:
                prop = self.schema_of(field["annotation"])
                prop.update(_visibility(field["visibility"]))
                if src is not None:
                    self.note("properties only in the SDK", f"{name}.{rest} ({_vis_text(field['visibility'])})")
            definition["properties"][rest] = prop
        for rest in src_props:
            if rest not in sdk["fields"]:
                self.note("properties of 2025-08-01 dropped (not in the SDK)", f"{name}.{rest}")
        if src is None:
            self.note("models only in the SDK", name)
        required = [rest for rest, field in sdk["fields"].items() if field["required"]]
        src_required = list((src or {}).get("required", []))
        if src is not None and sorted(required) != sorted(src_required):
            self.note("required lists that differ (the SDK's kept)", f"{name}: 2025-08-01 {src_required}, SDK {required}")
        if required:
            definition["required"] = required
        base = next((BASES[b] for b in sdk["bases"] if b in BASES), None)
        if base:
            definition["allOf"] = [{"$ref": base}]
        return definition

    def follow(self, schema: dict) -> None:
        """Pull in the local definitions a 2025-08-01 property refers to (read-only targets are not vendored)."""
        if schema.get("readOnly"):
            return
        for sub in [schema] + [schema.get(k) for k in ("items", "additionalProperties")]:
            if isinstance(sub, dict) and sub.get("$ref", "").startswith("#/definitions/"):
                target = sub["$ref"].split("/")[-1]
                if target in self.enums or ("enum" in self.source.get(target, {})):
                    if target in self.enums:
                        self.enum_ref(target)
                    elif target not in self.out:
                        self.out[target] = copy.deepcopy(self.source[target])
                        self.note("enums of 2025-08-01 not in the SDK's _enums.py (kept as published)", target)
                else:
                    self.want(target)
        if "enum" in schema:   # an inline enum: add the SDK's values under the same x-ms-enum name
            name = (schema.get("x-ms-enum") or {}).get("name")
            added = [v for v in self.enums.get(name, []) if v not in schema["enum"]]
            if added:
                schema["enum"] = schema["enum"] + added
                self.note("enum values added from the SDK", f"{name} (inline): {', '.join(added)}")

    def compare_type(self, model: str, rest: str, prop: dict, annotation: ast.AST) -> None:
        """Note a primitive type the SDK gives differently (the 2025-08-01 schema is kept; the note says where)."""
        text = ast.unparse(annotation)
        if text not in PRIMITIVES:
            return
        kind = prop.get("type") or self.source.get(prop.get("$ref", "").split("/")[-1], {}).get("type")
        if kind and kind != PRIMITIVES[text]["type"]:
            self.note("types that differ (2025-08-01 kept)", f"{model}.{rest}: 2025-08-01 {kind}, SDK {text}")

    def reconcile(self, model: str, rest: str, prop: dict, visibility: list[str]) -> None:
        src_writable = not (prop.get("readOnly") is True or isinstance(prop.get("x-ms-mutability"), list)
                            and not {"create", "update"} & set(prop["x-ms-mutability"]))
        sdk_writable = bool({"create", "update"} & set(visibility))
        if src_writable != sdk_writable:
            prop.pop("readOnly", None)
            prop.pop("x-ms-mutability", None)
            prop.update(_visibility(visibility))
            self.note("visibility taken from the SDK (2025-08-01 differs on writability)",
                      f"{model}.{rest}: SDK {_vis_text(visibility)}")

    def build(self) -> dict:
        paths = {}
        for template, methods in OPERATIONS.items():
            paths[template] = {}
            for method, (operation_id, body) in methods.items():
                self.want(body)
                paths[template][method] = {"operationId": operation_id, "parameters": [
                    {"name": "parameters", "in": "body", "required": True, "schema": {"$ref": f"#/definitions/{body}"}}]}
        return {"swagger": "2.0",
                "info": {"title": "PostgreSQLManagementClient", "version": VERSION,
                         "x-derived": {"status": "derived, unverified against the 2026-10-01 spec itself",
                                       "sources": [f"{SOURCE.relative_to(ROOT).as_posix()} (excerpt of the published 2025-08-01 spec)",
                                                   f"{PACKAGE} {self.version} models (_models.py, _enums.py)"],
                                       "generator": "tools/derive_postgresql_spec.py",
                                       "notes": {k: sorted(v) for k, v in sorted(self.notes.items())}}},
                "paths": paths,
                "definitions": {k: self.out[k] for k in sorted(self.out)}}


def _visibility(visibility: list[str]) -> dict:
    writable = [v for v in ("read", "create", "update") if v in visibility]
    if not {"create", "update"} & set(writable):
        return {"readOnly": True}
    if {"create", "update"} <= set(writable):
        return {}
    return {"x-ms-mutability": writable}


def _vis_text(visibility: list[str]) -> str:
    return "/".join(v for v in visibility if v in ("read", "create", "update")) or "none"


def derive() -> str:
    sdk = _sdk_dir()
    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    doc = Deriver(source, read_models(sdk), read_enums(sdk), sdk_version(sdk)).build()
    return json.dumps(doc, indent=2) + "\n"


def main(argv: list[str]) -> int:
    text = derive()
    if "--check" in argv:
        same = TARGET.is_file() and TARGET.read_text(encoding="utf-8") == text
        print(f"{TARGET}: {'up to date' if same else 'differs from the sources'}")
        return 0 if same else 1
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

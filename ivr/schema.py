"""The JSON Schema (draft 2020-12) of flow files, built from the loader's own field table.

``flow_schema()`` returns the schema; ``vaxel dialplan schema`` writes it to
``dialplans/schema.json`` so editors validate and complete flow files (VS Code's
YAML extension: ``# yaml-language-server: $schema=schema.json``). The schema is
derived from ``ivr.node_loader.FIELDS`` so the two cannot drift; a test checks that the
committed file is current and agrees with the loader. The loader stays the
authority: it also checks references, phone keys and opening-hours syntax.
"""

from __future__ import annotations

from typing import Any

from ivr.node_loader import CUSTOM, FIELDS, FieldSpec
from ivr.nodes import FLOW_TEXT_LANGUAGES, LANGUAGES, REQUESTS, VALIDATIONS

SCHEMA_ID = "https://vaxel.example/schemas/dialplan.json"
_REQUIREMENTS = {
    "description": "key=value pairs: 'topic=bygglov lang=${language}' or a mapping",
    "oneOf": [{"type": "string", "pattern": r"^\s*([^\s=]+=[^\s=]+\s*)*$"},
              {"type": "object", "additionalProperties": {"type": ["string", "integer"]}}],
}
_SCHEDULE = {
    "type": "object",
    "description": "weekly hours (mon-fri: ['08:00-17:00']), holidays and eves "
                   "(closed, normal or hours), exceptions (dated)",
    "properties": {"weekly": {"type": "object"}, "holidays": {}, "eves": {},
                   "exceptions": {"type": "array"}},
    "required": ["weekly"],
    "additionalProperties": False,
}
_CUSTOM_SCHEMAS: dict[str, dict[str, Any]] = {
    "choices": {"type": "object", "propertyNames": {"pattern": "^[0-9*#]$"},
                "additionalProperties": {"type": "string"}, "description": "key -> node"},
    "schedule": _SCHEDULE,
    "windows": {"type": "object", "minProperties": 1, "additionalProperties": {
        "type": "object", "properties": {"schedule": _SCHEDULE, "next": {"type": "string"}},
        "required": ["schedule", "next"], "additionalProperties": False}},
    "requirements": _REQUIREMENTS,
    "variables": {"type": "object", "minProperties": 1,
                  "propertyNames": {"pattern": "^[a-z_][a-z0-9_]*$"},
                  "additionalProperties": {"type": ["string", "integer"]},
                  "description": "name -> value; the call keeps them (district: sodermalm)"},
}
_REQUIRED_CUSTOM = {"choices", "schedule", "windows", "variables"}


def _field_schema(spec: FieldSpec) -> dict[str, Any]:
    if spec.kind is int:
        out: dict[str, Any] = {"type": "integer"}
    elif spec.kind == (int, float):
        out = {"type": "number"}
    else:
        out = {"type": "string"}
    if spec.key == "validate":
        out["enum"] = list(VALIDATIONS)
    if spec.key == "language":
        out["enum"] = list(LANGUAGES)
    if spec.key == "request":
        out["enum"] = list(REQUESTS)
    if spec.default not in (..., None):
        out["default"] = spec.default
    return out


def _node_schema(kind: str) -> dict[str, Any]:
    props: dict[str, Any] = {"kind": {"const": kind}, "description": {"type": "string"}}
    required = ["kind"]
    for spec in FIELDS[kind]:
        props[spec.key] = _field_schema(spec)
        if spec.default is ...:
            required.append(spec.key)
    for key in CUSTOM[kind][0] if kind in CUSTOM else ():
        props[key] = _CUSTOM_SCHEMAS[key]
        if key in _REQUIRED_CUSTOM:
            required.append(key)
    return {"type": "object", "properties": props, "required": required,
            "additionalProperties": False}


def flow_schema() -> dict[str, Any]:
    """The whole schema of a flow file."""
    kinds = list(FIELDS)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Vaxel IVR flow",
        "type": "object",
        "required": ["flow", "start", "nodes"],
        "additionalProperties": False,
        "properties": {
            "flow": {"type": "string"},
            "description": {"type": "string"},
            "entry_numbers": {"type": "array", "items": {"type": ["string", "integer"]}},
            "start": {"type": "string"},
            "prompts": {"type": "object", "additionalProperties": {
                "type": "object", "required": list(FLOW_TEXT_LANGUAGES),
                "properties": {lang: {"type": "string", "minLength": 1}
                               for lang in FLOW_TEXT_LANGUAGES}}},
            "nodes": {"type": "object", "additionalProperties": {"$ref": "#/$defs/node"}},
        },
        "$defs": {
            "node": {
                "type": "object", "required": ["kind"],
                "properties": {"kind": {"enum": kinds}},
                "allOf": [{"if": {"properties": {"kind": {"const": k}}},
                           "then": {"$ref": f"#/$defs/{k}"}} for k in kinds],
            },
            **{k: _node_schema(k) for k in kinds},
        },
    }

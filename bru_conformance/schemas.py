"""JSON Schema validation (Draft 2020-12, with format checking) of every document the suite writes."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from bru_conformance.resources import schemas_dir


class SchemaError(ValueError):
    """A document does not match its schema: a harness error, never a conformance verdict."""


@cache
def _registry() -> Registry:
    """Every bundled schema by its `$id`, so schemas can `$ref` each other."""
    resources = []
    for path in sorted(schemas_dir().glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def load_schema(name: str) -> dict[str, Any]:
    return json.loads((schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))


@cache
def validator(name: str) -> Draft202012Validator:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())


def validate(name: str, document: Any) -> None:
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first: ValidationError = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise SchemaError(f"{name} document invalid at {where}: {first.message} ({len(errors)} error(s))")


@cache
def _message_validators() -> dict[str, Draft202012Validator]:
    schema = load_schema("adapter-protocol")
    out = {}
    for sender, ref in (("harness", "fromHarness"), ("adapter", "fromAdapter")):
        out[sender] = Draft202012Validator({"$ref": f"{schema['$id']}#/$defs/{ref}"}, registry=_registry())
    return out


@cache
def _result_validator(method: str) -> Draft202012Validator:
    schema = load_schema("adapter-protocol")
    return Draft202012Validator({"$ref": f"{schema['$id']}#/$defs/results/{method}"}, registry=_registry())


def validate_message(sender: str, message: Any) -> None:
    """Validate one adapter-protocol message sent by `sender` ("harness" or "adapter")."""
    errors = list(_message_validators()[sender].iter_errors(message))
    if errors:
        best = min(errors, key=lambda e: len(list(e.absolute_path)))
        raise SchemaError(f"{best.message[:300]}")


def validate_result(method: str, result: Any) -> None:
    """Validate the `result` of a response to `method`."""
    errors = list(_result_validator(method).iter_errors(result))
    if errors:
        raise SchemaError(f"result of {method}: {errors[0].message[:300]}")

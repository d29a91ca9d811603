"""JSON Schema validation (Draft 2020-12, with format checking) of every document the suite writes and of
every adapter-protocol message.

Part of the model: the bundled schemas are the contract of the documents (results, waivers, the mutation
matrix) and of the out-of-process adapter protocol, so the reporting side and the adapter side both check
against them here, and neither owns them.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import fastjsonschema
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


@cache
def _compiled(name: str) -> Any:
    """The whole document schema compiled to Python by fastjsonschema: a 2,000-run results document in about a
    twelfth of jsonschema's time. The document schemas use only keywords that mean the same in Draft 2020-12 and
    Draft 7, and no `$ref` has siblings (where the two drafts differ); a test holds them to that and keeps the
    two validators in agreement on broken documents. `$ref`s between the bundled schemas resolve by `$id`."""
    by_id = {uri: resource.contents for uri, resource in _registry().items()}
    return fastjsonschema.compile(load_schema(name), handlers={"https": lambda uri: by_id[uri.split("#")[0]]})


def compile_ahead(*names: str) -> None:
    """Compile these document schemas now, in a process whose forked children validate documents (about 60 ms of
    a 0.3 s targeted run when each child compiled the results schema for itself)."""
    for name in names:
        _compiled(name)


def validate(name: str, document: Any) -> None:
    """Raise SchemaError when `document` does not match schema `name`. The compiled check decides a valid
    document alone; for an invalid one jsonschema, the reference, decides again and names the error."""
    try:
        _compiled(name)(document)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first: ValidationError = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise SchemaError(f"{name} document invalid at {where}: {first.message} ({len(errors)} error(s))")


class _Part:
    """One `$defs` entry of the adapter-protocol schema, compiled to Python by fastjsonschema.

    The entries use only keywords that mean the same in Draft 2020-12 and Draft 7 (type, enum, const,
    required, properties, additionalProperties, items, anyOf, minimum, minLength), so the compiled check
    is the schema's own; a test keeps it in agreement with jsonschema on the full document. Messages are
    validated on every call, so this is the hot path of out-of-process runs.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        self._check = fastjsonschema.compile({"$schema": "http://json-schema.org/draft-07/schema#", **schema})

    def iter_errors(self, value: Any) -> list[Any]:
        try:
            self._check(value)
        except fastjsonschema.JsonSchemaException as exc:
            return [exc]
        return []


@cache
def _part_validator(*path: str) -> _Part:
    node: Any = load_schema("adapter-protocol")["$defs"]
    for key in path:
        node = node[key]
    return _Part(node)


@cache
def _senders() -> dict[str, str]:
    """method -> who may send it ("harness", "adapter" or "either"), read from the schema's `fromHarness` and
    `fromAdapter` request definitions (the schema is generated from `bru_conformance.adapters.methods.METHODS`;
    a test keeps the file in step with it)."""
    defs = load_schema("adapter-protocol")["$defs"]
    by: dict[str, set[str]] = {}
    for sender, ref in (("harness", "fromHarness"), ("adapter", "fromAdapter")):
        for method in defs[ref]["anyOf"][0]["properties"]["method"]["enum"]:
            by.setdefault(method, set()).add(sender)
    return {m: "either" if len(s) == 2 else s.pop() for m, s in by.items()}


def validate_message(sender: str, message: Any) -> None:
    """Validate one adapter-protocol message sent by `sender` ("harness" or "adapter").

    Equivalent to validating against the document's `fromHarness` / `fromAdapter` definitions, but
    checks the envelope directly and then only the schema of the method named, so each message costs
    one small validation instead of one per method (a test keeps the two in agreement).
    """
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        raise SchemaError("not a JSON-RPC 2.0 object")
    if ("id" in message and not (message["id"] is None or isinstance(message["id"], (int, str)))) or isinstance(message.get("id"), bool):
        raise SchemaError(f"invalid id {message.get('id')!r}")
    if "method" in message:
        method = message["method"]
        allowed = _senders().get(method)
        if allowed is None or allowed not in (sender, "either"):
            raise SchemaError(f"{sender} may not send method {method!r}")
        if message.get("id", 0) is None:
            raise SchemaError("a request id may not be null")
        errors = list(_part_validator("params", method).iter_errors(message.get("params")))
        if "params" not in message or errors:
            raise SchemaError(f"params of {method}: {str(getattr(errors[0], 'message', errors[0]))[:300] if errors else 'missing'}")
        return
    if ("result" in message) == ("error" in message) or "id" not in message:
        raise SchemaError("a response has an id and exactly one of result or error")
    if "error" in message:
        err = message["error"]
        if not (isinstance(err, dict) and isinstance(err.get("code"), int) and not isinstance(err.get("code"), bool)
                and isinstance(err.get("message"), str) and isinstance(err.get("data", {}), dict)):
            raise SchemaError("an error needs an integer code, a string message and an object data")


def validate_result(method: str, result: Any) -> None:
    """Validate the `result` of a response to `method`."""
    errors = list(_part_validator("results", method).iter_errors(result))
    if errors:
        raise SchemaError(f"result of {method}: {str(getattr(errors[0], 'message', errors[0]))[:300]}")

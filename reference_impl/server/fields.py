"""Structured Fields for the upload headers, through `http_sf` (RFC 8941/9651), never by hand.

The drafts define `Upload-Offset`, `Upload-Length` and the interop version as Integers,
`Upload-Complete`/`Upload-Incomplete` as Booleans and `Upload-Limit` as a Dictionary; a value of the
wrong type makes the field absent ("other values MUST cause the entire header field to be ignored").
Helpers here return None for absent or malformed values so handlers can tell them apart from a parse
error only where the drafts ask for a 400.
"""

from __future__ import annotations

import http_sf

_MISSING = object()


class FieldError(ValueError):
    """A field that is present but not of its Structured type."""


def _item(raw: bytes | None, kind: type):
    if raw is None:
        return _MISSING
    try:
        value, _params = http_sf.parse(raw, tltype="item")
    except http_sf.StructuredFieldError as exc:
        raise FieldError(str(exc)) from exc
    # bool is an int subclass: keep the two apart.
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise FieldError(f"not an Integer: {raw!r}")
    if kind is bool and not isinstance(value, bool):
        raise FieldError(f"not a Boolean: {raw!r}")
    return value


def parse_int(raw: bytes | None) -> int | None:
    """A non-negative sf-integer, None if absent; FieldError if present but malformed."""
    value = _item(raw, int)
    if value is _MISSING:
        return None
    if value < 0:
        raise FieldError(f"negative: {raw!r}")
    return value


def parse_bool(raw: bytes | None) -> bool | None:
    """An sf-boolean, None if absent; FieldError if present but malformed."""
    value = _item(raw, bool)
    return None if value is _MISSING else value


def ser_int(value: int) -> bytes:
    return http_sf.ser(int(value)).encode("ascii")


def ser_bool(value: bool) -> bytes:
    return http_sf.ser(bool(value)).encode("ascii")


def ser_limit(max_size: int | None) -> bytes:
    """`Upload-Limit` as a Dictionary: `max-size=N`, or `min-size=0` when the server has no limit."""
    members = {"max-size": int(max_size)} if max_size is not None else {"min-size": 0}
    return http_sf.ser(members).encode("ascii")

"""Secrets never leave the run unredacted: destination headers, cookies, API keys, tokens in URLs.

Every output is derived from the results document, and the document (and every failure message the
console shows) passes through `redact` first, so one function guards every report and log.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "[REDACTED]"

_SECRET_HEADER = re.compile(r"^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|.*-api-key|.*token.*|.*secret.*"
                            r"|.*password.*|.*signature.*|x-amz-security-token|x-goog-.*credential.*)$", re.I)
_SECRET_PARAM = re.compile(r"^(.*token.*|.*signature.*|sig|key|api[-_]?key|secret|password|passwd|auth|credential.*"
                           r"|x-amz-credential|x-amz-security-token|x-goog-credential|code)$", re.I)
# Secrets inside free text (failure messages, reprs): schemes with credentials, bearer values, key=value.
_TEXT_PATTERNS = [
    # a scheme word followed by something that looks like a credential (a digit or one of ._~+/=, or 20+
    # characters), never an ordinary word: "Bearer token-1" is masked, "a token saved before" is not
    (re.compile(r"(?i)\b(bearer|basic|token|digest)\s+((?=[A-Za-z0-9_~+/=-]*[0-9._~+/=])[A-Za-z0-9._~+/=-]*[A-Za-z0-9_~+/=]"
                r"|[A-Za-z0-9_~+/=-]{20,})"), lambda m: f"{m.group(1)} {MASK}"),
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}"), lambda m: f"{m.group(1)} {MASK}"),  # schemes: any long value
    (re.compile(r"(?i)(['\"]?(?:authorization|cookie|set-cookie|[\w-]*api[-_]?key|[\w-]*token[\w-]*|[\w-]*secret[\w-]*)['\"]?\s*[:=]\s*)"
                r"(['\"]?)([^'\",}\s&]+)"), lambda m: f"{m.group(1)}{m.group(2)}{MASK}"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@"), lambda m: f"{m.group(1)}{MASK}@"),
    (re.compile(r"(?i)([?&](?:[\w-]*token[\w-]*|[\w-]*signature|sig|key|api[-_]?key|x-amz-credential|x-goog-credential|code)=)([^&\s'\"]+)"),
     lambda m: f"{m.group(1)}{MASK}"),
]


#: every redaction rule above needs one of these words or forms in the text: text without them is left as it is
_MARKERS = re.compile(r"(?i)bearer|basic|token|digest|authorization|cookie|api[-_]?key|secret|password|passwd|signature|sig=|"
                      r"credential|code=|key=|auth=|://[^/\s]*@")


def might_hold_secrets(text: str) -> bool:
    """A fast test before parsing and redacting a whole file: False means no rule could change it."""
    return _MARKERS.search(text) is not None


def redact_url(url: str) -> str:
    """Drop user:password and mask signed or secret query parameters, keeping the rest readable."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if _SECRET_PARAM.match(k) else v) for k, v in pairs], safe="[]")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_headers(headers: dict[str, Any]) -> dict[str, Any]:
    return {k: (MASK if _SECRET_HEADER.match(str(k)) else redact(v)) for k, v in headers.items()}


def redact_text(text: str) -> str:
    if not might_hold_secrets(text):
        return text
    for pattern, replace in _TEXT_PATTERNS:
        text = pattern.sub(replace, text)
    return text


def redact(value: Any, key: str | None = None) -> Any:
    """Recursively redact a JSON-like value (headers by name, URLs, free text)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("headers", "responseHeaderFields", "response_header_fields") and isinstance(v, dict):
                out[k] = redact_headers(v)
            elif isinstance(k, str) and _SECRET_HEADER.match(k) and isinstance(v, str):
                out[k] = MASK
            else:
                out[k] = redact(v, k)
        return out
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    if isinstance(value, tuple):
        return tuple(redact(v, key) for v in value)
    if isinstance(value, str):
        string = _redact_string if type(value) is str else _redact_string.__wrapped__  # a subclass keeps its type
        return string(value, key in _URL_KEYS)
    return value


_URL_KEYS = frozenset({"url", "uploadUrl", "upload_url", "urlBase"})
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


@functools.lru_cache(maxsize=8192)
def _redact_string(value: str, url_key: bool) -> str:
    """One string, redacted. Remembered: a results document holds each step line and scenario name once per
    profile and outcome (24,000 strings, 2,000 distinct, in a default run), and the marker search alone took
    5 µs a string; the answer depends on nothing but the string and whether its key names a URL."""
    if not might_hold_secrets(value):
        return value
    if url_key or _SCHEME.match(value):
        return redact_text(redact_url(value))
    return redact_text(value)

"""The typed words steps are made of: states, actions, results, errors, access levels, outcomes.

Every step pattern uses these parse types, so a word means one thing everywhere and a misspelt word
fails to match instead of meaning something else. `bru-conformance steps` lists the patterns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from parse import with_pattern
from pytest_bdd import parsers

from bru_conformance.protocol import (
    Action,
    APIUnavailableError,
    AuthorizationStatus,
    ChangeRequestOutsideBlockError,
    JobState,
    NestedChangeBlockError,
    Network,
    OutcomeKind,
    PhotoKitError,
    PhotoKitErrorCode,
    PreconditionFailure,
    ProcessingResult,
    UploadOutcome,
    URLErrorCode,
)


def _choice(mapping: dict[str, Any]) -> Callable[[str], Any]:
    pattern = "|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True))

    @with_pattern(pattern)
    def convert(text: str) -> Any:
        return mapping[text]

    return convert


STATES = {s.name.lower(): s for s in JobState}
ACTIONS = {a.name.lower(): a for a in Action}
RESULTS = {".completed": ProcessingResult.COMPLETED, ".processing": ProcessingResult.PROCESSING,
           ".failure": ProcessingResult.FAILURE}
ACCESS = {"authorized": AuthorizationStatus.AUTHORIZED, "limited": AuthorizationStatus.LIMITED,
          "denied": AuthorizationStatus.DENIED, "restricted": AuthorizationStatus.RESTRICTED,
          "not determined": AuthorizationStatus.NOT_DETERMINED}
#: the bearer tokens the harness gives destinations, by the words steps use for them
CREDENTIALS = {"original": "token-1", "new": "token-refreshed"}
NETWORKS = {"Wi-Fi": Network.WIFI, "cellular": Network.CELLULAR, "unavailable": Network.NONE}
URL_ERRORS = {"timedOut": URLErrorCode.TIMED_OUT, "networkConnectionLost": URLErrorCode.NETWORK_CONNECTION_LOST,
              "badServerResponse": URLErrorCode.BAD_SERVER_RESPONSE,
              "userAuthenticationRequired": URLErrorCode.USER_AUTHENTICATION_REQUIRED,
              "resourceUnavailable": URLErrorCode.RESOURCE_UNAVAILABLE, "badURL": URLErrorCode.BAD_URL}

#: PhotoKit error codes by their Swift names
ERROR_CODES: dict[str, PhotoKitErrorCode] = {
    "limitExceeded": PhotoKitErrorCode.LIMIT_EXCEEDED,
    "changeNotSupported": PhotoKitErrorCode.CHANGE_NOT_SUPPORTED,
    "accessUserDenied": PhotoKitErrorCode.ACCESS_USER_DENIED,
    "accessRestricted": PhotoKitErrorCode.ACCESS_RESTRICTED,
    "internalError": PhotoKitErrorCode.INTERNAL_ERROR,
    "identifierNotFound": PhotoKitErrorCode.IDENTIFIER_NOT_FOUND,
    "persistentChangeTokenExpired": PhotoKitErrorCode.PERSISTENT_CHANGE_TOKEN_EXPIRED,
}

#: Error names a step can expect: PhotoKit codes by their Swift names, exceptions by kind.
ERRORS: dict[str, Callable[[BaseException], bool]] = {
    **{name: (lambda code: lambda e: isinstance(e, PhotoKitError) and e.code is code)(code)  # noqa: B023
       for name, code in ERROR_CODES.items()},
    "a PhotoKit error": lambda e: isinstance(e, PhotoKitError),
    "an exception for a change request outside a change block": lambda e: isinstance(e, ChangeRequestOutsideBlockError),
    "an exception for a nested change block": lambda e: isinstance(e, NestedChangeBlockError),
    "a precondition failure": lambda e: isinstance(e, PreconditionFailure),
    "an API-unavailable error": lambda e: isinstance(e, APIUnavailableError),
}

OUTCOMES: dict[str, UploadOutcome] = {
    "success": UploadOutcome.success(201),
    "a timeout": UploadOutcome(OutcomeKind.TIMEOUT),
    "a lost connection": UploadOutcome(OutcomeKind.CONNECTION_LOST),
    "an early answer": UploadOutcome(OutcomeKind.EARLY_ANSWER, 201),
    "an iCloud download failure": UploadOutcome(OutcomeKind.ICLOUD_FAILURE),
    "HTTP 400": UploadOutcome.http(400),
    "HTTP 401": UploadOutcome.http(401),
    "HTTP 500": UploadOutcome.http(500),
    "HTTP 503": UploadOutcome.http(503),
}


@with_pattern(r'(?:"[^"]*"(?:, | and )?)+|no job')
def _names(text: str) -> list[str]:
    return [] if text == "no job" else re.findall(r'"([^"]*)"', text)


UNITS = {"second": 1, "seconds": 1, "minute": 60, "minutes": 60, "hour": 3600, "hours": 3600}


@with_pattern(r"s?")
def _plural(text: str) -> str:
    return text


@with_pattern(r"(?:es)?")
def _plural_es(text: str) -> str:
    return text


TYPES = {
    "Unit": _choice(UNITS), "Plural": _plural, "PluralEs": _plural_es,
    "State": _choice(STATES), "Action": _choice(ACTIONS), "Result": _choice(RESULTS), "Access": _choice(ACCESS),
    "Network": _choice(NETWORKS), "URLError": _choice(URL_ERRORS), "Error": _choice({k: k for k in ERRORS}),
    "Outcome": _choice(OUTCOMES), "Names": _names,
}


def p(pattern: str) -> Any:
    """A step pattern with the vocabulary's types: `p('job "{alias}" is {state:State}')`.

    `(s)` / `(es)` after a word accept the singular and the plural ("1 job", "2 jobs", "passes").
    """
    original = pattern
    count = iter(range(1, 100))
    for marker, kind in (("(es)", "PluralEs"), ("(s)", "Plural")):
        while marker in pattern:
            pattern = pattern.replace(marker, "{_plural_%d:%s}" % (next(count), kind), 1)
    ORIGINAL[pattern] = original
    return _MemoParse(pattern, extra_types=TYPES)


class _MemoParse(parsers.parse):
    """pytest-bdd tries every step pattern against every step line; remember the answers."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self._seen: dict[str, bool] = {}

    def is_matching(self, name: str) -> bool:
        hit = self._seen.get(name)
        if hit is None:
            hit = self._seen[name] = bool(super().is_matching(name))
        return hit


#: converted pattern -> the pattern as written, for listings
ORIGINAL: dict[str, str] = {}


def matches(error: BaseException | None, name: str) -> bool:
    return error is not None and ERRORS[name](error)

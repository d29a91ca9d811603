"""Assumption switches: one per open point AMB-nn of rules-digest.md §4.

Apple leaves these points open; the reference model and the scenarios need one reading of each. Every
switch names its default (the digest's assumption) and the alternative readings a run may select with
`--assume AMB-02=retry-checks-limit`. Scenarios that depend on a reading are tagged `@assume:AMB-02=...`
and run only when it is in force; reports state the readings of the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Switch:
    amb: str
    name: str
    default: str
    choices: tuple[str, ...]
    summary: str


def _s(amb: str, name: str, choices: str, summary: str) -> Switch:
    opts = tuple(choices.split("|"))
    return Switch(amb=amb, name=name, default=opts[0], choices=opts, summary=summary)


# First choice = default (the digest's assumption). Single-choice switches are fixed readings that are
# still named, so reports can state them and a later reading can be added without renaming anything.
SWITCHES: Mapping[str, Switch] = MappingProxyType({s.amb: s for s in (
    _s("AMB-01", "transition-graph", "digest", "registered->pending->succeeded|failed; registered|pending->cancelled; failed->registered on the one retry"),
    _s("AMB-02", "retry-limit", "retry-keeps-slot|retry-checks-limit", "a retry keeps the failed job's slot, or fails with limitExceeded at the limit"),
    _s("AMB-03", "retry-identity", "same-job", "a retry keeps the job's identity; a second failure is acknowledge-only"),
    _s("AMB-04", "failed-in-two-sets", "both", "a fresh failed job is in the retry and the acknowledge set"),
    _s("AMB-05", "disable-discards-jobs", "discard|keep", "disabling discards every unacknowledged job"),
    _s("AMB-06", "limit-boundary", "inclusive", "creation succeeds while unacknowledged + new <= jobLimit"),
    _s("AMB-07", "change-block-atomicity", "all-or-nothing", "a failed change block applies none of its changes"),
    _s("AMB-08", "download-only-jobs", "counted", "download-only jobs count toward jobLimit and need acknowledging"),
    _s("AMB-09", "invalid-mutation", "change-not-supported", "an invalid action fails the block with changeNotSupported"),
    _s("AMB-10", "who-creates", "any-process", "host app or extension may create jobs once enabled"),
    _s("AMB-11", "job-limit", "50|20|5", "the jobLimit value (arbitrary placeholder)"),
    _s("AMB-12", "enable-errors", "digest", "refused enables throw PHPhotosErrorDomain (3311 limited/denied, -1 missing plist key)"),
    _s("AMB-13", "processing-after-downgrade", "continues|stops", "after a downgrade an existing configuration keeps being invoked, or not"),
    _s("AMB-14", "active", "config-access-extension", "active = configuration exists, full access, extension registered"),
    _s("AMB-15", "ordering", "creation-order", "fetches in creation order; apps must not rely on it"),
    _s("AMB-16", "duplicates", "allowed", "the system does not deduplicate jobs"),
    _s("AMB-17", "invocation-timing", "field", "field timings: enable 1 s, change 3 s, after jobs 1 s, idle 300 s, backoff 360/660 s"),
    _s("AMB-18", "runtime-limit", "60s", "60 s per call, enforced by a hard kill"),
    _s("AMB-19", "termination-delivery", "all-three", "notice mid-call, notice after a call, or a hard kill without notice"),
    _s("AMB-20", "jobs-start", "after-call", "jobs created in a call start uploading after the call returns"),
    _s("AMB-21", "unacknowledged-presented", "diagnostic", "no API-visible error; a diagnostic is logged"),
    _s("AMB-22", "resource-nullability", "nil-when-terminal", "resource lookups may be nil for terminal jobs"),
    _s("AMB-23", "success-mapping", "digest", "2xx succeeded; 401 userAuthenticationRequired; other badServerResponse"),
    _s("AMB-24", "destination-body", "ignored", "body ignored, method and headers kept"),
    _s("AMB-25", "url-base-validation", "fail-job|reject-at-creation", "destinations outside BackgroundUploadURLBase fail the job, or the block"),
    _s("AMB-26", "idempotent-enable", "idempotent", "enabling twice / disabling when disabled succeed"),
    _s("AMB-27", "both-protocols", "job-extension-on-27", "on 27+ only the async job-extension protocol is used"),
    _s("AMB-28", "availability", "ios-26.4-macos-27.0", "26.4 iOS introduction, 27.0 macOS for all job APIs"),
    _s("AMB-29", "large-files", "whole-resource", "one job uploads the whole resource"),
    _s("AMB-30", "icloud-failures", "failed-retryable", "an iCloud download failure fails the job, retry allowed"),
    _s("AMB-31", "change-tracking", "app-side", "the app tracks changes with persistent change tokens"),
    _s("AMB-32", "consent", "full-access-only", "full read-write access plus enabling is the only consent gate"),
)})


class Assumptions(Mapping[str, str]):
    """The readings in force for a run: AMB id -> choice, defaults filled in."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        values = {amb: s.default for amb, s in SWITCHES.items()}
        for amb, choice in (overrides or {}).items():
            amb = amb.upper()
            if amb not in SWITCHES:
                raise ValueError(f"unknown assumption {amb!r}; known: {', '.join(SWITCHES)}")
            if choice not in SWITCHES[amb].choices:
                raise ValueError(f"{amb} has no reading {choice!r}; choose one of {', '.join(SWITCHES[amb].choices)}")
            values[amb] = choice
        self._values = values

    @staticmethod
    def parse(items: list[str] | tuple[str, ...]) -> Assumptions:
        """Parse `AMB-02=retry-checks-limit` strings (the CLI's `--assume`)."""
        pairs: dict[str, str] = {}
        for item in items:
            if "=" not in item:
                raise ValueError(f"--assume takes AMB-nn=reading, got {item!r}")
            key, value = item.split("=", 1)
            pairs[key.strip()] = value.strip()
        return Assumptions(pairs)

    def __getitem__(self, amb: str) -> str:
        return self._values[amb]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def non_default(self) -> dict[str, str]:
        return {k: v for k, v in self._values.items() if v != SWITCHES[k].default}

    @property
    def job_limit(self) -> int:
        return int(self["AMB-11"])

    def __repr__(self) -> str:
        return f"Assumptions({self.non_default()})"

"""Assumption switches: one per open point AMB-nn of rules-digest.md §4.

Apple leaves these points open. A switch has *readings*; the run is under one reading of each, chosen
with `--assume AMB-02=retry-checks-limit` (the first reading is the default). A reading does two jobs:

* **It selects checks.** A scenario that depends on one reading is tagged `@assume:AMB-nn=reading` and
  runs only when that reading is in force. Where the digest says a check must not depend on the point
  (AMB-02, AMB-09, AMB-17, AMB-18) or records more than one real behaviour (AMB-05, AMB-13, AMB-23,
  AMB-25), the default reading is *permissive* (`any`, `documented`, ...): it runs only the checks that
  hold for every behaviour the digest allows. The other readings are opt-in.
* **It configures the reference model.** Under a permissive reading the reference SYSTEM still has to
  behave some way: it follows the switch's `model` reading (the digest's assumption).
  `Assumptions.model(amb)` gives that concrete reading.

A switch whose point no scenario depends on has a single reading: it only names the model's choice, so
reports can state it; no tag may select on it.
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
    model: str  # the reading the reference model follows when the run's reading is permissive
    permissive: str | None = None  # the reading that demands nothing specific of this point

    @property
    def selectable(self) -> bool:
        """Has alternatives, so a scenario may be tagged with one reading."""
        return len(self.choices) > 1


def _s(amb: str, name: str, choices: str, summary: str, *, model: str | None = None, permissive: bool = False) -> Switch:
    opts = tuple(choices.split("|"))
    return Switch(amb=amb, name=name, default=opts[0], choices=opts, summary=summary,
                  model=model or opts[0], permissive=opts[0] if permissive else None)


# First choice = default. `permissive=True`: the default demands nothing of the point, and the reference
# follows `model`. Single-choice switches name the reference model's fixed choice.
SWITCHES: Mapping[str, Switch] = MappingProxyType({s.amb: s for s in (
    _s("AMB-01", "transition-graph", "digest", "registered->pending->succeeded|failed; registered|pending->cancelled; failed->registered on the one retry"),
    _s("AMB-02", "retry-limit", "any|retry-keeps-slot|retry-checks-limit",
       "any: no check depends on whether a retry at the jobLimit is refused (the digest: tests must not); "
       "retry-keeps-slot: it is accepted in the job's own slot; retry-checks-limit: it fails with limitExceeded (the article)",
       model="retry-keeps-slot", permissive=True),
    _s("AMB-03", "retry-identity", "same-job", "a retry keeps the job's identity; a second failure is acknowledge-only"),
    _s("AMB-04", "failed-in-two-sets", "both", "a fresh failed job is in the retry and the acknowledge set (follows from STA-04/05)"),
    _s("AMB-05", "disable-discards-jobs", "any|discard|keep",
       "any: no check depends on what disabling does to unacknowledged jobs (only that nothing uploads while disabled); "
       "discard: they are discarded (field); keep: they are kept and wait", model="discard", permissive=True),
    _s("AMB-06", "limit-boundary", "inclusive", "creation succeeds while unacknowledged + new <= jobLimit (jobLimit is the maximum)"),
    _s("AMB-07", "change-block-atomicity", "all-or-nothing|unspecified",
       "all-or-nothing: a refused change block applies none of its changes (PhotoKit change blocks); unspecified: no check demands it"),
    _s("AMB-08", "download-only-jobs", "counted|unspecified",
       "counted: download-only jobs count toward jobLimit and need acknowledging; unspecified: no check demands it"),
    _s("AMB-09", "invalid-mutation", "any-refusal|change-not-supported",
       "any-refusal: an invalid acknowledge/retry/cancel is refused in any form (an error from the block or an exception), "
       "applying nothing; change-not-supported: the block fails with changeNotSupported", model="change-not-supported", permissive=True),
    _s("AMB-10", "who-creates", "any-process|unspecified",
       "any-process: host app or extension may create jobs once enabled; unspecified: no check demands it"),
    _s("AMB-11", "job-limit", "50|20|5", "the reference SYSTEM's jobLimit value (an arbitrary placeholder, not Apple's)"),
    _s("AMB-12", "enable-errors", "digest", "refused enables throw PHPhotosErrorDomain (the codes 3311 / -1 are field observations, @field)"),
    _s("AMB-13", "processing-after-downgrade", "any|continues|stops",
       "any: no check depends on it; continues: an existing configuration keeps being invoked after a downgrade (field); stops: it is not",
       model="continues", permissive=True),
    _s("AMB-14", "active", "config-access-extension", "active = configuration exists, full access, extension registered"),
    _s("AMB-15", "ordering", "creation-order", "the reference fetches in creation order; checks never rely on an order"),
    _s("AMB-16", "duplicates", "allowed", "the system does not deduplicate jobs"),
    _s("AMB-17", "invocation-timing", "documented|field",
       "documented: only the order Apple gives and 'eventually' within the patience horizon (--patience); "
       "field: the measured delays (enable 1 s, change 3 s, after jobs 1 s, idle 300 s, backoff 360/660/1200 s)",
       model="field", permissive=True),
    _s("AMB-18", "runtime-limit", "documented|field",
       "documented: some runtime limit ends a call that runs on (any value); field: 60 s per call, enforced by a hard kill",
       model="field", permissive=True),
    _s("AMB-19", "termination-delivery", "all-three", "notice mid-call, notice after a call, or a hard kill without notice"),
    _s("AMB-20", "jobs-start", "after-call", "the reference starts jobs created in a call after the call returns (field); checks never rely on it"),
    _s("AMB-21", "unacknowledged-presented", "diagnostic", "no API-visible error; a diagnostic is logged"),
    _s("AMB-22", "resource-nullability", "nil-when-terminal", "resource lookups may be nil for terminal jobs"),
    _s("AMB-23", "success-mapping", "any-url-error|digest",
       "any-url-error: a failed job carries some NSURLErrorDomain error; digest: 401 userAuthenticationRequired, other "
       "statuses badServerResponse, transport errors their own code", model="digest", permissive=True),
    _s("AMB-24", "destination-body", "ignored", "body ignored, method and headers kept"),
    _s("AMB-25", "url-base-validation", "any|fail-job|reject-at-creation",
       "any: no check depends on how a destination outside BackgroundUploadURLBase is refused; fail-job: the job fails; "
       "reject-at-creation: the change block fails", model="fail-job", permissive=True),
    _s("AMB-26", "idempotent-enable", "idempotent", "enabling twice / disabling when disabled succeed"),
    _s("AMB-27", "both-protocols", "job-extension-on-27|either",
       "job-extension-on-27: on 27 an extension adopting both protocols gets processJobs/willTerminate; either: no check demands which"),
    _s("AMB-28", "availability", "ios-26.4-macos-27.0", "26.4 iOS introduction, 27.0 macOS for all job APIs"),
    _s("AMB-29", "large-files", "whole-resource", "one job uploads the whole resource"),
    _s("AMB-30", "icloud-failures", "failed-retryable|unspecified",
       "failed-retryable: an iCloud download failure fails the job with a sanitised error, retry allowed once; unspecified: no check demands it"),
    _s("AMB-31", "change-tracking", "app-side", "the app tracks changes with persistent change tokens"),
    _s("AMB-32", "consent", "full-access-only", "full read-write access plus enabling is the only consent gate"),
    # SERVER-role open points (issue 14; docs/server-rules.md): Apple's article example against the drafts
    _s("AMB-33", "upload-limit-form", "dictionary|integer-or-dictionary",
       "dictionary: Upload-Limit is a Structured-Fields Dictionary (`max-size=N`, the drafts' form, what a draft client parses); "
       "integer-or-dictionary: a bare Integer as in Apple's article example is accepted too"),
    _s("AMB-34", "interop-in-104", "required|optional",
       "required: the 104 carries Upload-Draft-Interop-Version (the drafts; a draft client ignores a 104 without it); "
       "optional: Apple's article example omits it"),
    _s("AMB-35", "unsupported-preflight", "article-501",
       "a server without resumable support answers the preflight 501 (Apple's article; no draft says so): the only check is "
       "that a server that does support resumable uploads never answers 501"),
    _s("AMB-36", "system-interop", "8",
       "the SYSTEM sends interop version 8 on the 26.x and 27 profiles (one field report saw 8 on an iOS 26.2 simulator; "
       "iOS 17 sent 3, 18.0 sent 5, 18.1 on sent 6); SERVER scenarios run per declared interop version"),
)})


class Assumptions(Mapping[str, str]):
    """The readings in force for a run: AMB id -> reading, defaults filled in."""

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

    def model(self, amb: str) -> str:
        """What the reference model does for this point: the reading in force, or the switch's model
        reading when the reading in force is the permissive one."""
        switch = SWITCHES[amb]
        value = self._values[amb]
        return switch.model if value == switch.permissive else value

    def with_readings(self, readings: Mapping[str, str]) -> Assumptions:
        """These readings, the rest as in force (a scenario's `@world:` readings over the run's)."""
        return Assumptions({**self._values, **readings})

    def non_default(self) -> dict[str, str]:
        return {k: v for k, v in self._values.items() if v != SWITCHES[k].default}

    @property
    def job_limit(self) -> int:
        return int(self["AMB-11"])

    def __repr__(self) -> str:
        return f"Assumptions({self.non_default()})"


def alternative_runs() -> list[dict[str, str]]:
    """Sets of non-default readings that together cover every reading of every switch, fewest runs first:
    the n-th set takes each switch's (n+1)-th reading, or its last one when it has fewer."""
    widest = max(len(s.choices) for s in SWITCHES.values())
    runs = []
    for n in range(1, widest):
        runs.append({amb: s.choices[min(n, len(s.choices) - 1)] for amb, s in SWITCHES.items() if s.selectable})
    return runs

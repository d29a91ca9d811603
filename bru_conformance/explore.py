"""Stateful exploration: Hypothesis state machines that drive any adapter through the role contracts.

Two machines, each building its world with `bru_conformance.world.World`, so they reach an
implementation only through `world.library`, `world.env` and `world.app`:

* **SYSTEM** (`role="system"`): the machine plays the app against the SYSTEM under test — creating
  jobs (one or several per change block, exactly the room left or one more; for iCloud-only photos;
  from 26.4 download-only jobs), acknowledging, retrying (keeping the destination or with a new one; a
  second retry), cancelling (valid and invalid), a mixed block at the jobLimit (26.4+), nested blocks,
  creations outside a block, enabling with and without full access and (27) with options, setting
  options, calls by their Apple names inside and outside the profile, and once per run filling the room
  left under the jobLimit — and plays the world around it: a jobLimit set on the SYSTEM (3..17, where it
  offers `set-job-limit`), upload outcomes (with and without a response header), starts, time passing
  up to the patience horizon, network, power and access changes and outages, disabling, deleting a
  finished job's photo, Developer Mode. It also plays the harness extension: its answer (.completed,
  .processing, .failure), its work per call, suspensions of its async processJobs, and work inside its
  next call (create, retry, acknowledge), that call returning, followed by a termination notice, or
  noticed or killed the moment the change commits or after its work. It keeps a model of every job and
  checks after every step: each job is in the state the model predicts (or one the SYSTEM may have moved
  it to: onward only during a call, anything after time passed); a refused block, mixed ones included,
  changed nothing (AMB-07); acknowledged and cancelled jobs never come back and have no change request;
  the acknowledge, retry and process sets hold exactly the succeeded+failed, failed-not-yet-retried and
  registered+pending jobs; the limit accounting; the fields (credentials, errors in NSURLErrorDomain,
  lower-cased headers, the download-only type, nothing of a download-only job sent to the server); the
  enabled flag and the options; a profile's calls succeed and others fail as unavailable. From the
  harness's own trace (`bru_conformance.observe`, never the SYSTEM's account): every call and notice
  came through the profile's entry points (TER-01/TER-02); a scheduled notice arrived; a processJobs that
  suspends is driven to its answer (PRO-13); within one extension process calls doing the same work meet
  the same fate (LIM-06); no call and no upload while the extension is disabled or network, power or the
  options forbid work; a call owed comes within the patience horizon once work is allowed — after
  .processing (once the jobs made in that call are done, failed or not), after a library change
  following .completed, after a kill, after enabling, and when it fell due while work was forbidden
  (PRO-05, PRO-04, TER-06, PRO-02); and given the patience horizon every job registered or pending is
  done as scripted, those created or retried inside a call (also one then killed) included.
* **APP** (`role="app"`, the reference SYSTEM unless the adapter also brings one): the APP under test
  backs up a library that changes under it (photos, videos, Live Photos, an import of several), with a
  jobLimit no constant could match that also changes between calls, transient and permanent upload
  failures, early server answers, answers given after the server stored the bytes, a change block the
  SYSTEM refuses with an unexpected error, access downgrades, terminations (notice mid-call, notice after
  the call, hard kill, at a commit) at any call, token rotation, pruned history, network and power
  changes and time passing. After every step: the app records nothing as uploaded that the server did
  not store, the server never stores a photo twice, every upload carries the credentials and the file
  name (CRE-05), the app calls nothing its profile lacks (VER-01..04), opens no nested block (ERR-05),
  asks no job's retry twice (RET-01), under AMB-02's article reading acknowledges before a retry that
  needs the room (RET-05), answers each call with one result (PRO-03) and the call of an unexpected
  refusal with .failure (PRO-12), runs no call into a kill nobody scheduled (PRO-15, TER-03), and when
  the last call answered `.completed` no job is left to acknowledge, retry or process. At the end the
  world is made good (full access, Wi-Fi, power) and six virtual hours pass; then every resource still
  in the library that the scenario gave no failure to is on the server exactly once and in the app's
  ledger, no job is left unacknowledged, no processing call asked for more jobs than the jobLimit, and
  the last call was answered `.completed` (nothing left, so no `.processing` without progress: PRO-08).

Every action is a step of the Gherkin vocabulary, and every check that fails is confirmed by running
the corresponding `Then` step on the same world, so the shrunk failure written by
`bru_conformance.counterexample` replays with `bru-conformance run --features DIR` on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from bru_conformance import observe, reference
from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import Implementation
from bru_conformance.counterexample import Counterexample, rule_level, write
from bru_conformance.profiles import PROFILES, get_profile
from bru_conformance.protocol import Action, AuthorizationStatus, JobState, ProcessingResult, UploadJob
from bru_conformance.world import World

R, P, S, F = JobState.REGISTERED, JobState.PENDING, JobState.SUCCEEDED, JobState.FAILED
#: where a job may go without the app doing anything (the SYSTEM moves uploads along)
SYSTEM_MOVES: dict[JobState | None, set[JobState | None]] = {
    R: {R, P, S, F}, P: {P, S, F}, S: {S}, F: {F}, None: {None}}
STEP_COUNTER = [0]  # actions taken, for the benchmark

#: AMB-23 (the digest's reading): the URLError, by its vocabulary name, that a failed upload leaves on its job
FAILURE_CODES = {"a timeout": "timedOut", "a lost connection": "networkConnectionLost", "HTTP 500": "badServerResponse",
                 "HTTP 401": "userAuthenticationRequired"}
ARRANGED_FAILURE = FAILURE_CODES["a timeout"]  # how the arranging steps fail a job (steps.job_steps.drive_to)
UNKNOWN = "any"  # the error of a job the SYSTEM failed on its own, while time passed
#: upload outcomes whose answer carries a response header, and their HTTP status
HEADER_ANSWERS = {"HTTP 201 and a header": 201, "HTTP 500 and a header": 500}


@dataclass
class JobFacts:
    """What the machine knows of a job beyond its state: the credentials of its destination, the error
    (vocabulary name) its last upload should have left, and a response header the server sent."""

    token: str
    error: str | None = None
    header: tuple[str, str] | None = None
    download: bool = False  # a download-only job: no destination, never sent to the server


class Violation(AssertionError):
    """An invariant failed; `steps` is the Gherkin log up to and including the failing `Then`."""

    def __init__(self, rule: str, message: str, steps: list[tuple[str, str]], profile: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule, self.message, self.steps, self.profile = rule, message, list(steps), profile


@dataclass
class Config:
    implementation: Implementation
    assumptions: Assumptions
    profiles: list[str]
    adapter: str | None = None       # MODULE:FACTORY of an in-process adapter
    adapter_cmd: str | None = None   # the command of an out-of-process adapter
    process: Any = None              # its running `AdapterProcess`, closed by `close`

    @property
    def plugged(self) -> bool:
        return bool(self.adapter or self.adapter_cmd)

    @property
    def replay_option(self) -> str:
        """The `bru-conformance run` option that points a replay at the same implementation."""
        import shlex

        if self.adapter_cmd:
            return f"--adapter-cmd {shlex.quote(self.adapter_cmd)}"
        return f"--adapter {self.adapter}" if self.adapter else ""

    def close(self) -> None:
        if self.process is not None:
            self.process.close()
            self.process = None


# ==================================================================================== shared base
class _Machine(RuleBasedStateMachine):
    config: Config
    role = "system"
    step_rule = "STA-01"  # the rule named when an action's own step breaks

    def __init__(self) -> None:
        super().__init__()
        self.world: World | None = None
        self.log: list[tuple[str, str]] = []
        self.failed = False
        self.changed_seq = 0  # trace position of the latest library change a step made (a photo added or deleted)
        self._calls_cache: tuple[int, list[observe.ObservedCall]] = (-1, [])

    def pick_profile(self, which: int) -> str:
        """The profiles explored (all by default), in their catalogue order; shrinks toward the first."""
        names = self.config.profiles or list(PROFILES)
        return names[which % len(names)]

    def _build(self, profile: str) -> World:
        self.world = World(get_profile(profile), self.config.assumptions, self.config.implementation, self.role)
        return self.world

    @property
    def w(self) -> World:
        assert self.world is not None
        return self.world

    def teardown(self) -> None:
        if self.world is not None:
            self.world.close()

    def violation(self, rule: str, message: str) -> Violation:
        self.failed = True
        return Violation(rule, message, self.log, self.w.profile.name)

    def step(self, keyword: str, text: str, fn: Callable[..., Any], *args: Any, rule: str | None = None) -> Any:
        """Take one action, exactly as the step `text` does when a scenario runs it."""
        STEP_COUNTER[0] += 1
        self.log.append((keyword, text))
        photos = len(self.w.resources)
        try:
            return fn(self.w, *args)
        except Violation:
            raise
        except Exception as exc:  # the step itself broke (e.g. an assertion inside it): it fails on replay too
            raise self.violation(rule or self.step_rule, f"step {text!r} failed: {exc!r}") from exc
        finally:
            if len(self.w.resources) != photos:
                self.changed_seq = len(self.w.trace.events)

    def expect(self, rule: str, text: str, fn: Callable[..., Any], *args: Any) -> None:
        """Check an invariant by running the `Then` step that states it; a failure ends the run."""
        try:
            fn(self.w, *args)
        except AssertionError as exc:
            self.log.append(("Then", text))
            raise self.violation(rule, f"{text}: {exc}") from exc

    def calls(self) -> list[observe.ObservedCall]:
        """The processing calls so far as the harness saw them (`observe.calls` on its own trace), recomputed
        only when the trace grew."""
        size = len(self.w.trace.events)
        if self._calls_cache[0] != size:
            self._calls_cache = (size, observe.calls(self.w.trace))
        return self._calls_cache[1]

    def can(self, capability: str) -> bool:
        """The SYSTEM under test offers this optional Environment control (contracts.CAPABILITIES)."""
        offered = getattr(self.w, "system_capabilities", None)
        return capability in offered if offered is not None else not self.config.plugged

    @invariant()
    def checked(self) -> None:
        """The machine's checks after every rule (not before its world exists)."""
        self.check()

    def check(self) -> None:
        raise NotImplementedError

    def actions(self) -> list[Action]:
        return [Action.ACKNOWLEDGE, Action.RETRY] + ([Action.PROCESS] if self.w.profile.has("Action.process") else [])


def _credential_words(token: str) -> str:
    """How the steps name a bearer token: "original" or "new" (steps.vocabulary.CREDENTIALS)."""
    vocabulary = reference.steps("vocabulary")

    return next(words for words, t in vocabulary.CREDENTIALS.items() if t == token)


def _names(aliases: list[str]) -> str:
    return ", ".join(f'"{a}"' for a in sorted(aliases)) if aliases else "no job"


# ==================================================================================== SYSTEM
def _system_steps() -> Any:
    app_steps = reference.steps("app_steps")
    job_steps = reference.steps("job_steps")
    setup_steps = reference.steps("setup_steps")

    return job_steps, setup_steps, app_steps


class _ConditionEvents:
    """World events both machines share: network and power changes, each one existing step."""

    ss: Any
    step: Callable[..., Any]  # provided by _Machine
    w: World
    online = True    # the world starts on Wi-Fi ...
    powered = True   # ... with power for background work
    network_name = "Wi-Fi"
    blocked_seq = 0  # trace position when network or power last stopped allowing work

    @rule(change=st.sampled_from(["Wi-Fi", "cellular", "unavailable", "power lost", "power back"]))
    def conditions(self, change: str) -> None:
        if change.startswith("power"):
            self.power(change == "power back")
        else:
            self.network(change)

    def network(self, network: str) -> None:
        vocabulary = reference.steps("vocabulary")

        self.step("When", f"the network becomes {network}", self.ss.network_is, vocabulary.NETWORKS[network])
        self.online, self.network_name = network != "unavailable", network
        if not self.online:
            self.blocked_seq = len(self.w.trace.events)

    def power(self, ok: bool) -> None:
        if ok:
            self.step("When", "power conditions allow background work again", self.ss.power_ok)
        else:
            self.step("When", "power conditions stop allowing background work", self.ss.power_bad)
            self.blocked_seq = len(self.w.trace.events)
        self.powered = ok


#: how sure the SYSTEM machine is of its jobs' states since its last check: it acted itself (EXACT), a processing
#: call ran (CALL: uploads may have moved on, none failed), or virtual time passed (TIME: anything SYSTEM_MOVES allows)
EXACT, CALL, TIME = 0, 1, 2
CALL_MOVES: dict[JobState | None, set[JobState | None]] = {
    R: {R, P, S}, P: {P, S}, S: {S}, F: {F}, None: {None}}
#: calls the SYSTEM machine makes by their Apple name (steps.versions_steps) -> the API the profile must offer
API_NAMES = {"cancel()": "PHAssetResourceUploadJobChangeRequest.cancel",
             "creationRequestForJob(destination:resource:)": "PHAssetResourceUploadJobChangeRequest.creationRequestForJob",
             "setUploadJobExtensionEnabled(true)": "PHPhotoLibrary.setUploadJobExtensionEnabled", "fetchJobs(.process)": "Action.process",
             "enableUploadJobExtension(with:)": "PHPhotoLibrary.enableUploadJobExtension",
             "uploadJobExtensionOptions": "PHPhotoLibrary.uploadJobExtensionOptions",
             "setUploadJobExtensionOptions(_:)": "PHPhotoLibrary.setUploadJobExtensionOptions"}
#: the rule of each release's additions (VER-01 also for the iOS-only APIs on macOS)
VERSION_RULES = {(26, 1): "VER-01", (26, 4): "VER-02", (26, 5): "VER-03", (27, 0): "VER-04"}
#: work the harness extension can do inside its next processing call: step wording and the change's verb
IN_CALL = {"create": "creates", "retry": "retries", "acknowledge": "acknowledges"}


class SystemMachine(_ConditionEvents, _Machine):
    """The machine plays the app (and the world) against the SYSTEM under test."""

    role = "system"

    @initialize(which=st.integers(0, len(PROFILES) - 1), limit=st.integers(3, 17), work=st.sampled_from([0, 10]),
                suspends=st.sampled_from([True, False]))
    def start(self, which: int, limit: int, work: int, suspends: bool) -> None:
        limits_steps = reference.steps("limits_steps")
        processing_steps = reference.steps("processing_steps")

        self._build(self.pick_profile(which))
        self.js, self.ss, self.aps = _system_steps()
        self.ps = processing_steps
        self.model: dict[str, JobState | None] = {}
        self.retried: set[str] = set()
        self.facts: dict[str, JobFacts] = {}
        self.gone: set[str] = set()  # jobs acknowledged or cancelled by the last action
        self.freed = False  # a job was retried, acknowledged or cancelled: the limit accounting has a history
        self.uncertain = EXACT
        self.enabled = True
        self.access = AuthorizationStatus.AUTHORIZED
        self.counter = 0
        self.in_call: dict[str, str] = {}  # job made or retried by the harness inside a call -> the rule its upload answers to
        self.work = work  # seconds the harness extension works in each call
        self.per_call_fates = True  # no kill scripted and the work per call unchanged: LIM-06's per-process check holds
        self.ran_on = False
        self.developer_mode = False
        self.seen_calls = 0  # processing calls already checked for their entry points
        self.answer = ProcessingResult.COMPLETED  # what the harness extension answers
        self.prevents, self.options_rule = False, "ACT-22"  # 27: the options prevent expensive network access (default: no)
        self.cancelled_seq = 0  # trace position of the latest cancel of a job in flight
        self.doomed: set[str] = set()
        self.deleted: set[str] = set()  # jobs whose photo the user deleted  # jobs made in a call whose upload the server will fail (not ended by upload_ends)
        self.suspends = suspends and self.w.profile.async_extension  # 27: the harness's processJobs awaits before answering
        self.step("Given", "the upload extension is enabled", self.ss.extension_enabled, rule="ACT-01")
        self.enabled_seq = len(self.w.trace.events)  # evidence of a call owed counts from the latest enable or disable
        self.expect("LIM-05", "the jobLimit is a positive number read from the system", self.js.limit_positive)
        if self.can("set-job-limit"):  # a value no SYSTEM could have compiled in
            self.step("Given", f"the system's jobLimit is {limit}", limits_steps.system_job_limit, limit, rule="LIM-05")
            self.expect("LIM-05", f"the jobLimit the system reports is {limit}", limits_steps.limit_reads, limit)
        if work:
            self.step("Given", f"the extension works for {work} seconds in every processing call", processing_steps.harness_works,
                      work, 1)
        if self.suspends:
            self.step("Given", "the extension's processJobs suspends 3 times before it answers", processing_steps.harness_suspends, 3)
        self.limit = self.w.sut.library.job_limit()

    # ------------------------------------------------------------------------ helpers
    def _counted(self) -> int:
        return sum(1 for s in self.model.values() if s in (R, P, S, F))

    def _aliases(self, *states: JobState) -> list[str]:
        return sorted(a for a, s in self.model.items() if s in states)

    def _outcome(self, rule: str, error: str | None) -> None:
        if error is None:
            self.expect(rule, "it succeeds", self.js.it_succeeds)
        else:
            self.expect(rule, f"it fails with {error}", self.js.it_fails, error)

    def _made(self, alias: str, state: JobState) -> None:
        """A job the machine created (and drove to `state` with the arranging steps' timeout, if failed)."""
        self.model[alias] = state
        self.facts[alias] = JobFacts(self.w.token, ARRANGED_FAILURE if state is F else None)

    def _creation_error(self, count: int) -> str | None:
        if not self.enabled:
            return "a precondition failure"
        if self.access is not AuthorizationStatus.AUTHORIZED:
            return "a PhotoKit error"
        return "limitExceeded" if self._counted() + count > self.limit else None

    def _active(self) -> bool:
        return self.enabled and self.access is AuthorizationStatus.AUTHORIZED

    def _good(self) -> bool:
        """Everything allows work: enabled with full access, a network (not a cellular one the options keep it
        from), power."""
        return self._active() and not self._forbidden()

    def _forbidden(self) -> bool:
        """No processing call may come now: disabled, no network, no power (ACT-10, PRO-02), or a cellular network
        the options prevent (ACT-23)."""
        return not (self.enabled and self.online and self.powered) or (self.prevents and self.network_name == "cellular")

    def _retry_room(self) -> bool:
        """Under AMB-02's article reading a retry at the jobLimit is refused."""
        return not (self.w.assumptions.model("AMB-02") == "retry-checks-limit" and self._counted() >= self.limit)

    # ------------------------------------------------------------------------ the app's actions
    @precondition(lambda self: not self._active() or self._counted() < self.limit)
    @rule()
    def create_one(self) -> None:
        """One upload job, where there is room (or where creating must fail: disabled, no full access); blocks at
        and past the jobLimit are `create_many`'s (the rule Hypothesis draws most often must not fill the queue)."""
        self.create_special("photo")

    @rule(kind=st.sampled_from(["iCloud-only photo", "download-only"]))
    def create_special(self, kind: str) -> None:
        """One job in a block: an upload job (for a photo that may be only in iCloud: the system fetches it first,
        CRE-14), or from 26.4 a download-only job (counted under the jobLimit, AMB-08), which is never sent to
        the server (CRE-15), reads as download-only (STA-10) and waits to be acknowledged (CRE-16). Room is made
        for it first where it can be."""
        if kind != "photo" and self._active():
            self._make_room(1)
        self.counter += 1
        alias = f"j{self.counter}"
        error = self._creation_error(1)
        if kind == "download-only" and self.w.profile.has("creationRequestForDownloadJob") and self.w.assumptions["AMB-08"] == "counted":
            self.step("When", f'the app creates a download-only job for "{alias}"', self.js.create_download, alias)
        else:
            if kind == "iCloud-only photo":
                self.step("Given", f'the library holds an iCloud-only photo "{alias}"', self.ss.library_holds_icloud_photo, alias)
            kind = "photo"
            self.step("When", f'the app creates an upload job for "{alias}"', self.js.create_one, alias)
        self._outcome("CRE-07", error)
        if error is None:
            self._made(alias, R)
            self.facts[alias].download = kind == "download-only"

    @rule(count=st.integers(1, 4), at_limit=st.booleans())
    def create_many(self, count: int, at_limit: bool) -> None:
        """Several jobs in one block; `at_limit`: exactly the room the model counts, or one more (LIM-01, CRE-07)."""
        if at_limit:
            count = max(1, self.limit - self._counted() + count % 2)
        start = len(self.w.jobs) + 1
        error = self._creation_error(count)
        self.step("When", f"the app creates {count} upload jobs in one change block", self.js.create_many, count)
        self._outcome("CRE-07", error)
        if error is None:
            for i in range(start, start + count):
                self._made(f"new-{i}", R)

    def _arrange(self, state: str) -> bool:
        """Arrange a job in `state` for an action that needs one; False if it cannot be (not active, no room)."""
        before = len(self.model)
        if self._active():
            self.arrange_job(state)
        return len(self.model) > before

    def _make_room(self, needed: int, keep: tuple[str, ...] = ()) -> bool:
        """Free slots under the jobLimit for an arrangement, as an app would: acknowledge finished jobs, else (26.4+)
        cancel queued ones; False if the room cannot be made."""
        while self._counted() + needed > self.limit:
            done = [a for a in self._aliases(S, F) if a not in keep]
            queued = [a for a in self._aliases(R, P) if a not in keep] if self.w.profile.has("cancel") else []
            if done:
                self.step("When", f'the app acknowledges job "{done[0]}"', self.js.acknowledge, done[0])
                self._outcome("ACK-01", None)
                self._ended_by_app(done[0])
            elif queued:
                self.step("When", f'the app cancels job "{queued[0]}"', self.js.cancel, queued[0])
                self._outcome("CAN-01", None)
                self._ended_by_app(queued[0])
                self.cancelled_seq = len(self.w.trace.events)
            else:
                return False
        return True

    @precondition(lambda self: self._active())
    @rule(state=st.sampled_from(["registered", "pending", "succeeded", "failed", "spent", "recovered"]))
    def arrange_job(self, state: str) -> None:
        vocabulary = reference.steps("vocabulary")

        after_retry = {"spent": ("failed again", self.js.job_retry_spent, "RET-01", F),
                       "recovered": ("succeeded", self.js.job_retry_recovered, "RET-04", S)}
        # room for the job, and under AMB-02's article reading room for its retry too (the job holds a slot then)
        needed = 2 if state in after_retry and self.w.assumptions.model("AMB-02") == "retry-checks-limit" else 1
        if needed > self.limit or not self._make_room(needed):
            return  # no room: the arranging step would refuse (it is a Given, not an action under test)
        self.counter += 1
        alias = f"j{self.counter}"
        if state in after_retry:
            ended, step, rule_id, model_state = after_retry[state]
            self.step("Given", f'job "{alias}" {ended} after its one retry', step, alias, rule=rule_id)
            self._made(alias, model_state)
            self.retried.add(alias)
        else:
            self.step("Given", f'job "{alias}" is {state}', self.js.job_in_state, alias, vocabulary.STATES[state], rule="STA-01")
            self._made(alias, vocabulary.STATES[state])

    @precondition(lambda self: self._active())
    @rule(free=st.integers(0, 2), state=st.sampled_from(["registered", "pending", "succeeded", "failed"]))
    def fill_slots(self, free: int, state: str) -> None:
        limits_steps = reference.steps("limits_steps")
        vocabulary = reference.steps("vocabulary")

        live = sum(1 for a in self.model.values() if a is not None)
        if live > self.limit - free:
            return  # the step would refuse to arrange this (it is a Given, not an action under test)
        first = sum(1 for a in self.w.jobs if a.startswith("slot-")) + 1
        count = self.limit - free - live
        if free == 0:
            self.step("Given", f"every slot under the jobLimit is held by {state} jobs", limits_steps.limit_full, vocabulary.STATES[state],
                      rule="LIM-01")
        else:
            self.step("Given", f"all but {free} slot{'s' if free > 1 else ''} under the jobLimit are held by {state} jobs",
                      limits_steps.limit_all_but, free, vocabulary.STATES[state], rule="LIM-01")
        for i in range(first, first + count):
            self._made(f"slot-{i}", vocabulary.STATES[state])

    @precondition(lambda self: self.freed and self._active() and "probe-0" not in self.w.jobs)
    @rule()
    def probe_capacity(self) -> None:
        """Fill the room left under the jobLimit, checking it is exactly what the model counts (LIM-01): one
        action that weighs the jobs retried, acknowledged and cancelled so far against the limit. Once per
        run (the step names its jobs probe-0, probe-1, ...), and only after such a job, as it fills the queue."""
        room = self.limit - self._counted()
        self.step("Then", f"exactly {room} more upload jobs fit under the jobLimit", self.js.capacity, room, rule="LIM-01")
        for i in range(room):
            self._made(f"probe-{i}", R)

    @precondition(lambda self: any(s is not None for s in self.model.values()) or self._active())
    @rule(data=st.data(), which=st.sampled_from(["finished", "any", "recovered"]))
    def acknowledge(self, data: st.DataObject, which: str) -> None:
        """Acknowledge a finished job, any job, or one that succeeded after its retry (arranged if none has): only
        finished ones can be (ACK-01), and each frees its slot (RET-04)."""
        recovered = [a for a in self._aliases(S) if a in self.retried]
        if which == "recovered" and not recovered and self._arrange("recovered"):
            recovered = [a for a in self._aliases(S) if a in self.retried]
        pool = recovered if which == "recovered" else self._aliases(S, F) if which == "finished" else []
        pool = pool or self._aliases(R, P, S, F)
        if not pool:
            return
        alias = data.draw(st.sampled_from(pool), label="job")
        before = self.model[alias]
        self.step("When", f'the app acknowledges job "{alias}"', self.js.acknowledge, alias)
        if before in (S, F):
            self._outcome("ACK-01", None)
            self._ended_by_app(alias)
        else:
            self._outcome("ACK-01", "a PhotoKit error")

    def _ended_by_app(self, alias: str) -> None:
        """The job was acknowledged or cancelled: gone, its slot free."""
        self.model[alias] = None
        self.gone.add(alias)
        self.freed = True

    def _retried(self, alias: str, fresh: bool) -> None:
        self.model[alias] = R
        self.retried.add(alias)
        self.freed = True
        self.facts[alias] = JobFacts(self.w.token if fresh else self.facts[alias].token)

    @precondition(lambda self: any(s is not None for s in self.model.values()) or self._active())
    @rule(data=st.data(), fresh=st.booleans(), which=st.sampled_from(["failed", "any", "spent"]))
    def retry(self, data: st.DataObject, fresh: bool, which: str) -> None:
        """Retry a failed job, any job, or one that already failed after its retry (arranged if none has), keeping
        its destination or with a new one carrying refreshed credentials (RET-02)."""
        spent = [a for a in self._aliases(F) if a in self.retried]
        if which == "spent" and not spent and self._arrange("spent"):
            spent = [a for a in self._aliases(F) if a in self.retried]
        fresh_failures = [a for a in self._aliases(F) if a not in self.retried]
        if which == "failed" and not fresh_failures and self._arrange("failed"):
            fresh_failures = [a for a in self._aliases(F) if a not in self.retried]
        pool = spent if which == "spent" else fresh_failures if which == "failed" else self._aliases(R, P, S, F)
        pool = pool or self._aliases(R, P, S, F)
        if not pool:
            return
        alias = data.draw(st.sampled_from(pool), label="job")
        before = self.model[alias]
        if fresh:
            self.step("When", f'the app retries job "{alias}" with a new destination', self.js.retry_new, alias)
        else:
            self.step("When", f'the app retries job "{alias}" keeping its destination', self.js.retry_keep, alias)
        if before is F and alias not in self.retried:
            at_limit = not self._retry_room()
            self._outcome("RET-03" if at_limit else "RET-01", "limitExceeded" if at_limit else None)
            if not at_limit:
                self._retried(alias, fresh)
        else:
            self._outcome("RET-01", "a PhotoKit error")

    @precondition(lambda self: self.w.profile.has("cancel") and any(s is not None for s in self.model.values()))
    @rule(data=st.data(), which=st.sampled_from(["queued", "finished", "any"]))
    def cancel(self, data: st.DataObject, which: str) -> None:
        """Cancel a queued job, a finished one or any job: only registered and pending ones can be (CAN-01)."""
        pool = self._aliases(R, P) if which == "queued" else self._aliases(S, F) if which == "finished" else []
        alias = data.draw(st.sampled_from(pool or self._aliases(R, P, S, F)), label="job")
        before = self.model[alias]
        self.step("When", f'the app cancels job "{alias}"', self.js.cancel, alias)
        if before in (R, P):
            self._outcome("CAN-01", None)
            self._ended_by_app(alias)  # CAN-02: acknowledged at once
            self.cancelled_seq = len(self.w.trace.events)
        else:
            self._outcome("CAN-01", "a PhotoKit error")

    @precondition(lambda self: self._active() and self.w.profile.has("cancel") and self.w.profile.has("creationRequestForJob"))
    @rule(data=st.data())
    def mixed_block(self, data: st.DataObject) -> None:
        """One block (26.4+) acknowledging a finished job, retrying a failed one, cancelling a queued one and
        creating one job more than the room left even once the acknowledged and cancelled jobs' slots are free:
        it fails with limitExceeded and applies none of its changes (CRE-07; AMB-07 all-or-nothing). Jobs it
        needs and the model lacks are arranged first. The accepted form is not explored: the step does not name
        the jobs it creates, so the model could not follow them."""
        vocabulary = reference.steps("vocabulary")

        roles: dict[str, list[str]] = {"failed": [a for a in self._aliases(F) if a not in self.retried]}
        picked: dict[str, str] = {}
        for role, states in (("failed", ()), ("succeeded", (S, F)), ("registered", (R, P))):
            pool = roles.get(role) or [a for a in self._aliases(*states) if a not in picked.values()]
            if pool:
                picked[role] = data.draw(st.sampled_from(pool), label=f"{role} job")
            elif self._counted() < self.limit:  # arrange one, as the feature's scenario does
                self.counter += 1
                picked[role] = alias = f"j{self.counter}"
                self.step("Given", f'job "{alias}" is {role}', self.js.job_in_state, alias, vocabulary.STATES[role], rule="STA-01")
                self._made(alias, vocabulary.STATES[role])
            else:
                return
        finished, broken, waiting = picked["succeeded"], picked["failed"], picked["registered"]
        count = self.limit - self._counted() + 3
        before = {a: self.model[a] for a in (finished, broken, waiting)}
        self.step("When", f'the app acknowledges job "{finished}", retries job "{broken}", cancels job "{waiting}" and creates '
                  f"{count} upload jobs in one change block", self.js.mixed_block, finished, broken, waiting, count)
        self._outcome("CRE-07", "limitExceeded")
        observed = self._observed()
        for alias, state in before.items():  # all or nothing: the three jobs are as they were
            got = observed[alias].state if alias in observed else None
            if got is not state:
                self.expect("CRE-07", f'job "{alias}" is {state.name.lower()}', self.js.job_is, alias, state)  # type: ignore[union-attr]
                raise self.violation("CRE-07", f"the refused block changed job {alias}: {state} -> {got}")

    @rule(nested=st.booleans())
    def misuse(self, nested: bool) -> None:
        """A nested change block (ERR-05) or a creation outside one (CRE-01) raises."""
        if nested:
            self.step("When", "the app opens a change block inside another", self.js.nested_block)
            self._outcome("ERR-05", "an exception for a nested change block")
        else:
            self.step("When", "the app creates an upload job outside a change block", self.js.create_outside)
            self._outcome("CRE-01", "an exception for a change request outside a change block")

    # ------------------------------------------------------------------------ the harness extension
    @precondition(lambda self: not self.developer_mode)
    @rule(result=st.sampled_from([".completed", ".processing", ".failure"]))
    def harness_answers(self, result: str) -> None:
        """What the harness extension answers from now on (not in Developer Mode, which drops the pauses after
        .processing and .failure: the system would call every second)."""
        vocabulary = reference.steps("vocabulary")

        self.step("Given", f"the extension answers every processing call with {result}", self.ps.harness_answers, vocabulary.RESULTS[result])
        self.answer = vocabulary.RESULTS[result]

    ENDS = st.sampled_from(["returns", "notice after", "notice at change", "kill at change", "kill after its work"])

    @precondition(lambda self: self._active())
    @rule(end=ENDS, pending=st.booleans())
    def processing_call(self, end: str, pending: bool) -> None:
        """A processing call in which the harness extension does nothing; it returns, or a notice follows it. With
        `pending` a job is arranged to be uploading at the time, which a notice must not fail (TER-04)."""
        if pending and self._make_room(1):
            self.counter += 1
            alias = f"j{self.counter}"
            self.step("Given", f'job "{alias}" is pending', self.js.job_in_state, alias, P, rule="STA-01")
            self._made(alias, P)
        self._call("nothing", None, end)

    @precondition(lambda self: self._active())
    @rule(end=ENDS, doomed=st.booleans(), processing=st.booleans(), wait=st.booleans())
    def call_creates(self, end: str, doomed: bool, processing: bool, wait: bool) -> None:
        """The harness extension creates a job inside the call (its upload, maybe scripted to fail, comes after);
        answering that call .processing, it is owed another once the job is done, failed or not (PRO-05). With
        `wait` the system is given time right after the call (`_patience`)."""
        vocabulary = reference.steps("vocabulary")

        if not self._make_room(1):
            return
        if processing and self.answer is not ProcessingResult.PROCESSING and not self.developer_mode:
            self.harness_answers(".processing")
        self.counter += 1
        alias = f"j{self.counter}"
        if doomed:
            self.step("Given", f'the upload of "{alias}" will fail with a timeout', self.aps.upload_will_fail, alias, vocabulary.OUTCOMES["a timeout"])
        self.step("Given", f'in its next processing call the extension creates an upload job for "{alias}"', self.ps.creates_inside_call, alias)
        if self._call("create", alias, end) and doomed:
            self.doomed.add(alias)
            self.facts[alias].error = FAILURE_CODES["a timeout"]
        if wait:
            self._patience()

    @precondition(lambda self: self._active())
    @rule(data=st.data(), end=ENDS, wait=st.booleans())
    def call_retries(self, data: st.DataObject, end: str, wait: bool) -> None:
        """The harness extension retries a failed job (keeping its destination; one is arranged if none has failed)
        inside the call; with `wait` the system is given time right after it (`_patience`)."""
        if not any(a not in self.retried for a in self._aliases(F)):
            self._arrange("failed")
        failed = [a for a in self._aliases(F) if a not in self.retried]
        if not failed or not self._retry_room():
            return
        alias = data.draw(st.sampled_from(failed), label="job")
        self.step("Given", f'in its next processing call the extension retries job "{alias}" keeping its destination',
                  self.ps.retries_inside_call, alias)
        self._call("retry", alias, end)
        if wait:
            self._patience()

    @precondition(lambda self: self._active() and any(s in (S, F) for s in self.model.values()))
    @rule(data=st.data(), end=ENDS)
    def call_acknowledges(self, data: st.DataObject, end: str) -> None:
        """The harness extension acknowledges a finished job inside the call."""
        alias = data.draw(st.sampled_from(self._aliases(S, F)), label="job")
        self.step("Given", f'in its next processing call the extension acknowledges job "{alias}"', self.ps.acknowledges_inside_call, alias)
        self._call("acknowledge", alias, end)

    def _call(self, work: str, alias: str | None, end: str) -> bool:
        """Make a processing call (the harness's work for it already queued): it returns, a termination notice
        follows it, or a notice or a kill comes the moment the harness's change commits (a kill leaves the change
        applied). Its notices come through the profile's method (TER-01/TER-02), no upload in flight fails on a
        notice (TER-04, checked with the states), and a job made or retried in it is uploaded eventually (checked
        when time passes). True when the harness's change took effect."""
        termination_steps = reference.steps("termination_steps")

        if (alias is None and end in ("notice at change", "kill at change")) or (work == "create" and end == "kill at change"):
            end = "kill after its work" if self.work else "notice after"  # a job created in a killed block would have no name
        if end == "kill after its work" and not self.work:
            end = "returns"
        verb = IN_CALL.get(work)
        if end == "notice after":
            self.step("Given", "the system will send a termination notice right after the next processing call", self.aps.notice_after_call)
        elif end == "notice at change":
            self.step("Given", f"the system will send a termination notice right after the app commits a change that {verb} a job",
                      termination_steps.notice_at_change, verb)
        elif end == "kill at change":
            self.step("Given", f"the system will kill the extension without notice right after the app commits a change that {verb} a job",
                      termination_steps.kill_at_change, verb)
        elif end == "kill after its work":  # the harness's calls for its change (a block is 2 or 3), then the kill at the next
            count = {"nothing": 1, "create": 3}.get(work, 4)
            self.step("Given", f"the system will kill the extension without notice after {count} calls into the system in the next "
                      "processing call", self.aps.kill, count)
        if end in ("kill at change", "kill after its work") or (end == "notice at change" and self.work):  # the notice's grace is shorter than the work
            self.per_call_fates = False  # a call killed on purpose: LIM-06's comparison no longer applies
        self.step("When", "the system makes a processing call", self.aps.processing_call)
        call = self.calls()[-1]
        self.uncertain = max(self.uncertain, CALL)
        if self.w.harness_failure is not None:  # the SYSTEM refused a change the model says it must take
            failure, self.w.harness_failure = self.w.harness_failure, None
            rule_id = {"create": "CRE-07", "retry": "RET-01", "acknowledge": "ACK-01"}[work]
            raise self.violation(rule_id, f"the harness's {work} of job {alias} inside the processing call was refused: {failure!r}")
        events = self.w.trace.events[call.start_seq:call.end_seq or len(self.w.trace.events)]
        # a kill right after the change committed leaves it applied (the step says so), though the commit did not return
        kinds = (None, "ExtensionKilled") if end == "kill at change" else (None,)
        committed = alias is not None and any(e.call == "commit_changes" and e.actor == "harness" and (e.error or {}).get("type") in kinds
                                              for e in events)
        if committed:
            assert alias is not None
            if work == "create":
                self._made(alias, R)
                self.in_call[alias] = "PRO-17"  # the system performs every job's transfer
            elif work == "retry":
                self._retried(alias, False)
                self.in_call[alias] = "RET-01"  # a retried job is uploaded again
            else:
                self._ended_by_app(alias)
        rule_id = "TER-02" if self.w.profile.async_extension else "TER-01"
        if end == "notice after" and call.finished and not call.killed and call.error is None:
            self.expect(rule_id, "the system sent the extension a termination notice after the processing call returned",
                        termination_steps.notice_after_call)
        elif end == "notice at change" and committed:
            self.expect(rule_id, "the system sent the extension a termination notice while the processing call was running",
                        termination_steps.notice_mid_call)
        if self.suspends and end in ("returns", "notice after"):
            self.expect("PRO-13", "the extension's processJobs ran to its answer", self.ps.process_jobs_finished)
        return committed

    @precondition(lambda self: self._active() and not self.ran_on)
    @rule(developer_mode=st.sampled_from([True, False]))
    def runs_on(self, developer_mode: bool) -> None:
        """Once per run: a call whose extension works without end is killed (LIM-06, PRO-14: a runtime limit of
        some value), unless (27, `developer_mode`) the user switched on Developer Mode first, which lifts the limit
        (PRO-19) and for the rest of the run must change when the extension runs, not how uploads go (PRO-21:
        the outages check that nothing is uploaded without a network). Then the harness works as before."""
        versions_steps = reference.steps("versions_steps")

        if developer_mode and self.w.profile.has("DeveloperMode"):
            if self.answer is not ProcessingResult.COMPLETED:
                self.harness_answers(".completed")
            self.step("When", "the user switches on Developer Mode", versions_steps.switch_on_developer_mode)
            self._outcome("PRO-19", None)
            self.developer_mode = True
        self.step("Given", "the extension works without end in every processing call", self.ps.harness_works_forever)
        self.step("When", "the system makes a processing call", self.aps.processing_call)
        if self.developer_mode:
            self.expect("PRO-19", "the processing call ended without being killed", self.aps.call_not_killed)
        else:
            self.expect("LIM-06", "the processing call was killed", self.aps.call_killed)
        self.step("Given", f"the extension works for {self.work} seconds in every processing call", self.ps.harness_works, self.work, 1)
        self.ran_on, self.per_call_fates = True, False
        self.uncertain = max(self.uncertain, CALL)
        if self.developer_mode and self._good():  # PRO-21: the network still decides whether uploads go
            self.outage("network", 10)

    # ------------------------------------------------------------------------ the world
    @precondition(lambda self: bool(self._scriptable()))
    @rule(data=st.data(), outcome=st.sampled_from(["success", "a timeout", "HTTP 500", "HTTP 401", "a lost connection",
                                                    *HEADER_ANSWERS]))
    def upload_ends(self, data: st.DataObject, outcome: str) -> None:
        """An upload ends; with "and a header" the server answers with a header in its own capitalisation,
        which the job must show lower-cased (STA-07)."""
        vocabulary = reference.steps("vocabulary")

        alias = data.draw(st.sampled_from(self._scriptable()), label="job")
        if outcome in HEADER_ANSWERS:
            status, value = HEADER_ANSWERS[outcome], f"req-{self.counter}"
            self.step("When", f'the upload of job "{alias}" ends with HTTP {status} and response header "X-Request-Id" set to "{value}"',
                      self.js.upload_ends_with_header, alias, status, "X-Request-Id", value)
            self._ended(alias, status >= 300, "badServerResponse" if status >= 300 else None)
            self.facts[alias].header = ("x-request-id", value)
        else:
            self.step("When", f'the upload of job "{alias}" ends with {outcome}', self.js.upload_ends, alias, vocabulary.OUTCOMES[outcome])
            self._ended(alias, outcome != "success", FAILURE_CODES.get(outcome))

    def _scriptable(self) -> list[str]:
        """Jobs in flight whose upload the machine may end: not download-only, not already scripted to fail."""
        return [a for a in self._aliases(R, P) if a not in self.doomed and not self.facts[a].download]

    def _ended(self, alias: str, failed: bool, error: str | None) -> None:
        """An upload the machine scripted has ended: the job's state, error and the credentials it went with."""
        self.model[alias] = F if failed else S
        self.in_call.pop(alias, None)
        facts = self.facts[alias]
        facts.error, facts.header = error, None
        attempts = [req for rid, req in self.w.env.upload_attempts() if rid == self.w.resource(alias).resource_id]
        if attempts and attempts[-1].header("Authorization") != f"Bearer {facts.token}":
            words = _credential_words(facts.token)
            then = self.js.sent_original if words == "original" else self.js.sent_new
            self.expect("PRO-17", f'the last upload of "{alias}" was sent with the {words} credentials', then, alias)
            raise self.violation("PRO-17", f"job {alias} was sent with {attempts[-1].header('Authorization')!r}")

    @precondition(lambda self: any(s is R for s in self.model.values()))
    @rule(data=st.data())
    def start_upload(self, data: st.DataObject) -> None:
        alias = data.draw(st.sampled_from(self._aliases(R)), label="job")
        self.step("When", f'the system starts the upload of job "{alias}"', self.js.starts_upload, alias)
        self.model[alias] = P

    @precondition(lambda self: self.w.profile.has("PHAssetResource.assetResource(forUploadJob:)")
                  and any(s in (S, F) and a not in self.deleted for a, s in self.model.items()))
    @rule(data=st.data())
    def user_deletes(self, data: st.DataObject) -> None:
        """27: the user deletes the photo of a finished job (a library change); looking the job's resource up then
        gives nil (STA-11). The job itself stays as it was."""
        states_steps = reference.steps("states_steps")

        alias = data.draw(st.sampled_from([a for a in self._aliases(S, F) if a not in self.deleted]), label="job")
        self.step("When", f'the user deletes "{alias}"', self.ss.user_deletes, alias)
        self.deleted.add(alias)
        self.changed_seq = len(self.w.trace.events)
        self.expect("STA-11", f'looking up the resource of job "{alias}" gives nil', states_steps.lookup_gives_nil, alias)

    @rule(minutes=st.sampled_from([1, 10, 0]))
    def time_passes(self, minutes: int) -> None:
        """Time passes (0: the system is given time to finish its work, `_patience`). No call comes while work is
        forbidden (ACT-10, PRO-02); while work is allowed, a call owed when the time began to pass and not made by
        its end must come within the patience horizon, and a job still registered or pending after ten minutes
        must be done by then (`_settle`)."""
        vocabulary = reference.steps("vocabulary")

        if not minutes:
            self._patience()
            return
        text = "1 minute passes" if minutes == 1 else f"{minutes} minutes pass"
        before, owed, waiting = len(self.calls()), self._owed(), self._aliases(R, P) if self._good() else []
        sent = len(self.w.env.upload_attempts())
        self.step("When", text, self.aps.time_passes, minutes, vocabulary.UNITS["minute"])
        self.uncertain = TIME
        if self._forbidden():
            self._check_no_calls(before)
            self._check_no_uploads(sent)
            return
        if owed is not None and len(self.calls()) == before:
            self._await_call(owed)
        if minutes >= 10 and waiting:
            observed = self._observed()
            if any(a in observed and observed[a].state in (R, P) for a in waiting):
                self._settle(waiting)

    def _patience(self) -> None:
        """The system is given time to finish its work (the patience horizon): a call owed must come first; with
        work allowed, every job registered or pending before is then done (`_settle`). Not in Developer Mode,
        where a SYSTEM may call again a second after each kill or .failure: ten minutes pass instead."""
        if self.developer_mode:
            self.time_passes(10)
            return
        if not self._good():
            before, sent = len(self.calls()), len(self.w.env.upload_attempts())
            self.step("When", "the system is given time to finish its work", self.aps.patience_passes)
            self.uncertain = TIME
            if self._forbidden():
                self._check_no_calls(before)
                self._check_no_uploads(sent)
            return
        owed = self._owed()
        if owed is not None:
            self._await_call(owed)
        self._settle(self._aliases(R, P))

    @precondition(lambda self: self._good())
    @rule(kind=st.sampled_from(["cellular", "network", "power", "extension", "access"]), minutes=st.sampled_from([1, 10]))
    def outage(self, kind: str, minutes: int) -> None:
        """The network or power goes away, the host app disables the extension (and the network comes back, which
        must not bring a call to a disabled extension), or from 27 the device moves to a cellular network the
        options keep work from; then all is well again: no call comes meanwhile (PRO-02, ACT-10, ACT-23), nor
        does any upload reach the server (PRO-02, ACT-23, ACT-15: a job is arranged to be waiting), and a call
        owed or fallen due meanwhile comes once work is allowed again (PRO-02). Or the user takes full access
        away for a while: meanwhile the feature reads as not enabled and has no options (ACT-12, CON-06), and
        enabling and creating are refused (CON-01, ACT-11, ACT-18, CRE-07); whether calls and uploads go on is
        the SYSTEM's choice (AMB-13)."""
        vocabulary = reference.steps("vocabulary")

        if kind == "access":
            self.access_changes("limited" if minutes == 1 else "denied", True)
            self._check_enabled_flag()
            self.create_one()
            self.time_passes(minutes)
            self.access_changes("authorized", False)
            return

        if kind == "cellular" and not self._options():
            kind = "network"
        if not any(a not in self.doomed for a in self._aliases(R)) and self._make_room(1):
            self.arrange_job("registered")
        if kind == "power":
            self.power(False)
        elif kind == "network":
            self.network("unavailable")
        elif kind == "cellular":
            if not self.prevents:
                self.host_toggles(True, True)
            self.network("cellular")
        else:
            self.host_toggles(False, False)
            if self._options():  # options without a configuration are refused (ACT-20)
                self.host_sets_options(False, False)
            self.network(self.network_name)
        before, sent = len(self.calls()), len(self.w.env.upload_attempts())
        text = "1 minute passes" if minutes == 1 else f"{minutes} minutes pass"
        self.step("When", text, self.aps.time_passes, minutes, vocabulary.UNITS["minute"])
        self.uncertain = TIME
        self._check_no_calls(before)
        self._check_no_uploads(sent)
        if kind == "power":
            self.power(True)
        elif kind in ("network", "cellular"):
            self.step("When", "the network becomes Wi-Fi", self.ss.network_is, vocabulary.NETWORKS["Wi-Fi"])
            self.online, self.network_name = True, "Wi-Fi"
            if kind == "cellular":  # and the host app clears the flag again with fresh options (ACT-21)
                self.host_sets_options(True, False)
        else:
            self.host_toggles(True, False)
        if (owed := self._owed()) is not None:
            self._await_call(owed)

    def _settle(self, waiting: list[str]) -> None:
        """Give the system the patience horizon with work allowed throughout; then each of `waiting` (registered or
        pending before) has ended as its upload was scripted: failed if the server was told to fail it, else
        succeeded, for the server takes every other upload. So the system uploads jobs made or retried inside a
        call (PRO-17, RET-01) and any other (PRO-01), also on a cellular network by default (ACT-22). Not in
        Developer Mode (see `_patience`)."""
        if self.developer_mode:
            return
        self.step("When", "the system is given time to finish its work", self.aps.patience_passes)
        self.uncertain = TIME
        observed = self._observed()
        for alias in waiting:
            job, wanted = observed.get(alias), F if alias in self.doomed else S
            if alias not in self.deleted and (job is None or job.state is not wanted):  # a deleted photo's job: any end
                rule_id = self.in_call.get(alias) or ("ACT-22" if self.network_name == "cellular" else "PRO-01")
                self.expect(rule_id, f'job "{alias}" is {wanted.name.lower()}', self.js.job_is, alias, wanted)
                raise self.violation(rule_id, f"job {alias} is {job.state if job else 'gone'} after the patience horizon")

    def _owed(self) -> str | None:
        """The rule by which, on the harness's own evidence, a processing call is owed now; None if none is.
        A call answered .processing brings another (PRO-05), as do a library change after .completed (PRO-04)
        and a kill (TER-06); with photos in the library a call follows the enable (PRO-02), and one that fell due
        while network or power forbade work comes once they allow it (PRO-02). Evidence counts from the latest
        enable or disable, and only while work is allowed. A call owed after .processing is owed also when the jobs
        in flight were cancelled since (exploration found the reference waiting for such jobs forever: fixed, and
        the mutant `cancel_never_drains` keeps it found)."""
        if not self._good():
            return None
        calls = self.calls()
        last = calls[-1] if calls else None
        if last is None or last.start_seq <= self.enabled_seq:
            return "PRO-02" if self.w.resources else None
        end = last.end_seq or last.start_seq
        if last.killed:
            rule_id = "TER-06"
        elif not last.finished or last.error is not None:
            return None
        elif last.result is ProcessingResult.PROCESSING:
            rule_id = "PRO-05"
        elif last.result is ProcessingResult.COMPLETED and self.changed_seq > end:
            rule_id = "PRO-04"
        else:
            return None
        return "PRO-02" if self.blocked_seq > end else rule_id

    def _await_call(self, rule_id: str) -> None:
        self.step("Then", "the system calls the extension within the patience horizon", self.aps.called_eventually, rule=rule_id)
        self.uncertain = TIME

    def _check_no_uploads(self, sent: int) -> None:
        """No upload reached the server since `sent` attempts, work being forbidden: no network or power (PRO-02,
        also in Developer Mode, PRO-21), disabled (ACT-15), a cellular network the options keep work from (ACT-23)."""
        attempts = self.w.env.upload_attempts()
        if len(attempts) > sent:
            rid = attempts[sent][0]
            alias = next((a for a, r in self.w.resources.items() if r.resource_id == rid), rid)
            rule_id = ("ACT-15" if not self.enabled else "PRO-21" if self.developer_mode and not (self.online and self.powered)
                       else "PRO-02" if not (self.online and self.powered) else "ACT-23")
            count = sum(1 for r, _ in attempts[:sent] if r == rid)
            self.expect(rule_id, f'the server saw {count} upload attempt{"" if count == 1 else "s"} of "{alias}"', self.aps.attempts_of, count, alias)
            raise self.violation(rule_id, f"an upload of {alias} reached the server while work was not allowed")

    def _check_no_calls(self, before: int) -> None:
        """No processing call while the extension is disabled (ACT-10) or conditions forbid work (PRO-02)."""
        if len(self.calls()) > before:
            rule_id = "ACT-10" if not self.enabled else "PRO-02" if (self.online and self.powered) is False else "ACT-23"
            self.expect(rule_id, f"the system made {before} processing call{'' if before == 1 else 's'}",
                        self.ps.made_calls, before)
            raise self.violation(rule_id, "the system called the extension while "
                                 + ("disabled" if not self.enabled else "conditions did not allow work"))

    @rule(access=st.sampled_from(["authorized", "limited", "denied"]), enable=st.booleans())
    def access_changes(self, access: str, enable: bool) -> None:
        """The user changes access; with `enable` the host app then enables (refused without full access, CON-01)."""
        vocabulary = reference.steps("vocabulary")

        self.step("When", f"the user changes photo library access to {access}", self.ss.access_changes, vocabulary.ACCESS[access])
        self.access = vocabulary.ACCESS[access]
        if enable:
            self.host_toggles(True, False)

    @rule(enable=st.booleans(), prevent=st.booleans())
    def host_toggles(self, enable: bool, prevent: bool) -> None:
        """Enabling succeeds with full access and is refused with anything less (CON-01); from 27 it may set
        options that prevent expensive network access, and enabling again replaces the options (AMB-26, ACT-24).
        Disabling is explored with full access only: what a disable without it does is an assumption (AMB-12)."""
        authorized = self.access is AuthorizationStatus.AUTHORIZED
        if enable:
            prevent = prevent and self._options()
            if prevent:
                self.step("When", "the host app enables the upload extension with expensive network access prevented",
                          self.ss.host_enables_with_options)
            else:
                self.step("When", "the host app enables the upload extension", self.ss.host_enables)
            self._outcome("ACT-01" if authorized else "CON-01", None if authorized else "a PhotoKit error")
            if authorized:
                if not self.enabled:
                    self.enabled, self.enabled_seq = True, len(self.w.trace.events)
                if self._options():
                    self.prevents, self.options_rule = prevent, "ACT-17" if prevent else "ACT-24"
            return
        if not authorized:
            return
        self.step("When", "the host app disables the upload extension", self.ss.host_disables)
        self._outcome("ACT-01", None)
        if self.enabled and self.w.assumptions.model("AMB-05") == "discard":
            self.model = {a: None for a in self.model}
        self.enabled, self.enabled_seq = False, len(self.w.trace.events)

    def _options(self) -> bool:
        return self.w.profile.has("PHPhotoLibrary.uploadJobExtensionOptions")

    @precondition(lambda self: self._options())
    @rule(fresh=st.booleans(), disabled=st.booleans())
    def host_sets_options(self, fresh: bool, disabled: bool) -> None:
        """27: the host app replaces the options; freshly created options are set after options that prevent
        expensive network access, and must clear that flag (ACT-21). Without a configuration (ACT-20) or full
        access the change is refused. With `disabled` the host app disables the extension first and enables it
        again after."""
        disabled = disabled and self._active()
        if disabled:
            self.host_toggles(False, False)
        for prevent in ((True, False) if fresh and not self.prevents else (False,) if fresh else (True,)):
            if prevent:
                self.step("When", "the host app sets options that prevent expensive network access", self.ss.host_sets_options)
            else:
                self.step("When", "the host app sets freshly created options", self.ss.host_sets_default_options)
            self._outcome("ACT-21" if self._active() else "ACT-20", None if self._active() else "a PhotoKit error")
            if self._active():
                self.prevents, self.options_rule = prevent, "ACT-21"
                self._check_enabled_flag()
        if disabled:
            self.host_toggles(True, False)

    def _api_calls(self) -> list[str]:
        """The calls `app_calls` can make now: each one whose effect the model follows."""
        out = []
        for api, name in API_NAMES.items():
            available = self.w.profile.has(name)
            usable = self.model["queued"] in (R, P) if "queued" in self.model else True
            if api == "cancel()" and (available or not usable):
                continue
            if api == "creationRequestForJob(destination:resource:)" and available:
                continue
            out.append(api)
        return out

    @precondition(lambda self: self._active())
    @rule(unavailable_first=st.sampled_from([True, False]))
    def app_calls(self, unavailable_first: bool) -> None:
        """Calls by their Apple names, the ones the profile lacks and the ones it has (in either order): inside the
        profile each succeeds, outside it fails with an API-unavailable error (VER-01..04). Calls that would make
        a job the model cannot name are made only where they are unavailable; `cancel()` acts on a job "queued"
        arranged for it."""
        versions_steps = reference.steps("versions_steps")
        from bru_conformance.profiles import AVAILABILITY

        for api in sorted(self._api_calls(), key=lambda a: self.w.profile.has(API_NAMES[a]) is unavailable_first):
            name = API_NAMES[api]
            available = self.w.profile.has(name)
            if api == "cancel()" and "queued" not in self.model:
                if not self._make_room(1):
                    continue
                self.step("Given", 'job "queued" is registered', self.js.job_in_state, "queued", R, rule="STA-01")
                self._made("queued", R)
            self.step("When", f"the app calls {api}", versions_steps.app_calls, api)
            introduced = AVAILABILITY[name][1 if self.w.profile.platform == "macos" else 0]
            rule_id = VERSION_RULES.get(introduced, "VER-01") if introduced else "VER-01"
            self._outcome(rule_id, None if available else "an API-unavailable error")
            if available and api in ("enableUploadJobExtension(with:)", "setUploadJobExtensionOptions(_:)"):
                self.prevents, self.options_rule = False, "ACT-24"  # default options replace the old ones

    # ------------------------------------------------------------------------ invariants
    def _observed(self) -> dict[str, UploadJob]:
        """Every modelled job the SYSTEM still holds, by alias, as the public fetches show it (the test-only
        snapshot for jobs no public fetch shows before 26.5)."""
        world, lib, env = self.w, self.w.sut.library, self.w.env
        fetched = {a: {j.local_identifier: j for j in lib.fetch_jobs(a)} for a in self.actions()}
        self._fetched = fetched
        jobs: dict[str, UploadJob] = {}
        for alias in self.model:
            jid = world.jobs[alias]
            job = next((s[jid] for s in fetched.values() if jid in s), None) or env.job_snapshot(jid)
            if job is not None and job.state is not JobState.CANCELLED:
                jobs[alias] = job
        return jobs

    def check(self) -> None:
        if self.world is None or not hasattr(self, "model"):
            return
        world = self.w
        self._check_enabled_flag()
        jobs = self._observed()
        fetched = self._fetched
        observed: dict[str, JobState | None] = {alias: jobs[alias].state if alias in jobs else None for alias in self.model}
        moves = SYSTEM_MOVES if self.uncertain == TIME else CALL_MOVES if self.uncertain == CALL else None
        for alias, expected in self.model.items():
            got = observed[alias]
            allowed = moves[expected] if moves is not None else {expected}
            if got not in allowed:
                rule_id = "STA-12" if expected is None else "TER-04" if expected is P and got is F and self._noticed() else "STA-01"
                if expected is None:
                    self.expect(rule_id, f'job "{alias}" no longer exists', self.js.job_gone, alias)
                else:
                    self.expect(rule_id, f'job "{alias}" is {expected.name.lower()}', self.js.job_is, alias, expected)
                raise self.violation(rule_id, f"job {alias}: expected {expected}, got {got}")
        for alias, job in jobs.items():
            if self.uncertain == TIME and job.state is F and self.model[alias] is not F and alias not in self.doomed:
                self.facts[alias].error = UNKNOWN  # the SYSTEM failed it on its own: any code will do
            self._check_fields(alias, job)
        for alias in sorted(self.gone):
            self._check_gone(alias)
        self.gone.clear()
        self.model = observed
        for alias in [a for a, s in observed.items() if s not in (R, P)]:
            self.in_call.pop(alias, None)
            self.doomed.discard(alias)
        self.uncertain = EXACT
        wanted = {Action.ACKNOWLEDGE: ("STA-04", {S, F}), Action.RETRY: ("STA-05", {F}), Action.PROCESS: ("STA-06", {R, P})}
        for action, ids in fetched.items():
            rule_id, states = wanted[action]
            expect = [a for a, s in self.model.items() if s in states and not (action is Action.RETRY and a in self.retried)]
            got = sorted(world.alias_of(j) for j in ids)
            if got != sorted(expect):
                name = action.name.lower()
                self.expect(rule_id, f"fetching jobs to {name} returns {_names(expect)}", self.js.fetch_returns, action, expect)
                raise self.violation(rule_id, f"fetch {name}: expected {sorted(expect)}, got {got}")
        if len(set().union(*fetched.values())) > self.limit:
            raise self.violation("LIM-01", f"{len(set().union(*fetched.values()))} jobs fetched, jobLimit {self.limit}")
        self._check_calls()

    def _noticed(self) -> bool:
        calls = self.calls()
        return bool(calls and calls[-1].notices)

    def _check_calls(self) -> None:
        """The processing calls the harness saw since the last check: each through the profile's entry point and
        each notice through its termination method (TER-01/TER-02, VER-01/VER-04); and, while no kill was scripted
        and the work per call is unchanged, calls of one extension process meet the same fate: none is killed
        if the process's first call was not (LIM-06: a runtime limit per call, not per process)."""
        calls = self.calls()
        if len(calls) == self.seen_calls and not (calls and calls[-1].notices):
            return
        self.seen_calls = len(calls)
        process, notice = ("processJobs", "willTerminate") if self.w.profile.async_extension else ("process", "notifyTermination")
        wrong = [c.method for c in calls if c.method != process] + [n.method for c in calls for n in c.notices if n.method != notice]
        if wrong:
            termination_steps = reference.steps("termination_steps")

            rule_id = "TER-02" if self.w.profile.async_extension else "TER-01"
            self.expect(rule_id, "the system used its profile's protocol for every processing call and notice",
                        termination_steps.used_profile_protocol)
            raise self.violation(rule_id, f"the system used {wrong[0]}() on {self.w.profile.name}")
        if not self.per_call_fates:
            return
        first: dict[int, bool] = {}
        for call in calls:
            if call.process not in first:
                first[call.process] = call.killed
            elif call.killed and not first[call.process]:
                self.expect("LIM-06", "within each extension process a call was killed only if the process's first call was killed too",
                            self.ps.limit_per_call)
                raise self.violation("LIM-06", f"a later call of extension process {call.process} was killed, its first was not")

    def _check_gone(self, alias: str) -> None:
        """The change request of a job that no longer exists is nil (the failable init, STA-13)."""
        from bru_conformance.contracts import perform_changes

        lib, holder = self.w.sut.library, []
        perform_changes(lib, lambda: holder.append(lib.change_request_for(self.w.jobs[alias])))
        if holder[0] is not None:
            self.expect("STA-13", f'job "{alias}" no longer exists', self.js.job_gone, alias)
            raise self.violation("STA-13", f"a change request was returned for the gone job {alias}")

    def _check_enabled_flag(self) -> None:
        """ACT-12: uploadJobExtensionEnabled reads true exactly while enabled with full access."""
        expected = self.enabled and self.access is AuthorizationStatus.AUTHORIZED
        lib = self.w.sut.library
        if lib.upload_job_extension_enabled() is not expected:
            text = "the upload extension is enabled" if expected else "the upload extension is not enabled"
            self.expect("ACT-12", text, self.ss.is_enabled if expected else self.ss.is_not_enabled)
            raise self.violation("ACT-12", f"uploadJobExtensionEnabled is {not expected}, expected {expected}")
        if expected and self._options():
            options = lib.upload_job_extension_options()
            if options is None or options.prevents_expensive_network_access is not self.prevents:
                if self.prevents:
                    self.expect(self.options_rule, "the extension options prevent expensive network access", self.ss.options_prevent)
                else:
                    self.expect(self.options_rule, "the extension options hold default values", self.ss.options_default)
                raise self.violation(self.options_rule, f"uploadJobExtensionOptions is {options}, expected prevents={self.prevents}")
        if not expected and self._options() and (options := lib.upload_job_extension_options()) is not None:
            rule_id = "CON-06" if self.access is not AuthorizationStatus.AUTHORIZED else "ACT-19"
            self.expect(rule_id, "the extension options are nil", self.ss.options_nil)
            raise self.violation(rule_id, f"uploadJobExtensionOptions is {options} while the feature is not active")

    def _check_download(self, alias: str, job: UploadJob) -> None:
        """A download-only job reads as such (STA-10) and nothing of its photo reaches the server (CRE-15)."""
        from bru_conformance.protocol import JobType

        if self.w.profile.has("PHAssetResourceUploadJob.type") and job.type is not JobType.DOWNLOAD_ONLY:
            self.expect("STA-10", f'job "{alias}" is a download-only job', self.js.job_download_only, alias)
            raise self.violation("STA-10", f"the download-only job {alias} reads as {job.type}")
        rid = self.w.resource(alias).resource_id
        if any(r == rid for r, _ in self.w.env.upload_attempts()):
            self.expect("CRE-15", f'the server saw 0 upload attempts of "{alias}"', self.aps.attempts_of, 0, alias)
            raise self.violation("CRE-15", f"the download-only job {alias} was sent to the server")

    def _check_fields(self, alias: str, job: UploadJob) -> None:
        """The job's destination keeps the credentials it was given (RET-02 after a retry); from 26.4 its
        error is set exactly when failed, as the NSURLErrorDomain code of what happened (STA-08, ERR-03),
        and its response headers are nil until it has ended, then lower-cased (STA-07)."""
        states_steps = reference.steps("states_steps")

        facts = self.facts[alias]
        if facts.download:
            self._check_download(alias, job)
        elif job.destination.header("Authorization") != f"Bearer {facts.token}":
            rule_id = "RET-02" if alias in self.retried else "PRO-17"
            self.expect(rule_id, f'the destination of job "{alias}" carries the {_credential_words(facts.token)} credentials',
                        states_steps.destination_credentials, alias, facts.token)
            raise self.violation(rule_id, f"job {alias}'s destination carries {job.destination.header('Authorization')!r}")
        if not self.w.profile.has("PHAssetResourceUploadJob.error"):
            return
        vocabulary = reference.steps("vocabulary")

        error, failed = job.error, job.state is F
        got = None if error is None else next((n for n, c in vocabulary.URL_ERRORS.items() if c is error.code), None)
        foreign = error is not None and error.domain != "NSURLErrorDomain"
        if failed and (error is None or foreign or facts.error not in (UNKNOWN, got)):
            code = (got or "timedOut") if facts.error in (None, UNKNOWN) else facts.error
            rule_id = "ERR-03" if foreign else "STA-08"
            self.expect(rule_id, f'job "{alias}" has the error {code}', self.js.job_error, alias, vocabulary.URL_ERRORS[code])
            raise self.violation(rule_id, f"job {alias} has the error {error}, expected {code} in NSURLErrorDomain")
        if not failed and error is not None:
            self.expect("STA-08", f'job "{alias}" has no error', self.js.job_no_error, alias)
            raise self.violation("STA-08", f"the {job.state.name.lower()} job {alias} has the error {error}")
        headers = job.response_header_fields
        if job.state in (R, P) and headers is not None:
            self.expect("STA-07", f'job "{alias}" has no response headers', self.js.job_no_headers, alias)
            raise self.violation("STA-07", f"the {job.state.name.lower()} job {alias} has response headers {headers}")
        if facts.header is not None and job.state in (S, F) and (headers or {}).get(facts.header[0]) != facts.header[1]:
            name, value = facts.header
            self.expect("STA-07", f'job "{alias}" has response header "{name}" set to "{value}"', self.js.job_header, alias, name, value)
            raise self.violation("STA-07", f"job {alias}'s response headers are {headers}")


# ==================================================================================== APP
APP_FAILURES = ["a timeout", "a lost connection", "HTTP 500", "HTTP 503", "HTTP 401", "HTTP 400"]


class AppMachine(_ConditionEvents, _Machine):
    """The APP under test on the reference SYSTEM (or the adapter's) in a changing world."""

    role = "app"
    step_rule = "PRO-03"

    @initialize(which=st.integers(0, len(PROFILES) - 1), photos=st.integers(1, 4), limit=st.integers(3, 17))
    def start(self, which: int, photos: int, limit: int) -> None:
        limits_steps = reference.steps("limits_steps")

        self._build(self.pick_profile(which))
        self.js, self.ss, self.aps = _system_steps()
        self.ls = limits_steps
        self.photos: list[str] = []  # every resource the library was given, by alias (a Live Photo's video is "pN/pairedVideo")
        self.assets = 0
        self.deleted: set[str] = set()
        self.may_fail: set[str] = set()
        self.limits: list[int] = []  # the jobLimits set on the SYSTEM, in order
        self.scanned = 0  # trace events already scanned by the app-side checks
        self.sent = 0  # upload attempts already checked for their credentials and metadata
        self.seen_calls = 0
        self._retry_scan: dict[str, Any] = {"staged": False, "refused": False, "block": [], "asked": {}}
        self.pending_end: str | None = None  # the termination the machine scheduled last and the system has not delivered
        self.refusal: int | None = None  # trace position of the first unexpected refusal of the app's change block
        self.refusal_checked = False
        for _ in range(photos):
            self._new_photo("Given", "the library holds a photo")
        if self.can("set-job-limit"):  # a value no app could have compiled in (LIM-05)
            self._set_limit("Given", "is", limit)
        self.step("Given", "the user turned on backup in the app", self.aps.turned_on, rule="CON-02")

    def _set_limit(self, keyword: str, verb: str, limit: int) -> None:
        self.step(keyword, f"the system's jobLimit {verb} {limit}", self.ls.system_job_limit, limit, rule="LIM-05")
        self.limits.append(limit)

    def _name(self) -> str:
        self.assets += 1
        return f"p{self.assets}"

    def _new_photo(self, keyword: str, wording: str) -> None:
        name = self._name()
        self.photos.append(name)
        self.step(keyword, f'{wording} "{name}"', self.ss.library_holds_photo, name)

    @precondition(lambda self: len(self.photos) < 10)
    @rule()
    def take_video(self) -> None:
        """Videos are backed up like photos (CRE-04); the end-of-run checks treat them alike."""
        name = self._name()
        self.photos.append(name)
        self.step("Given", f'the library holds a video "{name}"', self.ss.library_holds_video, name)

    @precondition(lambda self: len(self.photos) < 10)
    @rule()
    def take_live_photo(self) -> None:
        """A Live Photo: one asset, two resources, each needing its own job (CRE-04); both must reach the server."""
        name = self._name()
        self.photos += [name, f"{name}/pairedVideo"]
        self.step("Given", f'the library holds a Live Photo "{name}"', self.ss.library_holds_live_photo, name)

    @precondition(lambda self: "photo-1" not in self.photos)
    @rule(count=st.integers(4, 9))
    def many_photos(self, count: int) -> None:
        """Once per run, several photos arrive at once (an import): more than a small jobLimit lets the app create
        in one call."""
        names = [f"photo-{i}" for i in range(1, count + 1)]
        self.photos += names
        self.step("Given", f"the library holds {count} photos", self.ss.library_holds, count)

    def _alive(self) -> list[str]:
        return [p for p in self.photos if p not in self.deleted]

    def _headers(self) -> bool:
        return self.w.profile.has("PHAssetResourceUploadJob.responseHeaderFields")

    # ------------------------------------------------------------------------ library
    @precondition(lambda self: len(self.photos) < 10)
    @rule()
    def take_photo(self) -> None:
        self._new_photo("When", "the user takes a photo")

    @precondition(lambda self: bool(self._alive()))
    @rule(data=st.data())
    def delete_photo(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted({p.split("/")[0] for p in self._alive()})), label="photo")
        self.step("When", f'the user deletes "{name}"', self.ss.user_deletes, name)
        self.deleted.update(p for p in self.photos if p.split("/")[0] == name)

    @rule()
    def prune_history(self) -> None:
        self.step("When", "the library's change history is pruned", self.ss.history_pruned)

    # ------------------------------------------------------------------------ the SYSTEM's limit and refusals
    @precondition(lambda self: bool(self.limits))
    @rule(limit=st.integers(3, 17), lower=st.booleans())
    def limit_changes(self, limit: int, lower: bool) -> None:
        """The SYSTEM's jobLimit changes between calls, with `lower` to one below the current (LIM-05: the app
        reads it at run time; one that kept an earlier value asks for more than fits)."""
        if lower and self.limits[-1] > 3:
            limit = 3 + limit % (self.limits[-1] - 3)
        self._set_limit("When", "becomes", limit)

    @precondition(lambda self: self.can("refuse-next-change-block"))
    @rule()
    def refused_block(self) -> None:
        """The SYSTEM refuses the app's next change block with an error no app plans for: the call still ends
        with one result (PRO-03)."""
        processing_steps = reference.steps("processing_steps")

        self.step("Given", "the system will refuse the app's next change block with internalError", processing_steps.refuse_next_block,
                  "internalError")
        self.step("When", "the system makes a processing call", self.aps.processing_call)

    # ------------------------------------------------------------------------ the server
    @precondition(lambda self: bool(self._alive()))
    @rule(data=st.data(), outcome=st.sampled_from(APP_FAILURES + ["an early answer"]), count=st.integers(1, 3))
    def upload_fails(self, data: st.DataObject, outcome: str, count: int) -> None:
        vocabulary = reference.steps("vocabulary")

        if outcome == "an early answer" and not self._headers():
            outcome = "a timeout"  # before 26.4 an app cannot tell an early answer from a stored upload
        name = data.draw(st.sampled_from(self._alive()), label="photo")
        if count == 1:
            self.step("Given", f'the upload of "{name}" will fail with {outcome}', self.aps.upload_will_fail, name, vocabulary.OUTCOMES[outcome])
        else:
            self.step("Given", f'the next {count} uploads of "{name}" will end with {outcome}', self.aps.uploads_will_end,
                      count, name, vocabulary.OUTCOMES[outcome])
        self.may_fail.add(name)

    @precondition(lambda self: bool(self._alive()) and self._headers())
    @rule(data=st.data())
    def stored_then_failed(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(self._alive()), label="photo")
        self.step("Given", f'the server will answer the upload of "{name}" with HTTP 500 after storing it',
                  self.aps.server_commits_then_fails, name, 500)

    @rule()
    def refresh_credentials(self) -> None:
        self.step("When", "the app's credentials are refreshed", self.aps.credentials_refreshed)

    # ------------------------------------------------------------------------ consent and conditions
    @rule(access=st.sampled_from(["authorized", "limited", "denied"]))
    def access_changes(self, access: str) -> None:
        vocabulary = reference.steps("vocabulary")

        self.step("When", f"the user changes photo library access to {access}", self.ss.access_changes, vocabulary.ACCESS[access])

    # ------------------------------------------------------------------------ termination and time
    @rule(mode=st.sampled_from(["notice", "after", "kill"]), calls=st.integers(1, 12))
    def terminate(self, mode: str, calls: int) -> None:
        self.pending_end = "kill" if mode == "kill" else "notice"
        if mode == "notice":
            self.step("Given", f"the system will send a termination notice after {calls} calls into the system in the next processing call",
                      self.aps.notice_mid_call, calls)
        elif mode == "after":
            self.step("Given", "the system will send a termination notice right after the next processing call", self.aps.notice_after_call)
        else:
            self.step("Given", f"the system will kill the extension without notice after {calls} calls into the system in the next processing call",
                      self.aps.kill, calls)

    @rule(what=st.sampled_from(["kill creates", "kill acknowledges", "notice acknowledges", "kill retries", "notice creates",
                                "notice retries"]))
    def terminate_at_change(self, what: str) -> None:
        """A kill or notice the moment a change block of the app is committed (it stays applied)."""
        termination_steps = reference.steps("termination_steps")

        end, verb = what.split()
        kill = end == "kill"
        self.pending_end = end
        if verb == "creates" and kill and not self.w.profile.has("Action.process"):
            verb = "acknowledges"  # before 26.5 in-flight jobs cannot be fetched: the known limit in the README
        if kill:
            self.step("Given", f"the system will kill the extension without notice right after the app commits a change that {verb} a job",
                      termination_steps.kill_at_change, verb)
        else:
            self.step("Given", f"the system will send a termination notice right after the app commits a change that {verb} a job",
                      termination_steps.notice_at_change, verb)

    @rule(minutes=st.sampled_from([1, 5, 30]))
    def time_passes(self, minutes: int) -> None:
        vocabulary = reference.steps("vocabulary")

        text = "1 minute passes" if minutes == 1 else f"{minutes} minutes pass"
        self.step("When", text, self.aps.time_passes, minutes, vocabulary.UNITS["minute"])

    @rule()
    def processing_call(self) -> None:
        self.step("When", "the system makes a processing call", self.aps.processing_call)

    # ------------------------------------------------------------------------ invariants
    def check(self) -> None:
        if self.world is None or not hasattr(self, "photos"):
            return
        world = self.w
        received = world.env.server_received()
        ledger = world.app.uploaded_resources()
        for name in self.photos:
            rid = world.resources[name].resource_id
            if rid in ledger and received.get(rid, 0) == 0:
                self.expect("ACK-05", f'the app did not record "{name}" as uploaded', self.aps.not_recorded, name)
            if received.get(rid, 0) > 1:
                self.expect("TER-07", f'the server received "{name}" 1 time', self.js.server_received, name, 1)
        calls = self.calls()
        fresh, self.seen_calls = calls[self.seen_calls:], len(calls)
        if fresh and fresh[-1].finished and not fresh[-1].killed and fresh[-1].result is None:
            self.expect("PRO-03", "the app answered the processing call with exactly one result", self.aps.answered_one_result)
        self._scan_app_calls()
        self._check_ends(fresh, calls)
        if calls and calls[-1].result is ProcessingResult.COMPLETED:
            self.expect("PRO-04", "no job is left unacknowledged", self.aps.nothing_unacknowledged)
        self._check_uploads()

    def _check_ends(self, fresh: list[observe.ObservedCall], calls: list[observe.ObservedCall]) -> None:
        """A call of the app ends in a kill only where the machine scheduled one: otherwise it ran past the runtime
        limit (PRO-15) or went on working after a termination notice (TER-03). And the call in which the system
        first refused the app's change block with an unexpected error was answered .failure (PRO-12)."""
        for call in fresh:
            if call.killed:
                if self.pending_end == "kill":
                    self.pending_end = None
                elif call is calls[-1]:
                    rule_id = "TER-03" if call.notices else "PRO-15"
                    self.expect(rule_id, "the processing call ended without being killed", self.aps.call_not_killed)
                    raise self.violation(rule_id, "a processing call of the app was killed though no kill was scheduled")
            if call.notices and self.pending_end == "notice":
                self.pending_end = None
        if self.refusal is not None and not self.refusal_checked:
            call = next((c for c in calls if c.start_seq < self.refusal <= (c.end_seq or self.refusal)), None)
            if call is None or call.finished:
                self.refusal_checked = True
            if call is not None and call.finished and not call.killed and not call.notices \
                    and call.result is not ProcessingResult.FAILURE:
                processing_steps = reference.steps("processing_steps")

                self.expect("PRO-12", "the call in which the system refused a change block of the app with an unexpected error was "
                            "answered .failure", processing_steps.refused_unexpected_answer, ProcessingResult.FAILURE)
                raise self.violation("PRO-12", f"the call whose change block was refused was answered {call.describe()}")

    def _scan_app_calls(self) -> None:
        """The app's own calls since the last check (the harness's trace): none refused as a nested change block
        (ERR-05) or as an API its profile lacks (VER-01..04); and under AMB-02's article reading, no acknowledgement
        asked for in a processing call after a retry of that call was refused at the jobLimit (RET-05: acknowledge
        first, and the retry finds room)."""
        retry_steps = reference.steps("retry_steps")
        from bru_conformance.profiles import AVAILABILITY, canonical
        from bru_conformance.protocol import PhotoKitErrorCode
        from bru_conformance.trace import APP_TO_SYSTEM, CALL_STARTS, PROCESS_METHODS

        events, self.scanned = self.w.trace.events[self.scanned:], len(self.w.trace.events)
        article = self.w.assumptions["AMB-02"] == "retry-checks-limit"
        scan = self._retry_scan
        for e in events:
            if e.call in CALL_STARTS or e.call in PROCESS_METHODS:
                scan["refused"] = False
            if e.direction != APP_TO_SYSTEM or e.actor != "app":
                continue
            kind = (e.error or {}).get("type")
            if kind == "NestedChangeBlockError":
                self.expect("ERR-05", "the app never opened a change block inside another", self.aps.app_never_nested)
                raise self.violation("ERR-05", f"the app opened a change block inside another (event {e.seq})")
            if kind == "APIUnavailableError":
                introduced = AVAILABILITY.get(canonical(str(e.error.get("api", ""))))  # type: ignore[union-attr]
                if introduced is not None:
                    if self.w.profile.platform == "macos" and introduced[1] is None:
                        rule_id, text = "VER-01", "the app called none of the iOS-only APIs"
                        self.expect(rule_id, text, self.aps.app_not_ios_only)
                    else:
                        version = ".".join(str(v) for v in introduced[0])
                        rule_id, text = VERSION_RULES.get(introduced[0], "VER-01"), f"the app called none of the APIs {version} added"
                        self.expect(rule_id, text, self.aps.app_within_version, version)
                    raise self.violation(rule_id, f"the app called {e.error.get('api')} on {self.w.profile.name}")  # type: ignore[union-attr]
            if e.call == "commit_changes" and self.refusal is None and (e.error or {}).get("code") not in (
                    None, int(PhotoKitErrorCode.LIMIT_EXCEEDED)):
                self.refusal = e.seq  # the first change block of the app refused with an unexpected error (PRO-12)
            if e.call == "retry":
                scan["block"].append(str(e.args.get("job")))
            elif e.call in ("commit_changes", "abort_changes"):
                # a retry counts once it took effect or was refused as not allowed; one refused for want of room
                # (AMB-02), by an error the scenario scripted, or cut off by a kill may be asked again
                if e.call == "commit_changes" and (e.error is None or e.error.get("code") == int(PhotoKitErrorCode.CHANGE_NOT_SUPPORTED)):
                    for job in scan["block"]:
                        scan["asked"][job] = scan["asked"].get(job, 0) + 1
                        if scan["asked"][job] > 1:
                            self.expect("RET-01", "the app retried no job twice", self.aps.no_second_retry)
                            raise self.violation("RET-01", f"the app asked to retry job {job} a second time")
                scan["block"] = []
            if not article:
                continue
            if e.call == "begin_changes" and e.error is None:
                scan["staged"] = False
            elif e.call == "retry" and e.error is None:
                scan["staged"] = True
            elif e.call == "commit_changes" and scan["staged"] and (e.error or {}).get("code") == int(PhotoKitErrorCode.LIMIT_EXCEEDED):
                scan["refused"] = True
            elif e.call == "acknowledge" and e.error is None and scan["refused"]:
                self.expect("RET-05", "the system refused none of the app's retries with limitExceeded", retry_steps.no_retry_refused)
                raise self.violation("RET-05", "after its retry was refused at the jobLimit the app acknowledged a job in the same call")

    def _check_uploads(self) -> None:
        """Every upload attempt since the last check (the server's own record) carried the app's credentials and
        the resource's file name (CRE-05: what the server needs), retries included; photos deleted since are
        left out (a retry may then know no file name)."""
        attempts = self.w.env.upload_attempts()
        fresh, self.sent = attempts[self.sent:], len(attempts)
        if not fresh:
            return
        account = self.w.account
        by_id = {r.resource_id: (alias, r.filename) for alias, r in self.w.resources.items()}
        for rid, request in fresh:
            alias, filename = by_id.get(rid, (None, None))
            if alias is None or alias in self.deleted:
                continue
            auth = request.header("Authorization") or ""
            if not (auth.startswith("Bearer ") and len(auth) > len("Bearer ")) or request.header(account.filename_header) != filename:
                self.expect("CRE-05", "every upload the server saw carried the app's credentials and the photo's file name",
                            self.aps.uploads_carry_metadata)
                raise self.violation("CRE-05", f"an upload of {alias} carried {dict(request.headers)}")

    def drain(self) -> None:
        processing_steps = reference.steps("processing_steps")
        vocabulary = reference.steps("vocabulary")

        self.step("When", "the user changes photo library access to authorized", self.ss.access_changes, vocabulary.ACCESS["authorized"])
        self.step("When", "the network becomes Wi-Fi", self.ss.network_is, vocabulary.NETWORKS["Wi-Fi"])
        self.step("When", "power conditions allow background work again", self.ss.power_ok)
        # A system in monitoring calls again only on a library change; give the app one call now that
        # the world is good (an app that answered .completed under limited access has not seen the library).
        self.step("When", "the system makes a processing call", self.aps.processing_call)
        self.step("When", "6 hours pass", self.aps.time_passes, 6, vocabulary.UNITS["hours"])
        self.check()
        failed = self.w.app.failed_resources()
        for name in self.photos:
            rid = self.w.resources[name].resource_id
            if name in self.deleted or (name in self.may_fail and rid in failed):
                continue
            self.expect("TER-07", f'the server received "{name}" 1 time', self.js.server_received, name, 1)
            self.expect("TER-07", f'the app recorded "{name}" as uploaded', self.aps.recorded, name)
        self.expect("ACK-02", "no job is left unacknowledged", self.aps.nothing_unacknowledged)
        if self.limits and self.limits[-1] < max(self.limits):
            # each call is held to the jobLimit in force when it ran; the check reads the limit now, so set the largest
            self._set_limit("When", "becomes", max(self.limits))
        self.expect("CRE-08", "no processing call created more upload jobs than the jobLimit", processing_steps.bounded_creation)
        self.expect("PRO-08", "the app answered .completed to each of the last 1 processing calls", processing_steps.answered_last,
                    ProcessingResult.COMPLETED, 1)

    def teardown(self) -> None:
        try:
            if self.world is not None and not self.failed and hasattr(self, "photos"):
                self.drain()
        finally:
            super().teardown()


# ==================================================================================== running
@dataclass
class Outcome:
    machine: str
    examples: int
    steps: int
    seconds: float
    counterexample: Counterexample | None = None
    path: Path | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0


MACHINES: dict[str, type[_Machine]] = {"system": SystemMachine, "app": AppMachine}


def _find_violation(exc: BaseException | None) -> Violation | None:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, Violation):
            return e
        stack += [e.__cause__, e.__context__, *getattr(e, "exceptions", ())]
    return None


@contextmanager
def _without_local_constants() -> Iterator[None]:
    """Keep Hypothesis from mixing literals of locally installed source into the generated values.

    Hypothesis 6.131+ draws, now and then, a constant found in any "local" (not site-packages) module
    loaded so far. The same seed then made different sequences depending on which of this project's
    modules happened to be imported (an editable checkout or a wheel, the CLI or the tests), so a
    measured "found within N examples at seed S" did not hold elsewhere. Private API, hence guarded.
    """
    try:
        from hypothesis.internal.conjecture import providers

        original, empty, cache = providers._get_local_constants, providers.Constants(), providers.CONSTANTS_CACHE
    except (ImportError, AttributeError):  # another Hypothesis: nothing to turn off
        yield
        return
    providers._get_local_constants = lambda: empty
    cache.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


def explore(role: str, config: Config, *, budget: int = 50, seed: int = 0, steps_per_example: int = 25,
            report_dir: Path | None = None, shrink: bool = True) -> Outcome:
    """Run one machine for `budget` examples; on failure shrink (unless `shrink` is off: the first failing
    sequence as found, which is all a "does it find it" check needs), and write the counterexample."""
    from hypothesis import Phase
    from hypothesis import seed as hypothesis_seed
    from hypothesis.stateful import run_state_machine_as_test

    base = MACHINES[role]
    machine = type(f"{base.__name__}Run", (base,), {"config": config})
    phases = tuple(Phase) if shrink else (Phase.explicit, Phase.generate)
    chosen = settings(max_examples=budget, stateful_step_count=steps_per_example, deadline=None, database=None, phases=phases,
                      suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False)
    try:  # the seeded form of run_state_machine_as_test (same seed, same sequences)
        from hypothesis.stateful import get_state_machine_test

        test = hypothesis_seed(seed)(get_state_machine_test(machine, settings=chosen, _min_steps=0,
                                                            _flaky_state={"selecting_rule": False}))
    except (ImportError, TypeError):  # another Hypothesis 6.x: seed through the global override instead
        import hypothesis.core

        def test() -> None:
            saved, hypothesis.core.global_force_seed = hypothesis.core.global_force_seed, seed
            try:
                run_state_machine_as_test(machine, settings=chosen)
            finally:
                hypothesis.core.global_force_seed = saved
    before, started = STEP_COUNTER[0], time.perf_counter()
    outcome = Outcome(role, budget, 0, 0.0)
    try:
        with _without_local_constants():
            test()
    except BaseException as exc:  # anything the machine raised is the finding
        if isinstance(exc, KeyboardInterrupt):
            raise
        violation = _find_violation(exc)
        if violation is None:
            outcome.error = f"{type(exc).__name__}: {exc}"
        else:
            ce = Counterexample(role, seed, violation.rule, violation.message, violation.profile, violation.steps,
                                config.assumptions.non_default(), config.replay_option or None, rule_level(violation.rule))
            outcome.counterexample = ce
            if report_dir is not None:
                outcome.path = write(ce, report_dir / "counterexamples")
    outcome.steps, outcome.seconds = STEP_COUNTER[0] - before, time.perf_counter() - started
    return outcome


def make_config(adapter: str | None, profiles: list[str] | None = None, assume: list[str] | None = None,
                adapter_cmd: str | None = None, timeout: float = 10.0) -> Config:
    """The implementation to explore: the reference, an in-process adapter, or an adapter process."""
    from bru_conformance.adapters import load_implementation

    assumptions = Assumptions.parse(list(assume or []))
    process = None
    if adapter_cmd:
        from bru_conformance.remote import remote_implementation

        impl, process = remote_implementation(adapter_cmd, timeout)
    else:
        impl = load_implementation(adapter)
    names = list(profiles or [])
    if impl.profiles and (adapter or adapter_cmd):
        names = [p for p in (names or list(impl.profiles)) if p in impl.profiles]
    return Config(impl, assumptions, names, adapter, adapter_cmd, process)


def roles_for(config: Config, wanted: str) -> list[str]:
    provided = config.implementation.roles if config.plugged else ("system", "app")
    return [r for r in ("system", "app") if r in provided and wanted in ("all", r)]


def bench(examples: int = 200, seed: int = 0) -> list[str]:
    """Steps (Gherkin actions, including each example's setup) per second of the SYSTEM machine against
    the in-process reference, Hypothesis' generation and the machine's checks included."""
    config = make_config(None)
    result = explore("system", config, budget=examples, seed=seed)
    lines = [f"examples {result.examples}", f"steps {result.steps}", f"wall {result.seconds:.2f} s",
             f"steps/s {result.steps_per_second:.0f}"]
    if result.counterexample or result.error:
        lines.append(f"unexpected failure: {result.error or result.counterexample.message}")  # type: ignore[union-attr]
    return lines


# ==================================================================================== the mutant catalogue
@dataclass
class MutantFinding:
    name: str
    role: str
    rules: tuple[str, ...]
    budget: int
    outcome: Outcome

    @property
    def found(self) -> bool:
        return self.outcome.counterexample is not None


def find_mutants(names: list[str] | None = None, seed: int = 0, budget: int | None = None) -> Iterator[MutantFinding]:
    """Explore each mutant the invariants cover (`reference_impl.mutants.explored.FOUND_WITHIN`) within
    its declared budget (or `budget`), without shrinking; yields a `MutantFinding` per mutant."""
    all_mutants, FOUND_WITHIN = reference.module("mutants").all_mutants, reference.module("mutants.explored").FOUND_WITHIN  # noqa: N806

    for mutant in all_mutants():
        if mutant.name not in FOUND_WITHIN or (names and mutant.name not in names):
            continue
        config = Config(mutant.implementation(), Assumptions.parse(list(mutant.assume)), [], mutant.adapter)
        examples = budget or FOUND_WITHIN[mutant.name]
        outcome = explore(mutant.role, config, budget=examples, seed=seed, shrink=False)
        yield MutantFinding(mutant.name, mutant.role, mutant.rules, examples, outcome)

"""Stateful exploration: Hypothesis state machines that drive any adapter through the role contracts.

Two machines, each building its world with `bru_conformance.world.World`, so they reach an
implementation only through `world.library`, `world.env` and `world.app`:

* **SYSTEM** (`role="system"`): the machine plays the app against the SYSTEM under test — creating
  jobs (one or several per change block), acknowledging, retrying (keeping the destination or with a
  new one), cancelling (valid and invalid), nested change blocks, creations outside a block, enabling
  with and without full access, and once per run filling the room left under the jobLimit — and plays
  the world around it: upload outcomes (with and without a response header), starts, time passing,
  network and power, access changes, disabling. It keeps a model of every job (state, retried once or
  not, its credentials, the error and header its last upload should have left) and checks after every
  step: each job is in the state the model predicts (or, after time passed, one the SYSTEM may have
  moved it to); a refused change block changed nothing; acknowledged and cancelled jobs never come back
  and have no change request; the acknowledge, retry and process sets hold exactly the
  succeeded+failed, failed-not-yet-retried and registered+pending jobs; a block that would pass the
  jobLimit is refused with limitExceeded and one that fits is not; a second retry, an acknowledge of an
  unfinished job and a cancel of a finished one are refused; a job's destination keeps its credentials
  (a retry's new ones replace them) and its uploads carry them; from 26.4 a job's error is set exactly
  when it failed, in NSURLErrorDomain with the code of what happened, and its response headers are nil
  until it ended, then lower-cased; uploadJobExtensionEnabled reads true exactly while enabled with full
  access, and the options are nil otherwise; no processing call comes while the extension is disabled
  or network or power forbid work.
* **APP** (`role="app"`, the reference SYSTEM unless the adapter also brings one): the APP under test
  backs up a library that changes under it, with transient and permanent upload failures, early
  server answers, answers given after the server stored the bytes, access downgrades, terminations
  (notice mid-call, notice after the call, hard kill) at any call, token rotation, pruned history,
  network and power changes and time passing. After every step: the app records nothing as uploaded
  that the server did not store, the server never stores a photo twice, and when the last processing
  call answered `.completed` no job is left to acknowledge, retry or process. At the end the world is
  made good (full access, Wi-Fi, power) and six virtual hours pass; then every photo still in the
  library that the scenario gave no failure to is on the server exactly once and in the app's ledger,
  no job is left unacknowledged, no processing call asked for more jobs than the jobLimit, and the
  last call was answered `.completed` (nothing left, so no `.processing` without progress: PRO-08).

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

from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import Implementation
from bru_conformance.counterexample import Counterexample, write
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
        try:
            return fn(self.w, *args)
        except Violation:
            raise
        except Exception as exc:  # the step itself broke (e.g. an assertion inside it): it fails on replay too
            raise self.violation(rule or self.step_rule, f"step {text!r} failed: {exc!r}") from exc

    def expect(self, rule: str, text: str, fn: Callable[..., Any], *args: Any) -> None:
        """Check an invariant by running the `Then` step that states it; a failure ends the run."""
        try:
            fn(self.w, *args)
        except AssertionError as exc:
            self.log.append(("Then", text))
            raise self.violation(rule, f"{text}: {exc}") from exc

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
    from steps.vocabulary import CREDENTIALS

    return next(words for words, t in CREDENTIALS.items() if t == token)


def _names(aliases: list[str]) -> str:
    return ", ".join(f'"{a}"' for a in sorted(aliases)) if aliases else "no job"


# ==================================================================================== SYSTEM
def _system_steps() -> Any:
    import steps.app_steps as app_steps
    import steps.job_steps as job_steps
    import steps.setup_steps as setup_steps

    return job_steps, setup_steps, app_steps


class _ConditionEvents:
    """World events both machines share: network and power changes, each one existing step."""

    ss: Any
    step: Callable[..., Any]  # provided by _Machine
    online = True    # the world starts on Wi-Fi ...
    powered = True   # ... with power for background work

    @rule(network=st.sampled_from(["Wi-Fi", "cellular", "unavailable"]))
    def network(self, network: str) -> None:
        from steps.vocabulary import NETWORKS

        self.step("When", f"the network becomes {network}", self.ss.network_is, NETWORKS[network])
        self.online = network != "unavailable"

    @rule(ok=st.booleans())
    def power(self, ok: bool) -> None:
        if ok:
            self.step("When", "power conditions allow background work again", self.ss.power_ok)
        else:
            self.step("Given", "power conditions do not allow background work", self.ss.power_bad)
        self.powered = ok


class SystemMachine(_ConditionEvents, _Machine):
    """The machine plays the app (and the world) against the SYSTEM under test."""

    role = "system"

    @initialize(which=st.integers(0, len(PROFILES) - 1))
    def start(self, which: int) -> None:
        self._build(self.pick_profile(which))
        self.js, self.ss, self.aps = _system_steps()
        self.model: dict[str, JobState | None] = {}
        self.retried: set[str] = set()
        self.facts: dict[str, JobFacts] = {}
        self.gone: set[str] = set()  # jobs acknowledged or cancelled by the last action
        self.freed = False  # a job was retried, acknowledged or cancelled: the limit accounting has a history
        self.uncertain = False
        self.enabled = True
        self.access = AuthorizationStatus.AUTHORIZED
        self.counter = 0
        self.step("Given", "the upload extension is enabled", self.ss.extension_enabled, rule="ACT-01")
        self.expect("LIM-05", "the jobLimit is a positive number read from the system", self.js.limit_positive)
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

    # ------------------------------------------------------------------------ the app's actions
    @rule()
    def create_one(self) -> None:
        self.counter += 1
        alias = f"j{self.counter}"
        error = self._creation_error(1)
        self.step("When", f'the app creates an upload job for "{alias}"', self.js.create_one, alias)
        self._outcome("CRE-07", error)
        if error is None:
            self._made(alias, R)

    @rule(count=st.integers(1, 4))
    def create_many(self, count: int) -> None:
        start = len(self.w.jobs) + 1
        error = self._creation_error(count)
        self.step("When", f"the app creates {count} upload jobs in one change block", self.js.create_many, count)
        self._outcome("CRE-07", error)
        if error is None:
            for i in range(start, start + count):
                self._made(f"new-{i}", R)

    @precondition(lambda self: self.enabled and self.access is AuthorizationStatus.AUTHORIZED)
    @rule(state=st.sampled_from(["registered", "pending", "succeeded", "failed", "spent", "recovered"]))
    def arrange_job(self, state: str) -> None:
        from steps.vocabulary import STATES

        after_retry = {"spent": ("failed again", self.js.job_retry_spent, "RET-01", F),
                       "recovered": ("succeeded", self.js.job_retry_recovered, "RET-04", S)}
        # room for the job, and under AMB-02's article reading room for its retry too (the job holds a slot then)
        needed = 2 if state in after_retry and self.w.assumptions.model("AMB-02") == "retry-checks-limit" else 1
        if self._counted() + needed > self.limit:
            return  # no room: the arranging step would refuse (it is a Given, not an action under test)
        self.counter += 1
        alias = f"j{self.counter}"
        if state in after_retry:
            ended, step, rule_id, model_state = after_retry[state]
            self.step("Given", f'job "{alias}" {ended} after its one retry', step, alias, rule=rule_id)
            self._made(alias, model_state)
            self.retried.add(alias)
        else:
            self.step("Given", f'job "{alias}" is {state}', self.js.job_in_state, alias, STATES[state], rule="STA-01")
            self._made(alias, STATES[state])

    @precondition(lambda self: self.enabled and self.access is AuthorizationStatus.AUTHORIZED)
    @rule(free=st.integers(0, 2), state=st.sampled_from(["registered", "pending", "succeeded", "failed"]))
    def fill_slots(self, free: int, state: str) -> None:
        import steps.limits_steps as limits_steps
        from steps.vocabulary import STATES

        live = sum(1 for a in self.model.values() if a is not None)
        if live > self.limit - free:
            return  # the step would refuse to arrange this (it is a Given, not an action under test)
        first = sum(1 for a in self.w.jobs if a.startswith("slot-")) + 1
        count = self.limit - free - live
        if free == 0:
            self.step("Given", f"every slot under the jobLimit is held by {state} jobs", limits_steps.limit_full, STATES[state],
                      rule="LIM-01")
        else:
            self.step("Given", f"all but {free} slot{'s' if free > 1 else ''} under the jobLimit are held by {state} jobs",
                      limits_steps.limit_all_but, free, STATES[state], rule="LIM-01")
        for i in range(first, first + count):
            self._made(f"slot-{i}", STATES[state])

    @precondition(lambda self: self.freed and self.enabled and self.access is AuthorizationStatus.AUTHORIZED
                  and "probe-0" not in self.w.jobs)
    @rule()
    def probe_capacity(self) -> None:
        """Fill the room left under the jobLimit, checking it is exactly what the model counts (LIM-01): one
        action that weighs the jobs retried, acknowledged and cancelled so far against the limit. Once per
        run (the step names its jobs probe-0, probe-1, ...), and only after such a job, as it fills the queue."""
        room = self.limit - self._counted()
        self.step("Then", f"exactly {room} more upload jobs fit under the jobLimit", self.js.capacity, room, rule="LIM-01")
        for i in range(room):
            self._made(f"probe-{i}", R)

    @precondition(lambda self: any(s is not None for s in self.model.values()))
    @rule(data=st.data())
    def acknowledge(self, data: st.DataObject) -> None:
        alias = data.draw(st.sampled_from(self._aliases(R, P, S, F)), label="job")
        before = self.model[alias]
        self.step("When", f'the app acknowledges job "{alias}"', self.js.acknowledge, alias)
        if before in (S, F):
            self._outcome("ACK-01", None)
            self.model[alias] = None
            self.gone.add(alias)
            self.freed = True
        else:
            self._outcome("ACK-01", "a PhotoKit error")

    @precondition(lambda self: any(s is not None for s in self.model.values()))
    @rule(data=st.data(), fresh=st.booleans())
    def retry(self, data: st.DataObject, fresh: bool) -> None:
        """Retry keeping the job's destination, or with a new one carrying refreshed credentials (RET-02)."""
        alias = data.draw(st.sampled_from(self._aliases(R, P, S, F)), label="job")
        before = self.model[alias]
        if fresh:
            self.step("When", f'the app retries job "{alias}" with a new destination', self.js.retry_new, alias)
        else:
            self.step("When", f'the app retries job "{alias}" keeping its destination', self.js.retry_keep, alias)
        if before is F and alias not in self.retried:
            at_limit = self.w.assumptions.model("AMB-02") == "retry-checks-limit" and self._counted() >= self.limit
            self._outcome("RET-03" if at_limit else "RET-01", "limitExceeded" if at_limit else None)
            if not at_limit:
                self.model[alias] = R
                self.retried.add(alias)
                self.freed = True
                self.facts[alias] = JobFacts(self.w.token if fresh else self.facts[alias].token)
        else:
            self._outcome("RET-01", "a PhotoKit error")

    @precondition(lambda self: self.w.profile.has("cancel") and any(s is not None for s in self.model.values()))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        alias = data.draw(st.sampled_from(self._aliases(R, P, S, F)), label="job")
        before = self.model[alias]
        self.step("When", f'the app cancels job "{alias}"', self.js.cancel, alias)
        if before in (R, P):
            self._outcome("CAN-01", None)
            self.model[alias] = None  # CAN-02: acknowledged at once
            self.gone.add(alias)
            self.freed = True
        else:
            self._outcome("CAN-01", "a PhotoKit error")

    @rule()
    def nested_block(self) -> None:
        self.step("When", "the app opens a change block inside another", self.js.nested_block)
        self._outcome("ERR-05", "an exception for a nested change block")

    @rule()
    def create_outside(self) -> None:
        self.step("When", "the app creates an upload job outside a change block", self.js.create_outside)
        self._outcome("CRE-01", "an exception for a change request outside a change block")

    # ------------------------------------------------------------------------ the world
    @precondition(lambda self: any(s in (R, P) for s in self.model.values()))
    @rule(data=st.data(), outcome=st.sampled_from(["success", "a timeout", "HTTP 500", "HTTP 401", "a lost connection",
                                                    *HEADER_ANSWERS]))
    def upload_ends(self, data: st.DataObject, outcome: str) -> None:
        """An upload ends; with "and a header" the server answers with a header in its own capitalisation,
        which the job must show lower-cased (STA-07)."""
        from steps.vocabulary import OUTCOMES

        alias = data.draw(st.sampled_from(self._aliases(R, P)), label="job")
        if outcome in HEADER_ANSWERS:
            status, value = HEADER_ANSWERS[outcome], f"req-{self.counter}"
            self.step("When", f'the upload of job "{alias}" ends with HTTP {status} and response header "X-Request-Id" set to "{value}"',
                      self.js.upload_ends_with_header, alias, status, "X-Request-Id", value)
            self._ended(alias, status >= 300, "badServerResponse" if status >= 300 else None)
            self.facts[alias].header = ("x-request-id", value)
        else:
            self.step("When", f'the upload of job "{alias}" ends with {outcome}', self.js.upload_ends, alias, OUTCOMES[outcome])
            self._ended(alias, outcome != "success", FAILURE_CODES.get(outcome))

    def _ended(self, alias: str, failed: bool, error: str | None) -> None:
        """An upload the machine scripted has ended: the job's state, error and the credentials it went with."""
        self.model[alias] = F if failed else S
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

    @rule(minutes=st.sampled_from([1, 10]))
    def time_passes(self, minutes: int) -> None:
        from steps.vocabulary import UNITS

        text = "1 minute passes" if minutes == 1 else f"{minutes} minutes pass"
        before = len(self.w.env.processing_calls())
        self.step("When", text, self.aps.time_passes, minutes, UNITS["minute"])
        self.uncertain = True
        if not (self.enabled and self.online and self.powered):
            self._check_no_calls(before)

    def _check_no_calls(self, before: int) -> None:
        """No processing call while the extension is disabled (ACT-10) or conditions forbid work (PRO-02)."""
        import steps.processing_steps as processing_steps

        if len(self.w.env.processing_calls()) > before:
            rule_id = "ACT-10" if not self.enabled else "PRO-02"
            self.expect(rule_id, f"the system made {before} processing call{'' if before == 1 else 's'}",
                        processing_steps.made_calls, before)
            raise self.violation(rule_id, "the system called the extension while "
                                 + ("disabled" if not self.enabled else "conditions did not allow work"))

    @rule(access=st.sampled_from(["authorized", "limited", "denied"]))
    def access_changes(self, access: str) -> None:
        from steps.vocabulary import ACCESS

        self.step("When", f"the user changes photo library access to {access}", self.ss.access_changes, ACCESS[access])
        self.access = ACCESS[access]

    @rule(enable=st.booleans())
    def host_toggles(self, enable: bool) -> None:
        """Enabling succeeds with full access and is refused with anything less (CON-01). Disabling is
        explored with full access only: what a disable without it does is an assumption (AMB-12)."""
        authorized = self.access is AuthorizationStatus.AUTHORIZED
        if enable:
            self.step("When", "the host app enables the upload extension", self.ss.host_enables)
            self._outcome("ACT-01" if authorized else "CON-01", None if authorized else "a PhotoKit error")
            self.enabled = self.enabled or authorized
            return
        if not authorized:
            return
        self.step("When", "the host app disables the upload extension", self.ss.host_disables)
        self._outcome("ACT-01", None)
        if self.enabled and self.w.assumptions.model("AMB-05") == "discard":
            self.model = {a: None for a in self.model}
        self.enabled = False

    # ------------------------------------------------------------------------ invariants
    def check(self) -> None:
        if self.world is None or not hasattr(self, "model"):
            return
        world, lib, env = self.w, self.w.sut.library, self.w.env
        self._check_enabled_flag()
        fetched = {a: {j.local_identifier: j for j in lib.fetch_jobs(a)} for a in self.actions()}
        observed: dict[str, JobState | None] = {}
        jobs: dict[str, UploadJob] = {}
        for alias in self.model:
            jid = world.jobs[alias]
            job = next((s[jid] for s in fetched.values() if jid in s), None) or env.job_snapshot(jid)
            if job is not None and job.state is not JobState.CANCELLED:
                jobs[alias] = job
            observed[alias] = jobs[alias].state if alias in jobs else None
        for alias, expected in self.model.items():
            got = observed[alias]
            allowed = SYSTEM_MOVES[expected] if self.uncertain else {expected}
            if got not in allowed:
                rule_id = "STA-12" if expected is None else "STA-01"
                if expected is None:
                    self.expect(rule_id, f'job "{alias}" no longer exists', self.js.job_gone, alias)
                else:
                    self.expect(rule_id, f'job "{alias}" is {expected.name.lower()}', self.js.job_is, alias, expected)
                raise self.violation(rule_id, f"job {alias}: expected {expected}, got {got}")
        for alias, job in jobs.items():
            if self.uncertain and job.state is F and self.model[alias] is not F:
                self.facts[alias].error = UNKNOWN  # the SYSTEM failed it on its own: any code will do
            self._check_fields(alias, job)
        for alias in sorted(self.gone):
            self._check_gone(alias)
        self.gone.clear()
        self.model = observed
        self.uncertain = False
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
        if not expected and self.w.profile.has("PHPhotoLibrary.uploadJobExtensionOptions") \
                and (options := lib.upload_job_extension_options()) is not None:
            rule_id = "CON-06" if self.access is not AuthorizationStatus.AUTHORIZED else "ACT-19"
            self.expect(rule_id, "the extension options are nil", self.ss.options_nil)
            raise self.violation(rule_id, f"uploadJobExtensionOptions is {options} while the feature is not active")

    def _check_fields(self, alias: str, job: UploadJob) -> None:
        """The job's destination keeps the credentials it was given (RET-02 after a retry); from 26.4 its
        error is set exactly when failed, as the NSURLErrorDomain code of what happened (STA-08, ERR-03),
        and its response headers are nil until it has ended, then lower-cased (STA-07)."""
        import steps.states_steps as states_steps

        facts = self.facts[alias]
        if job.destination.header("Authorization") != f"Bearer {facts.token}":
            rule_id = "RET-02" if alias in self.retried else "PRO-17"
            self.expect(rule_id, f'the destination of job "{alias}" carries the {_credential_words(facts.token)} credentials',
                        states_steps.destination_credentials, alias, facts.token)
            raise self.violation(rule_id, f"job {alias}'s destination carries {job.destination.header('Authorization')!r}")
        if not self.w.profile.has("PHAssetResourceUploadJob.error"):
            return
        from steps.vocabulary import URL_ERRORS

        error, failed = job.error, job.state is F
        got = None if error is None else next((n for n, c in URL_ERRORS.items() if c is error.code), None)
        foreign = error is not None and error.domain != "NSURLErrorDomain"
        if failed and (error is None or foreign or facts.error not in (UNKNOWN, got)):
            code = (got or "timedOut") if facts.error in (None, UNKNOWN) else facts.error
            rule_id = "ERR-03" if foreign else "STA-08"
            self.expect(rule_id, f'job "{alias}" has the error {code}', self.js.job_error, alias, URL_ERRORS[code])
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

    @initialize(which=st.integers(0, len(PROFILES) - 1), photos=st.integers(1, 4))
    def start(self, which: int, photos: int) -> None:
        self._build(self.pick_profile(which))
        self.js, self.ss, self.aps = _system_steps()
        self.photos: list[str] = []
        self.deleted: set[str] = set()
        self.may_fail: set[str] = set()
        for _ in range(photos):
            self._new_photo("Given", "the library holds a photo")
        self.step("Given", "the user turned on backup in the app", self.aps.turned_on, rule="CON-02")

    def _new_photo(self, keyword: str, wording: str) -> None:
        name = f"p{len(self.photos) + 1}"
        self.photos.append(name)
        self.step(keyword, f'{wording} "{name}"', self.ss.library_holds_photo, name)

    @precondition(lambda self: len(self.photos) < 10)
    @rule()
    def take_video(self) -> None:
        """Videos are backed up like photos (CRE-04); the end-of-run checks treat them alike."""
        name = f"p{len(self.photos) + 1}"
        self.photos.append(name)
        self.step("Given", f'the library holds a video "{name}"', self.ss.library_holds_video, name)

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
        name = data.draw(st.sampled_from(self._alive()), label="photo")
        self.step("When", f'the user deletes "{name}"', self.ss.user_deletes, name)
        self.deleted.add(name)

    @rule()
    def prune_history(self) -> None:
        self.step("When", "the library's change history is pruned", self.ss.history_pruned)

    # ------------------------------------------------------------------------ the server
    @precondition(lambda self: bool(self._alive()))
    @rule(data=st.data(), outcome=st.sampled_from(APP_FAILURES + ["an early answer"]), count=st.integers(1, 3))
    def upload_fails(self, data: st.DataObject, outcome: str, count: int) -> None:
        from steps.vocabulary import OUTCOMES

        if outcome == "an early answer" and not self._headers():
            outcome = "a timeout"  # before 26.4 an app cannot tell an early answer from a stored upload
        name = data.draw(st.sampled_from(self._alive()), label="photo")
        if count == 1:
            self.step("Given", f'the upload of "{name}" will fail with {outcome}', self.aps.upload_will_fail, name, OUTCOMES[outcome])
        else:
            self.step("Given", f'the next {count} uploads of "{name}" will end with {outcome}', self.aps.uploads_will_end,
                      count, name, OUTCOMES[outcome])
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
        from steps.vocabulary import ACCESS

        self.step("When", f"the user changes photo library access to {access}", self.ss.access_changes, ACCESS[access])


    # ------------------------------------------------------------------------ termination and time
    @rule(mode=st.sampled_from(["notice", "after", "kill"]), calls=st.integers(1, 12))
    def terminate(self, mode: str, calls: int) -> None:
        if mode == "notice":
            self.step("Given", f"the system will send a termination notice after {calls} calls into the system in the next processing call",
                      self.aps.notice_mid_call, calls)
        elif mode == "after":
            self.step("Given", "the system will send a termination notice right after the next processing call", self.aps.notice_after_call)
        else:
            self.step("Given", f"the system will kill the extension without notice after {calls} calls into the system in the next processing call",
                      self.aps.kill, calls)

    @rule(kill=st.booleans(), verb=st.sampled_from(["creates", "acknowledges", "retries"]))
    def terminate_at_change(self, kill: bool, verb: str) -> None:
        """A kill or notice the moment a change block of the app is committed (it stays applied)."""
        import steps.termination_steps as termination_steps

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
        from steps.vocabulary import UNITS

        text = "1 minute passes" if minutes == 1 else f"{minutes} minutes pass"
        self.step("When", text, self.aps.time_passes, minutes, UNITS["minute"])

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
        calls = world.env.processing_calls()
        if calls and calls[-1].result is ProcessingResult.COMPLETED:
            self.expect("PRO-04", "no job is left unacknowledged", self.aps.nothing_unacknowledged)

    def drain(self) -> None:
        import steps.processing_steps as processing_steps
        from steps.vocabulary import ACCESS, NETWORKS, UNITS

        self.step("When", "the user changes photo library access to authorized", self.ss.access_changes, ACCESS["authorized"])
        self.step("When", "the network becomes Wi-Fi", self.ss.network_is, NETWORKS["Wi-Fi"])
        self.step("When", "power conditions allow background work again", self.ss.power_ok)
        # A system in monitoring calls again only on a library change; give the app one call now that
        # the world is good (an app that answered .completed under limited access has not seen the library).
        self.step("When", "the system makes a processing call", self.aps.processing_call)
        self.step("When", "6 hours pass", self.aps.time_passes, 6, UNITS["hours"])
        self.check()
        failed = self.w.app.failed_resources()
        for name in self.photos:
            rid = self.w.resources[name].resource_id
            if name in self.deleted or (name in self.may_fail and rid in failed):
                continue
            self.expect("TER-07", f'the server received "{name}" 1 time', self.js.server_received, name, 1)
            self.expect("TER-07", f'the app recorded "{name}" as uploaded', self.aps.recorded, name)
        self.expect("ACK-02", "no job is left unacknowledged", self.aps.nothing_unacknowledged)
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
                                config.assumptions.non_default(), config.replay_option or None)
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
    from reference_impl.mutants import all_mutants
    from reference_impl.mutants.explored import FOUND_WITHIN

    for mutant in all_mutants():
        if mutant.name not in FOUND_WITHIN or (names and mutant.name not in names):
            continue
        config = Config(mutant.implementation(), Assumptions.parse(list(mutant.assume)), [], mutant.adapter)
        examples = budget or FOUND_WITHIN[mutant.name]
        outcome = explore(mutant.role, config, budget=examples, seed=seed, shrink=False)
        yield MutantFinding(mutant.name, mutant.role, mutant.rules, examples, outcome)

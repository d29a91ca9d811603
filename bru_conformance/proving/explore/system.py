"""The SYSTEM machine: it plays the app against the SYSTEM under test (creating, acknowledging, retrying,
cancelling, misuse) and plays the harness extension (its answers, its work inside calls, how each call
ends); the world around the SYSTEM is `system_world`, the checks after every step `system_checks`."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from bru_conformance import reference
from bru_conformance.profiles import PROFILES
from bru_conformance.protocol import AuthorizationStatus, JobState, ProcessingResult
from bru_conformance.proving.explore.base import (
    ARRANGED_FAILURE,
    CALL,
    EXACT,
    FAILURE_CODES,
    IN_CALL,
    ConditionEvents,
    F,
    JobFacts,
    Machine,
    P,
    R,
    S,
    system_steps,
)
from bru_conformance.proving.explore.system_checks import SystemChecks
from bru_conformance.proving.explore.system_world import SystemWorld


class SystemMachine(SystemWorld, SystemChecks, ConditionEvents, Machine):
    """The machine plays the app (and the world) against the SYSTEM under test."""

    role = "system"

    @initialize(which=st.integers(0, len(PROFILES) - 1), limit=st.integers(3, 17), work=st.sampled_from([0, 10]),
                suspends=st.sampled_from([True, False]))
    def start(self, which: int, limit: int, work: int, suspends: bool) -> None:
        limits_steps = reference.steps("limits_steps")
        processing_steps = reference.steps("processing_steps")

        self._build(self.pick_profile(which))
        self.js, self.ss, self.aps = system_steps()
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

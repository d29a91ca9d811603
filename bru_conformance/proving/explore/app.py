"""The APP machine: the APP under test on the reference SYSTEM (or the adapter's) in a library and a world that
change under it, with its invariants and the final drain."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from bru_conformance import reference
from bru_conformance.profiles import PROFILES
from bru_conformance.protocol import ProcessingResult
from bru_conformance.proving.explore.base import VERSION_RULES, ConditionEvents, Machine, system_steps
from bru_conformance.scenario import observe

APP_FAILURES = ["a timeout", "a lost connection", "HTTP 500", "HTTP 503", "HTTP 401", "HTTP 400"]


class AppMachine(ConditionEvents, Machine):
    """The APP under test on the reference SYSTEM (or the adapter's) in a changing world."""

    role = "app"
    step_rule = "PRO-03"

    @initialize(which=st.integers(0, len(PROFILES) - 1), photos=st.integers(1, 4), limit=st.integers(3, 17))
    def start(self, which: int, photos: int, limit: int) -> None:
        limits_steps = reference.steps("limits_steps")

        self._build(self.pick_profile(which))
        self.js, self.ss, self.aps = system_steps()
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
        from bru_conformance.scenario.trace import APP_TO_SYSTEM, CALL_STARTS, PROCESS_METHODS

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

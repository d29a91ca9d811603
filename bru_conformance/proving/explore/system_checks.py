"""The SYSTEM machine's invariants, checked after every step: job states against the model, the fetch sets,
gone jobs, the enabled flag, job fields, and the calls as the harness's own trace shows them."""

from __future__ import annotations

from bru_conformance import reference
from bru_conformance.protocol import Action, AuthorizationStatus, JobState, UploadJob
from bru_conformance.proving.explore.base import CALL, CALL_MOVES, EXACT, SYSTEM_MOVES, TIME, UNKNOWN, F, P, R, S, credential_words, job_names


class SystemChecks:
    """What the SYSTEM machine checks after every step (a part of `SystemMachine`)."""

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
                self.expect(rule_id, f"fetching jobs to {name} returns {job_names(expect)}", self.js.fetch_returns, action, expect)
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
            self.expect(rule_id, f'the destination of job "{alias}" carries the {credential_words(facts.token)} credentials',
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

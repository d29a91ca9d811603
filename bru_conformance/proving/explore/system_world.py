"""The world around the SYSTEM under exploration: upload outcomes and starts, photos deleted, time passing up
to the patience horizon, outages, access changes, the host app's toggles and options, calls by Apple name."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from bru_conformance import reference
from bru_conformance.protocol import AuthorizationStatus, ProcessingResult
from bru_conformance.proving.explore.base import API_NAMES, FAILURE_CODES, HEADER_ANSWERS, TIME, VERSION_RULES, F, P, R, S, credential_words


class SystemWorld:
    """The SYSTEM machine's world events, and the waits and checks they need (a part of `SystemMachine`)."""

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
            words = credential_words(facts.token)
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

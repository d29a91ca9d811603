"""What both exploration machines share: the job model's moves, the machines' facts and violations, the
configuration of a run, the base machine (its world, its step log, its checks by `Then` steps), the world
events both play (network, power), and the tables of the SYSTEM machine's parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from bru_conformance import reference
from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import Implementation
from bru_conformance.profiles import PROFILES, get_profile
from bru_conformance.protocol import Action, JobState
from bru_conformance.proving.explore import choice
from bru_conformance.scenario import observe
from bru_conformance.scenario.world import World

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
class Machine(RuleBasedStateMachine):
    config: Config
    role = "system"
    step_rule = "STA-01"  # the rule named when an action's own step breaks

    def __init__(self) -> None:
        super().__init__()
        self.world: World | None = None
        self.log: list[tuple[str, str]] = []
        self.failed = False
        self.changed_seq = 0  # trace position of the latest library change a step made (a photo added or deleted)
        choice.install(self)  # how the next rule is chosen: swarm flags once per example (explore.choice)

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
        """The processing calls so far as the harness saw them (read off its own trace), each event read once."""
        return observe.reader(self.w.trace).update()  # the reader the steps use too: each event read once in all

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


def credential_words(token: str) -> str:
    """How the steps name a bearer token: "original" or "new" (steps.vocabulary.CREDENTIALS)."""
    vocabulary = reference.steps("vocabulary")

    return next(words for words, t in vocabulary.CREDENTIALS.items() if t == token)


def job_names(aliases: list[str]) -> str:
    return ", ".join(f'"{a}"' for a in sorted(aliases)) if aliases else "no job"


def system_steps() -> Any:
    app_steps = reference.steps("app_steps")
    job_steps = reference.steps("job_steps")
    setup_steps = reference.steps("setup_steps")

    return job_steps, setup_steps, app_steps


class ConditionEvents:
    """World events both machines share: network and power changes, each one existing step."""

    ss: Any
    step: Callable[..., Any]  # provided by Machine
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

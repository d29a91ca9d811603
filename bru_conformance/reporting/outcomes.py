"""What a conformance run collects as it goes: one `ScenarioOutcome` per scenario run, held by the run's
`RunState` (filled by the pytest plugin, `bru_conformance.run.plugin`; folded into the results document by
`bru_conformance.reporting.results`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import Implementation


@dataclass
class ScenarioOutcome:
    nodeid: str
    rule: str
    scenario: str
    profile: str | None
    outcome: str = "incomplete"  # until its call phase reports: an interrupted run never shows it as passed
    duration: float = 0.0
    failed_step: str | None = None
    message: str | None = None
    trace: list[dict[str, Any]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    readings: dict[str, str] = field(default_factory=dict)  # the @assume/@world readings it ran under
    kind: str = "conformance"  # "conformance", "field" (an observation) or "practice" (recommended practice)
    outline: str | None = None  # the name as written (an Outline's, with its <placeholders>), for waivers
    notes: list[str] = field(default_factory=list)  # how evidence was obtained, where it matters


@dataclass
class RunState:
    profiles: list[str]
    roles: tuple[str, ...]
    assumptions: Assumptions
    implementation: Implementation
    include_field: bool
    strict: bool = False
    seed: int = 0
    waivers: list[Any] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)  # flags that reproduce the run (for `replay`)
    outcomes: dict[str, ScenarioOutcome] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    patience: float = 24 * 3600.0
    require_practice: bool = False
    shard: str | None = None  # "K/N" when this run is one deterministic slice of a sharded run
    run_id: str = ""  # the CLI's token: results.json carries it, so a report left by an earlier run is never taken for this one's
    interrupted: bool = False

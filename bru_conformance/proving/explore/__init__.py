"""Stateful exploration: Hypothesis state machines that drive any adapter through the role contracts.

Two machines, each building its world with `bru_conformance.scenario.world.World`, so they reach an
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
  harness's own trace (`bru_conformance.scenario.observe`, never the SYSTEM's account): every call and notice
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
`bru_conformance.proving.counterexample` replays with `bru-conformance run --features DIR` on its own.

The package: `base` (what both machines share), `choice` (how a machine picks its next rule), `system` with its parts `system_world` and
`system_checks` (the SYSTEM machine), `app` (the APP machine), `driver` (running one, the mutants in reach).
"""

from __future__ import annotations

from bru_conformance.proving.explore.app import AppMachine
from bru_conformance.proving.explore.base import STEP_COUNTER, Config, Violation
from bru_conformance.proving.explore.driver import MACHINES, MutantFinding, Outcome, bench, explore, find_mutants, make_config, roles_for
from bru_conformance.proving.explore.system import SystemMachine

__all__ = ["MACHINES", "STEP_COUNTER", "AppMachine", "Config", "MutantFinding", "Outcome", "SystemMachine", "Violation", "bench",
           "explore", "find_mutants", "make_config", "roles_for"]

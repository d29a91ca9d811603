"""Steps judge from what the harness observed itself (issue 11).

The Environment contract still offers an implementation's own account of what it did
(`processing_calls`, `next_processing_call_at`) and two test-only views into its store (`job_snapshot`,
`job_for_resource`). A step may read them only where the harness cannot observe the same thing itself,
and every such place is listed here with the reason. A new use elsewhere fails this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

STEPS = Path(__file__).resolve().parents[1] / "steps"
SELF_REPORTS = {"processing_calls", "next_processing_call_at", "job_snapshot", "job_for_resource"}

#: (module, function) -> why no harness-side evidence exists there
ALLOWED: dict[tuple[str, str], str] = {
    ("job_steps.py", "_created_for"): "26.1's createJob returns no identifier and, before 26.5, a registered job is in no public fetch",
    ("job_steps.py", "_find"): "before 26.5 registered and pending jobs are in no public fetch set (the run's notes say so)",
    ("job_steps.py", "live_jobs_of"): "before 26.5 which jobs a photo has cannot be read publicly (the run's notes say so)",
}


def _uses() -> list[tuple[str, str, str, int]]:
    found = []
    for path in sorted(STEPS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Attribute) and node.attr in SELF_REPORTS:
                    found.append((path.name, fn.name, node.attr, node.lineno))
    return found


def test_steps_read_self_reports_only_where_the_harness_cannot_see_for_itself() -> None:
    unlisted = [u for u in _uses() if (u[0], u[1]) not in ALLOWED]
    assert not unlisted, f"steps reading an implementation's own account outside the allow-list: {unlisted}"


def test_the_allow_list_has_no_stale_entries() -> None:
    used = {(u[0], u[1]) for u in _uses()}
    assert set(ALLOWED) <= used, f"allow-list entries no step needs any more: {set(ALLOWED) - used}"


def test_processing_calls_are_never_read_by_a_step() -> None:
    assert not [u for u in _uses() if u[2] in ("processing_calls", "next_processing_call_at")]

"""API profiles gate calls (VER-01..06) and assumption switches parse and validate (AMB-nn)."""

from __future__ import annotations

import pytest

from bru_conformance.assumptions import SWITCHES, Assumptions
from bru_conformance.profiles import PROFILES, get_profile
from bru_conformance.protocol import APIUnavailableError


@pytest.mark.parametrize(("api", "present"), [
    ("cancel", ["ios-26.4", "ios-26.5", "ios-27.0", "macos-27.0"]),
    ("Action.process", ["ios-26.5", "ios-27.0", "macos-27.0"]),
    ("enableUploadJobExtension", ["ios-27.0", "macos-27.0"]),
    ("setUploadJobExtensionEnabled", ["ios-26.1", "ios-26.4", "ios-26.5", "ios-27.0"]),
    ("PHAssetResourceUploadJob.resource", ["ios-26.1", "ios-26.4", "ios-26.5", "ios-27.0"]),
    ("PHBackgroundResourceUploadExtension", ["ios-26.1", "ios-26.4", "ios-26.5", "ios-27.0"]),
    ("PHAssetResourceUploadJob.jobLimit", list(PROFILES)),
])
def test_availability(api: str, present: list[str]) -> None:
    assert [p for p in PROFILES if PROFILES[p].has(api)] == present


def test_require_names_the_profile() -> None:
    with pytest.raises(APIUnavailableError, match=r"ios-26\.1.*available from iOS 26\.4"):
        get_profile("ios-26.1").require("cancel")


def test_unknown_api_and_profile_are_errors() -> None:
    with pytest.raises(KeyError):
        get_profile("ios-27.0").has("notAnAPI")
    with pytest.raises(ValueError, match="unknown profile"):
        get_profile("ios-25.0")


def test_every_open_point_has_a_switch_with_its_default_first() -> None:
    assert sorted(SWITCHES) == [f"AMB-{i:02d}" for i in range(1, 37)]  # 33-36: SERVER open points (docs/server-rules.md)
    defaults = Assumptions()
    assert all(defaults[k] == s.choices[0] for k, s in SWITCHES.items())
    assert defaults.job_limit == 50 and defaults.non_default() == {}


def test_assume_parsing() -> None:
    chosen = Assumptions.parse(["AMB-02=retry-checks-limit", "amb-11=5"])
    assert chosen["AMB-02"] == "retry-checks-limit" and chosen.job_limit == 5
    assert chosen.non_default() == {"AMB-02": "retry-checks-limit", "AMB-11": "5"}
    for bad in (["AMB-02"], ["AMB-99=x"], ["AMB-02=sometimes"]):
        with pytest.raises(ValueError):
            Assumptions.parse(bad)

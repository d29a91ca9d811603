"""Redaction hides secret values and never ordinary words (issue 12)."""

from __future__ import annotations

import pytest

from bru_conformance.catalogue import load
from bru_conformance.scenario.redact import MASK, redact, redact_text


def test_no_rule_title_or_scenario_name_is_redacted() -> None:
    for rule in load().rules:
        assert redact_text(rule.title) == rule.title, rule.id
        for sc in rule.scenarios:
            assert redact_text(sc.name) == sc.name, (rule.id, sc.name)


@pytest.mark.parametrize("text", ["A token saved before the history was pruned has expired", "On an expired change token the app",
                                  "basic authentication is off", "Bearer tokens are fine", "the digest of the photo", "token. Next"])
def test_ordinary_words_stay(text: str) -> None:
    assert redact_text(text) == text


@pytest.mark.parametrize("text", ["Authorization: Bearer token-1", "Bearer abc.def.ghi", "token sk_live_abcdef123",
                                  "Basic dXNlcjpwYXNz", "https://user:pw@host/x", "https://h/x?sig=abc&X-Amz-Credential=k",
                                  'api_key="s3cr3t"'])
def test_secrets_go(text: str) -> None:
    out = redact_text(text) if "://" not in text else redact(text)
    assert MASK in out and not any(s in out for s in ("token-1", "abc.def", "sk_live", "dXNlc", ":pw@", "sig=abc", "s3cr3t"))


def test_a_string_subclass_keeps_its_type_though_equal_plain_strings_are_remembered() -> None:
    class Name(str):
        pass

    assert redact({"name": "a photo"}) == {"name": "a photo"}
    kept = redact({"name": Name("a photo")})["name"]
    assert type(kept) is Name and kept == "a photo"

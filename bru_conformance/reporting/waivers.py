"""Waivers: known, tracked, expiring exceptions to the gate (`--waivers FILE`, YAML or JSON).

```yaml
waivers:
  - rule: RET-07                      # or: scenario: "An exact scenario name"
    reason: Server returns 500 for quota errors; fix in progress
    link: https://tracker.example.com/APP-123
    expires: 2027-01-31
```

Every field is required. An unknown rule ID or scenario name, or an expired waiver, is a usage error:
a waiver must never silently stop covering anything. A waived scenario that now passes is a *stale*
waiver and fails the gate, so waivers get removed once the fix lands.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bru_conformance.catalogue import Catalogue
from bru_conformance.schemas import SchemaError, validate


class WaiverError(ValueError):
    """The waivers file is invalid (exit code 2)."""


@dataclass(frozen=True)
class Waiver:
    rule: str | None
    scenario: str | None
    reason: str
    link: str
    expires: dt.date

    def covers(self, rule_id: str, scenario: str) -> bool:
        return (self.rule == rule_id) if self.rule else (self.scenario == scenario)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "scenario": self.scenario, "reason": self.reason, "link": self.link,
                "expires": self.expires.isoformat()}


def load(path: Path, catalogue: Catalogue, today: dt.date | None = None) -> list[Waiver]:
    today = today or dt.date.today()
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise WaiverError(f"cannot read waivers {path}: {exc}") from exc
    if isinstance(document, dict):  # YAML dates arrive as date objects; the schema checks strings
        for entry in document.get("waivers") or []:
            if isinstance(entry, dict) and isinstance(entry.get("expires"), dt.date):
                entry["expires"] = entry["expires"].isoformat()
    try:
        validate("waivers", document)
    except SchemaError as exc:
        raise WaiverError(f"{path}: {exc}") from exc
    rules = catalogue.by_id()
    scenarios = {s.name for r in catalogue.rules for s in r.scenarios}
    out = []
    for entry in document["waivers"]:
        waiver = Waiver(entry.get("rule"), entry.get("scenario"), entry["reason"], entry["link"],
                        dt.date.fromisoformat(entry["expires"]))
        if waiver.rule and waiver.rule not in rules:
            raise WaiverError(f"{path}: waiver for unknown rule {waiver.rule}")
        if waiver.scenario and waiver.scenario not in scenarios:
            raise WaiverError(f"{path}: waiver for unknown scenario {waiver.scenario!r}")
        if waiver.expires < today:
            raise WaiverError(f"{path}: the waiver for {waiver.rule or waiver.scenario!r} expired on {waiver.expires}")
        out.append(waiver)
    return out

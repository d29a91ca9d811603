"""Where the bundled data lives: inside the wheel (`_bundled/`) or at the top of a source checkout."""

from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PKG / "_bundled" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled {name}/ not found next to {_PKG}; is the installation complete?")


#: Points a run at another features directory (e.g. exploration counterexamples); `run --features` sets it.
FEATURES_ENV = "BRU_FEATURES_DIR"


def features_dir() -> Path:
    override = os.environ.get(FEATURES_ENV)
    if override:
        return Path(override).resolve()
    return _find("features")


def schemas_dir() -> Path:
    return _find("schemas")


def suite_dir() -> Path:
    """The directory holding the pytest entry module that binds every feature file."""
    return _PKG / "suite"

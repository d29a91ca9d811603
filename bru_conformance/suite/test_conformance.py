"""Binds every scenario of the bundled feature files; the steps come from the `steps` plugins."""

from pytest_bdd import scenarios

from bru_conformance.resources import features_dir

scenarios(str(features_dir()))

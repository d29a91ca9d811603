"""Binds every scenario of the bundled feature files; the steps come from the `steps` plugins.

Each feature file is bound by its real path. A features directory of links to bundled files (the mutation
matrix's targeted runs: `proving.mutation._features_of`) then binds the very files its warm parent parsed
(`proving.forked.warm`), which pytest-bdd keeps by path, instead of parsing them again in every run (8 % of a
targeted run's time). Two links to one file bind it once. pytest-bdd names a feature by its directory's name and its
file name (only its own `--cucumberjson` shows it): for the matrix's directories, named `features` like the bundled
one, that is `features/NAME.feature` either way; a link into a directory of another name gives that name.
"""

import glob
import os

from pytest_bdd import scenarios

from bru_conformance.resources import features_dir

_root = str(features_dir())
scenarios(*sorted({os.path.realpath(path) for path in glob.iglob(os.path.join(_root, "**", "*.feature"), recursive=True)}) or [_root])

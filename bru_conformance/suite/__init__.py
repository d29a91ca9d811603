"""The pytest entry point of a conformance run (bound to every bundled feature file).

May import: model
"""


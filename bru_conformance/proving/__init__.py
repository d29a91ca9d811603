"""The suite proving itself: stateful exploration of an implementation with Hypothesis machines
(`explore`), shrunk failures written as replayable feature files (`counterexample`), and the two-sided
mutation matrix, mutants that must fail and controls that must pass (`mutation`).

May import: model, catalogue, scenario, adapters, reporting, run, bench
"""

"""The suite proving itself: stateful exploration of an implementation with Hypothesis machines
(`explore`), shrunk failures written as replayable feature files (`counterexample`), and the two-sided
mutation matrix, mutants that must fail and controls that must pass (`mutation`).

May import: model, catalogue, scenario, adapters, reporting, run, bench
"""

#: examples per machine that `explore` runs unless told otherwise: 150 since the rule chooser (`explore.choice`) made
#: an example cheaper, and the budget within which every mutant declared in reach is found at seed 0
EXPLORE_BUDGET = 150
#: examples of `explore --bench`: the workload its figures have always been measured on
BENCH_EXAMPLES = 100

"""Running the catalogue: the pytest plugin that turns the feature files into a conformance run
(`plugin`), how that run keeps the garbage collector's work small (`heap`), its options as a pytest11
entry point (`pytest_entry`), and the runner that starts pytest on the bundled suite, isolated from the
caller's configuration (`runner`).

May import: model, catalogue, scenario, adapters, reporting
"""

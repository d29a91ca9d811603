from bru_conformance.cli import main

main()

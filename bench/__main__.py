"""`python -m bench`: the same as `ero-bench`."""

from bench.cli import main

main()

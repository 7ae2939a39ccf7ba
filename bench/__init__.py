"""Benchmarks: `ero-bench pipeline | queries | classify | post` (bench/cli.py), over everything."""

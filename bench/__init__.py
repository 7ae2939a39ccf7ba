"""Load generation and benchmarks: the connector fleet simulator and `ero bench pipeline`."""

"""One contender of `ero-bench pipeline`, run in a process of its own.

Every contender does the same job on the same preloaded topic: consume from the start, classify
(except the floor), insert into `sync_events` of its own chdb (one process per chdb path), in
blocks of at most `max_records` records or `flush_seconds`. The clock starts at the first record
consumed and stops when the last event is inserted, so group joins are not counted.

    python -m bench.job ours|bare|quix|faust|floor --bootstrap H:P --topic T --events N --data DIR \
        --run ID

This module only dispatches; what the contenders share is in bench/job_spec.py.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from bench.job_spec import JobSpec

CONTENDERS = ("ours", "bare", "quix", "faust", "floor")


def _runner(contender: str) -> Callable[[JobSpec], None]:
    """The contender's entry, imported alone: a peer's package (the `bench` extra) is needed
    only to run that peer."""
    if contender == "ours":
        from bench.ours import run_ours

        return run_ours
    if contender == "bare":
        from bench.ours import run_bare

        return run_bare
    if contender == "quix":
        from bench.peers.quix import run_quix

        return run_quix
    if contender == "faust":
        from bench.peers.faust_per_event import run_faust

        return run_faust
    from bench.peers.floor import run_floor

    return run_floor


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.job")
    parser.add_argument("contender", choices=CONTENDERS)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--run", required=True)
    args = parser.parse_args()
    spec = JobSpec(args.bootstrap, args.topic, args.events, args.data, args.run)
    _runner(args.contender)(spec)


if __name__ == "__main__":
    main()

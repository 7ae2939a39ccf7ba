"""What the benchmarks write on stderr while they run (their figures go to stdout)."""

from __future__ import annotations

import sys


def say(text: str) -> None:
    """One line of progress on stderr."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def show_count(label: str, done: int, total: int) -> None:
    """Overwrite the current stderr line with `label done/total (percent %)`."""
    sys.stderr.write(f"\r{label} {done:,}/{total:,} ({100 * done // max(total, 1)} %)")
    sys.stderr.flush()

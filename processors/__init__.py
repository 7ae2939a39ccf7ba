"""Stream processors: classify each accepted event (level, origin, remediation)."""

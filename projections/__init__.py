"""Projections: the classified stream written into ClickHouse, idempotently, in large batches."""

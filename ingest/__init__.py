"""Ingest: accept connectors' sync events, validate them, append them to the log."""

"""The error every layer raises when a setting makes the asked-for process impossible."""

from __future__ import annotations


class ConfigurationError(RuntimeError):
    """A setting makes the asked-for process impossible; the message says which and why."""

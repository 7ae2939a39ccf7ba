"""ERO composition root: settings, the embedded broker, the process wiring and the `ero` CLI."""

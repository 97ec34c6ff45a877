"""Composition root: settings, database, work log, encryption at rest, CLI and the app factory."""

__all__: list[str] = []

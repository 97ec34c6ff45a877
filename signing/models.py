"""Tables of `signing` (imported by onenumber.models so Alembic sees them)."""

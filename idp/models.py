"""Tables of `idp` (imported by onenumber.models so Alembic sees them)."""

"""Tables of `wallet` (imported by onenumber.models so Alembic sees them)."""

"""Signing keys: ES256 by default, RS256 on request; encrypted at rest, rotated on schedule."""

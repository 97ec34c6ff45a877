"""`onenumber` subcommands contributed by `idp`."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this package's subcommands to the `onenumber` CLI."""

"""Templates of the pages: one Jinja2 environment per package, over its template directories."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape


def environment(*directories: Path, filters: Mapping[str, Callable[..., Any]] | None = None) -> Environment:
    """An HTML-autoescaping environment; a template is looked up in ``directories`` in order (a package's
    own directory first lets it extend another's ``base.html``)."""
    loader = ChoiceLoader([FileSystemLoader(directory) for directory in directories])
    env = Environment(loader=loader, autoescape=select_autoescape(["html"]))
    env.filters.update(filters or {})
    return env

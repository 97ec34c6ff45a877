"""Composition root: settings, database, work log, encryption at rest, CLI and the app factory.

Importing the package has no side effect: each entry point installs the kernel's hooks explicitly
(:func:`onenumber.kernel_hooks.install_kernel_hooks`, called by ``create_app``, the CLI and Alembic).
"""

__all__: list[str] = []

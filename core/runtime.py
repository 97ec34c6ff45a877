"""The app's runtime: everything a request may need from the process, as one typed object.

The composition root (``onenumber.app.create_app``) builds one :class:`Runtime` and keeps it on
``app.state.runtime``; handlers and dependencies reach it with :func:`runtime_of`. Nothing else is attached
to ``app.state``.

The fields are what every package shares (settings, the engine and its sessions, the token verifier the
composition root wires from idp, an optional frozen clock for tests). What one package makes for itself on
first use (idp's key ring, the group-commit writer, wallet's verification reader, …) is a :class:`Slot`
declared in that package: ``runtime.get(SLOT)`` returns the slot's object, made once per runtime under a
lock, typed by the slot — so core never needs to know the other packages' types, and no package guesses
another's attribute names.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from core.settings import Settings

T = TypeVar("T")

TokenVerifier = Callable[[str], dict[str, Any]]
"""``verify(access_token) -> claims``; raises a WireError (401 ``invalid_token``) for a bad token."""


class Slot(Generic[T]):
    """A per-runtime object of one package, made by ``make(runtime)`` the first time it is asked for."""

    def __init__(self, name: str, make: Callable[[Runtime], T]) -> None:
        self.name = name
        self.make = make

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"


@dataclass(eq=False)
class Runtime:
    """What the app's requests share; one per app."""

    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    token_verifier: TokenVerifier | None = None
    clock: Callable[[], datetime] | None = None  # frozen time for tests; None = the wall clock
    _objects: dict[Slot[Any], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, slot: Slot[T]) -> T:
        """The slot's object, made on first use (once, even when threads ask at the same moment)."""
        try:
            found: T = self._objects[slot]
            return found
        except KeyError:
            pass
        with self._lock:
            if slot not in self._objects:
                self._objects[slot] = slot.make(self)
            made: T = self._objects[slot]
            return made

    def peek(self, slot: Slot[T]) -> T | None:
        """The slot's object if it has been made, else None (never makes it)."""
        found: T | None = self._objects.get(slot)
        return found

    def put(self, slot: Slot[T], value: T) -> None:
        """Set the slot's object (the composition root, or a test replacing a part)."""
        with self._lock:
            self._objects[slot] = value


def runtime_of(source: HTTPConnection | Any) -> Runtime:
    """The runtime of a request (or websocket), or of an app."""
    app = source.app if isinstance(source, HTTPConnection) else source
    runtime: Runtime = app.state.runtime
    return runtime

"""Web channels of `wallet`: the online hall, counter console, kiosk, public verify page and admin pages."""

from channels.router import router

__all__ = ["router"]

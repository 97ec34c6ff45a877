"""HTTP routes of `signing`, mounted by the app factory."""

from fastapi import APIRouter

router = APIRouter()

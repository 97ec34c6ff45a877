"""HTTP routes of `idp`, mounted by the app factory."""

from fastapi import APIRouter

router = APIRouter()

"""HTTP routes of `wallet`, mounted by the app factory."""

from fastapi import APIRouter

router = APIRouter()

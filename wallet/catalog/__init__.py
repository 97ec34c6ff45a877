"""Departments and the license catalog (证照目录)."""

from wallet.catalog.models import Department, LicenseType

__all__ = ["Department", "LicenseType"]

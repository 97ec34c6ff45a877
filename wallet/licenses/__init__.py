"""E-licenses: issuance, lifecycle, holder wallet, presentations, grants, access log, verification, SD-JWT."""

from wallet.licenses.models import AccessLog, License, LicenseEvent, UseGrant, WalletKey
from wallet.licenses.service import referenced_blob_keys

__all__ = ["AccessLog", "License", "LicenseEvent", "UseGrant", "WalletKey", "referenced_blob_keys"]

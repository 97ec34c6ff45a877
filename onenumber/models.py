"""Imports every package's tables so that ``Base.metadata`` is complete (Alembic, tests, create_all)."""

import idp.models  # noqa: F401
import onenumber.worklog.models  # noqa: F401
import signing.models  # noqa: F401
import wallet.models  # noqa: F401

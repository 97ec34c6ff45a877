"""Imports every package's tables so that ``Base.metadata`` is complete (Alembic, tests, create_all)."""

import channels.models  # noqa: F401  (server-side hall sessions)
import core.worklog.models  # noqa: F401
import idp.models  # noqa: F401
import signing.models  # noqa: F401
import wallet.models  # noqa: F401

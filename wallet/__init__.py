"""wallet: what holders hold (licenses, grants, verification) and, later, what they ask (applications)."""

__all__: list[str] = []

"""Group read: concurrent requests' keys fetched together, each request answered with its own row."""

import asyncio
from collections.abc import Sequence

import pytest

from core.groupread import GroupRead


def test_concurrent_gets_share_fetches_and_each_gets_its_own_value() -> None:
    fetched: list[list[int]] = []

    def fetch(keys: Sequence[int]) -> dict[int, str]:
        fetched.append(list(keys))
        return {k: f"row {k}" for k in keys if k % 10}  # multiples of ten do not exist

    reader: GroupRead[int, str] = GroupRead(fetch)

    async def main() -> list[str | None]:
        return await asyncio.gather(*(reader.get(k % 25) for k in range(100)))

    answers = asyncio.run(main())
    assert answers == [None if (k % 25) % 10 == 0 else f"row {k % 25}" for k in range(100)]
    assert len(fetched) < 100  # requests that waited together were read together
    assert all(len(keys) == len(set(keys)) for keys in fetched)  # a key asked twice is read once


def test_every_get_is_read_after_it_was_asked() -> None:
    """No value outlives its query: a change between two gets shows in the second."""
    table = {"a": "valid"}
    reader: GroupRead[str, str] = GroupRead(lambda keys: {k: table[k] for k in keys if k in table})

    async def main() -> tuple[str | None, str | None]:
        first = await reader.get("a")
        table["a"] = "revoked"
        return first, await reader.get("a")

    assert asyncio.run(main()) == ("valid", "revoked")


def test_a_failed_fetch_fails_its_batch_and_the_next_one_reads_again() -> None:
    calls = 0

    def fetch(keys: Sequence[str]) -> dict[str, str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database away")
        return {k: k.upper() for k in keys}

    reader: GroupRead[str, str] = GroupRead(fetch)

    async def main() -> str | None:
        with pytest.raises(ConnectionError):
            await reader.get("x")
        return await reader.get("y")

    assert asyncio.run(main()) == "Y"
    assert calls == 2

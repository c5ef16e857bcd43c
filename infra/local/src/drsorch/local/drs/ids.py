"""Deterministic IDs and random draws, derived from the emulator's seed.

Every ID and every draw is a hash of (seed, what it is for), so a run repeats
exactly given the same seed and calls, whatever other accounts do in between.
"""

from __future__ import annotations

import hashlib
import string
from collections import defaultdict

from drsorch.local.drs.settings import DurationRange

_ALNUM = string.digits + string.ascii_letters


def _digest(*parts: object) -> int:
    text = "\x1f".join(str(part) for part in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")


def draw_ms(seed: int, spread: DurationRange, *key: object) -> int:
    """A duration in milliseconds, uniform over the range (whole seconds), for this key."""
    width = spread.max_seconds - spread.min_seconds + 1
    return (spread.min_seconds + _digest(seed, "draw", *key) % width) * 1000


def chance(seed: int, rate: float, *key: object) -> bool:
    """True with probability `rate`, deterministically for this key."""
    if rate <= 0:
        return False
    return (_digest(seed, "chance", *key) % 1_000_000) < rate * 1_000_000


def _encode(number: int, alphabet: str, length: int) -> str:
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(alphabet))
        chars.append(alphabet[index])
    return "".join(chars)


class IdFactory:
    """Generates DRS IDs: one counter per (kind, account, region)."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._counters: defaultdict[tuple[str, str, str], int] = defaultdict(int)

    def _next(self, kind: str, account_id: str, region: str) -> int:
        self._counters[kind, account_id, region] += 1
        return _digest(
            self._seed, kind, account_id, region, self._counters[kind, account_id, region]
        )

    def source_server(self, account_id: str, region: str) -> str:
        """s-[0-9a-zA-Z]{17}"""
        return "s-" + _encode(self._next("s", account_id, region), _ALNUM, 17)

    def job(self, account_id: str, region: str) -> str:
        """drsjob-[0-9a-zA-Z]{17}"""
        return "drsjob-" + _encode(self._next("job", account_id, region), _ALNUM, 17)

    def recovery_instance(self, account_id: str, region: str) -> str:
        """i-[0-9a-f]{17}: its own ID, not the EC2 instance ID (DRS keeps both fields)."""
        number = self._next("ri", account_id, region)
        return "i-" + _encode(number, "0123456789abcdef", 17)

    def template(self, account_id: str, region: str) -> str:
        """lct-[0-9a-zA-Z]{17}"""
        return "lct-" + _encode(self._next("lct", account_id, region), _ALNUM, 17)

    def snapshot(self, account_id: str, region: str) -> str:
        """pit-[0-9a-zA-Z]{17}"""
        return "pit-" + _encode(self._next("pit", account_id, region), _ALNUM, 17)

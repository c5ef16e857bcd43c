"""Generators: many servers from one stanza, with seeded name noise and unhealthy replication.

Every random choice comes from `random.Random` seeded with a string made of the seed and
the generator's place in the file, so the same file always yields the same estate.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from drsorch.local.estate.models import Generator, Replication, Server
from drsorch.local.estate.types import NoiseKind


class GeneratedServers:
    """Iterate `(server, renames)`: `renames` maps an instance role to its noisy Name tag."""

    def __init__(self, generator: Generator, *, seed: int, stream: str) -> None:
        self.generator = generator
        self._noise = random.Random(f"{seed}/{stream}/noise")
        self._health = random.Random(f"{seed}/{stream}/health")

    def __iter__(self) -> Iterator[tuple[Server, dict[str, str]]]:
        generator = self.generator
        template = dict(generator.template)
        for offset in range(generator.count):
            index = generator.start + offset
            name = generator.name.format(index=index)
            hostname = (
                generator.hostname.format(index=index, name=name) if generator.hostname else None
            )
            fields = {
                **template,
                "name": name,
                "hostname": hostname,
                "wave": self._wave(offset),
                "replication": self._replication(),
            }
            if generator.staging_accounts:
                fields["staging_account"] = self._staging(offset)
            # The template and the patterns were validated; building 1,000 servers stays cheap.
            yield Server.model_construct(**fields), self._renames(name)

    def _wave(self, offset: int) -> int | None:
        waves = self.generator.waves
        return waves[offset * len(waves) // self.generator.count] if waves else None

    def _staging(self, offset: int) -> str:
        spread = self.generator.staging_accounts
        return spread[offset * len(spread) // self.generator.count]

    def _replication(self) -> Replication:
        unhealthy = self.generator.unhealthy
        if unhealthy is None or self._health.random() >= unhealthy.rate:
            return self.generator.template.replication
        state = self._health.choice(unhealthy.states)
        return Replication(state=state, lag_seconds=unhealthy.lag_seconds)

    def _renames(self, name: str) -> dict[str, str]:
        noise = self.generator.name_noise
        if noise is None:
            return {}
        renames: dict[str, str] = {}
        for role in noise.applies_to:
            if self._noise.random() < noise.rate:
                renames[role] = add_noise(name, self._noise.choice(noise.kinds), self._noise)
        return renames


def add_noise(name: str, kind: NoiseKind, rng: random.Random) -> str:
    """A name an operator would still read as `name`: other case, extra spaces, or `-dr`."""
    if kind == "dr_suffix":
        return name + "-dr"
    if kind == "spaces":
        return rng.choice([f" {name}", f"{name} ", f"{name}  ", f" {name} "])
    letters = [i for i, char in enumerate(name) if char.isalpha()]
    if not letters:  # nothing to change the case of: pad instead
        return f"{name} "
    style = rng.choice(["upper", "capitalize", "one"])
    if style == "upper" and name != name.upper():
        return name.upper()
    if style == "capitalize" and name != name.capitalize():
        return name.capitalize()
    i = rng.choice(letters)
    return name[:i] + name[i].swapcase() + name[i + 1 :]

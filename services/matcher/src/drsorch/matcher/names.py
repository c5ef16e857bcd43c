"""Name tags as the matcher compares them: normalised for exact matches, scored when similar.

Normalising folds case, trims and collapses whitespace, and strips the known
prefixes and suffixes a DR estate adds to its names (`-dr`, a region name, or the
request's own `name_prefixes`/`name_suffixes`). Two names are the same only when
their normalised forms are equal; anything else is at most a suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Conventions common enough to apply to every request; a request adds its own.
DEFAULT_PREFIXES = ("dr-", "dr_")
DEFAULT_SUFFIXES = ("-dr", "_dr")


def _affixes(raw: Iterable[str]) -> tuple[str, ...]:
    # Longest first, so `-dr-us-west-2` is stripped whole before `-dr` could match.
    folded = {" ".join(affix.split()).casefold() for affix in raw} - {""}
    return tuple(sorted(folded, key=lambda a: (-len(a), a)))


@dataclass(frozen=True, slots=True)
class NameRules:
    """The affixes stripped from both sides' names before they are compared."""

    prefixes: tuple[str, ...] = _affixes(DEFAULT_PREFIXES)
    suffixes: tuple[str, ...] = _affixes(DEFAULT_SUFFIXES)

    @classmethod
    def build(
        cls, prefixes: Iterable[str], suffixes: Iterable[str], regions: Iterable[str] = ()
    ) -> NameRules:
        """The defaults, the request's affixes, and `<region>-` / `-<region>` for each region."""
        regions = tuple(regions)
        return cls(
            prefixes=_affixes([*DEFAULT_PREFIXES, *prefixes, *(f"{r}-" for r in regions)]),
            suffixes=_affixes([*DEFAULT_SUFFIXES, *suffixes, *(f"-{r}" for r in regions)]),
        )

    def normalise(self, name: str) -> str:
        """`name` folded, with every known affix stripped (repeatedly); never empty for a name."""
        text = " ".join(name.split()).casefold()
        # str.endswith/startswith take a tuple: one C call each passes most names through.
        while text.endswith(self.suffixes) or text.startswith(self.prefixes):
            stripped = self._strip_once(text)
            if stripped == text:
                break
            text = stripped
        return text

    def _strip_once(self, text: str) -> str:
        for suffix in self.suffixes:
            if text.endswith(suffix) and len(text) > len(suffix):
                return text[: -len(suffix)].strip()
        for prefix in self.prefixes:
            if text.startswith(prefix) and len(text) > len(prefix):
                return text[len(prefix) :].strip()
        return text


def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of `text`, with its ends marked so one-letter names still have some."""
    padded = f"\x02{text}\x03"
    return frozenset(padded[i : i + 2] for i in range(len(padded) - 1))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Sørensen-Dice coefficient of two bigram sets: 1.0 alike, 0.0 nothing shared.

    Chosen over an edit-distance ratio because it is a set intersection in C:
    deterministic, symmetric and cheap enough to score suggestions for thousands
    of unmatched servers within the matcher's time budget.
    """
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))

"""Suggestions: similar, unequal names, scored for an operator to approve; never paired.

Linear, never pairwise over all targets. A name's *skeleton* is its normalised form
with everything but letters and digits removed; a free target is a candidate for a
server when they share a key: the skeleton itself, the skeleton with leading zeros
of numbers dropped (`app01` / `app1`), or the skeleton less one character (one
typo, one extra or missing character). Each key holds at most `MAX_PER_KEY` targets
in a fixed order, a server compares at most `MAX_COMPARED`, and the best `TOP` at
or above `MIN_SCORE` are kept.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from drsorch.matcher.names import bigrams, similarity
from drsorch.matcher.records import Suggestion, TargetInstance, fact

MIN_SCORE = 0.5
TOP = 3
MAX_COMPARED = 32
MAX_PER_KEY = 16
MAX_SKELETON = 48  # longer names are compared on their first 48 characters' keys only

Wanting = tuple[str, str, str, str]  # (server ID, account, its label, normalised label)
_NOT_ALNUM = re.compile(r"[\W_]+")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def keys(norm: str) -> list[str]:
    """The keys a normalised name is filed under (and looked up by)."""
    skeleton = _NOT_ALNUM.sub("", norm)[:MAX_SKELETON] or norm[:MAX_SKELETON]
    found = [skeleton, "0" + _LEADING_ZEROS.sub("", skeleton)]
    if len(skeleton) > 2:
        found.extend("-" + skeleton[:i] + skeleton[i + 1 :] for i in range(len(skeleton)))
    return found


class SuggestionIndex:
    """Free targets filed under their names' keys, per account."""

    def __init__(self, free: Iterable[tuple[str, TargetInstance]]) -> None:
        filed: defaultdict[tuple[str, str], list[tuple[str, TargetInstance]]] = defaultdict(list)
        for norm, target in sorted(free, key=lambda nt: (nt[0], nt[1].instance_id)):
            for key in keys(norm):
                held = filed[(target.account_id, key)]
                if len(held) < MAX_PER_KEY:
                    held.append((norm, target))
        self._filed = dict(filed)

    def _candidates(self, account: str, norm: str) -> dict[str, tuple[str, TargetInstance]]:
        found: dict[str, tuple[str, TargetInstance]] = {}
        skeleton_keys = keys(norm)
        # A server's skeleton is also looked up among the targets' one-shorter keys.
        for key in [*skeleton_keys, "-" + skeleton_keys[0]]:
            for candidate in self._filed.get((account, key), ()):
                found.setdefault(candidate[1].instance_id, candidate)
                if len(found) >= MAX_COMPARED:
                    return found
        return found

    def suggest(self, server_id: str, account: str, label: str, norm: str) -> list[Suggestion]:
        """The best few free targets whose names resemble `norm`, best first."""
        grams = bigrams(norm)
        scored = []
        for other, target in self._candidates(account, norm).values():
            score = similarity(grams, bigrams(other))
            if score >= MIN_SCORE and other != norm:
                scored.append((-round(score, 4), target.instance_id, target))
        scored.sort(key=lambda s: (s[0], s[1]))
        return [
            Suggestion(
                source_server_id=server_id,
                target_instance_id=instance_id,
                score=-negative,
                reason=fact(
                    f"Name {label!r} resembles {target.name!r} ({-negative:.2f} bigram"
                    " similarity after normalisation); not paired without an operator's approval"
                ),
            )
            for negative, instance_id, target in scored[:TOP]
        ]


def suggest_all(index: SuggestionIndex, wanting: Sequence[Wanting]) -> list[Suggestion]:
    """Suggestions for every (server ID, account, label, normalised name) in `wanting`."""
    out: list[Suggestion] = []
    for server_id, account, label, norm in wanting:
        out.extend(index.suggest(server_id, account, label, norm))
    return out

"""Suggestions: similar, unequal names, scored for an operator to approve; never paired.

Linear, never pairwise over all targets. A name's *skeleton* is its normalised form
with only letters and digits kept, and leading zeros of numbers dropped (so
`App-01`, `app_1` and `APP01` share one). A free target is a candidate for a server
when they share a key: the skeleton (and then no other key is tried), or else the
skeleton less one letter, which one typo in the letters of either side leaves in
common (numbers must agree: they tell siblings apart). Each key holds at most
`MAX_PER_KEY` targets in a fixed order, a server scores at most `MAX_COMPARED`, and
keeps the best `TOP` at or above `MIN_SCORE`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from drsorch.matcher.names import bigrams, similarity
from drsorch.matcher.records import Suggestion, TargetInstance, fact

MIN_SCORE = 0.6
TOP = 3
MAX_COMPARED = 16
MAX_PER_KEY = 8
MIN_TYPO_LENGTH = 4  # shorter skeletons would share keys with too much
MAX_SKELETON = 64

Wanting = tuple[str, str, str, str]  # (server ID, account, its label, normalised label)
_NOT_ALNUM = re.compile(r"[\W_]+")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def skeleton(norm: str) -> str:
    """Letters and digits only, numbers without leading zeros; the name itself if none.

    Cut to `MAX_SKELETON` characters, which bounds the keys a long name is filed under.
    """
    bones = norm if norm.isalnum() else _NOT_ALNUM.sub("", norm)
    if "0" in bones:
        bones = _LEADING_ZEROS.sub("", bones)
    bones = bones or norm
    return bones[:MAX_SKELETON]


def _skeletons(norm: str) -> list[str]:
    """The name's skeleton, and its first DNS label's when it has a domain.

    `web-01.corp.example.com` and `web-01` are near names: a host name and an instance
    Name often differ only by the domain.
    """
    bones = [skeleton(norm)]
    label = norm.split(".", 1)[0]
    if label and label != norm:
        bones.append(skeleton(label))
    return bones


def _keys_of(norm: str) -> list[str]:
    return [key for bones in _skeletons(norm) for key in _keys(bones)]


def _keys(bones: str) -> list[str]:
    """`=skeleton`, then `-skeleton` and `-skeleton-less-one-letter` for each letter.

    Two names one typo apart in their letters (one changed, added, dropped, or two
    swapped) share a `-` key: the deletion neighbourhoods of both sides meet. Numbers
    must agree: `web-01` and `web-02` are two servers, not a typo.
    """
    keys = ["=" + bones]
    if len(bones) >= MIN_TYPO_LENGTH:
        keys.append("-" + bones)
        keys.extend(
            "-" + bones[:i] + bones[i + 1 :] for i, c in enumerate(bones) if not c.isdigit()
        )
    return keys


class SuggestionIndex:
    """Free targets filed by account under their skeleton keys."""

    def __init__(self, free: Iterable[tuple[str, TargetInstance]]) -> None:
        """File `(normalised name, target)` pairs, given in a fixed order (by instance ID)."""
        filed: dict[str, dict[str, list[tuple[str, TargetInstance]]]] = {}
        for norm, target in free:
            account = filed.setdefault(target.account_id, {})
            candidate = (norm, target)
            for key in _keys_of(norm):
                held = account.setdefault(key, [])
                # A doubled letter gives one key twice: file the candidate once.
                if len(held) < MAX_PER_KEY and (not held or held[-1] is not candidate):
                    held.append(candidate)
        self._filed = filed
        self._grams: dict[str, frozenset[str]] = {}

    def _candidates(self, account: str, norm: str) -> list[tuple[str, TargetInstance]]:
        found: dict[str, tuple[str, TargetInstance]] = {}
        filed = self._filed.get(account, {})
        for key in _keys_of(norm):
            for candidate in filed.get(key, ()):
                found.setdefault(candidate[1].instance_id, candidate)
            # The same skeleton (separators, zeros, case apart) beats any typo match.
            if len(found) >= MAX_COMPARED or (found and key[0] == "="):
                break
        return list(found.values())[:MAX_COMPARED]

    def _bigrams(self, norm: str) -> frozenset[str]:
        grams = self._grams.get(norm)
        if grams is None:
            grams = self._grams[norm] = bigrams(norm)
        return grams

    def suggest(self, server_id: str, account: str, label: str, norm: str) -> list[Suggestion]:
        """The best few free targets whose names resemble `norm`, best first."""
        grams = bigrams(norm)
        scored = []
        label = norm.split(".", 1)[0]
        for other, target in self._candidates(account, norm):
            score = round(similarity(grams, self._bigrams(other)), 4)
            if label != norm or "." in other:
                # Compared without their domains too: the better of the two counts.
                bare = similarity(bigrams(label), self._bigrams(other.split(".", 1)[0]))
                score = max(score, round(bare, 4))
            if score >= MIN_SCORE and other != norm:
                scored.append((-score, target.instance_id, target))
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

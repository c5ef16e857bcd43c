"""Name normalisation: what counts as the same Name, and the similarity score."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drsorch.matcher.names import NameRules, bigrams, similarity

RULES = NameRules.build(["corp-"], ["-recovery"], ["us-east-1", "us-west-2"])


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("APP01", "app01"),
        ("  app01 ", "app01"),
        ("web   server\t01", "web server 01"),
        ("app01-dr", "app01"),
        ("APP01 -dr", "app01"),
        ("dr-app01", "app01"),
        ("app01-us-west-2", "app01"),
        ("us-east-1-app01", "app01"),
        ("corp-app01-recovery", "app01"),
        ("app01-dr-us-west-2", "app01"),  # stripped repeatedly
        ("-dr", "-dr"),  # never stripped to nothing
        ("app-drive", "app-drive"),  # an affix only at the very end or start
    ],
)
def test_names_normalise_to_one_form(raw: str, normal: str) -> None:
    assert RULES.normalise(raw) == normal


def test_the_request_affixes_are_folded_like_names() -> None:
    rules = NameRules.build(["  DR  Site "], [], [])
    assert rules.normalise("dr site app01") == "app01"


def test_a_longer_affix_is_stripped_before_its_shorter_tail() -> None:
    rules = NameRules.build([], ["-dr", "-west-dr"], [])
    assert rules.normalise("app-west-dr") == "app"


@given(st.text(min_size=1, max_size=40))
def test_normalising_is_idempotent_and_never_empties_a_name(raw: str) -> None:
    once = RULES.normalise(raw)
    assert RULES.normalise(once) == once
    assert once or not raw.split()


@given(st.text(max_size=30), st.text(max_size=30))
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    score = similarity(bigrams(a), bigrams(b))
    assert score == similarity(bigrams(b), bigrams(a))
    assert 0.0 <= score <= 1.0
    assert similarity(bigrams(a), bigrams(a)) == 1.0

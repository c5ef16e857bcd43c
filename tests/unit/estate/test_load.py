"""Loading estate files: the examples load, and every mistake is reported with path and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from drsorch.local.estate import (
    Estate,
    EstateError,
    default_estate_path,
    estates_dir,
    load_estate,
    seed_estate,
)
from drsorch.local.estate.loader import parse_estate

EXAMPLES = sorted(estates_dir().glob("*.yaml"))


def problems_of(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(EstateError) as caught:
        parse_estate(text, source="test.yaml")
    return [(p.line, p.path, p.message) for p in caught.value.problems]


def test_the_three_required_examples_are_shipped() -> None:
    names = {path.name for path in EXAMPLES}
    assert {"small.yaml", "two-account-failed-over.yaml", "thousand.yaml"} <= names
    assert default_estate_path().name == "small.yaml"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_every_example_loads(path: Path) -> None:
    estate = load_estate(path)
    assert estate.name == path.stem


SEVERAL_MISTAKES = """\
name: bad
regoins: {primary: us-east-1}
phase: failed_ovr
accounts:
  - kind: hub
    servers:
      - name: web-01
        wave: one
        architecure: x86_64
        tags: {app: shop, tier: 1}
      - name: web-02
        original: {state: halted}
  - kind: spoke
    id: 210987654321
    servers:
      - hostname: x
        target: {naem: web}
  - kind: spoke
    id: "210987654322"
    name: a
    name: b
"""


def test_several_mistakes_are_all_reported_with_paths_and_lines() -> None:
    assert problems_of(SEVERAL_MISTAKES) == [
        (2, "regoins", "unknown key 'regoins' (did you mean 'regions'?)"),
        (3, "phase", "Input should be 'protected' or 'failed_over' (got 'failed_ovr')"),
        (8, "accounts[0].servers[0].wave", "Input should be a valid integer (got 'one')"),
        (
            9,
            "accounts[0].servers[0].architecure",
            "unknown key 'architecure' (did you mean 'architecture'?)",
        ),
        (
            10,
            "accounts[0].servers[0].tags.tier",
            "Input should be a valid string: quote it (YAML read 1 as a number)",
        ),
        (
            12,
            "accounts[0].servers[1].original.state",
            "Input should be 'running', 'stopped' or 'terminated' (got 'halted')",
        ),
        (
            14,
            "accounts[1].id",
            "Input should be a valid string: quote it (YAML read 210987654321 as a number)",
        ),
        (16, "accounts[1].servers[0].name", "required key 'name' is missing"),
        (
            17,
            "accounts[1].servers[0].target.naem",
            "unknown key 'naem' (did you mean 'name'?)",
        ),
        (21, "accounts[2].name", "key 'name' is written twice (first at line 20); keep one"),
    ]


INCONSISTENT = """\
name: inconsistent
regions: {primary: us-east-1, recovery: us-east-1}
network: {availability_zones: [a, e]}
accounts:
  - kind: hub
    role_name: not-for-the-hub
    servers:
      - name: web-01
        wave: 1
        tags: {"dr:wave": "2", Name: web}
        availability_zone: c
        original: {tags: {AWSDRS: "yes"}}
        reverse_replication: {state: CONTINUOUS}
      - name: web-01
        original: {private_ip: 10.9.0.1}
  - kind: hub
  - kind: spoke
  - kind: spoke
    id: "123456789012"
    role_name: r
"""


def test_consistency_problems_are_all_reported_together() -> None:
    found = problems_of(INCONSISTENT)
    paths = [(line, path) for line, path, _ in found]
    assert paths == [
        (2, "regions.recovery"),
        (6, "accounts[0].role_name"),
        (10, "accounts[0].servers[0].tags.Name"),
        (10, "accounts[0].servers[0].tags['dr:wave']"),
        (11, "accounts[0].servers[0].availability_zone"),
        (12, "accounts[0].servers[0].original.tags.AWSDRS"),
        (13, "accounts[0].servers[0].reverse_replication"),
        (14, "accounts[0].servers[1]"),
        (15, "accounts[0].servers[1].original.private_ip"),
        (16, "accounts[1].id"),
        (16, "accounts[1].kind"),
        (17, "accounts[2]"),
        (17, "accounts[2]"),
        (19, "accounts[3].id"),
    ]
    messages = " | ".join(message for _, _, message in found)
    for expected in (
        "must differ from the primary region",
        "no role here",
        "set the Name tag with `name`",
        "the wave is given twice",
        "zone 'c' is not in network.availability_zones",
        "10.9.0.1 is outside zone e's subnet 10.0.16.0/20",
        "set allow_launch_into: false",
        "not while protected",
        "server name 'web-01' is already used by accounts[0].servers[0]",
        "a second hub",
        "a spoke needs its id",
        "a spoke needs role_name",
        "account 123456789012 is already accounts[0]",
    ):
        assert expected in messages


def test_an_unknown_zone_letter_is_reported_against_the_region() -> None:
    found = problems_of("name: z\nnetwork: {availability_zones: [a, f]}\naccounts: [{kind: hub}]\n")
    assert found == [
        (2, "network.availability_zones[1]", "zone us-west-2f does not exist (zones: a, b, c, d)")
    ]


def test_yaml_syntax_errors_carry_their_line() -> None:
    found = problems_of("name: x\naccounts:\n  - kind: hub\n   servers: [\n")
    assert len(found) == 1
    line, path, message = found[0]
    assert line == 4
    assert path == ""
    assert message.startswith("YAML:")


@pytest.mark.parametrize("text", ["", "# nothing\n"])
def test_an_empty_file_is_one_problem(text: str) -> None:
    assert problems_of(text) == [(1, "", "the file is empty: an estate is a mapping")]


def test_a_list_at_the_top_is_reported() -> None:
    found = problems_of("- kind: hub\n")
    assert found[0][1] == ""
    assert "valid dictionary" in found[0][2]


def test_an_empty_value_where_a_mapping_belongs_says_so() -> None:
    found = problems_of(
        "name: x\naccounts:\n  - kind: hub\n    servers:\n      - name: a\n        original:\n"
    )
    assert found == [
        (
            6,
            "accounts[0].servers[0].original",
            "Input should be a valid dictionary or instance of InstanceSpec"
            " (the value is empty; write {} for a mapping of defaults)",
        )
    ]


def test_misspelt_keys_in_the_drs_section_are_caught() -> None:
    found = problems_of("name: x\ndrs: {clock: {scael: 10}}\naccounts: [{kind: hub}]\n")
    assert found == [(2, "drs.clock.scael", "unknown key 'scael' (did you mean 'scale'?)")]


def test_a_mistake_repeated_by_a_generator_is_said_a_few_times() -> None:
    text = """\
name: x
accounts:
  - kind: hub
    servers: [{name: app-1}, {name: app-2}, {name: app-3}, {name: app-4}, {name: app-5}]
    generators: [{count: 5, name: "app-{index}"}]
"""
    found = problems_of(text)
    assert [path for _, path, _ in found] == ["accounts[0].generators[0]"] * 4
    assert found[-1][2] == "... and 2 more problems here"


def test_the_error_renders_every_problem_readably() -> None:
    with pytest.raises(EstateError) as caught:
        parse_estate(SEVERAL_MISTAKES, source="bad.yaml")
    text = str(caught.value)
    assert text.splitlines()[0] == "bad.yaml: 10 problems"
    assert "   line 8  accounts[0].servers[0].wave: Input should be a valid integer" in text


def test_an_unreadable_file_is_a_problem_too(tmp_path: Path) -> None:
    with pytest.raises(EstateError) as caught:
        load_estate(tmp_path / "missing.yaml")
    assert "cannot read the file" in caught.value.problems[0].message


def test_the_estates_folder_can_be_pointed_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRSORCH_ESTATES_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="DRSORCH_ESTATES_DIR"):
        default_estate_path()
    (tmp_path / "small.yaml").write_text("name: mine\naccounts: [{kind: hub}]\n")
    assert load_estate(default_estate_path()).name == "mine"


def test_seeding_an_estate_built_in_code_checks_it_first() -> None:
    estate = Estate.model_validate(
        {"name": "x", "accounts": [{"kind": "spoke", "id": "210987654321"}]}
    )
    with pytest.raises(EstateError) as caught:
        seed_estate(estate)
    assert [(p.line, p.path) for p in caught.value.problems] == [
        (None, "accounts"),
        (None, "accounts[0]"),
    ]
    assert "line ?  accounts: no account has kind: hub" in str(caught.value)

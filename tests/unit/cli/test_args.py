"""The request flags: every way to get them wrong is refused naming the flag."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drsorch.cli.args import (
    RequestFlags,
    build_spec,
    parse_accounts,
    parse_launch_settings,
    parse_request_options,
    parse_scope,
)
from drsorch.cli.errors import ExitCode, InputError

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HUB = "123456789012"
FLAGS = RequestFlags(
    operation="failback",
    scope=("dr-plan=demo",),
    primary_region="us-east-1",
    recovery_region="us-west-2",
)


def spec(**changes: object):  # type: ignore[no-untyped-def]
    flags = dataclasses.replace(FLAGS, **changes)  # type: ignore[arg-type]
    return build_spec(flags, caller_account=HUB, requested_by="operator", requested_at=NOW)


def test_a_plain_failback_uses_the_callers_account_as_hub() -> None:
    built = spec(plan=True)
    assert built.accounts.hub == HUB
    assert built.accounts.spokes == ()
    assert built.scope.selector == {"dr-plan": "demo"}
    assert built.plan_only
    assert built.effective_launch_into() == "required"


def test_scope_tags_are_all_kept() -> None:
    assert parse_scope(["app=payments", "tier = db"], []).selector == {
        "app": "payments",
        "tier": "db",
    }


def test_servers_split_on_commas_and_repeat() -> None:
    ids = ["s-" + "a" * 17, "s-" + "b" * 17, "s-" + "c" * 17]
    scope = parse_scope([], [f"{ids[0]},{ids[1]}", ids[2]])
    assert scope.source_server_ids == tuple(ids)


def test_spokes_carry_role_and_external_id_which_may_hold_colons() -> None:
    accounts = parse_accounts(
        [f"{HUB},210987654321:drsorch-spoke:ext:id/1", "333333333333"], caller_account=HUB
    )
    assert accounts.hub == HUB
    first, second = accounts.spokes
    assert (first.account_id, first.role_name, first.external_id) == (
        "210987654321",
        "drsorch-spoke",
        "ext:id/1",
    )
    assert (second.role_name, second.external_id) == (None, None)


def test_launch_settings_read_every_documented_key_and_spelling() -> None:
    settings = parse_launch_settings(
        [
            "copyPrivateIp=true",
            "copy-tags=no",
            "licensing=BYOL",
            "right_sizing=in-aws",
            "launchDisposition=stopped",
        ]
    )
    assert settings.copy_private_ip is True
    assert settings.copy_tags is False
    assert settings.os_byol is True
    assert settings.right_sizing == "IN_AWS"
    assert settings.launch_disposition == "STOPPED"


def test_request_options_read_every_documented_key_and_collect_name_affixes() -> None:
    options = spec(
        options=(
            "batchSize=50",
            "wave-success-ratio=0.9",
            "max_replication_lag_seconds=30",
            "readinessDeadlineSeconds=3600",
            "jobTimeoutSeconds=5400",
            "namePrefix=dr-",
            "nameSuffix=-dr",
            "nameSuffix=-use1",
            "tagLineageTargets=yes",
        )
    ).options
    assert options.batch_size == 50
    assert options.wave_success_ratio == 0.9
    assert options.max_replication_lag_seconds == 30
    assert options.readiness_deadline_seconds == 3600
    assert options.job_timeout_seconds == 5400
    assert options.name_prefixes == ("dr-",)
    assert options.name_suffixes == ("-dr", "-use1")
    assert options.tag_lineage_targets is True


def test_without_options_a_request_keeps_the_documented_defaults() -> None:
    assert spec().options == parse_request_options([])
    assert spec().options.tag_lineage_targets is False
    assert spec().options.batch_size == 100


@pytest.mark.parametrize(
    ("changes", "flag", "words"),
    [
        ({"scope": ("app",)}, "--scope", "not KEY=VALUE"),
        ({"scope": ("app=a", "app=b")}, "--scope", "given twice"),
        ({"scope": (), "servers": ()}, "--scope/--servers", "say which servers"),
        ({"servers": ("s-" + "a" * 17,)}, "--scope/--servers", "not both"),
        ({"scope": (), "servers": ("s-1",)}, "--servers", "pattern"),
        ({"scope": (), "servers": ("s-" + "a" * 17,) * 2}, "--servers", "more than once"),
        ({"accounts": ("12345",)}, "--accounts", "pattern"),
        ({"accounts": (f"{HUB}:role",)}, "--accounts", "hub"),
        ({"accounts": (f"{HUB},{HUB}",)}, "--accounts", "distinct"),
        ({"accounts": (f"{HUB},210987654321:bad role",)}, "--accounts", "pattern"),
        ({"settings": ("speed=fast",)}, "--set", "unknown launch setting 'speed'"),
        ({"settings": ("copyTags=maybe",)}, "--set", "true or false"),
        ({"settings": ("licensing=free",)}, "--set", "BYOL"),
        ({"settings": ("rightSizing=HUGE",)}, "--set", "rightSizing"),
        ({"settings": ("copyTags",)}, "--set", "not KEY=VALUE"),
        ({"options": ("speed=fast",)}, "--option", "unknown option 'speed'"),
        ({"options": ("batchSize=101",)}, "--option", "batchSize='101'"),
        ({"options": ("batchSize=0",)}, "--option", "greater than or equal to 1"),
        ({"options": ("batchSize=ten",)}, "--option", "whole number"),
        ({"options": ("waveSuccessRatio=1.5",)}, "--option", "waveSuccessRatio"),
        ({"options": ("waveSuccessRatio=most",)}, "--option", "expected a number"),
        ({"options": ("tagLineageTargets=maybe",)}, "--option", "true or false"),
        ({"options": ("jobTimeoutSeconds=5",)}, "--option", "jobTimeoutSeconds"),
        ({"primary_region": "moon-1"}, "--primary-region", "not an AWS region"),
        ({"recovery_region": "us-east-1"}, "--recovery-region", "differ"),
        ({"approve": "abc"}, "--approve", "pattern"),
        ({"approve": "a" * 64, "plan": True}, "--plan/--approve", "--plan"),
        ({"drill": True, "launch_into": "required"}, "--launch-into", "drill"),
        ({"drill": True, "launch_into": "preferred"}, "--launch-into", "drill"),
    ],
)
def test_bad_flags_are_refused_naming_the_flag(
    changes: dict[str, object], flag: str, words: str
) -> None:
    with pytest.raises(InputError) as refused:
        spec(**changes)
    assert refused.value.flag == flag
    assert str(refused.value).startswith(f"{flag}: ")
    assert words in str(refused.value)
    assert refused.value.exit_code == ExitCode.USAGE


def test_an_approved_hash_is_kept_lowercase() -> None:
    assert spec(approve="AB" * 32).approved_plan_hash == "ab" * 32


def test_a_drill_defaults_to_standard_launches() -> None:
    assert spec(drill=True).effective_launch_into() == "never"


tag_text = st.text(
    st.characters(codec="ascii", categories=("L", "N"), include_characters="-_.:/"),
    min_size=1,
    max_size=20,
)


user_tag_key = tag_text.filter(lambda key: not key.lower().startswith("aws:"))


@given(st.dictionaries(user_tag_key, tag_text, min_size=1, max_size=8))
def test_any_tag_selector_round_trips(tags: dict[str, str]) -> None:
    scope = parse_scope([f"{k}={v}" for k, v in tags.items()], [])
    assert scope.selector == tags


@given(tag_text, tag_text)
def test_a_tag_key_in_the_aws_prefix_is_refused(rest: str, value: str) -> None:
    with pytest.raises(InputError, match="reserved by AWS"):
        parse_scope([f"aws:{rest}={value}"], [])


@given(
    st.lists(st.sampled_from(["copyTags", "speed", "licensing", "x"]), max_size=4),
    st.lists(st.sampled_from(["true", "BYOL", "", "1", "maybe"]), max_size=4),
)
def test_settings_either_parse_or_name_the_flag(keys: list[str], values: list[str]) -> None:
    pairs = [f"{k}={v}" for k, v in zip(keys, values, strict=False)]
    try:
        parse_launch_settings(pairs)
    except InputError as refused:
        assert refused.flag == "--set"

"""The plan an operator approves: waves and jobs within quotas, the estimate, changes, drift."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from drsorch.cli.outcome import approve_command
from drsorch.cli.plan import (
    Plan,
    PlanQuotas,
    build_plan,
    plan_waves,
    setting_changes,
)
from drsorch.cli.plan_diff import diff_plans
from drsorch.cli.plan_store import load_plan, save_plan
from drsorch.cli.tracker import fold
from drsorch.contracts import (
    ConfigurationResult,
    LaunchConfiguration,
    LaunchSettings,
    Pair,
    RequestOptions,
    ServerRef,
    SlotPipeline,
    TargetRef,
)
from support.cli_fakes import REQUEST_ID, events, spec
from support.cli_pipeline import Script

QUOTAS = PlanQuotas()


def _pair(n: int, wave: int, account: str = "123456789012", target: bool = True) -> Pair:
    server = ServerRef(
        source_server_id=f"s-{n:017x}",
        account_id=account,
        region="us-west-2",
        name=f"app-{n}",
        wave=wave,
    )
    if not target:
        return Pair(server=server)
    return Pair(
        server=server,
        target=TargetRef(instance_id=f"i-{n:017x}", account_id=account, region="us-east-1"),
        method="lineage",
    )


def _plan(script: Script | None = None) -> Plan:
    return build_plan(
        fold(REQUEST_ID, events(script, plan_only=True)), spec(plan_only=True), QUOTAS
    )


def test_a_plan_holds_pairs_refusals_waves_changes_and_an_estimate() -> None:
    plan = _plan()
    assert len(plan.pairs) == 9
    assert len(plan.launching()) == 8  # web-02's target is refused
    assert [w.wave for w in plan.waves] == [1, 2, 3]
    assert sum(w.servers for w in plan.waves) == 8
    assert plan.estimate_minutes == 3 * QUOTAS.job_minutes
    assert "3 jobs in 3 waves" in plan.estimate_reason


def test_jobs_split_by_wave_account_and_batch_size() -> None:
    pairs = [_pair(n, 1) for n in range(250)] + [
        _pair(1000 + n, 1, "210987654321") for n in range(30)
    ]
    waves = plan_waves(pairs, spec(), QUOTAS)
    sizes = sorted((j.account_id, j.servers) for j in waves[0].jobs)
    assert sizes == [
        ("123456789012", 50),
        ("123456789012", 100),
        ("123456789012", 100),
        ("210987654321", 30),
    ]
    assert {j.region for j in waves[0].jobs} == {"us-east-1"}  # a failback launches in the primary


def test_concurrency_quotas_make_rounds() -> None:
    pairs = [_pair(n, 1) for n in range(1200)]
    small_batches = spec(options=RequestOptions(batch_size=50))
    waves = plan_waves(pairs, small_batches, QUOTAS)
    # 24 jobs of 50; at most min(20 jobs, 500 servers / 50 = 10) run at once: 3 rounds
    assert len(waves[0].jobs) == 24
    assert waves[0].rounds == 3


@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from(["111111111111", "222222222222"])),
        max_size=400,
    ),
    st.integers(1, 100),
)
def test_every_pair_is_in_one_job_and_no_job_is_too_big(
    places: list[tuple[int, str]], batch: int
) -> None:
    pairs = [_pair(n, wave, account) for n, (wave, account) in enumerate(places)]
    waves = plan_waves(pairs, spec(options=RequestOptions(batch_size=batch)), QUOTAS)
    assert sum(j.servers for w in waves for j in w.jobs) == len(pairs)
    assert all(0 < j.servers <= batch for w in waves for j in w.jobs)
    assert [w.wave for w in waves] == sorted({wave for wave, _ in places})
    for w in waves:
        assert w.servers == sum(1 for wave, _ in places if wave == w.wave)


def test_a_failback_plan_shows_the_configurator_s_pipeline_and_unplaced_servers() -> None:
    place = SlotPipeline(
        account_id="123456789012",
        region="us-east-1",
        quota=300,
        slot_limit=40,
        replicating_outside=5,
        slots=40,
        servers=8,
        batches=1,
        assumed_sync_seconds=1800,
        estimate_seconds=1800,
        unplaced=1,
    )
    script = Script(pipeline=(place,), unplaced=frozenset({4}))
    plan = build_plan(
        fold(REQUEST_ID, events(script, plan_only=True, operation="failback")),
        spec(plan_only=True, operation="failback"),
        QUOTAS,
    )
    assert plan.pipeline == (place,)
    assert plan.unplaced == ("s-00000000000000004",)
    # The refused target (a rejection for another reason) is not called unplaced.
    assert "s-00000000000000002" not in plan.unplaced
    shown = plan.model_dump(mode="json")["pipeline"]
    assert shown[0]["batches"] == 1 and shown[0]["replicating_outside"] == 5


def test_setting_changes_are_counted_per_field() -> None:
    before = LaunchConfiguration(copy_private_ip=True, right_sizing="BASIC")
    after = before.with_settings(
        LaunchSettings(copy_private_ip=False, right_sizing="NONE"),
        launch_into_instance_id="i-0000000000000001a",
    )
    results = [
        ConfigurationResult(
            source_server_id=f"s-{n:017x}",
            launching_server_id=f"s-{n + 50:017x}",
            account_id="123456789012",
            launch_region="us-east-1",
            outcome="planned",
            previous=before,
            desired=after,
        )
        for n in range(4)
    ]
    changes = {(c.setting, c.before, c.after): c.servers for c in setting_changes(results)}
    assert changes == {
        ("copyPrivateIp", "true", "false"): 4,
        ("rightSizing", "BASIC", "NONE"): 4,
        ("launchIntoInstance", "unset", "the paired target"): 4,
    }


def test_the_same_plan_shows_no_difference_and_a_changed_one_shows_each() -> None:
    approved = _plan()
    assert diff_plans(approved, approved) == []
    bigger = _plan(Script(servers=10))
    lines = diff_plans(approved, bigger)
    assert lines == ["+ web-10 (s-0000000000000000a) -> i-0000000000000000a (now paired)"]
    retargeted = bigger.model_copy(update={"pairs": (_pair(1, 2, target=False), *bigger.pairs[1:])})
    assert any(
        line.startswith("~ app-1") and "standard launch" in line
        for line in diff_plans(bigger, retargeted)
    )


def test_plans_are_saved_and_found_by_hash(tmp_path: Path) -> None:
    plan = _plan()
    path = save_plan(plan, tmp_path)
    assert path.name == f"{plan.plan_hash}.json"
    assert load_plan(plan.plan_hash, tmp_path) == plan
    assert load_plan("f" * 64, tmp_path) is None


def test_the_approve_command_repeats_the_flags() -> None:
    argv = ["failback", "--scope", "app=a b", "--plan", "--primary-region", "us-east-1"]
    assert approve_command(argv, "ab" * 32) == (
        "drsorch failback --scope 'app=a b' --primary-region us-east-1 --approve " + "ab" * 32
    )

"""One valid instance of every registered event, built from small, realistic parts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drsorch.contracts import (
    Accounts,
    Ambiguous,
    CancelRequested,
    CandidateTarget,
    Chunk,
    CleanedInstance,
    ConfigurationResult,
    DiscoveredServer,
    DrillCleanedUp,
    DrillCleanupRequested,
    DrillInstance,
    DrillRequested,
    DrillVerified,
    Event,
    FailbackRequested,
    FailbackServerInfo,
    FailoverRequested,
    JobCompleted,
    JobRecord,
    JobStarted,
    LaunchConfiguration,
    LaunchSettings,
    LaunchSettingsRestored,
    Pair,
    PairsMatched,
    Problem,
    RecoveryInstanceInfo,
    RecoveryPoint,
    RequestCancelled,
    RequestCompleted,
    RequestSpec,
    RestoreRequested,
    RestoreResult,
    RetireAction,
    Retired,
    RetirePlanned,
    RetireRequested,
    RetireResult,
    ReversedServer,
    ReverseReplicationReported,
    ReverseReplicationRequested,
    Scope,
    ServerLaunch,
    ServerRef,
    ServerReport,
    ServersDiscovered,
    Spoke,
    Suggestion,
    TargetConfigured,
    TargetRef,
    Unmatched,
)

HUB = "111122223333"
SPOKE = "444455556666"
PRIMARY = "eu-west-2"
RECOVERY = "us-east-1"
SERVER = "s-1234567890abcdef0"
OTHER_SERVER = "s-abcdefABCDEF12345"
FAILBACK_SERVER = "s-0fedcba9876543210"
ORIGIN = "i-0123456789abcdef0"
RECOVERY_EC2 = "i-0aaaabbbbccccdddd"
JOB = "drsjob-1234567890abcdef0"
PLAN = "a" * 64
REQUEST_ID = "req-20261125-0001"
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def spec(operation: str = "failback", **changes: object) -> RequestSpec:
    """A request spec for app=payments across the hub and one spoke."""
    fields: dict[str, object] = {
        "operation": operation,
        "scope": Scope(selector={"app": "payments"}),
        "accounts": Accounts(hub=HUB, spokes=(Spoke(account_id=SPOKE, external_id="x-123"),)),
        "primary_region": PRIMARY,
        "recovery_region": RECOVERY,
        "launch_settings": LaunchSettings(copy_private_ip=False, launch_disposition="STARTED"),
        "requested_by": "ops@example.com",
        "requested_at": T0,
        "reason": "primary region restored",
    }
    fields.update(changes)
    return RequestSpec.model_validate(fields)


def server_ref() -> ServerRef:
    return ServerRef(
        source_server_id=SERVER, account_id=SPOKE, region=RECOVERY, name="pay-db-1", wave=2
    )


def target_ref() -> TargetRef:
    return TargetRef(
        instance_id=ORIGIN,
        account_id=SPOKE,
        region=PRIMARY,
        name="pay-db-1",
        private_ip="10.0.1.17",
    )


def discovered() -> ServersDiscovered:
    server = DiscoveredServer(
        source_server_id=SERVER,
        arn=f"arn:aws:drs:{RECOVERY}:{SPOKE}:source-server/{SERVER}",
        account_id=SPOKE,
        region=RECOVERY,
        hostname="pay-db-1.internal",
        name="pay-db-1",
        tags={"app": "payments", "dr:wave": "2", "Name": "pay-db-1"},
        wave=2,
        architecture="x86_64",
        replication_direction="FAILOVER",
        replication_state="CONTINUOUS",
        lag_seconds=4,
        origin_instance_id=ORIGIN,
        origin_account_id=SPOKE,
        origin_region=PRIMARY,
        recovery_instance=RecoveryInstanceInfo(
            recovery_instance_id=RECOVERY_EC2,
            ec2_instance_id=RECOVERY_EC2,
            ec2_state="RUNNING",
            failback_state="FAILBACK_NOT_STARTED",
        ),
        failback_server=FailbackServerInfo(
            source_server_id=FAILBACK_SERVER,
            account_id=SPOKE,
            region=PRIMARY,
            replication_state="INITIAL_SYNC",
            lag_seconds=120,
        ),
    )
    target = CandidateTarget(
        instance_id=ORIGIN,
        account_id=SPOKE,
        region=PRIMARY,
        name="pay-db-1",
        state="stopped",
        tags={"Name": "pay-db-1", "AWSDRS": "AllowLaunchingIntoThisInstance"},
        availability_zone="eu-west-2a",
        subnet_id="subnet-0123456789abcdef0",
        architecture="x86_64",
        platform="linux",
        boot_mode="legacy-bios",
        private_ip="10.0.1.17",
    )
    problem = Problem(
        kind="lag_too_high",
        account_id=SPOKE,
        region=PRIMARY,
        source_server_id=SERVER,
        reason="reverse replication lag 120 s exceeds 60 s",
        blocking=False,
    )
    return ServersDiscovered(
        spec=spec(),
        servers=(server,),
        targets=(target,),
        problems=(problem,),
        api_calls={"DescribeSourceServers": 3, "DescribeRecoveryInstances": 1},
        chunk=Chunk(index=0, count=1),
    )


def matched() -> PairsMatched:
    pair = Pair(
        server=server_ref(),
        target=target_ref(),
        method="lineage",
        evidence=(f"identificationHints.awsInstanceID={ORIGIN}", f"originRegion={PRIMARY}"),
        architecture="x86_64",
        replication_direction="FAILOVER",
        recovery_instance_id=RECOVERY_EC2,
        recovery_ec2_instance_id=RECOVERY_EC2,
        failback_server_id=FAILBACK_SERVER,
    )
    other = ServerRef(
        source_server_id=OTHER_SERVER, account_id=HUB, region=RECOVERY, name="pay-web"
    )
    return PairsMatched(
        spec=spec(),
        match_hash=PLAN,
        pairs=(pair,),
        unmatched=(Unmatched(server=other, reason="no instance named pay-web in eu-west-2"),),
        ambiguous=(
            Ambiguous(
                server=other,
                candidate_instance_ids=("i-0000000000000000a", "i-0000000000000000b"),
                reason="two stopped instances named pay-web",
            ),
        ),
        suggestions=(
            Suggestion(
                source_server_id=OTHER_SERVER, target_instance_id="i-0000000000000000a", score=0.8
            ),
        ),
    )


def previous_config() -> LaunchConfiguration:
    return LaunchConfiguration(
        name="pay-db-1",
        launch_disposition="STOPPED",
        right_sizing="BASIC",
        copy_private_ip=True,
        copy_tags=True,
        os_byol=False,
        post_launch_enabled=False,
        recovery_mode="OPTIMAL",
    )


def configured() -> TargetConfigured:
    previous = previous_config()
    result = ConfigurationResult(
        source_server_id=SERVER,
        launching_server_id=FAILBACK_SERVER,
        account_id=SPOKE,
        launch_region=PRIMARY,
        target_instance_id=ORIGIN,
        outcome="configured",
        previous=previous,
        desired=previous.with_settings(
            LaunchSettings(copy_private_ip=False), launch_into_instance_id=ORIGIN
        ),
    )
    return TargetConfigured(results=(result,), api_calls={"UpdateLaunchConfiguration": 1})


def job_started() -> JobStarted:
    return JobStarted(
        job_id=JOB,
        account_id=SPOKE,
        region=PRIMARY,
        wave=2,
        batch_index=0,
        source_server_ids=(FAILBACK_SERVER,),
        drill=False,
        launch_into=True,
    )


def job_completed() -> JobCompleted:
    launch = ServerLaunch(
        source_server_id=FAILBACK_SERVER,
        launch_status="LAUNCHED",
        recovery_instance_id=ORIGIN,
        ec2_instance_id=ORIGIN,
        expected_instance_id=ORIGIN,
        launched_into_expected=True,
        private_ip_before="10.0.1.17",
        private_ip_after="10.0.1.17",
    )
    return JobCompleted(
        job_id=JOB,
        account_id=SPOKE,
        region=PRIMARY,
        wave=2,
        batch_index=0,
        servers=(launch,),
        started_at=T0,
        ended_at=T0 + timedelta(minutes=20),
    )


def request_completed() -> RequestCompleted:
    report = ServerReport(
        server=server_ref(),
        target=target_ref(),
        method="lineage",
        evidence=(f"identificationHints.awsInstanceID={ORIGIN}",),
        outcome="recovered",
        launching_server_id=FAILBACK_SERVER,
        job_id=JOB,
        recovery_instance_id=ORIGIN,
        ec2_instance_id=ORIGIN,
        launched_into_expected=True,
        private_ip_before="10.0.1.17",
        private_ip_after="10.0.1.17",
        previous_launch_configuration=previous_config(),
    )
    job = JobRecord(
        job_id=JOB,
        account_id=SPOKE,
        region=PRIMARY,
        wave=2,
        batch_index=0,
        source_server_ids=(FAILBACK_SERVER,),
        started_at=T0,
        ended_at=T0 + timedelta(minutes=20),
    )
    return RequestCompleted(
        status="SUCCEEDED",
        operation="failback",
        drill=False,
        plan_hash=PLAN,
        servers=(report,),
        jobs=(job,),
        api_calls={"StartRecovery": 1, "DescribeJobs": 12},
        started_at=T0,
        ended_at=T0 + timedelta(minutes=31),
    )


def restore_requested() -> RestoreRequested:
    return RestoreRequested(
        restore_request_id=REQUEST_ID, source_server_ids=(SERVER,), requested_by="operator"
    )


def settings_restored() -> LaunchSettingsRestored:
    result = RestoreResult(
        source_server_id=SERVER,
        launching_server_id=FAILBACK_SERVER,
        account_id=HUB,
        region=PRIMARY,
        outcome="restored",
        restored=previous_config(),
    )
    return LaunchSettingsRestored(
        restore_request_id=REQUEST_ID,
        results=(result,),
        api_calls={"GetLaunchConfiguration": 1, "UpdateLaunchConfiguration": 1},
    )


def reverse_requested() -> ReverseReplicationRequested:
    return ReverseReplicationRequested(
        of_request_id=REQUEST_ID, purpose="reprotect", requested_by="operator"
    )


def reverse_reported() -> ReverseReplicationReported:
    server = ReversedServer(
        source_server_id=SERVER,
        account_id=HUB,
        region=RECOVERY,
        recovery_instance_id=ORIGIN,
        ec2_instance_id=ORIGIN,
        reversed_server_id=SERVER,
        replication_state="CONTINUOUS",
        lag_seconds=0,
        rescanned_bytes=8,
        total_bytes=8,
        outcome="protected",
    )
    return ReverseReplicationReported(
        of_request_id=REQUEST_ID, purpose="reprotect", step=3, final=True, servers=(server,)
    )


def retire_action() -> RetireAction:
    return RetireAction(
        kind="terminate_recovery_instance",
        source_server_id=SERVER,
        account_id=HUB,
        region=RECOVERY,
        resource_id=RECOVERY_EC2,
        ec2_instance_id=RECOVERY_EC2,
        evidence=(f"failover recovery instance of {SERVER} in {RECOVERY_EC2}",),
    )


def retire_requested() -> RetireRequested:
    return RetireRequested(of_request_id=REQUEST_ID, plan_only=True, requested_by="operator")


def retire_planned() -> RetirePlanned:
    return RetirePlanned(of_request_id=REQUEST_ID, plan_hash=PLAN, actions=(retire_action(),))


def retired() -> Retired:
    result = RetireResult(action=retire_action(), outcome="done")
    return Retired(of_request_id=REQUEST_ID, plan_hash=PLAN, results=(result,))


def drill_requested() -> DrillRequested:
    scope = Scope(source_server_ids=(SERVER,))
    return DrillRequested(
        spec=spec("failover", scope=scope, drill=True),
        recovery_point=RecoveryPoint(before=datetime(2026, 11, 25, 11, 0, tzinfo=UTC)),
        keep_for_seconds=600,
    )


def drill_verified() -> DrillVerified:
    instance = DrillInstance(
        source_server_id=SERVER,
        account_id=HUB,
        region=RECOVERY,
        job_id="drsjob-0123456789abcdefg",
        recovery_instance_id=RECOVERY_EC2,
        ec2_instance_id=RECOVERY_EC2,
        snapshot_id="pit-0123456789abcdefg",
        snapshot_time=datetime(2026, 11, 25, 10, 50, tzinfo=UTC),
        recovery_started_at=datetime(2026, 11, 25, 11, 0, tzinfo=UTC),
        instance_running_at=datetime(2026, 11, 25, 11, 4, tzinfo=UTC),
        recovery_seconds=240,
        ec2_state="running",
        instance_status="ok",
        system_status="ok",
        check="passed",
    )
    return DrillVerified(
        of_request_id=REQUEST_ID,
        instances=(instance,),
        cleanup_due_at=datetime(2026, 11, 25, 11, 14, tzinfo=UTC),
    )


def drill_cleaned_up() -> DrillCleanedUp:
    gone = CleanedInstance(
        source_server_id=SERVER,
        account_id=HUB,
        region=RECOVERY,
        recovery_instance_id=RECOVERY_EC2,
        ec2_instance_id=RECOVERY_EC2,
        launch_job_id="drsjob-0123456789abcdefg",
        terminate_job_id="drsjob-0123456789abcdefh",
        outcome="terminated",
        drs_record_left=False,
        ec2_state="terminated",
    )
    return DrillCleanedUp(
        of_request_id=REQUEST_ID, trigger="keep_for", none_left=True, instances=(gone,)
    )


def cancel_requested() -> CancelRequested:
    return CancelRequested(cancel_request_id=REQUEST_ID, requested_by="operator")


def request_cancelled() -> RequestCancelled:
    return RequestCancelled(
        cancel_request_id=REQUEST_ID,
        state="cancelling",
        cancelled_by="operator",
        cancelled_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        skipped=3,
        running_jobs=1,
        launched=2,
    )


def all_events() -> list[Event]:
    """One instance of every registered event type."""
    return [
        FailbackRequested(spec=spec()),
        FailoverRequested(spec=spec("failover", scope=Scope(source_server_ids=(SERVER,)))),
        discovered(),
        matched(),
        configured(),
        job_started(),
        job_completed(),
        request_completed(),
        restore_requested(),
        settings_restored(),
        reverse_requested(),
        reverse_reported(),
        retire_requested(),
        retire_planned(),
        retired(),
        cancel_requested(),
        request_cancelled(),
        drill_requested(),
        drill_verified(),
        DrillCleanupRequested(of_request_id=REQUEST_ID, requested_by="operator"),
        drill_cleaned_up(),
    ]

"""Which servers launch, and where: the configurator's result read against the plan.

A server launches only when the configurator configured it (or found it already
configured) and its launch agrees with the plan and the request's launch-into mode.
The checks repeat safety rules the configurator enforces first (design §4), so a
mistake upstream cannot launch a drill into a production instance, or a server into a
target in another account or region than its job, or one matched ambiguously.
"""

from __future__ import annotations

from dataclasses import dataclass

from drsorch.contracts import ConfigurationResult, RequestSpec
from drsorch.contracts.events import ServerOutcome
from drsorch.contracts.types import LAUNCH_INTO_TAG_KEY, LAUNCH_INTO_TAG_VALUE, Place
from drsorch.monitor.domain.facts import Instance
from drsorch.monitor.domain.records import ServerRecord

NO_CONFIGURATION = "waiting for the configurator's result"


@dataclass(frozen=True)
class Launch:
    """Launch `launching_server_id` in `place`, into `expected_instance_id` when set."""

    place: Place
    launching_server_id: str
    expected_instance_id: str | None


@dataclass(frozen=True)
class Decided:
    """Do not launch: the server's outcome is already known."""

    outcome: ServerOutcome
    reason: str | None


@dataclass(frozen=True)
class Wait:
    """Not known yet (no configuration result)."""

    reason: str


Selection = Launch | Decided | Wait


def select(
    record: ServerRecord,
    config: ConfigurationResult | None,
    spec: RequestSpec,
    ambiguous: frozenset[str],
) -> Selection:
    """What to do with one server of the plan, given the configurator's result for it."""
    if config is None:
        return Wait(NO_CONFIGURATION)
    refusal = _refusal(record, config, spec, ambiguous)
    if refusal is not None:
        return refusal
    assert config.launching_server_id is not None  # _refusal saw to it
    return Launch(
        Place(config.account_id, config.launch_region),
        config.launching_server_id,
        config.target_instance_id,
    )


def _refusal(
    record: ServerRecord,
    config: ConfigurationResult,
    spec: RequestSpec,
    ambiguous: frozenset[str],
) -> Decided | None:
    """The outcome of a server that will not launch, or None when it may."""
    if config.outcome == "rejected":
        return Decided("rejected", config.reason)
    if spec.plan_only:
        return Decided("planned", config.reason)
    if config.outcome == "planned" or config.launching_server_id is None:
        return Decided("skipped", "the configurator only planned it, in a request to apply")
    if record.source_server_id in ambiguous:
        return Decided("rejected", "matched ambiguously: never launched into a guess")
    problem = _target_problem(record, config, spec)
    return Decided("rejected", problem) if problem is not None else None


def _target_problem(
    record: ServerRecord, config: ConfigurationResult, spec: RequestSpec
) -> str | None:
    """Why the launch the configurator prepared must not happen, or None."""
    expected, target = config.target_instance_id, record.pair.target
    mode = spec.effective_launch_into()
    if expected is not None and (spec.drill or mode == "never"):
        return f"a {'drill' if spec.drill else 'standard launch'} never launches into {expected}"
    if expected is None:
        return (
            "launch-into is required and no target was configured" if mode == "required" else None
        )
    if target is None or target.instance_id != expected:
        matched = target.instance_id if target else "no target"
        return f"configured target {expected} is not the matched target ({matched})"
    if (target.account_id, target.region) != (config.account_id, config.launch_region):
        return (
            f"target {expected} sits in {target.account_id}/{target.region}, not where the "
            f"job runs ({config.account_id}/{config.launch_region})"
        )
    return None


def start_refusal(instance_id: str, instance: Instance | None, place: Place) -> str | None:
    """Why a server is rejected when its target fails the check right before StartRecovery."""
    refusal = target_refusal(instance_id, instance, place)
    return None if refusal is None else f"checked right before StartRecovery: {refusal}"


def target_refusal(instance_id: str, instance: Instance | None, place: Place) -> str | None:
    """Why DRS must not launch into this instance now (design §4), or None when it may.

    Checked right before StartRecovery, after the configurator checked it: a target
    started by hand since, or untagged, is caught here.
    """
    if instance is None:
        return f"target {instance_id} is not an instance in {place}"
    if instance.state != "stopped":
        return f"target {instance_id} is {instance.state}; a launch-into target must be stopped"
    if not instance.allows_launch_into:
        return f"target {instance_id} lacks the tag {LAUNCH_INTO_TAG_KEY}={LAUNCH_INTO_TAG_VALUE}"
    return None

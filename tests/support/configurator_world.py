"""A failed-over estate for the configurator's tests, and the PairsMatched a matcher would send.

Reverse replication has not started anywhere. The hub's servers lay the traps a
failback must refuse (a running original, an untagged one, a target in another
account, a target that is not where its reference says); the spoke's first server is
a clean cross-account failback.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from drsorch.contracts import (
    Accounts,
    Envelope,
    Event,
    Pair,
    PairsMatched,
    RequestOptions,
    RequestSpec,
    Scope,
    ServerRef,
    Spoke,
    TargetRef,
)
from drsorch.local.estate import SeededServer, SeedReport, parse_estate, seed_estate

HUB, SPOKE = "123456789012", "210987654321"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
SPOKE_ROLE, EXTERNAL_ID = "drsorch-spoke-access", "drsorch-hub-123456789012"
PLAN_HASH = "c" * 64

ESTATE = f"""
version: 1
name: x5conf
seed: 5
regions: {{primary: {PRIMARY}, recovery: {RECOVERY}}}
phase: failed_over
drs:
  seed: 5
  clock: {{scale: 0}}
accounts:
  - kind: hub
    id: "{HUB}"
    servers:
      - {{name: cfg-good-01, wave: 1, tags: {{app: cfg}}}}
      - {{name: cfg-running-01, wave: 1, tags: {{app: cfg}}, original: {{state: running}}}}
      - {{name: cfg-untagged-01, wave: 1, tags: {{app: cfg}},
          original: {{allow_launch_into: false}}}}
      - {{name: cfg-wrongacct-01, wave: 2, tags: {{app: cfg}}}}
      - {{name: cfg-nowhere-01, wave: 2, tags: {{app: cfg}}}}
  - kind: spoke
    id: "{SPOKE}"
    role_name: {SPOKE_ROLE}
    external_id: {EXTERNAL_ID}
    servers:
      - {{name: cfg-spoke-01, wave: 1, tags: {{app: cfg}}}}
      - {{name: cfg-spoke-02, wave: 1, tags: {{app: other}}}}
      - {{name: cfg-spoke-03, wave: 1, tags: {{app: other}}}}
"""


def seed() -> dict[str, SeededServer]:
    """Seed the estate; its servers by name."""
    report: SeedReport = seed_estate(parse_estate(ESTATE, "x5conf"))
    return {server.name: server for server in report.servers}


def spec(**changes: Any) -> RequestSpec:
    fields: dict[str, Any] = {
        "operation": "failback",
        "scope": Scope(selector={"app": "cfg"}),
        "accounts": Accounts(
            hub=HUB,
            spokes=(Spoke(account_id=SPOKE, role_name=SPOKE_ROLE, external_id=EXTERNAL_ID),),
        ),
        "primary_region": PRIMARY,
        "recovery_region": RECOVERY,
        "options": RequestOptions(),
        "requested_by": "configurator-test",
    }
    return RequestSpec.model_validate({**fields, **changes})


def pair(server: SeededServer, target: SeededServer | None = None, **target_ref: Any) -> Pair:
    """The failback pair of `server`, its target `target`'s original (itself by default)."""
    into = target or server
    ref = {
        "instance_id": into.original_instance_id,
        "account_id": into.account_id,
        "region": PRIMARY,
        **target_ref,
    }
    return Pair(
        server=ServerRef(
            source_server_id=server.source_server_id,
            account_id=server.account_id,
            region=RECOVERY,
            name=server.name,
        ),
        target=TargetRef.model_validate(ref),
        method="name",
        architecture="x86_64",
        replication_direction="FAILOVER",
        recovery_instance_id=server.recovery_instance_id,
        recovery_ec2_instance_id=server.recovery_ec2_instance_id,
    )


def pairs_matched(
    request_id: str, pairs: Iterable[Pair], request_spec: RequestSpec | None = None
) -> Envelope[Event]:
    event = PairsMatched(spec=request_spec or spec(), match_hash=PLAN_HASH, pairs=tuple(pairs))
    return Envelope.wrap(event, request_id=request_id, step="matched", producer="matcher")


def bodies(messages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The drsorch envelopes inside SNS notifications drained from a queue."""
    return [json.loads(json.loads(message["Body"])["Message"]) for message in messages]

"""Estates for discovery's and the pipeline's integration tests, seeded afresh in-process.

`fresh` forgets EC2, IAM and DRS state but keeps SQS, SNS and DynamoDB, so a module
deploys its stack once and each test still starts from exactly its own estate.
"""

from __future__ import annotations

from typing import Any

from drsorch.local.drs.emulator import default_emulator
from drsorch.local.estate import SeedReport, parse_estate, seed_estate

HUB, SPOKE, DARK_SPOKE = "123456789012", "210987654321", "333344445555"
PRIMARY, RECOVERY = "us-east-1", "us-west-2"
SPOKE_ROLE, SPOKE_EXTERNAL_ID = "drsorch-spoke-access", "drsorch-hub-123456789012"


def forget_estate() -> None:
    """Empty moto's EC2 and IAM and the DRS emulator (queues, topics and tables stay)."""
    from moto.ec2.models import ec2_backends  # noqa: PLC0415 - moto is heavy
    from moto.iam.models import iam_backends  # noqa: PLC0415

    for backends in (ec2_backends, iam_backends):
        accounts: list[Any] = list(backends.values())
        for account in accounts:
            account.reset()  # every region of that account
    default_emulator().reset()


def fresh(text: str) -> SeedReport:
    """Forget the previous estate, then seed this one (YAML text)."""
    forget_estate()
    return seed_estate(parse_estate(text))


# A failover happened; since then three originals were renamed. Reverse replication
# has started for two servers, not for the third. Every server has lineage.
FAILED_OVER_RENAMED = """
name: renamed-after-failover
phase: failed_over
reverse_replication: {state: CONTINUOUS, lag_seconds: 0}
drs: {seed: 41, clock: {scale: 0}}
accounts:
  - kind: hub
    servers:
      - {name: pay-db-01, wave: 1, tags: {app: pay}, original: {name: legacy-database}}
      - {name: pay-app-01, wave: 2, tags: {app: pay}, original: {name: PAY-APP-01-old}}
      - name: pay-web-01
        wave: 2
        tags: {app: pay}
        original: {name: web-frontend}
        reverse_replication: {started: false}
"""

# Protected servers, each with a pre-provisioned target whose Name is noisy.
NOISY_TARGETS = """
name: noisy-targets
drs: {seed: 42, clock: {scale: 0}}
accounts:
  - kind: hub
    servers:
      - {name: shop-web-01, tags: {app: shop}, target: {name: "  SHOP-WEB-01 "}}
      - {name: shop-web-02, tags: {app: shop}, target: {name: shop-web-02-dr}}
      - {name: shop-app-01, tags: {app: shop}, target: {name: "Shop-App-01"}}
      - {name: shop-db-01, tags: {app: shop}, target: {name: "shop-db-01   -dr"}}
"""

# Traps for the matcher: two targets for one server, two servers for one target
# name (a case twin), and a server with no target at all.
AMBIGUOUS = """
name: ambiguous
drs: {seed: 43, clock: {scale: 0}}
accounts:
  - kind: hub
    servers:
      - {name: crm-db-01, tags: {app: crm}, target: {}}
      - {name: crm-app-01, tags: {app: crm}, target: {}}
      - {name: crm-app-01-dr, tags: {app: crm, role: decoy}, original: {name: crm-app-01-dr}}
      - {name: crm-batch-01, tags: {app: crm}}
      - {name: crm-web-01, tags: {app: crm}, target: {name: crm-web-01}}
      - {name: CRM-WEB-01, tags: {app: crm}, target: {name: crm-web-01-dr}}
"""

# A hub, a spoke reached through its role, and a spoke whose role was never made.
THREE_ACCOUNTS = f"""
name: three-accounts
drs: {{seed: 44, clock: {{scale: 0}}}}
accounts:
  - kind: hub
    servers:
      - {{name: hr-db-01, tags: {{app: hr}}, target: {{}}}}
  - kind: spoke
    id: "{SPOKE}"
    role_name: {SPOKE_ROLE}
    external_id: {SPOKE_EXTERNAL_ID}
    servers:
      - {{name: hr-app-01, tags: {{app: hr}}, target: {{}}}}
      - {{name: hr-app-02, tags: {{app: hr}}, target: {{name: HR-APP-02-dr}}}}
  - kind: spoke
    id: "{DARK_SPOKE}"
    role_name: {SPOKE_ROLE}
    external_id: {SPOKE_EXTERNAL_ID}
    reachable: false
    servers:
      - {{name: hr-web-01, tags: {{app: hr}}, target: {{}}}}
"""


def thousand(count: int = 1000) -> str:
    """`count` protected servers in ten waves, each with a target, 5% of names noisy.

    DRS lets at most 300 servers replicate per account and region, so they replicate in
    staging accounts (250 each) and are extended into the hub.
    """
    staging = [f"1111000000{n:02d}" for n in range(1, -(-count // 250) + 1)]
    return f"""
name: thousand-pipeline
drs: {{seed: 1000, clock: {{scale: 0}}}}
network: {{availability_zones: [a, b, c]}}
accounts:
  - kind: hub
    staging_accounts: {staging}
    generators:
      - count: {count}
        staging_accounts: {staging}
        name: fleet-{{index:04d}}
        waves: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        name_noise: {{rate: 0.05, kinds: [case, spaces, dr_suffix], applies_to: [target]}}
        template: {{tags: {{app: fleet}}, target: {{}}}}
"""

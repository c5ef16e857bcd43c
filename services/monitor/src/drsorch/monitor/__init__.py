"""drsorch monitor: recovers a request's servers in waves of DRS jobs and proves where
each one landed.

It consumes PairsMatched (the plan) and TargetConfigured (which servers launch, and
into what), plans waves (`dr:wave` order) and batches within DRS quotas, waits for
failback readiness, starts each batch exactly once (intent first, then
StartRecovery, reconciled with DescribeJobs after a crash), polls jobs through
delayed self-messages, verifies each landing (instance ID and private IP), and emits
JobStarted, JobCompleted and RequestCompleted. A CancelRequested (operators only) stops new batches;
running jobs finish and the servers never launched are `skipped`; RequestCancelled
answers it. Layers: `domain/` (pure decisions),
`ports.py`, `handlers.py` with `engine.py` and its steps, `adapters/`, `bootstrap.py`.

Choices worth knowing: StartRecovery never carries `tags` (launch-into jobs must not,
and intents are reconciled by their servers alone); only failbacks wait for readiness
(a failover may have to launch from the last good point while its source is down); an
unset `wave_success_ratio` means all of a wave must land; RequestCompleted on the
events topic is the notice a request ended, and `DRSORCH_MONITOR_NOTIFICATION_TOPIC_ARN`
adds a plain-text one (email, chat) when set. Settings: `drsorch.monitor.settings`.

Table layout (the service's own table, string keys `pk`/`sk`, TTL `expires_at`). Every
item of a request sits under `pk = request#<request_id>`; `body` holds the JSON of the
record named (models in `drsorch.monitor.domain.records`, or a contract model):

- `summary`: `Summary` (spec, wave, status, DRS calls, ...); also top-level `phase`
  (running, done), `status`, `reason`, `operation`, `drill`, `plan_hash`,
  `received_at`, `ended_at` and `wave`; and `version`, the version of the request's
  records, which every writer moves (a worker reuses the state it committed only while
  the version is still its own: `drsorch.monitor.cache`).
- `server#<sourceServerID>`: `ServerRecord` (pair, phase, outcome, reason, launch and
  the EC2 state DRS reports for where it landed); also `phase`, `wave`, `outcome`,
  `ec2_state`.
- `batch#<wave:03d>-<index:04d>`: `BatchRecord` (members, status, job); also `status`,
  `job_id`.
- `result#<sourceServerID>`: `ConfigurationResult` (contract) from TargetConfigured.
- `calls#<event_id>`: the configurator's DRS calls, `{operation: count}`.
- `plan#<chunk:04d>`: `PlanExtras`: unmatched, ambiguous, problems, discovery's calls.
- `report#<chunk:04d>`: the final report, a `RequestCompleted` payload (contract), kept
  once the request ended: what `drsorch report REQUEST_ID` reads.
- `drill`: a drill's `RecoveryPoint` (contract), from its DrillRequested: each of its
  StartRecovery calls names the snapshot it picks per server (`recoverySnapshotID`).
- `lease`: `holder`, `lease_until`: one handler at a time per request.
- `emit#<key>`: an envelope owed to the bus (`seq`, `order`), until a later run proves
  it sent.
- `cancel`: `cancelled_by`, `cancelled_at`: a CancelRequested that came before the plan;
  the plan, when it arrives, launches nothing.

Under `pk = history#<YYYY-MM>` (the month the request was received, UTC), one line per
request, `sk = <received_at>#<request_id>`, rewritten with each summary: `body` (JSON:
operation, drill, plan_only, received_at, ended_at, phase, status, reason, servers,
requested_by, approved_by, cancelled_by), `phase`, `status`. `drsorch history` reads it
with Query alone.

Items under `pk = chunk#...` are the runtime's chunk assembly, `pk = inbox#...` its inbox.
"""

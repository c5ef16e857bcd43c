"""What the configurator keeps in its table between messages (JSON through pydantic)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from drsorch.contracts import ConfigurationResult, LaunchConfiguration, Pair, RequestSpec
from drsorch.contracts.types import Place


class _Stored(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class RequestRecord(_Stored):
    """A request whose pairs are being configured."""

    spec: RequestSpec
    plan_hash: str
    causation_id: str
    """Event ID of the PairsMatched chunk 0: the causation of every TargetConfigured chunk."""
    deadline: AwareDatetime
    """After this, pairs still waiting (initializing, throttled) are reported not prepared."""
    contested: dict[str, str] = Field(default_factory=dict)
    """Servers never to configure (ambiguous matches), with the reason."""
    calls: dict[str, int] = Field(default_factory=dict)
    """DRS API calls made for this request so far, by operation."""
    received_at: AwareDatetime | None = None
    """When the plan arrived: an approval that expired before then starts nothing."""


class SlotRelease(_Stored):
    """The intent to free a replication slot: StopReplication of a landed server's FAILBACK
    server, written before the call with the DRS and EC2 facts its landing rests on."""

    failback_server_id: str
    proof: str
    recorded_at: AwareDatetime
    done: bool = False


class PlannedSlots(_Stored):
    """The replication slots of a failback pair's primary place, as DRS showed them when the
    pair was planned: what the plan's pipeline (TargetConfigured's `pipeline`) is made of."""

    account_id: str
    region: str
    quota: int
    limit: int | None = None
    outside: int
    """Source servers replicating there that are not the request's."""
    capacity: int
    """Slots the request can hold there at once (0: its servers cannot be placed)."""


class PairRecord(_Stored):
    """One pair and how far it got.

    `planned` is what the first, read-only pass found (what an apply would do, or why
    not); `result` is set once the pair is settled; `sent_in` is the step whose
    TargetConfigured carried the result (a retried step sends it again, the same event).
    """

    pair: Pair
    planned: ConfigurationResult | None = None
    result: ConfigurationResult | None = None
    sent_in: int | None = None
    reverse_replication_started: bool = False
    waiting: str | None = None
    """Why the pair is not settled yet, for the report if the deadline passes."""
    admitted_at: AwareDatetime | None = None
    """When the failback pipeline gave it a replication slot (reverse replication may start)."""
    slot_waiting: bool = False
    """Held back for a replication slot: the pipeline, not the prepare deadline, settles it."""
    release: SlotRelease | None = None
    """Its FAILBACK server's slot freed (or being freed) after it landed."""
    slots: PlannedSlots | None = None
    """Its place's slots when it was planned to take a turn in them (a failback only)."""

    @property
    def server_id(self) -> str:
        return self.pair.server.source_server_id


class PreviousSettings(_Stored):
    """A launching server's launch configuration before drsorch first changed it."""

    source_server_id: str
    """The paired server, as in PairsMatched."""
    launching_server_id: str
    account_id: str
    region: str
    configuration: LaunchConfiguration

    @property
    def place(self) -> Place:
        return Place(self.account_id, self.region)

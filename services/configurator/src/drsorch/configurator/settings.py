"""The configurator's own settings, from `DRSORCH_CONFIGURATOR_*` variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfiguratorSettings(BaseSettings):
    """How long to wait for recovery instances, how often to retry, how much at once."""

    model_config = SettingsConfigDict(env_prefix="DRSORCH_CONFIGURATOR_", extra="ignore")

    retry_seconds: int = Field(default=10, ge=1, le=900)
    """Delay before waiting pairs (initializing recovery instance, throttling) are tried again."""
    prepare_deadline_seconds: int = Field(default=1800, ge=1, le=86_400)
    """After this long, pairs still waiting are reported not prepared (rejected)."""
    concurrency: int = Field(default=32, ge=1, le=64)
    """Pairs configured at the same time within one message: each waits on DRS for two
    calls in a row, so a narrow gate makes a long serial chain of a large failback."""
    replicating_servers_quota: int = Field(default=300, ge=1, le=100_000)
    """DRS's replicating-servers quota per account and region (300, not adjustable): a
    failback starts reverse replication only into the slots it leaves free."""
    failback_slots: int | None = Field(default=None, ge=1, le=100_000)
    """At most this many FAILBACK servers of one request replicate at once per account and
    region, when lower than the quota (room left for other teams); unset: the quota."""

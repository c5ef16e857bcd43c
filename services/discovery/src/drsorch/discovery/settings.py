"""Discovery's own settings, from `DRSORCH_*` variables (the runtime reads the rest)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DiscoverySettings(BaseSettings):
    """How widely discovery reads. Spoke access is the runtime's `SpokeSettings`."""

    model_config = SettingsConfigDict(env_prefix="DRSORCH_", extra="ignore")

    accounts_at_once: int = Field(default=8, ge=1, le=64)
    """Accounts read concurrently for one request."""

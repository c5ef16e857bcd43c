"""Discovery's own settings, from `DRSORCH_*` variables (the runtime reads the rest)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DiscoverySettings(BaseSettings):
    """How discovery reaches spoke accounts and how widely it reads."""

    model_config = SettingsConfigDict(env_prefix="DRSORCH_", extra="ignore")

    spoke_role_name: str | None = None
    """Role assumed in a spoke the request names without a role (`DRSORCH_SPOKE_ROLE_NAME`)."""
    spoke_external_id: str | None = None
    """ExternalId sent with that role when the request gives none."""
    accounts_at_once: int = Field(default=8, ge=1, le=64)
    """Accounts read concurrently for one request."""

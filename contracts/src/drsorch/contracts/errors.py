"""Why a message from the bus cannot be turned into a known event.

Every error here is permanent: retrying the same bytes gives the same answer, so a
consumer parks the message in its dead-letter queue at once, with `reason` recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drsorch.contracts.envelope import EnvelopeHeader


class ContractError(Exception):
    """A message that breaks the contract. `reason` is a short machine-readable code."""

    reason = "contract-violation"

    def __init__(self, message: str, header: EnvelopeHeader | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.header = header


class MalformedEnvelope(ContractError):
    """Not JSON, or the envelope's own fields are missing or invalid."""

    reason = "malformed-envelope"


class UnknownEventType(ContractError):
    """The envelope names an event type no contract declares."""

    reason = "unknown-event-type"


class UnknownVersion(ContractError):
    """A known event type at a version this consumer does not know."""

    reason = "unknown-version"


class InvalidPayload(ContractError):
    """The payload does not validate against its event's model."""

    reason = "invalid-payload"

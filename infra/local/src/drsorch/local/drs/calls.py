"""The call log: every DRS API call the emulator answered, for tests and reports."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class CallRecord:
    """One API call: who asked what, and how it ended."""

    seq: int
    operation: str
    account_id: str
    region: str
    arguments: dict[str, Any]
    status: int
    error_code: str | None
    error_message: str | None
    result: dict[str, Any] | None
    simulated_time: str
    real_time: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


class CallLog:
    """A bounded, ordered log of calls (the oldest are dropped past `limit`)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._records: deque[CallRecord] = deque()
        self._seq = 0

    def next_seq(self) -> int:
        """The sequence number the next record gets."""
        self._seq += 1
        return self._seq

    def append(self, record: CallRecord) -> None:
        """Keep a record, dropping the oldest past the limit."""
        self._records.append(record)
        while len(self._records) > self.limit:
            self._records.popleft()

    def clear(self) -> None:
        """Forget every record (sequence numbers keep counting)."""
        self._records.clear()

    def records(
        self, *, operation: str | None = None, account_id: str | None = None, since: int = 0
    ) -> list[CallRecord]:
        """Records after sequence `since`, optionally of one operation or account."""
        return [
            record
            for record in self._records
            if record.seq > since
            and (operation is None or record.operation == operation)
            and (account_id is None or record.account_id == account_id)
        ]

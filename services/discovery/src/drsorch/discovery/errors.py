"""Discovery's errors: what keeps an account out of a request, and what is retried.

An account that cannot be reached, or whose DRS is not initialised, becomes a
`Problem` in the result: the request goes on with the other accounts. Anything else
an AWS call raises (throttling past the SDK's retries, a 5xx) propagates, so the
runtime returns the message and retries it with backoff, then parks it in the DLQ
with the error as its reason.
"""

from __future__ import annotations

from typing import ClassVar

from drsorch.contracts.events import ProblemKind


class DiscoveryError(Exception):
    """Base of discovery's own errors."""


class AccountProblem(DiscoveryError):
    """An account (in one region, when `region` is set) cannot be discovered in.

    `kind` is the `ProblemKind` the result reports for it.
    """

    kind: ClassVar[ProblemKind] = "account_unreachable"

    def __init__(self, account_id: str, region: str | None, reason: str) -> None:
        where = f"account {account_id}" + (f" in {region}" if region else "")
        super().__init__(f"{where}: {reason}")
        self.account_id = account_id
        self.region = region
        self.reason = reason


class AccountUnreachable(AccountProblem):
    """drsorch could not get credentials for the account, or AWS denied a call in it."""

    kind: ClassVar[ProblemKind] = "account_unreachable"


class DrsNotInitialized(AccountProblem):
    """DRS answered UninitializedAccountException in that account and region."""

    kind: ClassVar[ProblemKind] = "drs_not_initialized"

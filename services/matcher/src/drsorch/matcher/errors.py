"""What can go wrong in the matcher, beyond what the runtime already reports.

Every error here is raised from a handler, so the message returns and is retried;
one that can never succeed is parked in the dead-letter queue after the queue's
last allowed receive, with this message as its reason.
"""

from __future__ import annotations


class MatcherError(Exception):
    """Base of the matcher's own errors."""


class InconsistentResult(MatcherError):
    """The chunks of one ServersDiscovered disagree about the request they belong to."""


class StoreError(MatcherError):
    """The matcher's table refused or kept back part of a write or read after retries."""

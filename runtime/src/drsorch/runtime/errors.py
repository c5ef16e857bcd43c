"""Errors the runtime raises itself.

A handler's own exceptions are transient: the message returns and is retried until
the queue's receive limit parks it. Contract errors are permanent and parked at once.
"""

from __future__ import annotations


class RuntimeFailure(Exception):
    """Base of every error the runtime raises itself."""


class TopologyError(RuntimeFailure):
    """A topic, queue or table the runtime needs is neither configured nor a stack output."""


class PublishError(RuntimeFailure):
    """SNS or SQS refused some messages of a batch; the handled message will return."""


class InboxBusy(RuntimeFailure):
    """Another consumer holds this event's inbox lease; the message returns later."""

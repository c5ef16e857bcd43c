"""drsorch runtime: the thin layer every service stands on.

Publish envelopes to SNS, consume a service's SQS queue (SNS envelope unwrapped,
validated, de-duplicated through an inbox, dispatched by event type, parked in the
DLQ when it can never succeed), delayed self-messages for timers, OpenTelemetry
spans, and two drivers for the same handlers: an asyncio worker and a Lambda handler.
"""

from drsorch.runtime.bootstrap import Resources, ServiceFactory, open_runtime
from drsorch.runtime.lambda_driver import lambda_handler
from drsorch.runtime.outbox import Outbox, Timer
from drsorch.runtime.processor import MessageProcessor, Outcome, Processed, RetryPolicy
from drsorch.runtime.service import Chore, Handler, Handlers, Service
from drsorch.runtime.settings import RuntimeSettings, Topology
from drsorch.runtime.worker import run_worker, serve

__all__ = [
    "Chore",
    "Handler",
    "Handlers",
    "MessageProcessor",
    "Outbox",
    "Outcome",
    "Processed",
    "Resources",
    "RetryPolicy",
    "RuntimeSettings",
    "Service",
    "ServiceFactory",
    "Timer",
    "Topology",
    "lambda_handler",
    "open_runtime",
    "run_worker",
    "serve",
]

"""AWS Lambda entry point: `drsorch.discovery.lambda_handler.handler` behind an SQS mapping."""

from drsorch.discovery.bootstrap import NAME, build
from drsorch.runtime import lambda_handler

handler = lambda_handler(NAME, build)

"""The matcher on AWS Lambda: `drsorch.matcher.lambda_handler.handler` behind an SQS mapping."""

from drsorch.matcher.bootstrap import NAME, build
from drsorch.runtime import lambda_handler

handler = lambda_handler(NAME, build)

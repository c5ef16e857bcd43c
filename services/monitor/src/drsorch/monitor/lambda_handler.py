"""The monitor on AWS Lambda, behind an SQS event source mapping with partial batch responses."""

from drsorch.monitor.bootstrap import NAME, build
from drsorch.runtime import lambda_handler

handler = lambda_handler(NAME, build)

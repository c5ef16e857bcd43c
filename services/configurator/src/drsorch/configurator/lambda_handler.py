"""The configurator on AWS Lambda: `drsorch.configurator.lambda_handler.handler`."""

from drsorch.configurator.bootstrap import NAME, build
from drsorch.runtime import lambda_handler

handler = lambda_handler(NAME, build)

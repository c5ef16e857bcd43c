"""`python -m drsorch.configurator`: the configurator's worker, until SIGTERM."""

from drsorch.configurator.bootstrap import NAME, build
from drsorch.runtime import run_worker

if __name__ == "__main__":
    run_worker(NAME, build)

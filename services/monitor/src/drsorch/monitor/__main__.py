"""`python -m drsorch.monitor`: the monitor as a long-running worker, until SIGTERM."""

from drsorch.monitor.bootstrap import NAME, build
from drsorch.runtime import run_worker

if __name__ == "__main__":
    run_worker(NAME, build)

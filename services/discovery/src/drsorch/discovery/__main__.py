"""`python -m drsorch.discovery`: the discovery worker, until SIGTERM."""

from drsorch.discovery.bootstrap import NAME, build
from drsorch.runtime import run_worker

if __name__ == "__main__":
    run_worker(NAME, build)

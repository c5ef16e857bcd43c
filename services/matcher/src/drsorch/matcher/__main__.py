"""`python -m drsorch.matcher`: the matcher as a long-running worker, until SIGTERM."""

from drsorch.matcher.bootstrap import NAME, build
from drsorch.runtime import run_worker

if __name__ == "__main__":
    run_worker(NAME, build)

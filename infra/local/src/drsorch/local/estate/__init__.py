"""Estate files: a YAML description of a simulated estate, and seeding it into the local stack.

`load_estate` reads and checks a file (raising `EstateError` with every problem found,
each with its path in the file and its line); `seed_estate` creates the estate's EC2,
IAM and DRS state inside the local endpoint's process. The format is documented in
`infra/local/estates/README.md`; its JSON Schema is `infra/local/estates/estate.schema.json`.
"""

from drsorch.local.estate.errors import EstateError, Problem, SeedError
from drsorch.local.estate.loader import load_estate, parse_estate
from drsorch.local.estate.models import Estate
from drsorch.local.estate.paths import default_estate_path, estates_dir
from drsorch.local.estate.report import SeededInstance, SeededServer, SeedReport
from drsorch.local.estate.seeding import seed_estate

__all__ = [
    "Estate",
    "EstateError",
    "Problem",
    "SeedError",
    "SeedReport",
    "SeededInstance",
    "SeededServer",
    "default_estate_path",
    "estates_dir",
    "load_estate",
    "parse_estate",
    "seed_estate",
]

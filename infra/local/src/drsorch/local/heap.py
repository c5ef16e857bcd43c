"""An estate lives as long as the endpoint that seeded it: the garbage collector need not
walk it over and over.

A 3,000-server estate is millions of objects (moto's instances and volumes, the DRS
emulator's servers). CPython's full collections walk every one of them: in the endpoint
of a 3,000-server failover they grew to 0.9 s each, and every answer waited meanwhile
(9 simulated seconds at 10x, landing in the gap between one job and the next). Once an
estate is seeded, what the process holds is frozen (`gc.freeze`: collections leave it
alone); a reset of the emulator lets it go again (`gc.unfreeze`), so a forgotten estate
is collected.
"""

from __future__ import annotations

import gc


def keep_estate() -> None:
    """What the process holds now outlives the run: collections no longer walk it."""
    gc.freeze()


def let_go() -> None:
    """The estate is forgotten: what was kept is collected as usual again."""
    gc.unfreeze()

"""Python's garbage collector set for an ``emis`` process's batch of work."""

from __future__ import annotations

import gc

# Objects made between two collections of the youngest generation; Python's default is 700.
# Importing Great Expectations, dbt and pandas makes about 330,000 lasting objects, which the
# default went over in 1,300 collections, 7 of them whole: 1 s of a national check, all of it
# on the thread that validates (docs/performance.md, run X).
YOUNG_GENERATION_THRESHOLD = 10_000


def collect_less_often() -> None:
    """Collect the youngest generation every YOUNG_GENERATION_THRESHOLD objects; the older
    generations keep their default pace."""
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])

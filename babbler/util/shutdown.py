"""Let a finished Snakemake run exit at once.

With a `max-jobs-per-timespan` limit (the profile's 1000/10s), Snakemake's scheduler starts a
`threading.Timer` of one timespan after each planning round in which ready jobs wait, to plan again
when the limit allows. The last of them is still sleeping when the last job ends, and the interpreter
waits for it: every run, a one-job rerun included, ended up to 10 s after its work. The workflow's
`onsuccess` and `onerror` hooks cancel them.
"""

from __future__ import annotations

import threading


def cancel_timers() -> int:
    """Cancel every pending `threading.Timer` of this process (nothing is left to plan); how many there were."""
    timers = [t for t in threading.enumerate() if isinstance(t, threading.Timer) and t.is_alive()]
    for timer in timers:
        timer.cancel()
    return len(timers)

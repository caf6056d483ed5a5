"""Route a rule script's logging, warnings, tqdm progress and any exception into the rule's log file."""

from __future__ import annotations

import logging
import resource
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def rule_logging(log_path: str | Path, level: int = logging.INFO) -> Iterator[logging.Logger]:
    """Log to `log_path` (and keep stderr for tqdm inside it) for the duration of a rule's script."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    stream = open(log_path, "w", buffering=1)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level, old_stderr = root.level, sys.stderr
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    sys.stderr = stream  # tqdm and warnings write here
    logger = logging.getLogger("babbler.rule")
    try:
        yield logger
    except BaseException:
        logger.exception("rule failed")
        raise
    finally:
        sys.stderr = old_stderr
        root.removeHandler(handler)
        root.setLevel(old_level)
        logging.captureWarnings(False)
        stream.close()


class WorkClock:
    """CPU seconds a batch job spends on its dialogues' own work, against the job process's whole CPU time (start-up,
    imports and bookkeeping included): what `bench/dialogue_overhead.py` reads from the logs."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def work(self) -> Iterator[None]:
        """Count the CPU time of the block as work."""
        start = time.process_time()
        try:
            yield
        finally:
            self.seconds += time.process_time() - start

    def report(self, log: logging.Logger, dialogues: int) -> None:
        """Log the job's CPU time and the part of it that was work, in the line the overhead bench parses."""
        used = resource.getrusage(resource.RUSAGE_SELF)
        total = used.ru_utime + used.ru_stime
        log.info("job CPU %.3f s for %d dialogues: work %.3f s, overhead %.3f s", total, dialogues, self.seconds,
                 total - self.seconds)

"""Helpers every stage shares: validated file I/O with atomic writes, named seeds, CPU threads, a rule's log, and
the run's start-up (librosa's numba cache) and shut-down."""

"""Stages `evaluate` and `report`: every system's events and the human dialogues in, the timing metrics
(`metrics.json`), the voices' fidelity, the figures and one self-contained HTML report out."""

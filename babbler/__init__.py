"""babbler: a babbling agent that captures human dialogue timing."""

__version__ = "0.1.0"

"""Test ordering for the two-worker run: the longest files are handed out first, so no worker is left with one of
them at the end while the other idles."""

LONGEST_FIRST = ("test_workflow.py", "test_live.py", "test_slurm.py", "test_agent.py")


def pytest_collection_modifyitems(session, config, items):
    """Move the tests of the longest files (whole-DAG runs, the live agent's trained fixture) to the front, keeping
    the order within each file."""
    def rank(item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)

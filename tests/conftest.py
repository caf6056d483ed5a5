"""Fixtures shared by several test files."""

import pytest


@pytest.fixture(scope="session")
def tiny_demo_run(tmp_path_factory):
    """The working folder of one whole-DAG run of the workflow on the tiny demo config (tests/test_workflow.py's
    TINY_DEMO): its results are read by the workflow's own checks and by the benchmarks' smoke tests."""
    from tests.test_workflow import TINY_DEMO, run_snakemake

    workdir = tmp_path_factory.mktemp("tiny_demo")
    run_snakemake(workdir, TINY_DEMO)
    return workdir

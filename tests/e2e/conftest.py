"""Fixtures for the end-to-end tests: a per-test Cluster whose processes never outlive it."""

import pytest

from peerchat_harness import Cluster


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        c.stop_all()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # On failure, attach every node's recent events and stderr while the processes still run:
    # that is what tells a node bug from a test bug.
    outcome = yield
    report = outcome.get_result()
    c = getattr(item, "funcargs", {}).get("cluster")
    if report.when == "call" and report.failed and c is not None:
        report.sections.append(("peerchat nodes", c.describe()))

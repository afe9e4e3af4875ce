"""The modules that share a costly module fixture (a Ray cluster, a llama.cpp server, a browser,
a Milvus index) run on one pytest-xdist worker each: ``pytest.mark.xdist_group`` with
``--dist loadgroup`` (scripts/test.sh), which works by a suffix pytest-xdist adds to each test's
node id. pytest 9.2 moved node ids to a field pytest-xdist 3.8 does not write, and every group
was silently ignored (two Ray clusters, two browsers at once): pyproject.toml pins pytest below
9.2, and this test fails if a group stops being applied."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.unit, pytest.mark.xdist_group("groups")]


def test_an_xdist_group_reaches_the_node_id(request: pytest.FixtureRequest) -> None:
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("runs under pytest-xdist's --dist loadgroup (scripts/test.sh)")
    assert request.node.nodeid.endswith("@groups"), request.node.nodeid

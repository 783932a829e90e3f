"""The graph and metrics modules import networkx only for type checking (a snapshot never loads
it); their doctests build reference graphs with it, as ``nx``."""

from __future__ import annotations

from typing import Any

import networkx
import pytest


@pytest.fixture(autouse=True)
def _networkx_in_doctests(doctest_namespace: dict[str, Any]) -> None:
    doctest_namespace["nx"] = networkx

"""Chaos tests: services killed mid-flight. Not part of `make test`; run with
`pytest tests/chaos` (marker `chaos`)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "chaos: kills services mid-flight (tests/chaos)")

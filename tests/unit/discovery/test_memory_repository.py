"""The in-memory repository the unit tests use keeps the repository contract."""

from __future__ import annotations

import pytest

from support.discovery_fakes import MemoryRepository
from support.discovery_repository_contract import RepositoryContract


@pytest.fixture
def repository() -> MemoryRepository:
    return MemoryRepository()


class TestMemoryRepository(RepositoryContract):
    pass

"""Functional tests: handlers replayed under moto's in-process ``mock_aws``.

Tables come from template.yaml; events are built by the emulator's own (pure) event builders and
pass through its JWT authorizer logic, so a handler sees exactly what it would behind the stack.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.functional.harness import Api

# Before any shared module reads its settings: cheap bcrypt, a throwaway data folder.
os.environ.setdefault("PARLEY_BCRYPT_COST", "4")
os.environ.setdefault("PARLEY_DATA_DIR", tempfile.mkdtemp(prefix="parley-functional-"))
os.environ.setdefault("PARLEY_PUBLIC_URL", "http://parley.test")


@pytest.fixture
def aws() -> Iterator[None]:
    """A fresh in-process AWS with the template's tables."""
    from moto import mock_aws

    from tests.functional.harness import create_tables

    with mock_aws():
        create_tables()
        yield


@pytest.fixture
def api(aws: None) -> Api:
    from tests.functional.harness import Api

    return Api()

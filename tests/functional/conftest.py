"""Functional tests: handlers replayed under moto's in-process ``mock_aws``, with the table
built from ``template.yaml``."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator

import pytest
from moto import mock_aws

from emulator.store import ensure_tables
from tests.functional.apigw import template
from tests.motopatch import light_stream_snapshots


@pytest.fixture(scope="session", autouse=True)
def _light_stream_snapshots() -> Iterator[None]:
    with light_stream_snapshots():
        yield


@pytest.fixture
def store() -> Iterator[None]:
    """A fresh, empty table (the template's), in moto's in-process mock."""
    with mock_aws():
        spec = dataclasses.replace(template().tables["Table"], name=os.environ["PARLEY_TABLE_NAME"])
        ensure_tables(None, os.environ["AWS_DEFAULT_REGION"], [spec])
        yield

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The endpoint's tests: tools/local_lambda on the import path, and one endpoint per test module
on 127.0.0.1 (a free port), stopped when the module's tests are done."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import local_lambda  # noqa: E402


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with local_lambda.start(host="127.0.0.1", port=0) as server:
        yield server.endpoint_url


@pytest.fixture(scope="module")
def lam(endpoint: str) -> Any:
    return local_lambda.client(endpoint)

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's figures, one module each, run in the order of their file names.

A figure module has ``KEY`` (its name for ``bench/run --only``), ``TITLE`` and
``measure(b: harness.Harness) -> None``, which runs its playbooks through ``b``, states what must
hold with ``b.check``/``b.require`` (printed in smoke mode too) and appends its results to
``b.figures`` and ``b.sections``. Adding a figure is adding a file here.
"""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import List


def all_figures() -> List[ModuleType]:
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]

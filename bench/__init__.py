"""Benchmarks run by ``manage.py bench [NAME ...] [--quick]``.

Each module ``bench/<name>.py`` with a ``run(quick: bool, out)`` function is a
benchmark named ``<name>`` (a trailing underscore is dropped, so ``import_.py``,
named around the keyword, is the benchmark ``import``). Each measures its baseline in the same run and
prints every figure as a ratio against it; none of them is a test assertion.
"""

from __future__ import annotations

import importlib
import pkgutil


def benchmarks() -> dict[str, object]:
    found = {}
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            run = getattr(importlib.import_module(f"bench.{module.name}"), "run", None)
            if callable(run):
                found[module.name.removesuffix("_")] = run
    return found

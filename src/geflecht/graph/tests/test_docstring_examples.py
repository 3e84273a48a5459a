"""Every docstring example in the engine runs and shows what it claims."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import geflecht.graph

MODULES = sorted(
    m.name
    for m in pkgutil.iter_modules(geflecht.graph.__path__, "geflecht.graph.")
    if not m.name.endswith(".tests")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_every_public_name_is_exported_and_documented():
    for name in geflecht.graph.__all__:
        obj = getattr(geflecht.graph, name)
        assert obj.__doc__, name

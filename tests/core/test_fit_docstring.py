"""``fit``'s docstring is numpydoc with one entry per parameter, so the API reference (which
mkdocstrings renders with griffe's numpy parser) shows every parameter with its type and text."""

import inspect

import pytest

from scratchnn.training import fit

griffe = pytest.importorskip("griffe")


def test_fit_documents_every_parameter_once():
    docstring = griffe.Docstring(inspect.getdoc(fit), parser="numpy")
    sections = docstring.parse()
    documented = [p for s in sections if s.kind.value == "parameters" for p in s.value]
    names = [p.name for p in documented]
    assert names == list(inspect.signature(fit).parameters)
    for p in documented:
        assert p.annotation and p.description.strip(), p.name

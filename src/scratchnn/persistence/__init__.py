"""Safe model files: ``save`` / ``load`` for a ``Sequential`` or a fitted ``MLPClassifier`` /
``MLPRegressor``, optionally with its optimizer's state (``.npz`` + a JSON header, no pickle,
atomic writes).

The package: ``format.py`` (the file format: ``save``, ``load``, ``read_header``),
``_npz_reader.py`` (the bounded reader for untrusted ``.npz`` files), ``estimator_state.py``
(an estimator's parameters and fitted attributes in the header) and ``optimizer_state.py``
(an optimizer's ``state_dict()`` in the file). scikit-learn is imported only when a file
holds an estimator.
"""

from ..errors import ModelFileError
from ._npz_reader import HEADER_KEY
from .estimator_state import describe_estimator, restore_estimator
from .format import FORMAT_NAME, FORMAT_VERSION, load, read_header, save

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "HEADER_KEY", "ModelFileError", "describe_estimator",
           "load", "read_header", "restore_estimator", "save"]

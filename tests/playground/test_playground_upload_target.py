"""An uploaded regression table whose target column holds text: the message calls it the
target, not a feature."""

from __future__ import annotations

import pytest

from scratchnn.playground.settings import SessionError
from scratchnn.playground.uploads import parse_upload


def test_a_text_target_is_named_the_target_for_regression():
    with pytest.raises(SessionError) as caught:
        parse_upload("points.csv", "x1,x2,y\n1,2,red\n3,4,blue\n", "regression")
    message = str(caught.value)
    assert message.startswith("points.csv: the target column 'y' holds text such as 'red'")
    assert "feature" not in message and "classification" in message
    assert "scratchnn-upload" not in message  # no temporary path leaks out


def test_a_text_feature_is_still_called_a_feature():
    with pytest.raises(SessionError, match=r"column 'x1' holds text.*features must be numeric"):
        parse_upload("points.csv", "x1,x2,y\nred,2,1\nblue,4,2\n", "regression")

"""The exception tree's renamed members keep working for a release."""

import pytest

from aksara import exceptions


def test_connection_error_is_renamed_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="renamed DatabaseConnectionError"):
        old = exceptions.ConnectionError
    assert old is exceptions.DatabaseConnectionError
    assert issubclass(old, exceptions.DatabaseError)
    assert exceptions.DatabaseConnectionError is not ConnectionError  # Python's own
    with pytest.raises(AttributeError):
        exceptions.NoSuchError  # noqa: B018

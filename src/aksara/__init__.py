"""aksara: an async, PostgreSQL-only model layer."""

from aksara.conf import Settings, configure
from aksara.exceptions import ValidationError

__all__ = ["Settings", "ValidationError", "configure"]

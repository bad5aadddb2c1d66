from tests.migrations.conftest import fresh_database_url  # noqa: F401

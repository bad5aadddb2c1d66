"""aksara's own tests use its pytest plugin (``aksara.testing.plugin``), like any application."""

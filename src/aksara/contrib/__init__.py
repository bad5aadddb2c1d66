"""Integrations of aksara with other frameworks (``aksara.contrib.fastapi``)."""

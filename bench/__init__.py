"""Benchmarks of aksara against raw asyncpg, SQLAlchemy and other async ORMs (see README.md)."""

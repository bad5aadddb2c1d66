"""Developer entry points: ``nox -s lint typecheck tests``, ``nox -s demo``, ``nox -s bench``,
``nox -s stress``."""

import os

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
nox.options.reuse_existing_virtualenvs = True
# A Python this machine does not have is skipped, not an error (3.14 where it exists).
nox.options.error_on_missing_interpreters = False

PYTHONS = ["3.11", "3.12", "3.13", "3.14"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The suite on every supported Python found here, on the embedded PostgreSQL 18."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def tests_external(session: nox.Session) -> None:
    """The suite against a PostgreSQL of your own (14 or later, with pgvector installed):
    ``AKSARA_TEST_DATABASE_URL=postgresql://user@host/db nox -s tests_external``."""
    if not os.environ.get("AKSARA_TEST_DATABASE_URL"):
        session.error("Set AKSARA_TEST_DATABASE_URL to the server to test against")
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff")
    directories = ("src", "tests", "examples", "bench", "stress", "alembic")
    session.run("ruff", "check", *directories)
    session.run("ruff", "format", "--check", *directories)


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy", "src/aksara", "examples/library", "tests/typing")
    session.run("basedpyright")
    session.run("python", "-m", "tests.docs.typecheck")  # the documentation's examples


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """The documentation site, built strictly (a broken link or reference fails it)."""
    session.install("-e", ".[docs]")
    session.env["NO_MKDOCS_2_WARNING"] = "1"
    session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session(python="3.11")
def demo(session: nox.Session) -> None:
    session.install("-e", ".[demo]")
    session.run("python", "examples/demo.py", *session.posargs)


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    session.install("-e", ".[dev,bench]")
    session.run("python", "bench/run.py", *session.posargs)


@nox.session(python="3.11")
def stress(session: nox.Session) -> None:
    """The example app under load (``-- --seconds 60``); ``-- faults`` adds database faults."""
    session.install("-e", ".[dev,demo]")
    session.run("python", "stress/run.py", *session.posargs)

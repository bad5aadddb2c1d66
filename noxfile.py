"""Developer entry points: ``nox -s lint typecheck tests``, ``nox -s demo``, ``nox -s bench``,
``nox -s stress``."""

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "examples", "bench", "stress", "alembic")
    session.run("ruff", "format", "--check", "src")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy", "src/aksara", "examples/library")


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

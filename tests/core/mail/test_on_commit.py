"""Mail deferred until the surrounding transaction commits (``on_commit=True``)."""

from __future__ import annotations

import pytest

import aksara
from aksara.conf import configure
from aksara.core.mail import BadHeaderError, outbox, send_mail, send_mass_mail
from aksara.db import Database


@pytest.fixture(autouse=True)
def _locmem() -> None:
    configure(email_backend="locmem")


async def test_mail_deferred_to_commit_is_sent_when_the_block_commits(db: Database) -> None:
    async with aksara.transaction():
        queued = await send_mail("Welcome", "Body", None, ["user@example.com"], on_commit=True)
        assert queued == 1
        assert outbox == []

    assert [m.subject for m in outbox] == ["Welcome"]


async def test_mail_deferred_to_commit_is_never_sent_when_the_block_rolls_back(
    db: Database,
) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with aksara.transaction():
            await send_mass_mail(
                [("One", "B", None, ["a@example.com"]), ("Two", "B", None, ["b@example.com"])],
                on_commit=True,
            )
            raise RuntimeError("boom")

    assert outbox == []


async def test_mail_deferred_in_a_rolled_back_savepoint_is_dropped_but_the_outer_one_is_sent(
    db: Database,
) -> None:
    async with aksara.transaction():
        await send_mail("Outer", "B", None, ["a@example.com"], on_commit=True)
        with pytest.raises(RuntimeError):
            async with aksara.transaction():
                await send_mail("Inner", "B", None, ["b@example.com"], on_commit=True)
                raise RuntimeError

    assert [m.subject for m in outbox] == ["Outer"]


async def test_bad_input_raises_inside_the_transaction_not_at_commit(db: Database) -> None:
    async with aksara.transaction():
        with pytest.raises(BadHeaderError):
            await send_mail("Bad\nsubject", "B", None, ["a@example.com"], on_commit=True)

    assert outbox == []


async def test_on_commit_outside_a_transaction_sends_at_once() -> None:
    assert not aksara.in_transaction()

    assert await send_mail("Now", "B", None, ["a@example.com"], on_commit=True) == 1
    assert [m.subject for m in outbox] == ["Now"]


async def test_on_commit_after_a_real_commit(transactional_db: Database) -> None:
    async with aksara.transaction():
        await send_mail("Committed", "B", None, ["a@example.com"], on_commit=True)
        assert outbox == []

    assert [m.subject for m in outbox] == ["Committed"]

"""Request-scoped transactions as FastAPI dependencies."""

# No ``from __future__ import annotations``: FastAPI reads these signatures at runtime.

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends

from aksara.db.transaction import Transaction, transaction


async def _request_transaction() -> AsyncIterator[Transaction]:
    async with transaction() as tx:
        yield tx


async def transaction_dependency(
    # Function scope: the block ends when the endpoint returns, so the COMMIT happens (and
    # can fail with an error response) before the response is sent.
    tx: Annotated[Transaction, Depends(_request_transaction, scope="function")],
) -> Transaction:
    """One transaction per request: ``db: aksara.Transaction = Depends(transaction_dependency)``.

    Every ``Model.objects`` call the endpoint makes runs in it. It commits once the endpoint
    has returned and its response is built, before anything is sent; it rolls back when the
    endpoint (or another dependency) raises, ``HTTPException`` included. The endpoint's
    ``on_commit`` hooks run after the commit. Every dependency of one request that asks
    for it gets the same transaction.
    """
    return tx


DBTransaction = Annotated[Transaction, Depends(transaction_dependency)]
"""``async def endpoint(db: DBTransaction)``: the request's transaction (see ``transaction_dependency``)."""

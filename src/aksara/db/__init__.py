"""The database layer: connection, pool, transactions and hooks. It knows nothing of fields,
models or queries: it runs SQL text with parameters."""

from aksara.db._context import connected, current_transaction, get_database, set_database
from aksara.db.connection import connect, disconnect
from aksara.db.database import Connection, Database, PoolStatus, statement_timeout
from aksara.db.hooks import in_transaction, on_commit, on_rollback
from aksara.db.transaction import Transaction, TransactionBlock, TransactionError, transaction

__all__ = [
    "Connection",
    "Database",
    "PoolStatus",
    "Transaction",
    "TransactionBlock",
    "TransactionError",
    "connect",
    "connected",
    "current_transaction",
    "disconnect",
    "get_database",
    "in_transaction",
    "on_commit",
    "on_rollback",
    "set_database",
    "statement_timeout",
    "transaction",
]

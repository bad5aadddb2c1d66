"""The database layer: connection, pool, transactions and hooks."""

from aksara.db.connection import (
    connect,
    create_all,
    disconnect,
    drop_all,
    get_database,
    set_database,
)
from aksara.db.database import Connection, Database, statement_timeout
from aksara.db.transaction import (
    Transaction,
    TransactionError,
    current_transaction,
    in_transaction,
    on_commit,
    on_rollback,
    transaction,
)

__all__ = [
    "Connection",
    "Database",
    "Transaction",
    "TransactionError",
    "connect",
    "create_all",
    "current_transaction",
    "disconnect",
    "drop_all",
    "get_database",
    "in_transaction",
    "on_commit",
    "on_rollback",
    "set_database",
    "statement_timeout",
    "transaction",
]

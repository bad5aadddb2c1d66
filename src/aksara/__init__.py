"""aksara: an async, PostgreSQL-only model layer on SQLAlchemy Core and asyncpg."""

import typing

from aksara import fields
from aksara.conf import Settings, configure, settings
from aksara.core.mail import EmailMessage, EmailMultiAlternatives, send_mail, send_mass_mail
from aksara.db import (
    Database,
    Transaction,
    TransactionBlock,
    connect,
    disconnect,
    get_database,
    in_transaction,
    on_commit,
    on_rollback,
    statement_timeout,
    transaction,
)
from aksara.exceptions import (
    AksaraError,
    DoesNotExist,
    IntegrityError,
    MultipleObjectsReturned,
    PermissionDenied,
    ProtectedError,
    ValidationError,
)
from aksara.fields.relations import CASCADE, PROTECT, RESTRICT, SET_NULL
from aksara.models import Index, Model, TypedModel, metadata
from aksara.query import (
    ArrayAgg,
    Avg,
    BoolAnd,
    BoolOr,
    Count,
    F,
    JSONBAgg,
    Manager,
    Max,
    Min,
    Q,
    QuerySet,
    RelatedManager,
    StdDev,
    StringAgg,
    Sum,
    Value,
    Variance,
)
from aksara.schema import create_all, drop_all

if typing.TYPE_CHECKING:
    from aksara.contrib.fastapi import (
        Aksara,
        DBTransaction,
        ModelSchema,
        UploadFile,
        schema_for,
        transaction_dependency,
    )

from aksara._version import __version__ as __version__

#: Imported on first use, so that an application without FastAPI routes does not load
#: FastAPI, Starlette and their pydantic models (a fifth of the objects every full garbage
#: collection walks, and a third of the import time).
_FASTAPI_NAMES = frozenset(
    (
        "Aksara",
        "DBTransaction",
        "ModelSchema",
        "UploadFile",
        "schema_for",
        "transaction_dependency",
    )
)


def __getattr__(name: str) -> typing.Any:
    if name in _FASTAPI_NAMES:
        from aksara.contrib import fastapi

        value = getattr(fastapi, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'aksara' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_FASTAPI_NAMES})


__all__ = [
    "Aksara",
    "AksaraError",
    "ArrayAgg",
    "Avg",
    "BoolAnd",
    "BoolOr",
    "CASCADE",
    "Count",
    "DBTransaction",
    "Database",
    "DoesNotExist",
    "EmailMessage",
    "EmailMultiAlternatives",
    "F",
    "Index",
    "IntegrityError",
    "JSONBAgg",
    "Manager",
    "Max",
    "Min",
    "Model",
    "ModelSchema",
    "MultipleObjectsReturned",
    "PROTECT",
    "PermissionDenied",
    "ProtectedError",
    "Q",
    "QuerySet",
    "RESTRICT",
    "RelatedManager",
    "SET_NULL",
    "Settings",
    "StdDev",
    "StringAgg",
    "Sum",
    "Transaction",
    "TransactionBlock",
    "TypedModel",
    "UploadFile",
    "ValidationError",
    "Value",
    "Variance",
    "configure",
    "connect",
    "create_all",
    "disconnect",
    "drop_all",
    "fields",
    "get_database",
    "in_transaction",
    "metadata",
    "on_commit",
    "on_rollback",
    "schema_for",
    "send_mail",
    "send_mass_mail",
    "settings",
    "statement_timeout",
    "transaction",
    "transaction_dependency",
]

"""The shared workload: tables, seed data, counts and the inputs of operations A-K.

Every peer runs exactly this work, so the numbers compare like with like:

```
seed (COPY, untimed)   N rows per model, levels 10..50 in turn (N/5 rows per level)
A insert single        rows at level 60, autocommit, one statement per row
B insert batch         rows at level 70, one transaction per worker, one statement per row
C insert bulk          rows at level 80, one bulk call per worker
D filter large         all rows of one seed level (N/5) as instances
E filter small         20 rows of one seed level at a random offset, ordered by id
F get                  one row by primary key
G filter as dicts      as D, as dicts
H filter as tuples     as D, as tuples
I update whole row     the B rows: level 71, text + " Update", every column written
J update one field     the B rows: level 72, only that column written
K delete               the A rows, one statement per row
```

Inserted rows get levels of their own so that D, G and H always return the same
seeded rows and each write can be checked exactly afterwards.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

WORKERS = 10
# Each operation runs in this many consecutive rounds and reports its best round,
# which keeps a burst of other load on a shared machine out of the result.
ROUNDS = 3
MODELS = ("simple", "wide", "related")
OPS = "ABCDEFGHIJK"
OP_NAMES = {
    "A": "insert single",
    "B": "insert batch",
    "C": "insert bulk",
    "D": "filter large",
    "E": "filter small",
    "F": "get",
    "G": "filter dicts",
    "H": "filter tuples",
    "I": "update whole",
    "J": "update field",
    "K": "delete",
}

LEVELS = (10, 20, 30, 40, 50)
LEVEL_A = 60
LEVEL_B = 70
LEVEL_C = 80
LEVEL_I = 71
LEVEL_J = 72
PAGE = 20
UPDATE_SUFFIX = " Update"

TABLES = {"simple": "bench_simple", "wide": "bench_wide", "related": "bench_related"}
TAG_TABLE = "bench_tag"
LINK_TABLE = "bench_related_tag"
TAG_COUNT = 20

# Wide model: four groups of eight columns. Groups 1 and 3 are NOT NULL with the
# defaults below (applied client-side by every peer); groups 2 and 4 are nullable.
WIDE_KINDS = ("float", "smallint", "int", "bigint", "char", "text", "decimal", "json")
WIDE_DEFAULTS: dict[str, Any] = {
    "float": 2.2,
    "smallint": 2,
    "int": 2000000,
    "bigint": 99999999,
    "char": "value1",
    "text": "Moo,Foo,Baa,Waa,Moo,Foo,Baa,Waa,Moo,Foo,Baa,Waa",
    "decimal": Decimal("2.2"),
    "json": {"a": 1, "b": "b", "c": [2], "d": {"e": 3}, "f": True},
}
WIDE_GROUPS = (1, 2, 3, 4)
WIDE_DEFAULT_GROUPS = (1, 3)


def wide_column(kind: str, group: int) -> str:
    return f"col_{kind}{group}"


WIDE_COLUMNS = tuple(wide_column(kind, g) for g in WIDE_GROUPS for kind in WIDE_KINDS)

# PostgreSQL types as information_schema reports them.
_BASE_TYPES = [
    ("id", "integer", False),
    ("timestamp", "timestamp with time zone", False),
    ("level", "smallint", False),
    ("text", "character varying(255)", False),
]
_KIND_TYPES = {
    "float": "double precision",
    "smallint": "smallint",
    "int": "integer",
    "bigint": "bigint",
    "char": "character varying(255)",
    "text": "text",
    "decimal": "numeric(12,8)",
    "json": "jsonb",
}

# table -> [(column, type, nullable)], in declaration order
SCHEMA: dict[str, list[tuple[str, str, bool]]] = {
    "bench_simple": list(_BASE_TYPES),
    "bench_wide": _BASE_TYPES
    + [
        (wide_column(kind, g), _KIND_TYPES[kind], g not in WIDE_DEFAULT_GROUPS)
        for g in WIDE_GROUPS
        for kind in WIDE_KINDS
    ],
    "bench_related": [*_BASE_TYPES, ("parent_id", "integer", True)],
    TAG_TABLE: [("id", "integer", False), ("name", "character varying(50)", False)],
    LINK_TABLE: [("related_id", "integer", False), ("tag_id", "integer", False)],
}
# Columns a peer's own DDL may add (a surrogate key on the link table).
OPTIONAL_COLUMNS = {LINK_TABLE: {"id"}}
# Columns that must lead some index (primary keys are checked separately).
INDEXED = {
    "bench_simple": ("level", "text"),
    "bench_wide": ("level", "text"),
    "bench_related": ("level", "text", "parent_id"),
    TAG_TABLE: (),
    LINK_TABLE: ("related_id",),  # tags are never deleted, so tag_id needs no index
}
# (table, column) -> (referenced table, ON DELETE rule)
FOREIGN_KEYS = {
    ("bench_related", "parent_id"): ("bench_related", "CASCADE"),
    (LINK_TABLE, "related_id"): ("bench_related", "CASCADE"),
    (LINK_TABLE, "tag_id"): (TAG_TABLE, "CASCADE"),
}
MODEL_TABLES = {
    "simple": ("bench_simple",),
    "wide": ("bench_wide",),
    "related": ("bench_related", TAG_TABLE, LINK_TABLE),
}


def columns(model: str) -> tuple[str, ...]:
    """The model's columns in declaration order (the order of H's tuples)."""
    return tuple(name for name, _, _ in SCHEMA[TABLES[model]])


@dataclass(frozen=True)
class Counts:
    """How much work each operation does; every number is split over the workers."""

    seed: int  # rows seeded per model (a multiple of 5 * WORKERS)
    insert_single: int  # A rows (K deletes them again)
    insert_batch: int  # B rows (I and J update them)
    insert_bulk: int  # C rows
    filter_large: int  # D queries (each returns seed / 5 rows)
    filter_small: int  # E queries
    get: int  # F lookups
    filter_dicts: int  # G queries
    filter_tuples: int  # H queries

    def scaled(self, factor: float) -> Counts:
        def scale(n: int, floor: int = WORKERS) -> int:
            return max(floor, round(n * factor / WORKERS) * WORKERS)

        return Counts(
            seed=max(5 * WORKERS * 10, round(self.seed * factor / 50) * 50),
            insert_single=scale(self.insert_single),
            insert_batch=scale(self.insert_batch),
            insert_bulk=scale(self.insert_bulk),
            filter_large=scale(self.filter_large),
            filter_small=scale(self.filter_small),
            get=scale(self.get),
            filter_dicts=scale(self.filter_dicts),
            filter_tuples=scale(self.filter_tuples),
        )


FULL = Counts(
    seed=10_000,
    insert_single=1_000,
    insert_batch=2_000,
    insert_bulk=10_000,
    filter_large=30,
    filter_small=1_000,
    get=2_000,
    filter_dicts=30,
    filter_tuples=30,
)
QUICK = Counts(
    seed=5_000,
    insert_single=300,
    insert_batch=500,
    insert_bulk=2_000,
    filter_large=10,
    filter_small=200,
    get=500,
    filter_dicts=10,
    filter_tuples=10,
)

SEED_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def split(items: list[Any], parts: int = WORKERS) -> list[list[Any]]:
    """Contiguous, near-equal slices (one per worker by default)."""
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def seed_level(i: int) -> int:
    return LEVELS[i % len(LEVELS)]


def seed_parent(i: int) -> int | None:
    """A binary tree: row i's parent is i // 2, so rows up to N/2 have two children."""
    return i // 2 if i > 1 else None


def seed_tags(i: int) -> list[int]:
    return sorted({i % TAG_COUNT + 1, (i * 7 + 3) % TAG_COUNT + 1})


def tag_name(tag_id: int) -> str:
    return f"tag-{tag_id:02d}"


def _wide_value(kind: str, group: int, i: int) -> Any:
    if group in WIDE_DEFAULT_GROUPS:
        return WIDE_DEFAULTS[kind]
    if i % 2:  # odd rows leave the nullable groups empty
        return None
    return {
        "float": i / 3,
        "smallint": i % 30_000,
        "int": i * 1_000 + group,
        "bigint": i * 10_000_000_000 + group,
        "char": f"char {group} of row {i}",
        "text": f"text {group} of row {i} " * 4,
        "decimal": (Decimal(i) / Decimal(7)).quantize(Decimal("0.00000001")),
        "json": {"row": i, "group": group, "items": [i, str(i)], "even": True},
    }[kind]


def seed_row(model: str, i: int) -> tuple[Any, ...]:
    """Row ``i`` (1-based, also its id) of a model's seed, in column order."""
    base: tuple[Any, ...] = (
        i,
        SEED_EPOCH + timedelta(seconds=i),
        seed_level(i),
        f"Seed {model} row {i}",
    )
    if model == "wide":
        return base + tuple(_wide_value(kind, g, i) for g in WIDE_GROUPS for kind in WIDE_KINDS)
    if model == "related":
        return (*base, seed_parent(i))
    return base


def new_rows(model: str, op: str, level: int, count: int, seed: int) -> list[dict[str, Any]]:
    """The rows an insert operation creates: only the fields a caller sets."""
    rows: list[dict[str, Any]] = []
    for k in range(count):
        row: dict[str, Any] = {"level": level, "text": f"Insert {op} {model} {k}"}
        if model == "related":
            row["parent_id"] = 1 + (k * 37) % seed
        rows.append(row)
    return rows


def full_new_row(model: str, row: dict[str, Any]) -> dict[str, Any]:
    """What a created row holds besides id and timestamp: the defaults filled in."""
    out = dict(row)
    if model == "wide":
        for g in WIDE_GROUPS:
            for kind in WIDE_KINDS:
                default = WIDE_DEFAULTS[kind] if g in WIDE_DEFAULT_GROUPS else None
                out[wide_column(kind, g)] = default
    return out


@dataclass(frozen=True)
class Plan:
    """The inputs of every operation of one model, in the order they are run.

    The driver cuts each list into ``ROUNDS`` consecutive rounds and each round
    into one share per worker (``rounds``).
    """

    model: str
    counts: Counts
    insert_single: list[dict[str, Any]]
    insert_batch: list[dict[str, Any]]
    insert_bulk: list[dict[str, Any]]
    filter_large: list[int]
    filter_small: list[tuple[int, int]]
    get: list[int]
    filter_dicts: list[int]
    filter_tuples: list[int]

    @property
    def per_level(self) -> int:
        return self.counts.seed // len(LEVELS)


def plan(model: str, counts: Counts, seed: int = 20240101) -> Plan:
    rnd = random.Random(f"{seed}-{model}")
    per_level = counts.seed // len(LEVELS)

    def levels(total: int) -> list[int]:
        return [LEVELS[q % len(LEVELS)] for q in range(total)]

    return Plan(
        model=model,
        counts=counts,
        insert_single=new_rows(model, "A", LEVEL_A, counts.insert_single, counts.seed),
        insert_batch=new_rows(model, "B", LEVEL_B, counts.insert_batch, counts.seed),
        insert_bulk=new_rows(model, "C", LEVEL_C, counts.insert_bulk, counts.seed),
        filter_large=levels(counts.filter_large),
        filter_small=[
            (LEVELS[q % len(LEVELS)], rnd.randrange(per_level - PAGE))
            for q in range(counts.filter_small)
        ],
        get=[rnd.randint(1, counts.seed) for _ in range(counts.get)],
        filter_dicts=levels(counts.filter_dicts),
        filter_tuples=levels(counts.filter_tuples),
    )


def rounds(items: list[Any], count: int = ROUNDS) -> list[list[list[Any]]]:
    """``count`` consecutive rounds of ``items``, each split into one share per worker."""
    return [split(chunk) for chunk in split(items, count) if chunk]

"""Names that reach DDL and maintenance SQL are quoted by SQLAlchemy, never spliced in.

Issue item 11: the pytest plugin's ``TRUNCATE "{name}"`` let a table named
``victim"; DROP TABLE keepme; --`` drop ``keepme``.
"""

import aksara
from aksara import Model, fields
from aksara.registry import registry
from aksara.schema import create_all
from aksara.testing.plugin import truncate_tables

HOSTILE = 'victim"; DROP TABLE sec_keepme; --'


async def test_truncating_every_table_quotes_hostile_names(transactional_db):
    class SecKeepme(Model):
        title = fields.String(max_length=20)

    class SecVictim(Model):
        positive = fields.PositiveSmallInteger(default=1)

        class Meta:
            table_name = HOSTILE

    try:
        await create_all()
        await SecKeepme.objects.create(title="kept")
        await SecVictim.objects.create()
        await truncate_tables(transactional_db)
        exists = await transactional_db.fetchval("SELECT to_regclass('sec_keepme') IS NOT NULL")
        assert exists, "a table name was run as SQL"
        assert await SecVictim.objects.count() == 0 and await SecKeepme.objects.count() == 0
        # Its CHECK constraint was created with the column quoted by SQLAlchemy, and holds.
        bad = await transactional_db.fetchval(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conrelid = $1::regclass",
            ['"' + HOSTILE.replace('"', '""') + '"'],
        )
        assert bad == 1
    finally:
        await transactional_db.execute("DROP TABLE IF EXISTS sec_keepme")
        await transactional_db.execute(
            "DROP TABLE IF EXISTS " + transactional_db.dialect.identifier_preparer.quote(HOSTILE)
        )
        registry.unregister(SecVictim)
        registry.unregister(SecKeepme)
        assert aksara.metadata.tables.get(HOSTILE) is None

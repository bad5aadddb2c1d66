"""Relation definitions: columns, constraints, indexes, table order, and definition errors."""

import warnings

import pytest
import sqlalchemy as sa

import aksara
from aksara import Model, fields
from aksara.exceptions import ConfigurationError
from aksara.fields import SET_NULL
from aksara.registry import registry
from tests.relations.models import (
    RlAuthor,
    RlBadge,
    RlCaptain,
    RlCategory,
    RlComment,
    RlPerson,
    RlPost,
    RlProfile,
    RlShip,
    RlTag,
)

FOREIGN_KEYS_SQL = """
SELECT kcu.column_name, ccu.table_name AS target, rc.delete_rule
FROM information_schema.referential_constraints rc
JOIN information_schema.key_column_usage kcu
  ON kcu.constraint_name = rc.constraint_name AND kcu.constraint_schema = rc.constraint_schema
JOIN information_schema.constraint_column_usage ccu
  ON ccu.constraint_name = rc.unique_constraint_name
 AND ccu.constraint_schema = rc.unique_constraint_schema
WHERE kcu.table_schema = current_schema() AND kcu.table_name = $1
ORDER BY kcu.column_name
"""


async def foreign_keys(db, table: str) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in await db.fetch(FOREIGN_KEYS_SQL, [table])]


async def column_types(db, table: str) -> dict[str, str]:
    rows = await db.fetch(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = $1",
        [table],
    )
    return {r["column_name"]: (r["data_type"], r["is_nullable"]) for r in rows}


def test_foreign_key_column_is_named_after_the_field_with_id():
    field = RlPost._meta.get_field("author")
    assert (field.name, field.attname, field.column_name) == ("author", "author_id", "author_id")
    assert RlPost._meta.get_field("author_id") is field
    assert RlPost.author is field and RlPost.author_id is field
    assert "tags" not in RlPost._meta.table.c  # ManyToMany has no column
    assert [f.name for f in RlPost._meta.concrete_fields] == [
        "id",
        "title",
        "rank",
        "author",
        "editor",
        "category",
    ]


async def test_foreign_key_columns_take_the_target_primary_key_type(db):
    post = await column_types(db, "rl_post")
    assert post["author_id"] == ("uuid", "NO")
    assert post["editor_id"] == post["category_id"] == ("uuid", "YES")
    # RlTag's integer key is declared after RlPost: its columns follow it once it resolves.
    assert (await column_types(db, "rl_badge"))["tag_id"] == ("integer", "NO")
    assert await column_types(db, "rl_post_tags") == {
        "rl_post_id": ("uuid", "NO"),
        "rl_tag_id": ("integer", "NO"),
    }
    assert isinstance(RlBadge._meta.table.c.tag_id.type, sa.Integer)


async def test_foreign_key_constraints_enforce_on_delete_in_postgres(db):
    assert await foreign_keys(db, "rl_post") == [
        ("author_id", "rl_author", "CASCADE"),
        ("category_id", "rl_category", "RESTRICT"),
        ("editor_id", "rl_author", "SET NULL"),
    ]
    assert await foreign_keys(db, "rl_comment") == [("post_id", "rl_post", "RESTRICT")]
    assert await foreign_keys(db, "rl_category") == [("parent_id", "rl_category", "CASCADE")]
    assert await foreign_keys(db, "rl_post_tags") == [
        ("rl_post_id", "rl_post", "CASCADE"),
        ("rl_tag_id", "rl_tag", "CASCADE"),
    ]
    assert await foreign_keys(db, "rl_follow") == [
        ("from_rl_person_id", "rl_person", "CASCADE"),
        ("to_rl_person_id", "rl_person", "CASCADE"),
    ]


async def test_foreign_keys_are_indexed_and_one_to_one_is_unique(db):
    rows = await db.fetch(
        "SELECT tablename, indexname FROM pg_indexes "
        "WHERE tablename = ANY($1::text[]) ORDER BY tablename, indexname",
        [["rl_post", "rl_profile", "rl_post_tags"]],
    )
    assert [tuple(r) for r in rows] == [
        ("rl_post", "ix_rl_post_author_id"),
        ("rl_post", "ix_rl_post_category_id"),
        ("rl_post", "ix_rl_post_editor_id"),
        ("rl_post", "pk_rl_post"),
        ("rl_post_tags", "ix_rl_post_tags_rl_tag_id"),
        ("rl_post_tags", "pk_rl_post_tags"),
        ("rl_profile", "pk_rl_profile"),
        ("rl_profile", "uq_rl_profile_author_id"),
    ]


def test_tables_sort_by_dependency_and_a_cycle_uses_alter():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        order = [t.name for t in aksara.metadata.sorted_tables]
    for before, after in [
        ("rl_author", "rl_post"),
        ("rl_category", "rl_post"),
        ("rl_post", "rl_post_tags"),
        ("rl_tag", "rl_post_tags"),
        ("rl_post", "rl_comment"),
    ]:
        assert order.index(before) < order.index(after)
    # RlShip → RlCaptain was added first; RlCaptain → RlShip closes the cycle.
    (ship_fk,) = RlShip._meta.table.foreign_key_constraints
    (captain_fk,) = RlCaptain._meta.table.foreign_key_constraints
    assert not ship_fk.use_alter and captain_fk.use_alter


async def test_a_cycle_of_tables_works_both_ways(db):
    assert await foreign_keys(db, "rl_ship") == [("captain_id", "rl_captain", "SET NULL")]
    assert await foreign_keys(db, "rl_captain") == [("ship_id", "rl_ship", "CASCADE")]
    ship = await RlShip.objects.create(name="Pequod")
    captain = await RlCaptain.objects.create(name="Ahab", ship=ship)
    ship.captain = captain
    await ship.save()
    assert await RlShip.objects.filter(captain__name="Ahab").count() == 1
    assert [c.name for c in await ship.crew.all()] == ["Ahab"]
    await ship.delete()
    assert await RlCaptain.objects.count() == 0


def test_set_null_requires_nullable_at_class_definition():
    with pytest.raises(ConfigurationError, match=r"RlBadSetNull\.owner: on_delete=SET_NULL"):

        class RlBadSetNull(Model):
            owner = fields.ForeignKey(RlAuthor, on_delete=SET_NULL)

    assert registry.get("RlBadSetNull") is None


def test_bad_relation_options_are_rejected():
    with pytest.raises(ConfigurationError, match="on_delete must be"):
        fields.ForeignKey(RlAuthor, on_delete="EXPLODE")
    with pytest.raises(ConfigurationError, match="model class or a model name"):
        fields.ForeignKey(42)
    with pytest.raises(ConfigurationError, match="does not take nullable"):
        fields.ManyToMany(RlTag, nullable=True)
    with pytest.raises(ConfigurationError, match="unexpected option"):
        fields.ForeignKey(RlAuthor, to_field="email")
    assert fields.ForeignKey(RlAuthor, on_delete="set null").on_delete == SET_NULL


def test_reverse_name_clash_fails_and_changes_nothing():
    with pytest.raises(ConfigurationError, match=r"RlAuthor\.posts clashes"):

        class RlClash(Model):
            writer = fields.ForeignKey(RlAuthor, related_name="posts")

    with pytest.raises(ConfigurationError, match=r"RlAuthor\.name clashes"):

        class RlClash2(Model):
            writer = fields.ForeignKey(RlAuthor, related_name="name")

    assert registry.get("RlClash") is None and registry.get("RlClash2") is None
    assert RlAuthor._meta.reverse["posts"].field is RlPost._meta.get_field("author")
    assert "writer" not in {r.field.name for r in RlAuthor._meta.reverse.values()}


def test_a_failed_definition_leaves_no_reverse_accessor_or_junction_behind():
    with pytest.raises(ConfigurationError, match=r"RlAuthor\.posts clashes"):

        class RlHalfDone(Model):
            fine = fields.ForeignKey(RlAuthor, related_name="rl_half_done_fine")
            labels = fields.ManyToMany(RlTag, related_name="rl_half_done_labels")
            later = fields.ForeignKey("RlNotYet", nullable=True)
            clash = fields.ForeignKey(RlAuthor, related_name="posts")

    assert registry.get("RlHalfDone") is None
    assert not hasattr(RlAuthor, "rl_half_done_fine")
    assert "rl_half_done_fine" not in RlAuthor._meta.reverse
    assert not hasattr(RlTag, "rl_half_done_labels")
    assert "rl_half_done_labels" not in aksara.metadata.tables
    assert "RlNotYet" not in registry.unresolved()


async def test_reference_to_an_undefined_model_fails_when_used(db):
    class RlDangling(Model):
        target = fields.ForeignKey("RlNowhere", nullable=True)

    try:
        with pytest.raises(ConfigurationError, match=r"RlDangling\.target refers to a model"):
            RlDangling(target_id=1).full_clean()
        assert "RlNowhere" in registry.unresolved()
    finally:
        registry.unregister(RlDangling)
        registry._pending.pop("RlNowhere", None)


def test_default_reverse_names_and_descriptions():
    # RlPerson.mentor has no related_name: accessor rl_person_set, query name rl_person.
    reverse = RlPerson._meta.reverse["rl_person"]
    assert reverse.accessor == "rl_person_set" and RlPerson.rl_person_set is reverse
    # RlPost.category: the default accessor on RlCategory.
    assert RlCategory.rl_post_set is RlCategory._meta.reverse["rl_post"]
    assert RlAuthor.profile.multi_valued is False and RlAuthor.posts.multi_valued is True
    assert RlPost._meta.get_field("author").describe() == {
        "type": "ForeignKey",
        "nullable": False,
        "to": "RlAuthor",
        "on_delete": "CASCADE",
    }
    assert RlProfile._meta.get_field("author").unique
    assert RlComment._meta.get_field("post").on_delete == "RESTRICT"

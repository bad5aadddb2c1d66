"""TypedModel: a model whose fields are annotated runs exactly as a plain model."""

import uuid

import pytest

from aksara import Model, RelatedManager, TypedModel, fields
from aksara.exceptions import ValidationError
from aksara.fields.relation_base import ReverseRelation


class TmShelf(TypedModel):
    label: fields.String = fields.String(max_length=50)
    volumes: RelatedManager["TmVolume"] = fields.declared()


class TmVolume(TypedModel):
    title: fields.String = fields.String(max_length=200)
    pages: fields.Integer = fields.Integer(default=0)
    subtitle: fields.String[bool] = fields.String(max_length=200, nullable=True, default=None)
    shelf: fields.ForeignKey[TmShelf] = fields.ForeignKey(TmShelf, related_name="volumes")
    shelf_id: uuid.UUID = fields.declared()


class TmLabel(Model):
    shelf = fields.ForeignKey(TmShelf, related_name="labels")
    shelf_id: uuid.UUID  # a plain model declares with an annotation alone


def test_typed_model_is_abstract_and_its_subclasses_are_models():
    assert TypedModel._meta.abstract
    assert [f.name for f in TmVolume._meta.concrete_fields] == [
        "id",
        "title",
        "pages",
        "subtitle",
        "shelf",
    ]
    with pytest.raises(TypeError, match="abstract"):
        TypedModel()


async def test_typed_models_save_load_and_validate(db):
    shelf = await TmShelf.objects.create(label="fiction")
    volume = await TmVolume.objects.create(title="Dune", shelf=shelf)
    loaded = await TmVolume.objects.select_related("shelf").get(pk=volume.pk)
    assert (loaded.title, loaded.pages, loaded.subtitle) == ("Dune", 0, None)
    assert loaded.shelf.label == "fiction"
    assert [v.title for v in await shelf.volumes.all()] == ["Dune"]
    assert loaded.shelf_id == shelf.pk
    with pytest.raises(ValidationError, match="TmVolume"):
        await TmVolume.objects.create(title="x" * 201, shelf=shelf)


def test_declared_attributes_are_the_ones_the_relations_make():
    assert repr(fields.declared()) == "fields.declared()"
    # The placeholder is dropped: the reverse accessor and the key column are aksara's.
    assert isinstance(vars(TmShelf)["volumes"], ReverseRelation)
    assert TmVolume.shelf_id is TmVolume._meta.get_field("shelf")
    assert TmLabel.shelf_id is TmLabel._meta.get_field("shelf")
    shelf = TmShelf(label="x")
    assert TmVolume(title="x", shelf=shelf).shelf_id == shelf.pk
    assert TmLabel(shelf=shelf).shelf_id == shelf.pk
    with pytest.raises(TypeError, match="unexpected field 'volumes'"):
        TmShelf(label="x", volumes=[])

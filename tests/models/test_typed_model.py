"""TypedModel: a model whose fields are annotated runs exactly as a plain model."""

import pytest

from aksara import TypedModel, fields
from aksara.exceptions import ValidationError


class TmShelf(TypedModel):
    label: fields.String = fields.String(max_length=50)


class TmVolume(TypedModel):
    title: fields.String = fields.String(max_length=200)
    pages: fields.Integer = fields.Integer(default=0)
    subtitle: fields.String[bool] = fields.String(max_length=200, nullable=True, default=None)
    shelf: fields.ForeignKey[TmShelf] = fields.ForeignKey(TmShelf, related_name="volumes")


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
    with pytest.raises(ValidationError, match="TmVolume"):
        await TmVolume.objects.create(title="x" * 201, shelf=shelf)

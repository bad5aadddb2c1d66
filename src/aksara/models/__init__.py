"""Models: ``Model``, its metaclass, ``Options`` and the model registry."""

from aksara.models.base import Model, ModelMeta
from aksara.models.options import Index, Options
from aksara.models.typed import TypedModel
from aksara.registry import metadata, registry

__all__ = ["Index", "Model", "ModelMeta", "Options", "TypedModel", "metadata", "registry"]

"""``ImageField``: a ``FileField`` whose content must be a real image, checked with Pillow (the
``images`` extra) in a worker thread before anything is written."""

from __future__ import annotations

import importlib.util
import io
import warnings
from typing import TYPE_CHECKING, Any, ClassVar

from aksara._concurrency import run_in_thread
from aksara.conf import get_settings
from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields.files import FieldFile, FileField, PendingUpload, _is_async_reader, _spool

if TYPE_CHECKING:
    from aksara.models.base import Model


class ImageFieldFile(FieldFile):
    """An image file: also ``width``/``height`` (known after an upload or ``await dimensions()``)."""

    _dimensions: tuple[int, int] | None = None

    @property
    def width(self) -> int:
        return self._known_dimensions()[0]

    @property
    def height(self) -> int:
        return self._known_dimensions()[1]

    def _known_dimensions(self) -> tuple[int, int]:
        cached = self.instance.__dict__.get("_image_sizes", {}).get(self.field.attname)
        if cached is not None and cached[0] == self.name:
            return cached[1]  # type: ignore[no-any-return]
        raise AttributeError(
            f"{type(self.instance).__name__}.{self.field.name}: the image size is not loaded; "
            "call `await instance.field.dimensions()` first"
        )

    async def dimensions(self) -> tuple[int, int]:
        """``(width, height)`` read from the stored image's header (cached on the instance)."""
        name = self._require()
        try:
            return self._known_dimensions()
        except AttributeError:
            pass
        data = await self.read()
        size = await run_in_thread(_image_size, data)
        self.instance.__dict__.setdefault("_image_sizes", {})[self.field.attname] = (name, size)
        return size


def _image_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size


class ImageField(FileField):
    """A ``FileField`` whose content must be a real image (checked with Pillow in a worker thread).

    ``avatar = fields.ImageField(upload_to="avatars", nullable=True)``. Content that is not an
    image, is truncated, or has more pixels than ``max_pixels`` (default
    ``settings.media_max_image_pixels``: decompression bombs) is rejected with
    ``ValidationError`` before anything is written.
    """

    attr_class: ClassVar[type[FieldFile]] = ImageFieldFile

    def __init__(self, *, max_pixels: int | None = None, **kwargs: Any) -> None:
        if importlib.util.find_spec("PIL") is None:
            raise ConfigurationError('ImageField needs Pillow: pip install "aksara[images]"')
        super().__init__(**kwargs)
        self.max_pixels = max_pixels

    async def validate_upload(self, instance: Model, upload: PendingUpload) -> None:
        await super().validate_upload(instance, upload)
        content = upload.content
        if _is_async_reader(content) and getattr(content, "file", None) is None:
            content = upload.content = await _spool(content)
        fileobj = getattr(content, "file", content)
        if isinstance(fileobj, bytes | bytearray | memoryview):
            fileobj = io.BytesIO(fileobj)
        limit = self.max_pixels or get_settings().media_max_image_pixels
        try:
            upload.image_size = await run_in_thread(_verify_image, fileobj, limit)
        except ValidationError as error:
            raise ValidationError(
                {self.name: error.messages}, model=type(instance).__name__
            ) from None


def _verify_image(fileobj: Any, max_pixels: int) -> tuple[int, int]:
    """Check that ``fileobj`` holds a complete image of at most ``max_pixels``; return its size."""
    from PIL import Image, UnidentifiedImageError

    start = fileobj.tell() if hasattr(fileobj, "tell") else 0
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning: the explicit pixel limit below decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(fileobj) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ValidationError(
                        f"Image is too large ({width}x{height} pixels; at most {max_pixels})"
                    )
                image.verify()
            fileobj.seek(start)
            with Image.open(fileobj) as image:
                image.load()  # a full decode: catches truncated data verify() misses
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise ValidationError("Upload a valid image: the file is not an image") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ValidationError(f"Upload a valid image: the image is damaged ({error})") from None
    finally:
        fileobj.seek(start)
    return width, height


__all__ = ["ImageField", "ImageFieldFile"]

"""``ImageField``: a ``FileField`` whose content must be a real image, checked with Pillow (the
``images`` extra) in a worker thread before anything is written."""

from __future__ import annotations

import importlib.util
import io
import threading
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast, overload

from aksara._concurrency import run_in_thread
from aksara.conf import get_settings
from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields.base import N
from aksara.fields.files import FieldFile, FileField, PendingUpload, _is_async_reader
from aksara.storage import split_extension

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
        vars(self.instance).setdefault("_image_sizes", {})[self.field.attname] = (name, size)
        return size


def _image_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size


#: The formats ``ImageField`` accepts, and the extension a stored image of each gets. Pillow
#: opens uploads with these plugins only: no other (EPS, which runs Ghostscript, among them)
#: ever sees one.
IMAGE_FORMATS: dict[str, str] = {
    "PNG": ".png",
    "JPEG": ".jpg",
    "GIF": ".gif",
    "WEBP": ".webp",
    "BMP": ".bmp",
    "TIFF": ".tiff",
}

#: Images decoded at once, process-wide: a decode holds up to 4 bytes per pixel.
_DECODES = threading.BoundedSemaphore(2)


class ImageField(FileField[N]):
    """A ``FileField`` whose content must be a real image (checked with Pillow in a worker thread).

    ``avatar = fields.ImageField(upload_to="avatars", nullable=True)``. Content that is not an
    image of one of ``formats`` (default: PNG, JPEG, GIF, WebP, BMP and TIFF), is truncated,
    or has more pixels than ``max_pixels`` (default ``settings.media_max_image_pixels``, 25
    million: decompression bombs) is rejected with ``ValidationError`` before anything is
    written. The stored name gets the extension of the format found (``photo.html`` holding
    a GIF is stored as ``photo.gif``), so the file is served as what it is.

    Memory: files larger than ``max_size`` (default ``settings.media_max_image_bytes``, 50
    MB) are refused unread; PNGs are checked chunk by chunk without decoding, baseline JPEGs
    decoded at 1/8 scale; other formats (and progressive JPEGs) are decoded whole. At most
    two images are checked at a time in the process (a decode takes up to 4 bytes per
    pixel: 100 MB at the default pixel limit).
    """

    attr_class: ClassVar[type[FieldFile]] = ImageFieldFile

    if TYPE_CHECKING:

        @overload  # type: ignore[override]
        def __get__(self, instance: None, owner: type[Any]) -> Self: ...
        @overload
        def __get__(self, instance: Model, owner: type[Any]) -> ImageFieldFile: ...
        def __get__(self, instance: Model | None, owner: type[Any]) -> Self | ImageFieldFile: ...

    def __init__(
        self,
        *,
        max_pixels: int | None = None,
        formats: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if importlib.util.find_spec("PIL") is None:
            raise ConfigurationError('ImageField needs Pillow: pip install "aksara-orm[images]"')
        super().__init__(**kwargs)
        self.max_pixels = max_pixels
        chosen = tuple(f.upper() for f in (formats or IMAGE_FORMATS))
        unknown = sorted(set(chosen) - set(IMAGE_FORMATS))
        if unknown:
            raise ConfigurationError(
                f"ImageField(formats=...): {', '.join(unknown)} not supported; "
                f"choose from {', '.join(IMAGE_FORMATS)}"
            )
        self.formats = chosen

    async def validate_upload(self, instance: Model, upload: PendingUpload) -> None:
        await super().validate_upload(instance, upload)
        settings = get_settings()
        limit = self.max_pixels or settings.media_max_image_pixels
        # Checking reads the file (PNG chunks whole): a larger one is refused unread.
        largest = self.max_size or settings.media_max_image_bytes
        try:
            if upload.size is not None:
                self._check_size(upload.size, largest)
            fileobj = _readable(upload.content)
            if fileobj is None:  # a stream: spooled, up to the limit
                fileobj = await upload.spool(largest)
            upload.image_size, found = await run_in_thread(
                _verify_image, fileobj, limit, self.formats
            )
            # Stored under the extension of what it is, whatever the client called it.
            upload.filename = with_extension(upload.filename, IMAGE_FORMATS[found])
            self._check_filename(upload.filename)
        except ValidationError as error:
            raise ValidationError(
                {self.name: error.messages}, model=type(instance).__name__
            ) from None


def _readable(content: Any) -> Any:
    """A seekable binary file of ``content``, or None when it is a stream to spool first."""
    if isinstance(content, bytes | bytearray | memoryview):
        return io.BytesIO(cast("bytes | bytearray | memoryview[Any]", content))
    fileobj = getattr(content, "file", content)
    if hasattr(fileobj, "read") and hasattr(fileobj, "seek") and not _is_async_reader(fileobj):
        return fileobj
    return None


def with_extension(filename: str, extension: str) -> str:
    """``filename`` with its extension replaced by ``extension`` (``x.html`` → ``x.gif``)."""
    root, old = split_extension(filename)
    return (root or "image") + extension if old.lower() != extension else filename


def _verify_image(
    fileobj: Any, max_pixels: int, formats: Sequence[str]
) -> tuple[tuple[int, int], str]:
    """Check that ``fileobj`` holds a complete image of one of ``formats`` and at most
    ``max_pixels``; return its size and format."""
    from PIL import Image, UnidentifiedImageError

    start = fileobj.tell() if hasattr(fileobj, "tell") else 0
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning: the explicit pixel limit below decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with _DECODES, Image.open(fileobj, formats=list(formats)) as image:
                found = str(image.format)
                width, height = image.size
                if width * height > max_pixels:
                    raise ValidationError(
                        f"Image is too large ({width}x{height} pixels; at most {max_pixels})"
                    )
                image.verify()  # PNG: reads every chunk (each whole) and checks its CRC
            if found != "PNG":
                fileobj.seek(start)
                with _DECODES, Image.open(fileobj, formats=[found]) as image:
                    if found == "JPEG":
                        # Decoded at 1/8 scale: every block is still read, in 1/64 of the memory.
                        image.draft(image.mode, (max(width // 8, 1), max(height // 8, 1)))
                    image.load()  # catches truncated data verify() misses
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise ValidationError(
            f"Upload a valid image: the file is not an image ({', '.join(formats)})"
        ) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ValidationError(f"Upload a valid image: the image is damaged ({error})") from None
    finally:
        fileobj.seek(start)
    return (width, height), found


__all__ = ["IMAGE_FORMATS", "ImageField", "ImageFieldFile", "with_extension"]

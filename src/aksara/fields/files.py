"""``FileField``, with ``FieldFile`` values on instances (``ImageField`` is in ``fields.images``).

Three roles, as in Django: the field holds the options (``upload_to``, ``storage``,
limits); a descriptor turns whatever is assigned (a stored name, a ``(filename,
content)`` tuple, an ``UploadFile``) into the instance's value; and a ``FieldFile`` offers
``url``, ``size()``, ``read()`` ... by delegating to the storage. Content is written on
``save()``, after validation, in the same transaction as the row: a failed write removes
the new file, and a replaced or deleted file is removed only after the commit.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import (
    IO,
    TYPE_CHECKING,
    Any,
    ClassVar,
    Protocol,
    Self,
    TypeAlias,
    Unpack,
    cast,
    overload,
)

import sqlalchemy as sa

from aksara._concurrency import run_in_thread
from aksara.conf import get_settings
from aksara.exceptions import (
    StorageError,
    SuspiciousFileOperation,
    ValidationError,
)
from aksara.fields.base import Field, FieldOptions, N, SaveContext
from aksara.state import loaded_value

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.storage import Storage, StorageFile

_SPOOL_MEMORY = 1024 * 1024


class PendingUpload:
    """Content assigned to a file field and not written yet."""

    __slots__ = ("filename", "content", "size", "image_size", "__weakref__")

    def __init__(self, filename: str, content: Any) -> None:
        self.filename = filename
        self.content: Any = content
        self.size: int | None = _known_size(content)
        self.image_size: tuple[int, int] | None = None

    async def spool(self, limit: int | None) -> IO[bytes]:
        """Take the streamed content into a temporary file (see ``_spool``), closed once the
        upload is written or dropped."""
        spooled = await _spool(self.content, limit)
        weakref.finalize(self, spooled.close)
        self.content = spooled
        self.size = _known_size(spooled)
        return spooled

    def __repr__(self) -> str:
        return f"<PendingUpload {self.filename!r}>"


def _known_size(content: Any) -> int | None:
    if isinstance(content, bytes | bytearray | memoryview):
        return memoryview(cast("bytes | bytearray | memoryview[Any]", content)).nbytes
    size = getattr(content, "size", None)
    if isinstance(size, int):
        return size
    fileobj = getattr(content, "file", content)
    if hasattr(fileobj, "seek") and hasattr(fileobj, "tell") and not _is_async_reader(fileobj):
        try:
            position = fileobj.tell()
            end = fileobj.seek(0, os.SEEK_END)
            fileobj.seek(position)
            return int(end - position)
        except (OSError, ValueError):
            return None
    return None


def _is_async_reader(obj: Any) -> bool:
    import inspect

    return inspect.iscoroutinefunction(getattr(obj, "read", None))


def _as_upload(value: Any) -> PendingUpload | None:
    """The pending upload ``value`` describes, or None when it is not upload-like."""
    if isinstance(value, PendingUpload):
        return value
    # ``pair`` is narrowed (to a tuple of Any); ``value`` would stay Any.
    pair: Sequence[Any] = value
    if isinstance(pair, tuple):
        if len(pair) != 2 or not isinstance(pair[0], str):
            raise ValidationError("Expected a (filename, content) tuple")
        filename, content = pair
        if isinstance(content, str):
            raise ValidationError("File content must be bytes or a binary file, not str")
        return PendingUpload(filename, content)
    filename = getattr(value, "filename", None)
    if isinstance(filename, str) and hasattr(value, "read"):
        # Starlette/FastAPI UploadFile (async read, a .file to read synchronously).
        return PendingUpload(filename, value)
    return None


class UploadLike(Protocol):
    """An upload a file field accepts: Starlette's and FastAPI's ``UploadFile`` (a name and
    an async ``read()``)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


#: What a file field accepts: an upload, a ``(filename, content)`` tuple, ``StoredFile``
#: (trusted code), another ``FieldFile``, the name it holds already, or None.
FileValue: TypeAlias = (
    "UploadLike | tuple[str, bytes | IO[bytes]] | StoredFile | FieldFile | str | None"
)


class FieldFile:
    """The value of a file field on an instance: a stored name and what the storage knows of it.

    ``bool(file)`` is False when no file is set. ``url`` and ``path`` are properties; every
    operation that reaches the storage is awaited.
    """

    def __init__(self, instance: Model, field: FileField, name: str | None) -> None:
        self.instance = instance
        self.field = field
        self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.name or 'None'}>"

    def __str__(self) -> str:
        return self.name or ""

    def __bool__(self) -> bool:
        return bool(self.name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FieldFile):
            return self.name == other.name
        if isinstance(other, str) or other is None:
            return self.name == other
        return NotImplemented

    # No __hash__: a class that defines __eq__ alone is unhashable (its __hash__ is None).

    @property
    def storage(self) -> Storage:
        return self.field.get_storage()

    def _require(self) -> str:
        if not self.name:
            model = type(self.instance).__name__
            raise ValueError(f"{model}.{self.field.name} has no file")
        return self.name

    @property
    def url(self) -> str:
        """The public URL (local ``media_url``, the S3 public base URL, or a presigned URL)."""
        return self.storage.url(self._require())

    @property
    def path(self) -> str:
        """The file's local filesystem path; ``StorageError`` on storage without one (S3)."""
        return self.storage.path(self._require())

    async def exists(self) -> bool:
        return bool(self.name) and await self.storage.exists(self._require())

    async def size(self) -> int:
        return await self.storage.size(self._require())

    async def read(self) -> bytes:
        """The whole content; use ``chunks()`` for large files."""
        return await self.storage.read(self._require())

    def chunks(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """``async for chunk in file.chunks(): ...`` reads the content with bounded memory."""
        return self.storage.chunks(self._require(), chunk_size)

    async def open(self) -> StorageFile:
        """``async with await file.open() as f: data = await f.read(1024)``."""
        return await self.storage.open(self._require())

    def adopt(self, name: str) -> None:
        """Point the field at ``name``, a file already in storage (trusted code only; see
        ``StoredFile``). The change is saved with the instance."""
        setattr(self.instance, self.field.name, StoredFile(name))
        self.name = name

    async def save(self, filename: str, content: Any, *, save: bool = True) -> None:
        """Store ``content`` as a new file named after ``filename`` and point the field at it.

        With ``save=True`` (the default) the instance is saved: file and row are written
        together. With ``save=False`` the file is written now and the instance is left
        unsaved (its field changed).
        """
        setattr(self.instance, self.field.name, (filename, content))
        if save:
            await self.instance.save()
            return
        upload = vars(self.instance)[self.field.attname]
        await self.field.validate_upload(self.instance, upload)
        vars(self.instance)[self.field.attname] = await self.field.write(self.instance, upload)

    async def delete(self, *, save: bool = True) -> None:
        """Remove the stored file and clear the field.

        With ``save=True`` (the default) the instance is saved with the field cleared and
        the file goes once that is committed. With ``save=False`` the file is deleted now
        and the instance is left unsaved. A cleared field is NULL, or an empty name when
        the field is not nullable.
        """
        name = self._require()
        vars(self.instance)[self.field.attname] = None if self.field.nullable else ""
        if save:
            try:
                await self.instance.save(update_fields=[self.field.name])
            except BaseException:
                vars(self.instance)[self.field.attname] = name
                raise
            await self.field.release(name)
        else:
            # The row still holds the name (it is not saved): only other rows count.
            await self.field.release(name, now=True, besides=self.instance)
        self.name = vars(self.instance)[self.field.attname]


class StoredFile:
    """A file already in storage, assigned on purpose by trusted code:
    ``asset.file = StoredFile("reports/q1.pdf")`` (or ``asset.file.adopt(name)``).

    A plain string is refused by file fields (unless it is the name the field holds
    already): a client that names a stored file could point its row at another user's
    file, read it through the row and delete it with the row. Only code that knows where
    the name comes from wraps it in ``StoredFile``.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        # A run-time check: untyped callers may pass anything.
        if not isinstance(name, str) or not name:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ValidationError("StoredFile needs a stored file name")
        self.name = name

    def __repr__(self) -> str:
        return f"StoredFile({self.name!r})"


_HYDRATING = object()


class FileDescriptor:
    """Instance access gives a ``FieldFile``; assignment accepts uploads, ``StoredFile`` names,
    another ``FieldFile``, the name already held, and None."""

    def __init__(self, field: FileField[Any]) -> None:
        self.field = field

    def __get__(self, instance: Model | None, owner: type[Any]) -> Any:
        if instance is None:
            return self.field
        field = self.field
        try:
            value = instance.__dict__[field.attname]
        except KeyError:
            raise AttributeError(
                f"{type(instance).__name__}.{field.name} was not loaded by the query"
            ) from None
        if isinstance(value, PendingUpload):
            return field.attr_class(instance, field, None)
        return field.attr_class(instance, field, value)

    def __set__(self, instance: Model, value: Any) -> None:
        field = self.field
        if isinstance(value, (FieldFile, StoredFile)):
            value = value.name  # a server-side object: code chose this name
        elif isinstance(value, str) and value:
            self._check_name(instance, value)
        elif value is not None and not isinstance(value, str):
            upload = _as_upload(value)
            if upload is None:
                raise ValidationError(
                    f"{type(instance).__name__}.{field.name}: expected a stored file name, a "
                    f"(filename, content) tuple or an UploadFile, got {type(value).__name__}"
                )
            value = upload
        vars(instance)[field.attname] = value

    def _check_name(self, instance: Model, name: str) -> None:
        """A plain name is taken only from the database (a row being loaded) or when the field
        holds it already; anything else may be a client pointing at another row's file."""
        if getattr(instance, "_loaded", _HYDRATING) is _HYDRATING:
            return  # a row being built from the database (its state is set last)
        field = self.field
        if name == instance.__dict__.get(field.attname) or name == loaded_value(
            instance, field.attname
        ):
            return
        raise ValidationError(
            {
                field.name: [
                    "A stored file name cannot be assigned: assign an upload (a (filename, "
                    "content) tuple or an UploadFile), or StoredFile(name) from trusted code"
                ]
            },
            model=type(instance).__name__,
        )


class FileField(Field[str, N]):
    """A file in media storage; the column holds its storage-relative name.
    PostgreSQL type: ``VARCHAR(max_length)`` (500 by default).

    ``attachment = fields.FileField(upload_to="documents", allowed_extensions=["pdf"],
    max_size=10 * 1024 * 1024)``. ``upload_to`` is a folder, a strftime pattern
    (``"uploads/%Y/%m"``) or a callable ``(instance, filename) -> name``.
    """

    attr_class: ClassVar[type[FieldFile]] = FieldFile

    if TYPE_CHECKING:
        # What type checkers see of ``post.attachment`` (FileDescriptor does it at run time).
        @overload  # type: ignore[override]
        def __get__(self, instance: None, owner: type[Any]) -> Self: ...
        @overload
        def __get__(self, instance: Model, owner: type[Any]) -> FieldFile: ...
        # Deliberately unlike Field's: a FieldFile rather than the stored name (``str``), and
        # only what FileDescriptor accepts (no F() expression).
        def __get__(  # pyright: ignore[reportIncompatibleMethodOverride]
            self, instance: Model | None, owner: type[Any]
        ) -> Self | FieldFile: ...
        def __set__(  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
            self, instance: Model, value: FileValue
        ) -> None: ...

    descriptor_class: ClassVar[type[FileDescriptor]] = FileDescriptor
    has_async_pre_save: ClassVar[bool] = True
    has_post_delete: ClassVar[bool] = True
    # An agent cannot upload through JSON, and a stored name could point at another row's file.
    default_ai_agent_writable: ClassVar[bool] = False

    def __init__(
        self,
        *,
        upload_to: str | Callable[[Any, str], str] = "",
        max_length: int = 500,
        storage: Storage | Callable[[], Storage] | None = None,
        allowed_extensions: Sequence[str] | None = None,
        max_size: int | None = None,
        **options: Unpack[FieldOptions[N]],
    ) -> None:
        super().__init__(**options)
        self.upload_to = upload_to
        self.max_length = max_length
        self._storage = storage
        self.allowed_extensions = (
            None
            if allowed_extensions is None
            else {("." + e.lower().lstrip(".")) for e in allowed_extensions}
        )
        self.max_size = max_size

    def contribute_to_class(self, model: type[Model], name: str) -> None:
        super().contribute_to_class(model, name)
        setattr(model, name, self.descriptor_class(self))

    def get_storage(self) -> Storage:
        storage = self._storage
        if storage is None:
            from aksara.storage import get_storage

            return get_storage()
        if callable(storage) and not hasattr(storage, "save"):
            return storage()
        return cast("Storage", storage)

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.String(self.max_length)

    # -- validation (sync part: names, extensions, known sizes) ----------------------------

    def clean_for_update(self, value: Any) -> Any:
        """``update(file=...)`` sets stored names in many rows: ``StoredFile(name)`` (trusted
        code) or None only. A plain name could come from a client; an upload cannot be
        written for rows that are not loaded (assign it to an instance and save it)."""
        if isinstance(value, StoredFile):
            return self.clean(value.name)
        if value is None or value == "":
            return self.clean(value)
        if isinstance(value, str):
            raise ValidationError(
                "A stored file name cannot be set with update(): use StoredFile(name) from "
                "trusted code"
            )
        raise ValidationError("update() cannot store an upload: assign it to an instance and save")

    def clean(self, value: Any, instance: Any = None) -> Any:
        if isinstance(value, (FieldFile, StoredFile)):
            value = value.name
        if value == "":
            # "No file" after FieldFile.delete() on a field that is not nullable.
            return value
        if value is None:
            return super().clean(None, instance)
        if isinstance(value, PendingUpload):
            self._check_filename(value.filename)
            if value.size is not None:
                self._check_size(value.size)
            return value
        if not isinstance(value, str):
            upload = _as_upload(value)
            if upload is None:
                raise ValidationError(f"Expected a stored file name, got {type(value).__name__}")
            return self.clean(upload, instance)
        from aksara.storage import validate_name

        try:
            validate_name(value)
        except SuspiciousFileOperation as error:
            raise ValidationError(str(error)) from None
        if len(value) > self.max_length:
            raise ValidationError(f"File name is longer than {self.max_length} characters")
        return value

    def _check_filename(self, filename: str) -> None:
        from aksara.storage import get_valid_name

        try:
            valid = get_valid_name(filename)
        except SuspiciousFileOperation as error:
            raise ValidationError(str(error)) from None
        if self.allowed_extensions is not None:
            from aksara.storage._names import split_extension

            ext = split_extension(posixpath.basename(valid))[1].lower()
            if not ext or not any(ext.endswith(allowed) for allowed in self.allowed_extensions):
                allowed = ", ".join(sorted(self.allowed_extensions))
                raise ValidationError(
                    f"File extension {ext or '(none)'!r} is not allowed ({allowed})"
                )

    def _check_size(self, size: int, limit: int | None = None) -> None:
        limit = self.max_size if limit is None else limit
        if limit is not None and size > limit:
            raise ValidationError(f"File is too large ({size} bytes; at most {limit})")

    def to_query(self, value: Any) -> Any:
        if isinstance(value, FieldFile):
            return value.name
        if not isinstance(value, str):
            raise ValidationError("Filter file fields by their stored name")
        return value

    def to_db(self, value: Any) -> Any:
        if isinstance(value, PendingUpload):
            raise StorageError(f"{self.model.__name__}.{self.name}: the upload was not written")
        return value

    # -- writing ------------------------------------------------------------------------------

    async def validate_upload(self, instance: Model, upload: PendingUpload) -> None:
        """The checks that need I/O: the size of streamed content (and image content)."""
        try:
            if upload.size is None and self.max_size is not None:
                # Read no further than the limit: a larger stream is refused part-way.
                await upload.spool(self.max_size)
            if upload.size is not None:
                self._check_size(upload.size)
        except ValidationError as error:
            raise ValidationError(
                {self.name: error.messages}, model=type(instance).__name__
            ) from None

    async def write(self, instance: Model, upload: PendingUpload) -> str:
        name = self.get_storage().generate_filename(self.upload_to, upload.filename, instance)
        content = upload.content
        fileobj = getattr(content, "file", None)
        if fileobj is not None and _is_async_reader(content):
            await content.seek(0)
        elif hasattr(content, "seek") and not _is_async_reader(content):
            await run_in_thread(content.seek, 0)
        return await self.get_storage().save(name, content, max_length=self.max_length)

    async def validate_async(self, instance: Model) -> None:
        value = instance.__dict__.get(self.attname)
        if isinstance(value, PendingUpload):
            await self.validate_upload(instance, value)

    async def pre_save_async(self, instance: Model, add: bool, context: SaveContext) -> None:
        d = vars(instance)
        value = d.get(self.attname)
        if not isinstance(value, PendingUpload):
            return
        d[self.attname] = await self.write(instance, value)
        content: object = value.content
        if isinstance(content, tempfile.SpooledTemporaryFile):
            content.close()  # written: the spooled copy is done with
        if value.image_size is not None:
            d.setdefault("_image_sizes", {})[self.attname] = (d[self.attname], value.image_size)
        if get_settings().media_keep_replaced_files:
            return
        # The name the row holds now, not the one loaded with the instance: another request
        # may have replaced the file since, and deleting the loaded name would leave that
        # request's file with no row.
        old = await context.stored_value(self)
        if old and old != d[self.attname]:
            await self.release(old)

    async def post_delete(self, values: list[Any]) -> None:
        if get_settings().media_keep_replaced_files:
            return
        for name in values:
            await self.release(name)

    #: ``referenced(storage, name, besides)``: whether a row (other than ``besides``, an
    #: instance) refers to that stored file; installed by the query layer
    #: (``aksara.query.files``), which can ask every model.
    referenced: ClassVar[Callable[[Storage, str, Any], Awaitable[bool]] | None] = None

    async def release(self, name: str, *, now: bool = False, besides: Any = None) -> None:
        """Delete the stored file ``name`` after the commit (``now``: at once), unless some row
        (other than ``besides``) still refers to it then: several rows may share a file
        (``StoredFile``), and one of them going must not take it from the others."""
        storage = self.get_storage()
        referenced = FileField.referenced

        async def in_use() -> bool:
            return referenced is not None and await referenced(storage, name, besides)

        if not now:
            await storage.delete_on_commit(name, unless=in_use)
        elif not await in_use():
            await storage.delete(name)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["max_length"] = self.max_length
        return info


async def _spool(content: Any, limit: int | None = None) -> IO[bytes]:
    """Copy streamed content to a temporary file (in memory up to 1 MiB) to learn its size.

    With ``limit``, reading stops as soon as more than ``limit`` bytes came: the upload is
    refused (``ValidationError``) without taking in the rest.
    """
    from aksara.storage._content import iter_content

    spooled: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MEMORY)
    total = 0
    try:
        async for chunk in iter_content(content, 256 * 1024):
            total += len(chunk)
            if limit is not None and total > limit:
                raise ValidationError(f"File is too large (more than {limit} bytes)")
            await run_in_thread(spooled.write, chunk)
    except BaseException:
        spooled.close()
        raise
    await run_in_thread(spooled.seek, 0)
    return spooled


__all__ = ["FieldFile", "FileField", "PendingUpload", "StoredFile"]

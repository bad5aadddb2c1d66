"""``S3Storage``: media files in an S3 (or S3-compatible) bucket through s3fs."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator
from types import ModuleType
from typing import TYPE_CHECKING, Any, Self

from pydantic import SecretStr

from aksara.exceptions import ConfigurationError
from aksara.storage._mimetypes import content_type, inline_safe
from aksara.storage._names import validate_name
from aksara.storage.base import Storage, StorageFile

if TYPE_CHECKING:
    from aksara.conf import Settings

# S3 accepts 5 MiB to 5 GiB per part and 10,000 parts: 8 MiB parts allow objects up to
# 80 GB while keeping the memory one upload needs at a few parts.
_DEFAULT_PART_SIZE = 8 * 1024 * 1024


def _import_s3fs() -> ModuleType:
    try:
        return importlib.import_module("s3fs")
    except ImportError as exc:
        raise ConfigurationError(
            'S3 media storage needs s3fs, which is not installed: pip install "aksara-orm[s3]"'
        ) from exc


class S3Storage(Storage):
    """Media files in ``bucket`` (under ``prefix``), through s3fs's async API.

    ``media_storage="s3"`` builds one from the ``media_s3_*`` settings. URLs are
    ``public_base_url`` (which points at ``prefix`` in the bucket, a CDN for instance)
    followed by the name; without one, ``url()`` returns a URL presigned for
    ``url_expires`` seconds, signed locally by botocore (the first one loads botocore's
    S3 model, about 0.1 s). Without ``access_key_id``/``secret_access_key``, botocore's
    usual chain finds credentials (environment, config files, instance role).

    Content smaller than ``part_size`` is sent in one request; larger content goes up
    as a multipart upload of ``part_size`` parts (at least 5 MiB, as S3 requires), one
    part at a time: about two parts in memory (the part and the HTTP client's copy of
    it), whatever the size of the file. Writes never overwrite: they are
    conditional (``If-None-Match: *``), and a multipart upload first claims its name
    with an empty object that the completed upload then replaces.
    """

    part_size: int = _DEFAULT_PART_SIZE

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        region: str | None = None,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | SecretStr | None = None,
        public_base_url: str | None = None,
        url_expires: int = 3600,
    ) -> None:
        self._s3fs = _import_s3fs()
        if not bucket:
            raise ConfigurationError("S3 media storage needs a bucket (media_s3_bucket)")
        super().__init__(base_url=public_base_url)
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.region = region
        self.endpoint_url = endpoint_url
        self.url_expires = url_expires
        self._access_key_id = access_key_id
        if isinstance(secret_access_key, SecretStr):
            secret_access_key = secret_access_key.get_secret_value()
        self._secret_access_key = secret_access_key
        self._fs: Any = None
        self._fs_loop: asyncio.AbstractEventLoop | None = None
        self._signer: Any = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        if not settings.media_s3_bucket:
            raise ConfigurationError('media_storage="s3" needs media_s3_bucket')
        return cls(
            bucket=settings.media_s3_bucket,
            prefix=settings.media_s3_prefix,
            region=settings.media_s3_region,
            endpoint_url=settings.media_s3_endpoint_url,
            access_key_id=settings.media_s3_access_key_id,
            secret_access_key=settings.media_s3_secret_access_key,
            public_base_url=settings.media_public_base_url,
            url_expires=settings.media_url_expires,
        )

    def _describe(self) -> str:
        parts = [f"bucket={self.bucket!r}"]
        if self.prefix:
            parts.append(f"prefix={self.prefix!r}")
        if self.endpoint_url:
            parts.append(f"endpoint_url={self.endpoint_url!r}")
        if self.base_url:
            parts.append(f"public_base_url={self.base_url!r}")
        return ", ".join(parts)

    def _secrets(self) -> tuple[str, ...]:
        return (self._secret_access_key,) if self._secret_access_key else ()

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def location(self, name: str) -> tuple[str, ...]:
        return ("s3", self.endpoint_url or "", self.bucket, self._key(name))

    def name_at(self, location: tuple[str, ...]) -> str | None:
        if location[:3] != ("s3", self.endpoint_url or "", self.bucket) or len(location) != 4:
            return None
        key = location[3]
        if not self.prefix:
            return key
        return key[len(self.prefix) + 1 :] if key.startswith(self.prefix + "/") else None

    @property
    def fs(self) -> Any:
        """The ``s3fs.S3FileSystem`` (asynchronous) used on the current event loop."""
        loop = asyncio.get_running_loop()
        if self._fs is None or self._fs_loop is not loop:
            # An aiohttp session belongs to the loop that made it: a storage reused on a
            # new loop (asyncio.run() twice, one loop per test) needs a new filesystem.
            if self._fs is not None:
                _abandon(self._fs, self._fs_loop)
            client_kwargs = {"region_name": self.region} if self.region else {}
            self._fs = self._s3fs.S3FileSystem(
                asynchronous=True,
                skip_instance_cache=True,
                use_listings_cache=False,
                key=self._access_key_id,
                secret=self._secret_access_key,
                endpoint_url=self.endpoint_url,
                client_kwargs=client_kwargs,
            )
            self._fs_loop = loop
        return self._fs

    async def _call(self, method: str, name: str, **kwargs: Any) -> Any:
        return await self.fs._call_s3(method, Bucket=self.bucket, Key=self._key(name), **kwargs)

    def url(self, name: str) -> str:
        """``public_base_url`` + name, or a presigned GET URL valid for ``url_expires`` seconds."""
        if self.base_url is not None:
            return super().url(name)
        validate_name(name)
        with self._errors("sign a URL for", name):
            url: str = self._get_signer().generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": self._key(name)},
                ExpiresIn=self.url_expires,
            )
        return url

    def _get_signer(self) -> Any:
        if self._signer is None:
            session = importlib.import_module("botocore.session")
            config = importlib.import_module("botocore.config")

            self._signer = session.get_session().create_client(
                "s3",
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                aws_access_key_id=self._access_key_id,
                aws_secret_access_key=self._secret_access_key,
                config=config.Config(signature_version="s3v4"),
            )
        return self._signer

    async def close(self) -> None:
        """Close the connection pool of the current event loop's S3 client."""
        fs, loop = self._fs, self._fs_loop
        self._fs = self._fs_loop = None
        if fs is not None:
            if loop is asyncio.get_running_loop():
                await _close_filesystem(fs)
            else:
                _abandon(fs, loop)
        signer, self._signer = self._signer, None
        if signer is not None:
            signer.close()

    # Writing

    async def _save(self, name: str, chunks: AsyncIterator[bytes], max_length: int | None) -> str:
        parts = _split(chunks, self.part_size)
        first = await anext(parts)
        if len(first) < self.part_size:  # all of it: one request
            return await self._put_whole(name, first, max_length)
        stream = _prepend(first, parts)
        del first  # only the stream holds a part now, so one part is in memory at a time
        return await self._put_multipart(name, stream, max_length)

    def _extra_args(self, name: str) -> dict[str, Any]:
        # S3 serves the object (public or presigned URL) with these: a type that could run
        # in a browser is downloaded, never shown as a page of the site.
        media_type = content_type(name)
        args: dict[str, Any] = {"ContentType": media_type}
        if not inline_safe(media_type):
            args["ContentDisposition"] = "attachment"
        return args

    async def _put_whole(self, name: str, data: bytes, max_length: int | None) -> str:
        for candidate in self.candidate_names(name, max_length):
            if await self._exists(candidate):
                continue
            try:
                await self._call(
                    "put_object", candidate, Body=data, IfNoneMatch="*", **self._extra_args(name)
                )
            except FileExistsError:  # s3fs's reading of 412 If-None-Match: taken meanwhile
                continue
            return candidate
        raise self._no_free_name(name)

    async def _put_multipart(
        self, name: str, stream: AsyncIterator[bytes], max_length: int | None
    ) -> str:
        # Parts cannot be moved to another key once sent, so the name is claimed first.
        final = await self._put_whole(name, b"", max_length)
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            upload = await self._call("create_multipart_upload", final, **self._extra_args(name))
            upload_id = upload["UploadId"]
            async for part in stream:
                if part:  # the rest after the last full part may be empty
                    number = len(parts) + 1
                    response = await self._call(
                        "upload_part", final, UploadId=upload_id, PartNumber=number, Body=part
                    )
                    parts.append({"PartNumber": number, "ETag": response["ETag"]})
                del part  # let it go before the next one is filled
            await self._call(
                "complete_multipart_upload",
                final,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            await self._discard_upload(final, upload_id)
            raise
        return final

    async def _discard_upload(self, name: str, upload_id: str | None) -> None:
        # Best effort while another error is on its way up: that error is the one to report.
        if upload_id is not None:
            try:
                await self._call("abort_multipart_upload", name, UploadId=upload_id)
            except Exception:
                pass
        try:
            await self._delete(name)
        except Exception:
            pass

    # Reading

    async def _open(self, name: str) -> StorageFile:
        response = await self._call("get_object", name)
        return _S3File(self, name, response["Body"])

    async def _read(self, name: str) -> bytes:
        data: bytes = await self.fs._cat_file(f"{self.bucket}/{self._key(name)}")
        return data

    async def _exists(self, name: str) -> bool:
        try:
            await self._call("head_object", name)
        except FileNotFoundError:
            return False
        return True

    async def _size(self, name: str) -> int:
        response = await self._call("head_object", name)
        return int(response["ContentLength"])

    async def _delete(self, name: str) -> None:
        await self._call("delete_object", name)


class _S3File(StorageFile):
    def __init__(self, storage: S3Storage, name: str, body: Any) -> None:
        super().__init__(storage, name)
        self._body = body

    async def _read(self, size: int) -> bytes:
        data: bytes = await self._body.read(size if size >= 0 else None)
        return data

    async def _close(self) -> None:
        self._body.close()


async def _split(chunks: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    """Regroup ``chunks`` into parts of exactly ``size`` bytes, then the rest (maybe empty)."""
    # Chunks are collected and joined once per part: a growing bytearray would be
    # reallocated (copied) as it grows, and still need a copy to become bytes.
    pieces: list[bytes] = []
    filled = 0
    async for chunk in chunks:
        while chunk:
            take = size - filled
            piece, chunk = (chunk, b"") if len(chunk) <= take else (chunk[:take], chunk[take:])
            pieces.append(piece)
            filled += len(piece)
            del piece
            if filled == size:
                part = b"".join(pieces)
                pieces.clear()
                filled = 0
                yield part
                del part
    yield b"".join(pieces)


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    parts = [first]
    del first
    yield parts.pop()
    async for part in rest:
        yield part
        del part  # not held while the next part is filled


async def _close_filesystem(fs: Any) -> None:
    creator = getattr(fs, "_s3creator", None)
    if creator is not None:
        await creator.__aexit__(None, None, None)


def _abandon(fs: Any, loop: asyncio.AbstractEventLoop | None) -> None:
    # Close a filesystem whose event loop is not the current one. On a loop still running
    # elsewhere, close it there; otherwise close its aiohttp connectors directly (aiohttp
    # does that without a loop once the loop is closed), so that no "Unclosed client
    # session" warning fires when it is garbage collected.
    if loop is not None and loop.is_running():
        asyncio.run_coroutine_threadsafe(_close_filesystem(fs), loop)
        return
    endpoint = getattr(getattr(fs, "_s3", None), "_endpoint", None)
    sessions: dict[Any, Any] = (
        getattr(getattr(endpoint, "http_session", None), "_sessions", None) or {}
    )
    for session in list(sessions.values()):
        connector = session.connector
        if connector is not None and not connector.closed:
            connector._close()

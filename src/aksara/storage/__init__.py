"""Media storage: where uploaded files live (local disk, S3, memory) and how they are named."""

from aksara.storage._content import AsyncReadable, Content, SyncReadable, iter_content
from aksara.storage._names import (
    generate_filename,
    get_valid_name,
    split_extension,
    validate_name,
)
from aksara.storage.base import Storage, StorageFile
from aksara.storage.local import FileSystemStorage
from aksara.storage.memory import MemoryStorage
from aksara.storage.registry import close_storage, get_storage, storage_from_settings
from aksara.storage.s3 import S3Storage

__all__ = [
    "AsyncReadable",
    "Content",
    "FileSystemStorage",
    "MemoryStorage",
    "S3Storage",
    "Storage",
    "StorageFile",
    "SyncReadable",
    "close_storage",
    "generate_filename",
    "get_storage",
    "get_valid_name",
    "iter_content",
    "split_extension",
    "storage_from_settings",
    "validate_name",
]

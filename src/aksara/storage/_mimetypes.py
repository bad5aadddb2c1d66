"""What a stored file is served as: its content type, from its name, and whether a browser may
show it inline.

Anything else (HTML, SVG, XML, scripts, unknown types) is served as an attachment, and
always with ``X-Content-Type-Options: nosniff``, so that an upload can never run as a page of
the site (stored XSS).
"""

from __future__ import annotations

import mimetypes

#: Types a browser displays without running anything in them.
INLINE_SAFE = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/tiff",
        "image/avif",
        "application/pdf",
        "text/plain",
        "text/csv",
        "audio/mpeg",
        "audio/ogg",
        "audio/wav",
        "video/mp4",
        "video/webm",
        "video/ogg",
    }
)


def content_type(name: str) -> str:
    """The content type of a stored file, from its name; ``application/octet-stream`` when
    the name says nothing known."""
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def inline_safe(media_type: str | None) -> bool:
    """Whether a file of ``media_type`` may be displayed inline (else: as an attachment)."""
    if not media_type:
        return False
    return media_type.split(";", 1)[0].strip().lower() in INLINE_SAFE

"""Toy text embeddings for the library's similarity search (no model to download)."""

import hashlib
import math
import re

#: Length of the embeddings; real embedding models give 384, 768, ... dimensions.
DIMENSIONS = 16

_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = frozenset("a an and for in of on or the to with".split())


def embed(text: str) -> list[float] | None:
    """A deterministic embedding of ``text``: a hashed bag of words, of unit length.

    Each word adds 1 to one of the dimensions, picked by a hash of the word, so texts that
    share words point in similar directions: enough to show how similarity search works.
    A real application calls an embedding model here. None when the text has no words.
    """
    vector = [0.0] * DIMENSIONS
    for word in _WORD.findall(text.lower()):
        if word not in _STOP_WORDS:
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest) % DIMENSIONS] += 1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0:
        return None
    return [round(x / norm, 6) for x in vector]

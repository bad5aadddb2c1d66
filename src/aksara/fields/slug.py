"""``Slug``: URL-safe identifiers, optionally generated from another field."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from typing_extensions import Unpack

from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields.base import N, SaveContext
from aksara.fields.text import String, TextOptions
from aksara.types import SlugType

if TYPE_CHECKING:
    from aksara.models.base import Model

_ASCII_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
#: Instance ``__dict__`` key: the slugs ``pre_save()`` generated that still need a unique check.
_GENERATED = "_generated_slugs"
_UNICODE_SLUG = re.compile(r"[-\w]+")


def slugify(value: Any, *, allow_unicode: bool = False) -> str:
    """``"Hello World Article"`` → ``"hello-world-article"``.

    Lowercase; accents dropped (or kept with ``allow_unicode``); anything but letters,
    digits, underscores, hyphens and spaces removed; runs of spaces and hyphens become
    one hyphen; leading and trailing hyphens and underscores stripped.
    """
    text = str(value)
    if allow_unicode:
        text = unicodedata.normalize("NFKC", text)
    else:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text.lower())
    return re.sub(r"[-\s]+", "-", text).strip("-_")


class Slug(String[N]):
    """A URL-safe slug: letters, digits, hyphens and underscores. PostgreSQL type: ``VARCHAR(max_length)``.

    ``slug = fields.Slug(max_length=200, auto_from="title", unique=True)``

    - ``max_length`` defaults to 50; ``allow_unicode=True`` accepts non-ASCII letters.
    - ``auto_from`` names a field to generate the slug from when the slug is empty
      (``None`` or ``""``) on save: ``"Hello World Article"`` → ``"hello-world-article"``.
      A slug that has a value is never overwritten.
    - With ``unique=True``, a generated slug that is taken gets a suffix
      (``hello-world-article-2``, ``-3``, ...) instead of failing; this looks the slug
      up in the database during ``save()``/``bulk_create()``. Two concurrent saves can
      still pick the same slug: one then fails with ``IntegrityError``.
    """

    #: How many candidate slugs one query checks at first (the batch grows tenfold).
    candidates_per_query: ClassVar[int] = 10

    def __init__(
        self,
        *,
        max_length: int = 50,
        allow_unicode: bool = False,
        auto_from: str | None = None,
        **options: Unpack[TextOptions[N]],
    ) -> None:
        super().__init__(max_length=max_length, **options)
        self.allow_unicode = allow_unicode
        self.auto_from = auto_from
        self._slug_pattern = _UNICODE_SLUG if allow_unicode else _ASCII_SLUG
        # pre_save() fills an empty slug before validation; for a unique slug,
        # pre_save_async() then asks the database which suffix is free.
        # Per field (the class's ClassVars are the defaults): set in the instance's own dict.
        vars(self)["has_pre_save"] = auto_from is not None
        vars(self)["has_async_pre_save"] = auto_from is not None and self.unique

    def model_ready(self) -> None:
        if self.auto_from is not None and self.auto_from not in self.model._meta.fields:
            raise ConfigurationError(
                f"{self.model.__name__}.{self.name}: auto_from={self.auto_from!r} is not a field "
                f"of {self.model.__name__}"
            )

    @property
    def derived_from(self) -> str | None:
        return self.auto_from

    def validate(self, value: str) -> None:
        if self._slug_pattern.fullmatch(value) is None:
            letters = "letters" if self.allow_unicode else "ASCII letters"
            raise ValidationError(
                f"Invalid slug {value!r}: use only {letters}, numbers, underscores or hyphens"
            )

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return SlugType(self.max_length)

    # -- generation ---------------------------------------------------------------------

    def slugify(self, value: Any) -> str:
        """The slug for a source value, cut to ``max_length``."""
        assert self.max_length is not None
        return slugify(value, allow_unicode=self.allow_unicode)[: self.max_length].rstrip("-_")

    def _generated(self, instance: Model) -> str | None:
        assert self.auto_from is not None
        source = instance.__dict__.get(self.auto_from)
        if source is None:
            return None
        return self.slugify(source) or None

    def pre_save(self, instance: Model, add: bool) -> None:
        """Fill an empty slug from ``auto_from`` (before validation)."""
        d = vars(instance)
        if d.get(self.attname):
            return
        generated = self._generated(instance)
        if generated is None:
            return
        d[self.attname] = generated
        if self.has_async_pre_save:
            # pre_save_async() makes it unique once validation has passed.
            d.setdefault(_GENERATED, set()).add(self.attname)

    async def pre_save_async(self, instance: Model, add: bool, context: SaveContext) -> None:
        """Give a slug generated by this save a ``-2``, ``-3``, ... suffix when it is taken."""
        generated = vars(instance).get(_GENERATED)
        if not generated or self.attname not in generated:
            return
        generated.discard(self.attname)
        base = vars(instance)[self.attname]
        # Slugs picked by rows of this transaction not inserted yet (one bulk_create()).
        reserved = context.reserved(self)
        slug = await self._free_slug(base, context, reserved)
        vars(instance)[self.attname] = slug
        reserved.add(slug)

    def with_suffix(self, base: str, number: int) -> str:
        """``base`` with ``-number`` appended (none for 1), shortened to fit ``max_length``."""
        assert self.max_length is not None
        if number == 1:
            return base
        suffix = f"-{number}"
        return base[: self.max_length - len(suffix)].rstrip("-_") + suffix

    async def _free_slug(self, base: str, context: SaveContext, reserved: set[str]) -> str:
        start, size = 1, self.candidates_per_query
        while True:
            candidates = [
                c
                for c in dict.fromkeys(
                    self.with_suffix(base, n) for n in range(start, start + size)
                )
                if c not in reserved
            ]
            if candidates:
                taken = await context.values_taken(self, candidates)
                for candidate in candidates:
                    if candidate not in taken:
                        return candidate
            start, size = start + size, size * 10

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["format"] = "slug"
        if self.auto_from is not None:
            info["auto_from"] = self.auto_from
        return info

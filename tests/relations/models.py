"""Models shared by the relation tests (every name starts with ``Rl``)."""

from aksara import Model, fields
from aksara.fields import CASCADE, PROTECT, RESTRICT, SET_NULL


class RlPost(Model):
    """Declared before its targets: the string references resolve when they are defined."""

    title = fields.String(max_length=200)
    rank = fields.Integer(default=0)
    author = fields.ForeignKey("RlAuthor", on_delete=CASCADE, related_name="posts")
    editor = fields.ForeignKey(
        "RlAuthor", on_delete=SET_NULL, nullable=True, related_name="edited_posts"
    )
    category = fields.ForeignKey("RlCategory", on_delete=PROTECT, nullable=True)
    tags = fields.ManyToMany("RlTag", related_name="posts")

    class Meta:
        ordering = ("title",)


class RlAuthor(Model):
    name = fields.String(max_length=100)
    email = fields.String(max_length=200, unique=True)
    settings = fields.JSON(default=dict)

    class Meta:
        ordering = ("name",)


class RlTag(Model):
    """An integer primary key made by the database: the FK and junction columns follow it."""

    id = fields.Integer(primary_key=True)
    name = fields.String(max_length=50, unique=True)

    class Meta:
        ordering = ("name",)


class RlCategory(Model):
    name = fields.String(max_length=50)
    parent = fields.ForeignKey("self", on_delete=CASCADE, nullable=True, related_name="children")


class RlProfile(Model):
    author = fields.OneToOne(RlAuthor, on_delete=CASCADE, related_name="profile")
    bio = fields.Text(default="")


class RlComment(Model):
    """A RESTRICT reference: a post with comments cannot be deleted, nor its author's posts."""

    post = fields.ForeignKey(RlPost, on_delete=RESTRICT, related_name="comments")
    body = fields.Text()


class RlPerson(Model):
    """A many-to-many relation of a model to itself, and a default reverse accessor."""

    name = fields.String(max_length=50)
    follows = fields.ManyToMany("self", related_name="followers", through="rl_follow")
    mentor = fields.ForeignKey("self", on_delete=SET_NULL, nullable=True)

    class Meta:
        ordering = ("name",)


class RlShip(Model):
    """RlShip and RlCaptain refer to each other: a cycle of tables."""

    name = fields.String(max_length=50)
    captain = fields.ForeignKey(
        "RlCaptain", on_delete=SET_NULL, nullable=True, related_name="commands"
    )


class RlCaptain(Model):
    name = fields.String(max_length=50)
    ship = fields.ForeignKey(RlShip, on_delete=CASCADE, nullable=True, related_name="crew")


class RlBadge(Model):
    """A ForeignKey to a model with an integer primary key."""

    label = fields.String(max_length=50)
    tag = fields.ForeignKey(RlTag, on_delete=CASCADE, related_name="badges")


class RlSticker(Model):
    """A nullable ForeignKey to a model with a database-made primary key."""

    label = fields.String(max_length=50)
    tag = fields.ForeignKey(RlTag, on_delete=SET_NULL, nullable=True, related_name="stickers")


class RlOwned(Model):
    """An abstract model with a relation: each concrete model gets its own reverse accessor."""

    owner = fields.ForeignKey(
        RlAuthor, on_delete=CASCADE, nullable=True, related_name="%(class)s_items"
    )

    class Meta:
        abstract = True


class RlNote(RlOwned):
    text = fields.String(max_length=50)
    labels = fields.ManyToMany(RlTag, related_name="+")


class RlLink(RlOwned):
    url = fields.String(max_length=200)

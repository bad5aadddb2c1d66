"""Models of the security tests (every name starts with ``Sec``)."""

from aksara import Model, fields


class SecNote(Model):
    title = fields.String(max_length=100)


class SecDoc(Model):
    title = fields.String(max_length=100)
    tags = fields.Array(base_type="text", default=list)
    data = fields.JSON(default=dict)
    spent = fields.Duration(nullable=True)


class SecApiKey(Model):
    key = fields.String(max_length=64, primary_key=True, ai_sensitive=True)
    label = fields.String(max_length=50)


class SecUsage(Model):
    api_key = fields.ForeignKey(SecApiKey, related_name="usages")
    calls = fields.Integer(default=0)


class SecAccount(Model):
    name = fields.String(max_length=50)


class SecAuditEntry(Model):
    """Not exported to agents: deleting an account deletes these too."""

    account = fields.ForeignKey(SecAccount, related_name="audit")
    text = fields.String(max_length=100)


class SecProject(Model):
    name = fields.String(max_length=50)


class SecInvoice(Model):
    """Not exported: it protects projects from deletion."""

    project = fields.ForeignKey(SecProject, on_delete=fields.PROTECT, related_name="invoices")


class SecAsset(Model):
    name = fields.String(max_length=50)
    file = fields.FileField(upload_to="files")


class SecPicture(Model):
    title = fields.String(max_length=50)
    image = fields.ImageField(upload_to="pictures", nullable=True)
    attachment = fields.FileField(upload_to="attachments", nullable=True, max_size=1024 * 1024)


class SecKeyProfile(Model):
    """Its key is a relation to a sensitive key: as secret."""

    key = fields.OneToOne(SecApiKey, primary_key=True, related_name="profile")
    note = fields.String(max_length=30)


class SecLabel(Model):
    name = fields.String(max_length=30)


class SecArticle(Model):
    """Not exported: deleting a label changes an article's labels."""

    title = fields.String(max_length=30)
    labels = fields.ManyToMany(SecLabel, related_name="articles")
    score = fields.Decimal(precision=5, scale=2, default=0)
    rank = fields.SmallInteger(default=0)

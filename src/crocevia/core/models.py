from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredFile(models.Model):
    """A file of the database storage (core/storage.py): its name and size; the content is
    in StoredFileChunk rows, so that no file is ever one row or one value in memory."""

    name = models.CharField(_("name"), max_length=512, unique=True)
    size = models.BigIntegerField(_("size"), default=0)
    # Every chunk but the last holds exactly this many bytes: a read at any offset knows
    # which chunk to fetch.
    chunk_size = models.PositiveIntegerField(_("chunk size"))
    content_type = models.CharField(_("content type"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    modified_at = models.DateTimeField(_("modified at"), auto_now=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self):
        return self.name


class StoredFileChunk(models.Model):
    """Bytes [index × chunk_size, (index + 1) × chunk_size) of a stored file."""

    # The unique (file, index) constraint's index serves the look-ups by file too.
    file = models.ForeignKey(
        StoredFile, on_delete=models.CASCADE, related_name="chunks", db_index=False
    )
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "index"], name="core_stored_chunk_unique")
        ]

    def __str__(self):
        return f"{self.file_id}#{self.index}"

"""Agreement documents move from VAR_DIR/agreements/ on the app server's disk into the
default storage (the database, or the S3 bucket: settings STORAGES), under agreements/
(issue 20: no state on an app server's disk).

The files found on this server are copied and their rows renamed; the old files are left
where they were (logged), to be removed once the copies are checked. A row whose file is
not on this server keeps its name and is logged: its download says the file is missing
until it is copied by hand (run `crocevia migrate` on the server that held the files).
"""

import logging
import os
from pathlib import Path

from django.db import migrations, models

import crocevia.network.models

logger = logging.getLogger("crocevia.network.migrations")

OLD_SUBDIR = "agreements"
PREFIX = "agreements/"


def copy_documents_into_storage(apps, schema_editor):
    from django.conf import settings
    from django.core.files import File
    from django.core.files.storage import storages

    Agreement = apps.get_model("network", "Agreement")
    alias = schema_editor.connection.alias if schema_editor else "default"
    storage = storages["default"]
    old_root = (Path(settings.VAR_DIR) / OLD_SUBDIR).resolve()
    rows = (
        Agreement.objects.using(alias)
        .exclude(document="")
        .exclude(document__startswith=PREFIX)
        .values_list("pk", "document")
        .order_by("pk")
    )
    copied, missing = 0, []
    for pk, name in rows:
        old = (old_root / name).resolve()
        if not old.is_relative_to(old_root) or not old.is_file():
            missing.append(name)
            continue
        with open(old, "rb") as handle:
            stored = storage.save(PREFIX + os.path.basename(name), File(handle))
        Agreement.objects.using(alias).filter(pk=pk).update(document=stored)
        copied += 1
    if copied:
        logger.warning(
            "Copied %d agreement document(s) from %s into the file storage; the old files "
            "are left there: remove them once the copies are checked.",
            copied,
            old_root,
        )
    if missing:
        logger.warning(
            "%d agreement document(s) not found under %s, left as they were: %s",
            len(missing),
            old_root,
            ", ".join(missing),
        )


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_stored_files'),
        ('network', '0003_comune_in_metropolitan_city'),
    ]

    operations = [
        migrations.AlterField(
            model_name='agreement',
            name='document',
            field=models.FileField(blank=True, max_length=255, upload_to=crocevia.network.models.agreement_document_path, verbose_name='signed document'),
        ),
        # Backwards: the copies stay in the storage and the rows keep their new names.
        migrations.RunPython(copy_documents_into_storage, migrations.RunPython.noop),
    ]

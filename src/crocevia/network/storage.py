"""Where signed agreement documents live: under VAR_DIR, never under a served directory.

The location is read from settings on every use (not fixed at import), so tests and
deployments that move VAR_DIR move the documents with it. The storage has no URL: a
document reaches a browser only through the download view, which checks who is asking.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible

SUBDIR = "agreements"


@deconstructible
class PrivateAgreementStorage(FileSystemStorage):
    def __init__(self):
        super().__init__(file_permissions_mode=0o600, directory_permissions_mode=0o700)

    @property
    def base_location(self):
        return str(Path(settings.VAR_DIR) / SUBDIR)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("Agreement documents are private: download them through the view.")

    def deconstruct(self):
        return ("crocevia.network.storage.PrivateAgreementStorage", (), {})


agreement_storage = PrivateAgreementStorage()

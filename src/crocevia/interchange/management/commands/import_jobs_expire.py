"""crocevia import_jobs_expire: cancel browser imports left unconfirmed for a day and remove
the files of jobs that ended a week ago. The worker runs the same every hour
(crocevia.interchange.tasks.expire_import_jobs), and each new upload does it too."""

from django.core.management.base import BaseCommand

from crocevia.interchange.importjobs import import_jobs_expire


class Command(BaseCommand):
    help = "Cancel unconfirmed browser imports older than a day; remove old job files."

    def handle(self, *args, **options):
        cancelled = import_jobs_expire()
        self.stdout.write(f"{cancelled} unconfirmed import jobs cancelled.")

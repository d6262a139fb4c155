import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.CreateModel(
            name='PeriodicRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='periodic job')),
                ('slot', models.DateTimeField(verbose_name='scheduled for')),
                ('task_path', models.CharField(max_length=200, verbose_name='task')),
                ('worker_id', models.CharField(blank=True, max_length=64, verbose_name='enqueued by worker')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='enqueued at')),
                ('job_id', models.UUIDField(blank=True, null=True, verbose_name='job')),
            ],
            options={
                'verbose_name': 'periodic job run',
                'verbose_name_plural': 'periodic job runs',
                'ordering': ['-slot', 'name'],
                'constraints': [models.UniqueConstraint(fields=('name', 'slot'), name='jobs_periodicrun_once_per_slot')],
            },
        ),
        # The sweeper looks for running jobs every few seconds (sweeper.py); the backend
        # indexes the ready ones only, and finished jobs fill the table.
        migrations.RunSQL(
            "CREATE INDEX jobs_running_results ON django_tasks_database_dbtaskresult "
            "(started_at) WHERE status = 'RUNNING'",
            "DROP INDEX jobs_running_results",
        ),
    ]

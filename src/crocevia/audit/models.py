from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .actions import check_action
from .sensitive import redact


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit event: the trail is append-only."""


class AuditEventQuerySet(models.QuerySet):
    """Inserts only: the trail is evidence, so the application never updates or deletes it.

    The one update the trail ever receives, the sealing of new events into the hash chain,
    is done by crocevia.audit.chain with SQL of its own (and, on PostgreSQL, is the only
    update the table's trigger lets through).
    """

    def unsealed(self):
        """The events not sealed into the hash chain yet (read by its partial index)."""
        return self.filter(chain_position__isnull=True)

    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only: update() is refused.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Audit events are append-only: bulk_update() is refused.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only: delete() is refused.")

    delete.queryset_only = True

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        raise AppendOnlyError("Audit events are append-only: update_or_create() is refused.")

    def bulk_create(self, objs, *args, seal_off_the_request: bool = False, **kwargs):
        """Insert, then seal after the commit (see chain.schedule_seal)."""
        from .chain import schedule_seal

        objs = list(objs)
        for obj in objs:
            obj.check_action()
            obj.fill_actor_organisations()
            obj.redact_sensitive()
        made = super().bulk_create(objs, *args, **kwargs)
        ids = [obj.pk for obj in made]
        first = min(ids) if ids and None not in ids else None
        schedule_seal(first, off_the_request=seal_off_the_request)
        return made


class AuditEvent(models.Model):
    """A change to, or a view of, personal data. Written by services, never edited.

    Every event is sealed into one hash chain shortly after its transaction commits
    (crocevia.audit.chain): the chain columns are empty until then.
    """

    class Kind(models.TextChoices):
        CHANGE = "change", _("Change")
        ACCESS = "access", _("Access")

    at = models.DateTimeField(_("when (UTC)"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # A member of AuditAction (crocevia.audit.actions), checked when written; events
    # written before the vocabulary keep their old text (read through actions.resolve).
    action = models.CharField(_("action"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # The actor's active organisations when the event was written, by name: an operator
    # may change organisation later, and a data-subject report must say where the
    # access came from at the time.
    actor_organisations = models.CharField(
        _("organisations of the actor at the time"), max_length=500, blank=True, default=""
    )
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    # The person the event is about, by id. No database constraint: the trail is
    # append-only evidence that refers to persons and never holds them (the application
    # still refuses to delete a person with events: PROTECT). Indexed by (person, at).
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("person"),
        db_index=False,
        db_constraint=False,
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=250, blank=True)
    # The hash chain (crocevia.audit.chain). Empty until sealed; set once, never changed.
    chain_position = models.PositiveBigIntegerField(
        _("position in the chain"), null=True, blank=True, editable=False
    )
    chain_prev = models.CharField(
        _("hash of the previous event"), max_length=64, null=True, blank=True, editable=False
    )
    chain_hash = models.CharField(_("hash"), max_length=64, null=True, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["person", "at"], name="audit_person_at_idx"),
            # The sealer's queue: only the few events not sealed yet are in it.
            models.Index(
                fields=["id"],
                condition=models.Q(chain_position__isnull=True),
                name="audit_unsealed_idx",
            ),
        ]
        constraints = [
            # One event per position; also the index verify walks the chain by.
            models.UniqueConstraint(
                fields=["chain_position"],
                condition=models.Q(chain_position__isnull=False),
                name="audit_chain_position_unique",
            )
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        # Not business logic: the trail's own integrity (append-only, sealed after commit).
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only: an event is never saved again.")
        from .chain import schedule_seal

        self.check_action()
        self.fill_actor_organisations()
        self.redact_sensitive()
        super().save(*args, **kwargs)
        schedule_seal(self.pk)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only: an event is never deleted.")

    def check_action(self) -> None:
        """Events are written with the vocabulary only: ValueError for any other action."""
        self.action = check_action(self.action).value

    def fill_actor_organisations(self) -> None:
        """Record the actor's active organisations, unless the writer already did."""
        if self.actor_id is None or self.actor_organisations:
            return
        from .services import organisations_label

        self.actor_organisations = organisations_label(self.actor)

    def redact_sensitive(self) -> None:
        """Keep the values of the object's sensitive fields out of the trail
        (crocevia.audit.sensitive): their entries say they changed, nothing more."""
        self.changes = redact(self.object_type, self.changes)

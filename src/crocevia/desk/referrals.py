"""Referrals (invii) between services: one referral for every send-on, and its life.

States: sent → accepted | declined (with a reason) → completed (with what was done);
withdrawn by the sender while open. Only the receiving organisation answers and
completes; only the sending one withdraws. A desk contact whose outcome is "referred" is
a referral (origin `desk`), kept in step with its contact here.

Sharing a person with another organisation needs a basis (people.sharing): the person's
network-sharing consent, asked for in the same step, or a legal basis. A social worker
of the receiving organisation who accepts a referral with no case yet opens a case: what
opens it is the cases app's, registered in desk.hooks (cases sits above desk).
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import active_memberships, is_monitoring_only, organisation_ids
from crocevia.audit.actions import AuditAction
from crocevia.audit.bulk import insert_change_events
from crocevia.audit.services import audit_change, diff, snapshot
from crocevia.core.dates import check_day, working_days_before
from crocevia.core.errors import RowsRefused
from crocevia.network.selectors import operators_of
from crocevia.notifications.models import NotificationKind
from crocevia.notifications.services import notify
from crocevia.people.models import SharingBasis
from crocevia.people.selectors import persons_visible_to
from crocevia.people.services import lock_live_person
from crocevia.people.sharing import (
    LEGAL_BASES,
    check_sharing,
    network_consents,
    record_consent_if_given,
)

from .hooks import referral_accepted_handler
from .models import Contact, Referral

REFERRAL_AUDIT_FIELDS = [
    "person",
    "contact",
    "case",
    "origin",
    "from_organisation",
    "to_organisation",
    "to_service",
    "sent_on",
    "reason",
    "sharing_basis",
    "sharing_note",
    "state",
    "answered_on",
    "answered_by",
    "answer_note",
    "completed_on",
    "completed_by",
    "completion_note",
    "withdrawn_on",
    "withdrawn_by",
    "withdrawal_note",
]


def answer_due_before(today: datetime.date | None = None) -> datetime.date:
    """A referral sent before this day and still waiting for an answer is overdue (more
    than CROCEVIA_REFERRAL_ANSWER_WORKING_DAYS working days have passed)."""
    return working_days_before(
        today or timezone.localdate(), settings.CROCEVIA_REFERRAL_ANSWER_WORKING_DAYS
    )


def is_overdue(referral: Referral, *, due_before: datetime.date | None = None) -> bool:
    """Waiting for an answer too long (a referral to an organisation not named waits for
    nobody)."""
    return (
        referral.state == Referral.State.SENT
        and referral.to_organisation_id is not None
        and referral.sent_on < (due_before or answer_due_before())
    )


def _audit(actor, action, referral, before) -> None:
    audit_change(
        actor=actor,
        action=action,
        instance=referral,
        changes=diff(before, snapshot(referral, REFERRAL_AUDIT_FIELDS)),
        person=referral.person,
    )


def _reference(referral: Referral) -> str:
    return _("referral n. %(number)s") % {"number": referral.pk}


def _url(referral: Referral) -> str:
    return reverse("desk:referral_detail", args=[referral.pk])


def _tell_receiver(actor, referral: Referral, told_already=()) -> None:
    """The receiving organisation's operators learn of a referral sent to it (a person
    sent back by the CPI is its own kind), but those `told_already` in the same step; in
    the commit of the referral."""
    if referral.to_organisation_id is None:
        return
    sent_back = referral.origin == Referral.Origin.SENT_BACK
    recipients = set(operators_of(referral.to_organisation_id)) - {
        getattr(u, "pk", u) for u in told_already
    }
    if sent_back and referral.case_id and referral.case.case_manager_id:
        recipients.add(referral.case.case_manager_id)
    notify(
        recipients=recipients,
        kind=NotificationKind.SENT_BACK if sent_back else NotificationKind.REFERRAL_RECEIVED,
        url=_url(referral),
        reference=_reference(referral),
        title=_("From %(organisation)s") % {"organisation": referral.from_organisation},
        actor=actor,
    )


def _senders(referral: Referral) -> list[int]:
    if referral.sent_by_id:
        return [referral.sent_by_id]
    return operators_of(referral.from_organisation_id)


def _check_sender(errors: dict, actor, person, from_organisation) -> None:
    if actor.is_superuser:
        return
    if from_organisation.pk not in organisation_ids(actor):
        errors["from_organisation"] = _("You do not work for this organisation.")
    # On the sender's own grounds: an agreement lets them read the person, not act.
    if not persons_visible_to(actor, agreements=False).filter(pk=person.pk).exists():
        errors["person"] = _("You may not refer this person.")


@transaction.atomic
def referral_send(
    *,
    actor,
    person,
    from_organisation,
    to_organisation,
    sent_on,
    reason="",
    to_service="",
    contact=None,
    case=None,
    origin=Referral.Origin.FORM,
    sharing_basis=SharingBasis.CONSENT,
    sharing_note="",
    consent_now=False,
    check_sender=True,
    told_already=(),
) -> Referral:
    """Send `person` from one organisation to another.

    The data crosses on a basis asked for here (people.sharing.check_sharing): the consent
    on record, the consent the person gives now (`consent_now`: recorded in this
    transaction), or a legal basis with its reference. Nothing is written on an error.
    `check_sender=False`: the caller has checked who sends on the organisation's behalf
    (the coordination group activating a team member: cases.services.handoffs).
    `told_already`: users the step told already (not told again of the referral).
    """
    lock_live_person(person)
    errors: dict[str, str] = {}
    if check_sender:
        _check_sender(errors, actor, person, from_organisation)
    if to_organisation is None:
        errors["to_organisation"] = _("Choose the organisation the person is sent to.")
    elif to_organisation.pk == from_organisation.pk and not (to_service or "").strip():
        errors["to_organisation"] = _(
            "Choose another organisation than the sender, or name the service of your own "
            "organisation the person is sent to."
        )
    basis = check_sharing(
        errors,
        person=person,
        crosses=to_organisation is not None and to_organisation.pk != from_organisation.pk,
        basis=sharing_basis,
        note=sharing_note,
        consent_now=consent_now,
        receiver=to_organisation,
    )
    check_day(errors, "sent_on", sent_on)
    if contact is not None and contact.person_id != person.pk:
        errors["contact"] = _("The contact belongs to another person.")
    if case is not None and case.person_id != person.pk:
        errors["case"] = _("The case belongs to another person.")
    if errors:
        raise ValidationError(errors)
    record_consent_if_given(actor=actor, person=person, basis=basis, consent_now=consent_now)
    referral = Referral.objects.create(
        person=person,
        contact=contact,
        case=case,
        origin=origin,
        from_organisation=from_organisation,
        to_organisation=to_organisation,
        to_service=(to_service or "").strip(),
        sent_on=sent_on,
        reason=(reason or "").strip(),
        sharing_basis=basis,
        sharing_note=(sharing_note or "").strip() if basis in LEGAL_BASES else "",
        sent_by=actor,
    )
    _audit(actor, AuditAction.REFERRAL_CREATE, referral, {})
    _tell_receiver(actor, referral, told_already)
    return referral


def _is_social_worker_of(user, organisation) -> bool:
    return user.is_superuser or any(
        m.organisation_id == organisation.pk and m.profile == Profile.SOCIAL_WORKER
        for m in active_memberships(user)
    )


def _locked(referral: Referral) -> Referral:
    # The referral's row only: its receiver may be "not named" (a nullable join), and
    # PostgreSQL locks no row on the nullable side of an outer join.
    return (
        # Only the referral's row: its receiver may be unnamed (an outer join).
        Referral.objects.select_for_update(of=("self",))
        .select_related("person", "to_organisation", "from_organisation")
        .get(pk=referral.pk)
    )


def _require_receiver(actor, referral: Referral) -> None:
    """The receiving organisation's operators (monitoring officers never) answer; a
    register's referral to an organisation it does not name has nobody to answer it."""
    if referral.to_organisation_id is None:
        raise PermissionDenied(_("Nobody answers a referral to an organisation not named."))
    if actor.is_superuser:
        return
    if is_monitoring_only(actor) or referral.to_organisation_id not in organisation_ids(actor):
        raise PermissionDenied(_("Only the receiving organisation answers a referral."))


def _require_sender(actor, referral: Referral) -> None:
    if actor.is_superuser:
        return
    if is_monitoring_only(actor) or referral.from_organisation_id not in organisation_ids(actor):
        raise PermissionDenied(_("Only the sending organisation withdraws a referral."))


@transaction.atomic
def referral_answer(*, actor, referral, accept: bool, on, note="") -> Referral:
    """The receiver accepts, or declines saying why.

    When a social worker of the receiving organisation accepts a referral that is about
    no case yet, the person's case is linked to it: their open case, or a new one (what
    cases registered in desk.hooks), returned as `referral.opened_case` when new;
    otherwise `referral.opened_case` is None.
    """
    current = _locked(referral)
    _require_receiver(actor, current)
    errors: dict[str, str] = {}
    if current.state != Referral.State.SENT:
        errors["__all__"] = _("This referral has already been answered.")
    check_day(errors, "on", on, not_before=current.sent_on, label=_("the referral"))
    note = (note or "").strip()
    if not accept and not note:
        errors["note"] = _("Say why the referral is declined, so the sender can help the person.")
    if errors:
        raise ValidationError(errors)
    before = snapshot(current, REFERRAL_AUDIT_FIELDS)
    current.state = Referral.State.ACCEPTED if accept else Referral.State.DECLINED
    current.answered_on = on
    current.answered_by = actor
    current.answer_note = note
    current.save()
    _audit(
        actor,
        AuditAction.REFERRAL_ACCEPT if accept else AuditAction.REFERRAL_REFUSE,
        current,
        before,
    )
    answered = _("Accepted by %(organisation)s") if accept else _("Declined by %(organisation)s")
    notify(
        recipients=_senders(current),
        kind=NotificationKind.REFERRAL_ANSWERED,
        url=_url(current),
        reference=_reference(current),
        title=answered % {"organisation": current.to_organisation},
        actor=actor,
    )
    current.opened_case = None
    open_case = referral_accepted_handler()
    if (
        accept
        and current.case_id is None
        and open_case is not None
        and _is_social_worker_of(actor, current.to_organisation)
    ):
        case, opened = open_case(actor=actor, referral=current)
        current.case = case
        current.save(update_fields=["case"])
        current.opened_case = case if opened else None
    return current


def _close(current: Referral, *, actor, on, note, state, fields: tuple[str, str, str], action):
    """Record the step that closes `current` (completed or withdrawn) on `on` by `actor`
    with `note`; `fields`: its day, author and note fields. The caller checked it."""
    before = snapshot(current, REFERRAL_AUDIT_FIELDS)
    day_field, by_field, note_field = fields
    current.state = state
    setattr(current, day_field, on)
    setattr(current, by_field, actor)
    setattr(current, note_field, note)
    current.save()
    _audit(actor, action, current, before)
    return current


def _closing_errors(*, allowed: bool, refused: str, on, not_before, label, note, missing):
    errors: dict[str, str] = {}
    if not allowed:
        errors["__all__"] = refused
    check_day(errors, "on", on, not_before=not_before, label=label)
    if not note:
        errors["note"] = missing
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def referral_complete(*, actor, referral, on, note) -> Referral:
    """The receiver closes an accepted referral, saying what was done."""
    current = _locked(referral)
    _require_receiver(actor, current)
    note = (note or "").strip()
    _closing_errors(
        allowed=current.state == Referral.State.ACCEPTED,
        refused=_("Only an accepted referral can be completed."),
        on=on,
        not_before=current.answered_on,
        label=_("the acceptance"),
        note=note,
        missing=_("Say what was done for the person."),
    )
    return _close(
        current,
        actor=actor,
        on=on,
        note=note,
        state=Referral.State.COMPLETED,
        fields=("completed_on", "completed_by", "completion_note"),
        action=AuditAction.REFERRAL_COMPLETE,
    )


@transaction.atomic
def referral_withdraw(*, actor, referral, on, note) -> Referral:
    """The sender withdraws a referral still open (sent or accepted), saying why."""
    current = _locked(referral)
    _require_sender(actor, current)
    note = (note or "").strip()
    _closing_errors(
        allowed=current.is_open,
        refused=_("Only a referral still open can be withdrawn."),
        on=on,
        not_before=current.sent_on,
        label=_("the referral"),
        note=note,
        missing=_("Say why the referral is withdrawn."),
    )
    return _close(
        current,
        actor=actor,
        on=on,
        note=note,
        state=Referral.State.WITHDRAWN,
        fields=("withdrawn_on", "withdrawn_by", "withdrawal_note"),
        action=AuditAction.REFERRAL_WITHDRAW,
    )


# A referral late by more than this many working days past its deadline is not told of
# any more (it stays in both queues): the first run after an upgrade or an import of old
# registers does not flood the inboxes with years of referrals.
TELL_OVERDUE_WITHIN_WORKING_DAYS = 10


def notify_overdue_referrals(*, today: datetime.date | None = None) -> int:
    """Tell both sides, once, of each referral whose answer became overdue lately (a
    daily job, cases.tasks.notify_overdue; see TELL_OVERDUE_WITHIN_WORKING_DAYS). Safe if
    two runs overlap: a referral is claimed before it is told of. Returns how many
    referrals were told of."""
    today = today or timezone.localdate()
    due_before = answer_due_before(today)
    oldest = working_days_before(due_before, TELL_OVERDUE_WITHIN_WORKING_DAYS)
    late = list(
        Referral.objects.filter(
            state=Referral.State.SENT,
            sent_on__lt=due_before,
            sent_on__gte=oldest,
            overdue_told_on__isnull=True,
            to_organisation__isnull=False,
        ).select_related("person", "to_organisation")
    )
    receivers: dict[int, list[int]] = {}
    told = 0
    for referral in late:
        if referral.to_organisation_id not in receivers:
            receivers[referral.to_organisation_id] = operators_of(referral.to_organisation_id)
        with transaction.atomic():
            claimed = Referral.objects.filter(pk=referral.pk, overdue_told_on__isnull=True).update(
                overdue_told_on=today
            )
            if not claimed:
                continue
            notify(
                recipients={*receivers[referral.to_organisation_id], *_senders(referral)},
                kind=NotificationKind.REFERRAL_OVERDUE,
                url=_url(referral),
                reference=_reference(referral),
                title=_("Waiting for %(organisation)s")
                % {"organisation": referral.to_organisation},
            )
            told += 1
    return told


# --- the desk contact's referral ------------------------------------------------------------


def check_contact_sharing(errors: dict, *, person, desk, outcome, referred_to, **sharing) -> str:
    """The sharing basis of a desk contact's referral (people.sharing.check_sharing); only
    a contact that sends the person to another organisation asks for one."""
    crosses = (
        outcome == Contact.Outcome.REFERRED
        and referred_to is not None
        and referred_to.pk != desk.organisation_id
    )
    if outcome != Contact.Outcome.REFERRED:
        return ""
    return check_sharing(errors, person=person, crosses=crosses, receiver=referred_to, **sharing)


def sync_contact_referral(
    *, actor, contact: Contact, basis="", sharing_note="", consent_now=False, was_referred=True
) -> Referral | None:
    """Keep the contact's referral (origin `desk`) in step with its outcome: create it
    when the contact refers the person; while the receiver has not answered, follow a
    corrected receiver or day, or withdraw it when the outcome is no longer a referral; a
    withdrawn one is sent again when the contact refers the person again (`was_referred`:
    the contact's outcome before this change) or to another receiver. Once answered, the
    receiver and the outcome stay (ValidationError); the rest of the contact may change.
    Call inside the contact's transaction, after its checks (check_contact_sharing)."""
    current = (
        Referral.objects.select_for_update()
        .filter(contact=contact, origin=Referral.Origin.DESK)
        .first()
    )
    referred = contact.outcome == Contact.Outcome.REFERRED
    if current is None and not referred:
        return None
    if referred:
        record_consent_if_given(
            actor=actor, person=contact.person, basis=basis, consent_now=consent_now
        )
    if current is None:
        referral = Referral.objects.create(
            person=contact.person,
            contact=contact,
            origin=Referral.Origin.DESK,
            from_organisation_id=contact.desk.organisation_id,
            to_organisation=contact.referred_to,
            sent_on=contact.date,
            sharing_basis=basis or SharingBasis.CONSENT,
            sharing_note=sharing_note.strip() if basis in LEGAL_BASES else "",
            sent_by=actor,
        )
        _audit(actor, AuditAction.REFERRAL_CREATE, referral, {})
        _tell_receiver(actor, referral)
        return referral
    same_receiver = current.to_organisation_id == contact.referred_to_id
    if current.state in (
        Referral.State.ACCEPTED,
        Referral.State.DECLINED,
        Referral.State.COMPLETED,
    ):
        if referred and same_receiver:
            return current  # answered: its day stays what was answered
        raise ValidationError(
            {
                "outcome": _(
                    "The receiver has already answered the referral made at this contact: "
                    "its outcome and receiver can no longer change."
                )
            }
        )
    if current.state == Referral.State.WITHDRAWN and (
        not referred or (same_receiver and was_referred)
    ):
        return current  # withdrawn (by its sender, or with the outcome): it stays so
    if referred and same_receiver and current.sent_on == contact.date:
        return current
    before = snapshot(current, REFERRAL_AUDIT_FIELDS)
    if referred:
        again = current.state == Referral.State.WITHDRAWN
        if basis and (again or not same_receiver):
            current.sharing_basis = basis
            current.sharing_note = sharing_note.strip() if basis in LEGAL_BASES else ""
        current.to_organisation = contact.referred_to
        current.sent_on = contact.date
        if again:  # the contact refers the person again: sent again
            current.state = Referral.State.SENT
            current.withdrawn_on = current.withdrawn_by = None
            current.withdrawal_note = ""
            current.overdue_told_on = None
        current.save()
        _audit(actor, AuditAction.REFERRAL_UPDATE, current, before)
        if again or not same_receiver:
            _tell_receiver(actor, current)
    else:
        current.state = Referral.State.WITHDRAWN
        current.withdrawn_on = max(contact.date, timezone.localdate())
        current.withdrawn_by = actor
        current.withdrawal_note = _("The contact's outcome was corrected.")
        current.save()
        _audit(actor, AuditAction.REFERRAL_WITHDRAW, current, before)
    return current


@transaction.atomic
def sync_imported_contact_referrals(*, actor, contact_ids=None) -> int:
    """The referrals of contacts an import wrote (set-based: a few statements for any
    number of contacts): every contact whose outcome is "referred" has its referral, as
    sync_contact_referral keeps it for one contact. `contact_ids`: the contacts to look
    at (None: all). Returns how many referrals were created."""
    contacts = Contact.objects.filter(outcome=Contact.Outcome.REFERRED)
    desk_referrals = Referral.objects.filter(origin=Referral.Origin.DESK)
    if contact_ids is not None:
        contacts = contacts.filter(pk__in=contact_ids)
        desk_referrals = desk_referrals.filter(contact_id__in=contact_ids)
    consenting = network_consents(OuterRef("person_id"))
    missing = (
        contacts.exclude(Exists(desk_referrals.filter(contact_id=OuterRef("pk"))))
        .annotate(consent=Exists(consenting))
        .values_list(
            "pk", "person_id", "desk__organisation_id", "referred_to_id", "date", "consent"
        )
    )
    new = [
        Referral(
            person_id=person,
            contact_id=pk,
            origin=Referral.Origin.DESK,
            from_organisation_id=sender,
            to_organisation_id=receiver,
            sent_on=day,
            sharing_basis=SharingBasis.CONSENT if consent else SharingBasis.REGISTER,
        )
        for pk, person, sender, receiver, day, consent in missing.iterator(chunk_size=5000)
    ]
    created = Referral.objects.bulk_create(new, batch_size=5000)
    # Still waiting: follow the contact's corrected receiver and day, or withdraw. The
    # comparison is the database's (an unnamed receiver on both sides is no change).
    waiting = desk_referrals.filter(state=Referral.State.SENT)
    same_receiver = Q(to_organisation_id=F("contact__referred_to_id")) | Q(
        to_organisation__isnull=True, contact__referred_to__isnull=True
    )
    moved = list(
        waiting.filter(contact__outcome=Contact.Outcome.REFERRED)
        .exclude(same_receiver & Q(sent_on=F("contact__date")))
        .values_list(
            "pk", "person_id", "to_organisation_id", "contact__referred_to_id", "contact__date"
        )
    )
    for pk, _person, _old, receiver, day in moved:
        Referral.objects.filter(pk=pk).update(to_organisation_id=receiver, sent_on=day)
    today = timezone.localdate()
    gone = list(
        waiting.exclude(contact__outcome=Contact.Outcome.REFERRED).values_list("pk", "person_id")
    )
    note = _("The contact's outcome was corrected.")
    Referral.objects.filter(pk__in=[pk for pk, _person in gone]).update(
        state=Referral.State.WITHDRAWN, withdrawn_on=today, withdrawal_note=note
    )
    created_ids = Referral.objects.filter(
        origin=Referral.Origin.DESK, contact_id__in=[r.contact_id for r in created]
    ).values_list("pk", "person_id", "to_organisation_id")
    entries = [
        (
            AuditAction.REFERRAL_CREATE,
            pk,
            {"state": [None, "sent"], "to_organisation": [None, to]},
            person,
        )
        for pk, person, to in created_ids
    ]
    entries += [
        (AuditAction.REFERRAL_UPDATE, pk, {"to_organisation": [old, new]}, person)
        for pk, person, old, new, _day in moved
    ]
    entries += [
        (AuditAction.REFERRAL_WITHDRAW, pk, {"state": ["sent", "withdrawn"]}, person)
        for pk, person in gone
    ]
    if entries:
        insert_change_events("desk.referral", actor, entries)
    return len(created)


# --- a register's referrals (the interchange's `referrals` kind) ----------------------------

# A row of referrals_import_bulk: keys as the Referral's fields (ids resolved).
IMPORT_FIELDS = (
    "external_id",
    "person_id",
    "from_organisation_id",
    "to_organisation_id",
    "contact_id",
    "sent_on",
    "reason",
    "state",
    "answered_on",
    "decline_reason",
    "completed_on",
)
# What each state may carry (INTERCHANGE.md `referrals`): the rest must be empty.
_STATE_CARRIES = {
    Referral.State.SENT: set(),
    Referral.State.ACCEPTED: {"answered_on"},
    Referral.State.DECLINED: {"answered_on", "decline_reason"},
    Referral.State.COMPLETED: {"answered_on", "completed_on"},
    Referral.State.WITHDRAWN: {"answered_on"},
}


def _import_row_errors(row: dict, contact: Contact | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    state = row["state"] or Referral.State.SENT
    for field in ("answered_on", "decline_reason", "completed_on"):
        if row.get(field) and field not in _STATE_CARRIES[state]:
            errors[field] = _("A referral in the state “%(state)s” has no %(what)s.") % {
                "state": Referral.State(state).label,
                "what": Referral._meta.get_field(
                    "answer_note" if field == "decline_reason" else field
                ).verbose_name,
            }
    check_day(errors, "sent_on", row["sent_on"])
    if row.get("answered_on") and "answered_on" not in errors:
        check_day(
            errors,
            "answered_on",
            row["answered_on"],
            not_before=row["sent_on"],
            label=_("the referral"),
        )
    if row.get("completed_on") and "completed_on" not in errors:
        check_day(
            errors,
            "completed_on",
            row["completed_on"],
            not_before=row.get("answered_on") or row["sent_on"],
            label=_("the answer") if row.get("answered_on") else _("the referral"),
        )
    withdrawn = (row["state"] or Referral.State.SENT) == Referral.State.WITHDRAWN
    if contact is not None:
        if contact.person_id != row["person_id"]:
            errors["contact_id"] = _("The contact belongs to another person.")
        elif contact.outcome != Contact.Outcome.REFERRED and not withdrawn:
            # Withdrawn: the contact's outcome was corrected after the referral.
            errors["contact_id"] = _("This contact's outcome is not a referral.")
        elif contact.outcome == Contact.Outcome.REFERRED:
            if contact.date != row["sent_on"]:
                errors["sent_on"] = _("The contact that made the referral is of another day.")
            if contact.desk.organisation_id != row["from_organisation_id"]:
                errors["from_organisation_id"] = _(
                    "The contact was at a desk of another organisation."
                )
            if contact.referred_to_id != row["to_organisation_id"]:
                errors["to_organisation_id"] = _(
                    "The contact sent the person to another organisation."
                )
    return errors


def _imported_values(row: dict) -> dict:
    state = row["state"] or Referral.State.SENT
    return {
        "person_id": row["person_id"],
        "from_organisation_id": row["from_organisation_id"],
        "to_organisation_id": row["to_organisation_id"],
        "sent_on": row["sent_on"],
        "reason": (row.get("reason") or "").strip(),
        "state": state,
        "answered_on": row.get("answered_on"),
        "answer_note": (row.get("decline_reason") or "").strip(),
        "completed_on": row.get("completed_on"),
    }


@transaction.atomic
def referrals_import_bulk(*, actor, rows: list[dict]) -> tuple[int, int, int]:
    """Create or update a register's referrals (IMPORT_FIELDS), keyed by external_id; a
    row naming a desk contact (`contact_id`) whose outcome made a referral updates that
    referral (adds the answer) instead of adding a second one (INTERCHANGE.md). All or
    nothing: RowsRefused names every refused row. Returns (created, updated, unchanged)."""
    keys = [row["external_id"] for row in rows]
    by_key = {r.external_id: r for r in Referral.objects.filter(external_id__in=keys)}
    contact_ids = {row["contact_id"] for row in rows} - {None}
    contacts = Contact.objects.select_related("desk").in_bulk(contact_ids)
    by_contact = {
        r.contact_id: r
        for r in Referral.objects.filter(contact_id__in=contact_ids, origin=Referral.Origin.DESK)
    }
    refused: dict[int, dict[str, str]] = {}
    plans = []
    seen_contacts: set[int] = set()
    for index, row in enumerate(rows):
        contact = contacts.get(row["contact_id"])
        errors = _import_row_errors(row, contact)
        if contact is not None:
            if contact.pk in seen_contacts:
                errors["contact_id"] = _("Another row of the file names this contact already.")
            seen_contacts.add(contact.pk)
        current = by_key.get(row["external_id"])
        if current is None and contact is not None:
            current = by_contact.get(contact.pk)
            if current is not None and current.external_id not in (None, row["external_id"]):
                errors["external_id"] = _(
                    "The referral of this contact already has the external id %(key)s."
                ) % {"key": current.external_id}
        elif current is not None and (current.contact_id or current.case_id):
            # A referral made by a contact or about a case stays that person's, that one's.
            if current.person_id != row["person_id"]:
                errors["person_id"] = _("This referral is of another person.")
            if current.contact_id and current.contact_id != row["contact_id"]:
                errors["contact_id"] = _("This referral was made by another contact.")
        if errors:
            refused[index] = errors
        else:
            plans.append((row, current))
    if refused:
        raise RowsRefused(refused)
    updated = unchanged = 0
    entries = []
    new = []
    for row, current in plans:
        values = _imported_values(row)
        if current is None:
            new.append(
                Referral(
                    external_id=row["external_id"],
                    contact_id=row["contact_id"],
                    origin=Referral.Origin.IMPORT,
                    sharing_basis=SharingBasis.REGISTER,
                    **values,
                )
            )
            continue
        before = snapshot(current, REFERRAL_AUDIT_FIELDS)
        for field, value in values.items():
            setattr(current, field, value)
        changes = diff(before, snapshot(current, REFERRAL_AUDIT_FIELDS))
        if current.external_id != row["external_id"]:
            changes["external_id"] = [current.external_id, row["external_id"]]
            current.external_id = row["external_id"]
        if not changes:
            unchanged += 1
            continue
        current.save()
        updated += 1
        entries.append((AuditAction.REFERRAL_UPDATE, current.pk, changes, current.person_id))
    Referral.objects.bulk_create(new, batch_size=2000)
    created = len(new)
    for referral in Referral.objects.filter(external_id__in=[r.external_id for r in new]):
        entries.append(
            (
                AuditAction.REFERRAL_CREATE,
                referral.pk,
                diff({}, snapshot(referral, REFERRAL_AUDIT_FIELDS)),
                referral.person_id,
            )
        )
    if entries:
        insert_change_events("desk.referral", actor, entries)
    return created, updated, unchanged

"""When a person's data crosses to another organisation: the basis that lets it.

PATHWAY.md, who sees what: sharing a person's data with another organisation (a
referral, a team member from another organisation) needs the person's recorded consent
to sharing within the network, or one of a closed list of legal bases. The step that
makes the data cross asks for it, there and then: the consent already on record, the
consent the person gives now (recorded in the same transaction, after the printable
notice), or a legal basis with its reference. A step that follows never fails for a
consent the earlier step did not ask for: it reads the basis that step recorded.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Consent, SharingBasis
from .services import consent_record

# The legal bases an operator may choose instead of the consent: a closed list.
LEGAL_BASES = (SharingBasis.LEGAL_OBLIGATION, SharingBasis.VITAL_INTEREST)
# What an operator chooses in a form (the others are recorded by the system).
CHOSEN_BASES = (SharingBasis.CONSENT, *LEGAL_BASES)


def network_consents(person_id):
    """The active consents to sharing within the network of a person (an id, or an
    OuterRef to one): the one query every check of the consent reads."""
    return Consent.objects.filter(
        person_id=person_id, scope=Consent.Scope.NETWORK_SHARING, withdrawn_on__isnull=True
    )


def has_network_sharing_consent(person) -> bool:
    """True when the person has an active consent to sharing within the network."""
    return network_consents(person.pk).exists()


def network_sharing_consent(person) -> Consent | None:
    """The person's active consent to sharing within the network (the latest), or None."""
    return network_consents(person.pk).order_by("-given_on", "-pk").first()


def no_consent_message(person, organisation) -> str:
    return _(
        "%(person)s has not consented to sharing within the network, so nothing can be "
        "shared with %(organisation)s. Record the person's consent here, or choose the "
        "legal basis that allows it."
    ) % {"person": person, "organisation": organisation}


def check_sharing(
    errors: dict, *, person, crosses: bool, basis, note="", consent_now=False, receiver=None
) -> str:
    """Check the basis on which data crosses; returns the basis to record.

    `crosses`: the receiver is another organisation. `basis`: CONSENT (the default) or a
    legal basis of LEGAL_BASES with `note` (its reference: the law, the order). With
    CONSENT, the consent on record, or `consent_now` (the person gives it now: the
    caller records it with record_consent_if_given after every other check passed).
    Errors go to `errors["sharing_basis"]` / `errors["sharing_note"]`."""
    if not crosses:
        return SharingBasis.SAME_ORGANISATION
    basis = basis or SharingBasis.CONSENT
    if basis in LEGAL_BASES:
        if not (note or "").strip():
            errors["sharing_note"] = _(
                "Give the reference of the legal basis (the law, the order of the judge)."
            )
        return basis
    if basis != SharingBasis.CONSENT:
        errors["sharing_basis"] = _("Choose the consent or one of the legal bases listed.")
        return basis
    if not consent_now and not has_network_sharing_consent(person):
        errors["sharing_basis"] = no_consent_message(person, receiver or _("another organisation"))
    return SharingBasis.CONSENT


def record_consent_if_given(*, actor, person, basis, consent_now) -> None:
    """Record the network-sharing consent the person gives in this step (if not on
    record already), given today; call it inside the step's transaction, after its
    checks passed."""
    if basis == SharingBasis.CONSENT and consent_now and not has_network_sharing_consent(person):
        consent_record(
            actor=actor,
            person=person,
            scope=Consent.Scope.NETWORK_SHARING,
            given_on=timezone.localdate(),
            notes=_("Given when the data was first shared with another organisation."),
        )

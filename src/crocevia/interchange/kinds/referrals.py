"""referrals: a person sent from one organisation to another, with the receiver's answer
(keyed by external_id). A row naming the desk contact whose outcome made the referral
(source_contact_external_id) adds the answer to that referral (INTERCHANGE.md). This
module reads the columns and resolves the codes; the rules are desk.referrals'
(referrals_import_bulk)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.audit.actions import AuditAction
from crocevia.audit.bulk import insert_change_events
from crocevia.core.errors import RowsRefused
from crocevia.desk.models import Contact, Referral
from crocevia.desk.referrals import IMPORT_FIELDS, referrals_import_bulk
from crocevia.network.models import Organisation
from crocevia.people.models import Person
from crocevia.people.selectors import persons_by_external_id

from ..scope import limited_scope
from . import (
    Column,
    Counts,
    ImportRefused,
    Kind,
    RefMap,
    check_by_writing,
    fmt_date,
    in_key_order,
    out_of_scope,
    refuse_hidden_persons,
    refuse_records_of_other_zones,
    register,
    scoped,
)
from .contacts import CONTACT_PREFIX
from .persons import PERSON_PREFIX

REFERRAL_PREFIX = "crocevia-referral-"
STATES = tuple(Referral.State.values)

# The service's row keys that are not the columns' codes.
COLUMN_OF = {
    "person_id": "person_external_id",
    "from_organisation_id": "from_organisation_code",
    "to_organisation_id": "to_organisation_code",
    "contact_id": "source_contact_external_id",
}


def _row(data: dict) -> dict:
    return {name: data[name] for name in IMPORT_FIELDS}


class Referrals(Kind):
    name = "referrals"
    label = gettext_lazy("Referrals")
    key = "external_id"
    written_models = (Referral,)
    # The referral's own key (`crocevia-referral-N`) is claimed by claim_exchange_keys
    # below, only by a row of the same person: ids differ between databases.
    fallback_keys = {
        "person_external_id": (Person, PERSON_PREFIX, "pk"),
        "source_contact_external_id": (Contact, CONTACT_PREFIX, "person_id"),
    }
    position = 55
    columns = (
        Column("external_id", ("id",), required=True),
        Column("person_external_id", ("persona", "id persona"), required=True),
        Column("from_organisation_code", ("ente inviante",), required=True),
        Column("sent_on", ("data invio",), required=True),
        Column("to_organisation_code", ("ente ricevente",)),
        Column("source_contact_external_id", ("accesso",)),
        Column("reason", ("motivo",)),
        Column("state", ("stato",)),
        Column("answered_on", ("data risposta",)),
        Column("decline_reason", ("motivo del rifiuto",)),
        Column("completed_on", ("data chiusura",)),
    )
    pseudonymised = {
        "external_id": "referral",
        "person_external_id": "person",
        "source_contact_external_id": "contact",
    }
    # Pseudonymised: the months, and no free text about the person.
    event_generalised = {"sent_on": "month", "answered_on": "month", "completed_on": "month"}
    event_class = ("from_organisation_code", "sent_on")
    person_links = ("person_external_id", "source_contact_external_id")
    # Free text about the person never leaves in a pseudonymised export.
    withheld = ("reason", "decline_reason")

    def claim_exchange_keys(self, items, *, actor) -> int:
        """As Kind's, and a row's `crocevia-referral-N` becomes referral N's external id
        only if N is a referral of the row's person without one (into another database,
        N may be anybody's)."""
        claimed = super().claim_exchange_keys(items, actor=actor)
        wanted: dict[int, tuple[str, str]] = {}
        for row, data in items:
            key = data.get("external_id") or row.raw.get("external_id", "")
            number = key[len(REFERRAL_PREFIX) :] if key.startswith(REFERRAL_PREFIX) else ""
            if number.isdigit() and len(number) < 19:
                wanted[int(number)] = (key, data.get("person_external_id", ""))
        if not wanted:
            return claimed
        keys = [key for key, _person in wanted.values()]
        taken = set(
            Referral.objects.filter(external_id__in=keys).values_list("external_id", flat=True)
        )
        claims = {}
        for pk, person_id, person_key in Referral.objects.filter(
            pk__in=wanted, external_id__isnull=True
        ).values_list("pk", "person_id", "person__external_id"):
            key, row_person = wanted[pk]
            if key not in taken and row_person in (person_key, f"{PERSON_PREFIX}{person_id}"):
                claims[pk] = (key, person_id)
        if claims:
            Referral.objects.bulk_update(
                [Referral(pk=pk, external_id=key) for pk, (key, _p) in claims.items()],
                ["external_id"],
            )
            insert_change_events(
                "desk.referral",
                actor,
                [
                    (AuditAction.REFERRAL_UPDATE, pk, {"external_id": [None, key]}, person)
                    for pk, (key, person) in claims.items()
                ],
            )
        return claimed + len(claims)

    def new_context(self):
        return {"organisations": RefMap.of(Organisation.objects.all(), "code")}

    def parse(self, row, ctx):
        data = {
            "external_id": row.text("external_id", required=True, max_length=64),
            "person_external_id": row.text("person_external_id", required=True, max_length=64),
            "source_contact_external_id": row.text("source_contact_external_id", max_length=64),
            "sent_on": row.date("sent_on", required=True),
            "reason": row.text("reason"),
            "state": row.choice("state", STATES, default=Referral.State.SENT),
            "answered_on": row.date("answered_on"),
            "decline_reason": row.text("decline_reason"),
            "completed_on": row.date("completed_on"),
            "person_id": None,
            "contact_id": None,
            "from_organisation_id": None,
            "to_organisation_id": None,
        }
        for column, field in (
            ("from_organisation_code", "from_organisation_id"),
            ("to_organisation_code", "to_organisation_id"),
        ):
            code = row.raw.get(column, "")
            if code:
                data[field] = ctx["organisations"].get(code)
                if data[field] is None:
                    row.unknown(column)
            elif column == "from_organisation_code":
                row.text(column, required=True)
        # An empty to_organisation_code is a referral to an organisation the register
        # does not name (INTERCHANGE.md): recorded so, exported empty again.
        return data

    def check(self, items, ctx):
        persons = persons_by_external_id({data["person_external_id"] for _row, data in items})
        contact_keys = {data["source_contact_external_id"] for _row, data in items} - {"", None}
        contacts = dict(
            Contact.objects.filter(external_id__in=contact_keys).values_list("external_id", "pk")
        )
        resolved = []
        for row, data in items:
            person = persons.get(data["person_external_id"])
            data["person_id"] = person.pk if person is not None else None
            if person is None:
                row.error(
                    "person_external_id",
                    _("No person with this external id, in the database or loaded before."),
                    "unknown_person",
                )
            key = data["source_contact_external_id"]
            if key:
                data["contact_id"] = contacts.get(key)
                if data["contact_id"] is None:
                    row.error(
                        "source_contact_external_id",
                        _("No contact with this external id, in the database or loaded before."),
                        "unknown_contact",
                    )
            if row.ok:
                resolved.append((row, data))
        check_by_writing(
            resolved,
            COLUMN_OF,
            lambda: referrals_import_bulk(actor=None, rows=[_row(d) for _row_, d in resolved]),
        )

    def write(self, datas, ctx, *, actor):
        try:
            created, updated, unchanged = referrals_import_bulk(
                actor=actor, rows=[_row(data) for data in datas]
            )
        except RowsRefused as refused:
            raise ImportRefused(refused.errors) from refused
        return Counts(created, updated, unchanged)

    def check_scope(self, items, ctx):
        """A coordinator records referrals sent by organisations of their zone, of persons
        they may see, and changes only referrals sent from their zone."""
        scope = limited_scope(ctx)
        if scope is None:
            return
        if "organisation_zones" not in ctx:
            ctx["organisation_zones"] = dict(Organisation.objects.values_list("pk", "zone_id"))
        zones = ctx["organisation_zones"]
        for row, data in items:
            sender = data["from_organisation_id"]
            if sender is not None and not scope.has_zone(zones.get(sender)):
                out_of_scope(
                    row, "from_organisation_code", _("This organisation is outside your zone.")
                )
        refuse_hidden_persons(items, scope, "person_external_id")
        refuse_records_of_other_zones(items, scope, Referral, "from_organisation__zone_id")

    def export_rows(self, *, list_separator=";", scope=None):
        referrals = Referral.objects.select_related(
            "person", "from_organisation", "to_organisation", "contact"
        )
        referrals = scoped(referrals, scope, "from_organisation__zone_id")
        for key, r in in_key_order(referrals, "external_id", REFERRAL_PREFIX):
            contact = r.contact
            yield {
                "external_id": key,
                "person_external_id": r.person.external_id or f"{PERSON_PREFIX}{r.person_id}",
                "from_organisation_code": r.from_organisation.code,
                "sent_on": fmt_date(r.sent_on),
                "to_organisation_code": r.to_organisation.code if r.to_organisation_id else "",
                "source_contact_external_id": (
                    (contact.external_id or f"{CONTACT_PREFIX}{contact.pk}") if contact else ""
                ),
                "reason": r.reason,
                "state": r.state,
                "answered_on": fmt_date(r.answered_on),
                "decline_reason": r.answer_note if r.state == Referral.State.DECLINED else "",
                "completed_on": fmt_date(r.completed_on),
            }


register(Referrals())

"""contacts: visits at a desk with the services given (keyed by external_id)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.core.bulkdb import BackgroundInserts, select_any
from crocevia.desk.models import Contact, ContactService, DeskService
from crocevia.desk.referrals import sync_imported_contact_referrals
from crocevia.desk.services import EARLIEST_DATE, contacts_import_bulk
from crocevia.network.models import Desk, Organisation
from crocevia.people.models import Person

from ..scope import limited_scope
from . import (
    Column,
    Counts,
    Kind,
    RefMap,
    in_key_order,
    out_of_scope,
    refuse_records_of_other_zones,
    register,
    scoped,
)
from .persons import PERSON_PREFIX

CONTACT_PREFIX = "crocevia-contact-"
PERSON_CACHE_SIZE = 200_000  # about 40 MB
OUTCOMES = tuple(Contact.Outcome.values)


class Contacts(Kind):
    name = "contacts"
    label = gettext_lazy("Desk contacts")
    key = "external_id"
    written_models = (Contact, ContactService)
    fallback_keys = {
        "external_id": (Contact, CONTACT_PREFIX, "person_id"),
        "person_external_id": (Person, PERSON_PREFIX, "pk"),
    }
    position = 50
    columns = (
        Column("external_id", ("id",), required=True),
        Column("person_external_id", ("persona", "id persona"), required=True),
        Column("desk_code", ("sportello", "codice sportello"), required=True),
        Column("date", ("data",), required=True),
        Column("services", ("prestazioni",), required=True),
        Column("outcome", ("esito",)),
        Column("referred_to", ("inviato a",)),
    )
    pseudonymised = {"external_id": "contact", "person_external_id": "person"}
    # Pseudonymised: the month, and no link to the person from a desk's rare month.
    event_generalised = {"date": "month"}
    event_class = ("desk_code", "date")
    person_links = ("person_external_id",)

    def new_context(self):
        return {
            "desks": RefMap.of(Desk.objects.all(), "code"),
            "organisations": RefMap.of(Organisation.objects.all(), "code"),
            "services": set(DeskService.objects.values_list("code", flat=True)),
            # external id -> person id, of persons found in earlier chunks: a person has
            # several contacts, so most lookups after the first chunks are answered here.
            "person_ids": {},
            # New rows are sent to the server while the next chunk is checked and built.
            "inserts": BackgroundInserts(),
        }

    def parse(self, row, ctx):
        data = {
            "external_id": row.text("external_id", required=True, max_length=64),
            "person_external_id": row.text("person_external_id", required=True, max_length=64),
            "person_id": None,
            "desk_id": None,
            "date": row.date("date", required=True, earliest=EARLIEST_DATE),
            "services": row.items("services", required=True),
            "outcome": row.choice("outcome", OUTCOMES, default="solved"),
            "referred_to_id": None,
        }
        desk = row.raw.get("desk_code", "")
        if desk:
            data["desk_id"] = ctx["desks"].get(desk)
            if data["desk_id"] is None:
                row.unknown("desk_code")
        else:
            row.text("desk_code", required=True)
        for code in data["services"]:
            if code not in ctx["services"]:
                row.unknown("services", code)
        referred_to = row.raw.get("referred_to", "")
        if referred_to:
            data["referred_to_id"] = ctx["organisations"].get(referred_to)
            if data["referred_to_id"] is None:
                row.unknown("referred_to")
            elif data["outcome"] != Contact.Outcome.REFERRED:
                row.error(
                    "referred_to",
                    _("An organisation is given only when the person was referred to it."),
                    "contradiction",
                )
        # A referral with no referred_to is one to an organisation the register does not
        # name (INTERCHANGE.md): recorded so, counted as referred, exported empty again.
        return data

    def check(self, items, ctx):
        persons = ctx["person_ids"]
        keys = {data["person_external_id"] for _row, data in items} - persons.keys()
        if len(persons) + len(keys) > PERSON_CACHE_SIZE:
            persons.clear()
        # A merged record's id stands for the record it was merged into.
        persons.update(
            (key, into or pk)
            for key, pk, into in select_any(
                Person, ["external_id", "id", "merged_into_id"], "external_id", keys
            )
        )
        for row, data in items:
            data["person_id"] = persons.get(data["person_external_id"])
            if data["person_id"] is None:
                row.error(
                    "person_external_id",
                    _("No person with this external id, in the database or loaded before."),
                    "unknown_person",
                )

    def write(self, datas, ctx, *, actor):
        ctx["actor"] = actor
        created, updated, unchanged = contacts_import_bulk(
            actor=actor, rows=datas, inserts=ctx["inserts"]
        )
        return Counts(created, updated, unchanged)

    def finish(self, ctx, *, write):
        if write:
            ctx["inserts"].send()
            ctx["inserts"].wait()
            # A contact whose outcome is "referred" is a referral (INTERCHANGE.md).
            sync_imported_contact_referrals(actor=ctx.get("actor"))
            return None
        return ctx["inserts"].discard()

    def check_scope(self, items, ctx):
        """A coordinator records contacts at desks of their zone, for persons they may
        see, and changes only contacts of their zone's desks."""
        scope = limited_scope(ctx)
        if scope is None:
            return
        if "desk_zones" not in ctx:
            ctx["desk_zones"] = dict(Desk.objects.values_list("pk", "organisation__zone_id"))
        desk_zones = ctx["desk_zones"]
        person_ids = {data["person_id"] for _row, data in items} - {None}
        visible = set(scope.persons().filter(pk__in=person_ids).values_list("pk", flat=True))
        for row, data in items:
            desk = data["desk_id"]
            if desk is not None and not scope.has_zone(desk_zones.get(desk)):
                out_of_scope(row, "desk_code", _("This desk is outside your zone."))
            person = data["person_id"]
            if person is not None and person not in visible:
                out_of_scope(
                    row,
                    "person_external_id",
                    _("This external id belongs to a record outside your zone."),
                )
        refuse_records_of_other_zones(items, scope, Contact, "desk__organisation__zone_id")

    def export_rows(self, *, list_separator=";", scope=None):
        contacts = Contact.objects.select_related("person", "desk", "referred_to")
        contacts = scoped(contacts, scope, "desk__organisation__zone_id")
        contacts = contacts.prefetch_related("services")
        for key, c in in_key_order(contacts, "external_id", CONTACT_PREFIX):
            yield {
                "external_id": key,
                "person_external_id": c.person.external_id or f"{PERSON_PREFIX}{c.person_id}",
                "desk_code": c.desk.code,
                "date": c.date.isoformat(),
                "services": list_separator.join(sorted(s.code for s in c.services.all())),
                "outcome": c.outcome,
                "referred_to": c.referred_to.code if c.referred_to_id else "",
            }


register(Contacts())

"""The Django admin is a write path like any page: for every model registered in it (read
from the admin registry, so a newly registered model cannot skip the rule) either the
admin refuses to add, change and delete it, or every add, change and delete through the
admin's own HTTP forms writes an audit event naming that object and the administrator.
A save that changes nothing writes no event; a bulk delete writes one event per object
or is refused. Inlines likewise, for every inline of every registered admin.

A model (or inline) that is registered as writable needs a `WRITES` entry here saying how
to add and change one: the test fails, naming it, until it has one.
"""

import datetime
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms import MultiWidget
from django.urls import reverse

from crocevia.accounts.models import (
    LoginFailure,
    LoginLock,
    Membership,
    Profile,
    SecuritySettings,
)
from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.audit.services import audit_change
from crocevia.benefits.tests.factories import make_application
from crocevia.desk.models import DeskService, LanguageNeed
from crocevia.desk.services import contact_record
from crocevia.downloads.models import PreparedFile
from crocevia.interchange.models import ImportJob
from crocevia.jobs.models import PeriodicRun
from crocevia.network.models import Agreement, Comune, Desk
from crocevia.notifications.models import Notification, NotificationPreference
from crocevia.notifications.tasks import send_emails
from crocevia.people.models import Consent, DuplicatePair, Household, PersonAlias
from crocevia.reporting.models import PatronDay
from crocevia.testing import (
    PASSWORD,
    ComuneFactory,
    DeskFactory,
    OrganisationFactory,
    PersonFactory,
    UserFactory,
    ZoneFactory,
)

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
LABELS = [model._meta.label_lower for model, _admin in REGISTRY]
INLINES = [
    (model, inline)
    for model, model_admin in REGISTRY
    for inline in model_admin.inlines
]  # fmt: skip

TODAY = datetime.date(2026, 12, 5)


# --- one row of every registered model ---------------------------------------------------


def _contact(actors):
    return contact_record(
        actor=actors.desk_operator,
        person=PersonFactory(created_by_organisation=actors.sds),
        desk=actors.desk,
        date=TODAY,
        services=["information"],
    )


MAKERS = {
    "auth.group": lambda a: Group.objects.create(name="Revisori"),
    "accounts.user": lambda a: UserFactory(username="operatrice.nuova"),
    "accounts.membership": lambda a: Membership.objects.create(
        user=UserFactory(username="socia"), organisation=a.cpi, profile=Profile.TUTOR
    ),
    "accounts.securitysettings": lambda a: SecuritySettings.load(),
    "accounts.loginlock": lambda a: LoginLock.objects.create(
        scope=LoginLock.Scope.USER,
        key="sportello",
        until=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC),
        failures=10,
    ),
    "accounts.loginfailure": lambda a: LoginFailure.objects.create(username="sportello"),
    "network.zone": lambda a: ZoneFactory(code="ZVC", name="Zona Valdera"),
    "network.comune": lambda a: ComuneFactory(istat_code="050029", name="Pontedera"),
    "network.organisation": lambda a: OrganisationFactory(code="CPIA-PI", name="CPIA 1 Pisa"),
    "network.desk": lambda a: DeskFactory(code="SPI-CASCINA", organisation=a.sds),
    "network.agreement": lambda a: Agreement.objects.create(
        title="Protocollo", kind="protocol", signed_on=TODAY, valid_from=TODAY
    ),
    "people.person": lambda a: PersonFactory(created_by_organisation=a.sds),
    "people.household": lambda a: Household.objects.create(),
    "people.personalias": lambda a: PersonAlias.objects.create(
        person=PersonFactory(created_by_organisation=a.sds),
        kind=PersonAlias.Kind.PROVISIONAL,
        value="12345670509",
    ),
    "people.duplicatepair": lambda a: DuplicatePair.objects.create(
        person_a=PersonFactory(created_by_organisation=a.sds),
        person_b=PersonFactory(created_by_organisation=a.sds),
        reason=DuplicatePair.Reason.SIMILAR_NAME,
    ),
    "people.consent": lambda a: Consent.objects.create(
        person=PersonFactory(created_by_organisation=a.sds),
        scope=Consent.Scope.NETWORK_SHARING,
        given_on=TODAY,
        collected_by=a.desk_operator,
    ),
    "desk.deskservice": lambda a: DeskService.objects.create(code="orientamento", name="Orient."),
    "desk.contact": _contact,
    "desk.languageneed": lambda a: LanguageNeed.objects.create(
        person=PersonFactory(created_by_organisation=a.sds),
        recorded_on=TODAY,
        italian_level="A2",
        recorded_by=a.desk_operator,
    ),
    "audit.auditevent": lambda a: audit_change(
        actor=a.admin, action=AuditAction.ZONE_UPDATE, instance=a.zone, changes={}
    ),
    "interchange.importjob": lambda a: ImportJob.objects.create(
        kind="persons", user=a.admin, status=ImportJob.Status.DONE, file_name="p.csv"
    ),
    "benefits.benefitapplication": lambda a: make_application(a),
    "reporting.patronday": lambda a: PatronDay.objects.create(comune=a.pisa, month=6, day=17),
    "notifications.notification": lambda a: Notification.objects.create(
        recipient=a.social_worker, kind="team_added", url="/casi/1/", reference="n. 1"
    ),
    "notifications.notificationpreference": lambda a: NotificationPreference.objects.create(
        user=a.social_worker, kind="team_added", email_mode="digest"
    ),
    "downloads.preparedfile": lambda a: PreparedFile.objects.create(
        user=a.coordinator,
        title="Esportazione",
        file_name="persone.xlsx",
        content_type="application/octet-stream",
        producer="interchange.export",
    ),
    # The job queue's own admin (django-tasks-db): it refuses every write itself.
    "django_tasks_database.dbtaskresult": lambda a: send_emails.enqueue([]).db_result,
    "jobs.periodicrun": lambda a: PeriodicRun.objects.create(
        name="audit-seal", slot=datetime.datetime(2026, 12, 5, tzinfo=datetime.UTC), task_path="x"
    ),
}


# --- how to add and change a row of every writable model ---------------------------------


@dataclass
class Write:
    """POST values over the form's own: `add(actors)` for the add form, `change` for the
    change form (a real change), `inline_add(actors)` for one new row in an inline."""

    change: dict = field(default_factory=dict)
    add: object = None


WRITES = {
    "auth.group": Write(change={"name": "Revisori contabili"}, add=lambda a: {"name": "Nuovi"}),
    "accounts.user": Write(
        change={"first_name": "Giulia"},
        add=lambda a: {
            "username": "nuovo.operatore",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    ),
    "accounts.membership": Write(
        change={"profile": Profile.EDUCATOR},
        add=lambda a: {
            "user": a.cpi_consultant.pk,
            "organisation": a.sds.pk,
            "profile": Profile.EDUCATOR,
            "active": "on",
        },
    ),
    "accounts.securitysettings": Write(change={"require_two_factor": "on"}),
    "network.zone": Write(
        change={"name": "Zona Valdera e Alta Valdera"},
        add=lambda a: {"code": "ZAV", "name": "Zona Apuana"},
    ),
    "network.comune": Write(
        change={"population": "28000"},
        add=lambda a: {
            "istat_code": "050011",
            "name": "Calci",
            "province": "PI",
            "population": "6400",
            "zone": a.zone.pk,
        },
    ),
    "network.organisation": Write(
        change={"name": "CPIA 1 Pisa e Valdera"},
        add=lambda a: {"code": "ASL-PI", "name": "SerD Pisa", "kind": "asl_service"},
    ),
    "network.desk": Write(
        change={"name": "Sportello di Cascina", "active": ""},
        add=lambda a: {
            "code": "SPI-CALCI",
            "organisation": a.sds.pk,
            "name": "Sportello Calci",
            "level": "1",
            "comune": a.pisa.pk,
        },
    ),
    "desk.deskservice": Write(
        change={"name": "Orientamento al lavoro"},
        add=lambda a: {"code": "bilancio", "name": "Bilancio competenze", "position": "50"},
    ),
    "reporting.patronday": Write(
        change={"day": "18"},
        add=lambda a: {"comune": a.livorno.pk, "month": "5", "day": "22"},
    ),
}

# One new row through each writable inline: (parent label, inline model label).
INLINE_ADDS = {
    ("accounts.user", "accounts.membership"): lambda a: {
        "organisation": a.cpi.pk,
        "profile": Profile.TUTOR,
        "active": "on",
    },
    ("network.zone", "network.comune"): lambda a: {
        "istat_code": "050040",
        "name": "Vicopisano",
        "province": "PI",
        "population": "8500",
    },
    ("network.organisation", "network.desk"): lambda a: {
        "code": "SPI-NUOVO",
        "name": "Sportello nuovo",
        "level": "1",
        "comune": a.pisa.pk,
    },
}


# --- reading an admin form back as the POST a browser would send --------------------------


def _post_value(form, name):
    bound = form[name]
    value = bound.value()
    widget = form.fields[name].widget
    if isinstance(widget, MultiWidget):
        parts = widget.decompress(value)
        return {f"{bound.html_name}_{i}": "" if p is None else str(p) for i, p in enumerate(parts)}
    if value is None or value is False:
        return {}
    if value is True:
        return {bound.html_name: "on"}
    if isinstance(value, list | tuple):
        return {bound.html_name: [str(v) for v in value]}
    return {bound.html_name: str(value)}


def form_post(response) -> dict:
    """The values the admin page's form (and its inlines) would post unchanged."""
    context = response.context
    forms = [context["adminform"].form]
    data = {}
    for inline in context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        forms.extend(inline.formset.forms)
    for form in forms:
        for name, form_field in form.fields.items():
            if not form_field.disabled:
                data.update(_post_value(form, name))
    return data


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _events(model, pk, actor):
    return AuditEvent.objects.filter(
        object_type=model._meta.label_lower, object_id=str(pk), actor=actor
    )


@pytest.fixture
def admin_client(client, actors):
    client.force_login(actors.admin)
    return client


def test_every_registered_model_has_a_row_to_try():
    assert sorted(set(LABELS) - set(MAKERS)) == []


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=LABELS)
def test_admin_writes_a_model_only_through_audited_services(
    model, model_admin, admin_client, actors
):
    label = model._meta.label_lower
    obj = MAKERS[label](actors)
    change_url = _url(model, "change", obj.pk)
    page = admin_client.get(change_url)
    assert page.status_code == 200
    unchanged = form_post(page)
    events_before = AuditEvent.objects.count()
    rows_before = model._default_manager.count()

    response = admin_client.post(change_url, unchanged)
    writable = response.status_code != 403
    if not writable:
        # Read-only: add, change and delete refused, nothing written.
        assert admin_client.get(_url(model, "add")).status_code == 403
        assert admin_client.post(_url(model, "add"), unchanged).status_code == 403
        assert admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
        admin_client.post(
            _url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
        assert model._default_manager.count() == rows_before
        assert AuditEvent.objects.count() == events_before
        return

    assert label in WRITES, f"{label} is writable in the admin: add a WRITES entry"
    write = WRITES[label]
    # A save that changes nothing writes no event.
    assert response.status_code == 302, response.context and response.context["errors"]
    assert AuditEvent.objects.count() == events_before

    # A change writes one event naming the object and the administrator.
    response = admin_client.post(change_url, {**unchanged, **write.change})
    assert response.status_code == 302, response.context and response.context["errors"]
    event = _events(model, obj.pk, actors.admin).get()
    assert event.kind == AuditEvent.Kind.CHANGE and event.changes
    obj.refresh_from_db()
    for name in write.change:
        assert name in event.changes

    # An add, where the admin offers it, writes the new object's event.
    add_page = admin_client.get(_url(model, "add"))
    if write.add is None:
        assert add_page.status_code == 403
    else:
        assert add_page.status_code == 200
        before = set(model._default_manager.values_list("pk", flat=True))
        response = admin_client.post(
            _url(model, "add"), {**form_post(add_page), **write.add(actors)}
        )
        assert response.status_code == 302, response.context and response.context["errors"]
        (new_pk,) = set(model._default_manager.values_list("pk", flat=True)) - before
        assert _events(model, new_pk, actors.admin).exists()

    # A delete, where the admin offers it, writes one event per object, in bulk too.
    response = admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"})
    if response.status_code == 403:
        admin_client.post(
            _url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
        assert model._default_manager.filter(pk=obj.pk).exists()
        return
    assert response.status_code == 302
    assert not model._default_manager.filter(pk=obj.pk).exists()
    assert _events(model, obj.pk, actors.admin).count() == 2  # the change, the delete
    if write.add is not None:
        pks = list(model._default_manager.order_by("-pk").values_list("pk", flat=True)[:1])
        other = MAKERS[label](actors)
        pks.append(other.pk)
        response = admin_client.post(
            _url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": pks, "post": "yes"},
        )
        assert response.status_code == 302
        assert not model._default_manager.filter(pk__in=pks).exists()
        for pk in pks:
            assert _events(model, pk, actors.admin).filter(action__endswith=".delete").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("parent", "inline"),
    INLINES,
    ids=[f"{p._meta.label_lower}-{i.model._meta.label_lower}" for p, i in INLINES],
)
def test_admin_inlines_write_only_through_audited_services(parent, inline, admin_client, actors):
    obj = MAKERS[parent._meta.label_lower](actors)
    change_url = _url(parent, "change", obj.pk)
    page = admin_client.get(change_url)
    assert page.status_code == 200
    (formset,) = [
        i.formset for i in page.context["inline_admin_formsets"] if i.formset.model is inline.model
    ]
    key = (parent._meta.label_lower, inline.model._meta.label_lower)
    data = form_post(page)
    prefix = formset.prefix
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    offers_add = formset.max_num > total and page.context["inline_admin_formsets"]
    rows_before = set(inline.model._default_manager.values_list("pk", flat=True))
    events_before = AuditEvent.objects.count()
    if key not in INLINE_ADDS:
        # An inline without an entry must refuse to add: a new row is ignored or refused.
        new = {f"{prefix}-{total}-{name}": "x" for name in formset.form.base_fields}
        data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
        admin_client.post(change_url, {**data, **new})
        assert set(inline.model._default_manager.values_list("pk", flat=True)) == rows_before
        assert AuditEvent.objects.count() == events_before
        return
    assert offers_add
    new = {f"{prefix}-{total}-{k}": v for k, v in INLINE_ADDS[key](actors).items()}
    data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
    response = admin_client.post(change_url, {**data, **new})
    assert response.status_code == 302, response.context and response.context["errors"]
    (new_pk,) = set(inline.model._default_manager.values_list("pk", flat=True)) - rows_before
    assert _events(inline.model, new_pk, actors.admin).exists()
    # The inline never deletes (the row's own page does, audited).
    assert not formset.can_delete


# One change per admin whose changelist edits columns in place (list_editable).
LIST_EDITS = {"desk.deskservice": {"position": "7"}}
LIST_EDITABLE = [(m, a) for m, a in REGISTRY if a.list_editable]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "model_admin"), LIST_EDITABLE, ids=[m._meta.label_lower for m, _a in LIST_EDITABLE]
)
def test_admin_columns_edited_in_the_list_write_one_event_per_changed_row(
    model, model_admin, admin_client, actors
):
    label = model._meta.label_lower
    assert label in LIST_EDITS, f"{label} edits columns in its list: add a LIST_EDITS entry"
    obj = MAKERS[label](actors)
    page = admin_client.get(_url(model, "changelist"), {"q": str(obj)})
    formset = page.context["cl"].formset
    data = {"_save": "1"}
    management = formset.management_form
    for name in management.fields:
        data[management.add_prefix(name)] = str(management[name].value())
    for form in formset.forms:
        for name in form.fields:
            data.update(_post_value(form, name))
    (index,) = [i for i, form in enumerate(formset.forms) if form.instance.pk == obj.pk]
    events_before = AuditEvent.objects.count()
    assert admin_client.post(_url(model, "changelist"), data).status_code == 302
    assert AuditEvent.objects.count() == events_before  # nothing changed, nothing written
    for name, value in LIST_EDITS[label].items():
        data[f"{formset.prefix}-{index}-{name}"] = value
    assert admin_client.post(_url(model, "changelist"), data).status_code == 302
    assert _events(model, obj.pk, actors.admin).count() == 1
    assert AuditEvent.objects.count() == events_before + 1


@pytest.mark.django_db
def test_a_desk_in_memberships_is_not_deleted_behind_the_memberships_back(admin_client, actors):
    # Deleting it would silently take it out of the operator's desks (what they see).
    url = _url(Desk, "delete", actors.desk.pk)
    page = admin_client.get(url)
    assert "Sportello immigrati Pisa" in str(page.context["protected"])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert Desk.objects.filter(pk=actors.desk.pk).exists()
    assert list(actors.desk_operator.memberships.get().desks.all()) == [actors.desk]
    assert not AuditEvent.objects.filter(action=AuditAction.DESK_DELETE).exists()


@pytest.mark.django_db
def test_a_comune_with_a_patron_day_is_not_deleted_with_it(admin_client, actors):
    comune = ComuneFactory(istat_code="050008", name="Cascina")
    PatronDay.objects.create(comune=comune, month=7, day=25)
    admin_client.post(
        _url(Comune, "changelist"),
        {"action": "delete_selected", "_selected_action": [comune.pk], "post": "yes"},
    )
    assert PatronDay.objects.filter(comune=comune).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.COMUNE_DELETE).exists()

"""The duplicates queue, the compare-and-merge page and the merged record's tombstone
(issue 16, "A person has one record"), through HTTP as a coordinator uses them."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from crocevia.accounts.models import Profile
from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.audit.recording import NOTE_CODE_TAKEN
from crocevia.audit.sensitive import SENSITIVE_CHANGE
from crocevia.cases import services as case_services
from crocevia.cases.models import Case
from crocevia.desk.models import Contact, DeskService
from crocevia.desk.services import contact_record
from crocevia.people import services
from crocevia.people.duplicates import merge_problems
from crocevia.people.models import Consent, DuplicatePair, Person, PersonAlias
from crocevia.people.scopes import visible_rows
from crocevia.testing import PersonFactory, give_consent, make_member

from .helpers import AWA_CF, form_post, register, with_check

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(1988, 3, 14)
# Mohamed Ahmed, man, born 14/03/1988 in Morocco (Z330).
MOHAMED_CF = with_check("HMDMMD88C14Z330")


def _register(actor, given_names, **fields):
    fields = {
        "family_name": "Ahmed",
        "sex": "M",
        "birth_date": BIRTH,
        "citizenship": "MA",
        "birth_country": "MA",
        "languages": ["ar"],
        **fields,
    }
    return register(actor, given_names=given_names, **fields)


def _contact(actors, person):
    service = DeskService.objects.filter(active=True).order_by("position").first()
    return contact_record(
        actor=actors.desk_operator,
        person=person,
        desk=actors.desk,
        date=timezone.localdate(),
        services=[service],
    )


def _case(actors, person, organisation):
    return case_services.case_open_direct(
        actor=actors.admin,
        person=person,
        organisation=organisation,
        referred_on=timezone.localdate() - datetime.timedelta(days=3),
    )


@pytest.fixture
def pair(actors):
    """Mohamed (registered first, a contact at the Pisa desk, a phone) and Mohammed
    (registered at the same desk later, without the phone, a case at the CPI): one man."""
    first = _register(actors.desk_operator, "Mohamed", phone="333 1234567")
    second = _register(
        actors.desk_operator, "Mohammed", codice_fiscale=MOHAMED_CF, permit_type="health"
    )
    give_consent(first, actors.desk_operator)
    give_consent(second, actors.desk_operator)
    _contact(actors, first)
    _case(actors, second, actors.cpi)
    return DuplicatePair.objects.get(person_a=first, person_b=second)


def _merge_post(pair, survivor="a", **picks):
    first, second = Person.objects.get(pk=pair.person_a_id), Person.objects.get(pk=pair.person_b_id)
    data = {
        "survivor": survivor,
        "version_a": first.version,
        "version_b": second.version,
        "confirm": "on",
    }
    # The differing fields: given names, code, phone, permit.
    for name in ("given_names", "codice_fiscale", "phone", "permit_type"):
        data[f"take_{name}"] = picks.get(name, survivor)
    return data


def _other_coordinator(actors):
    return make_member("coordinatore-li", actors.other_org, Profile.COORDINATOR)


# --- the queue ------------------------------------------------------------------------------


def test_the_queue_lists_the_pair_to_a_coordinator_and_records_the_persons_shown(
    actors, pair, login
):
    response = login(actors.coordinator).get(reverse("people:duplicates"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Possibili duplicati" in content
    assert "Ahmed Mohamed" in content and "Ahmed Mohammed" in content
    assert "14/03/1988" in content and MOHAMED_CF in content
    assert "Nome simile e stessa data di nascita" in content
    assert reverse("people:duplicate", args=[pair.pk]) in content
    shown = AuditEvent.objects.filter(
        actor=actors.coordinator, kind="access", note="suspected duplicates"
    )
    assert set(shown.values_list("person_id", flat=True)) == {pair.person_a_id, pair.person_b_id}


def test_the_queue_filters_by_reason(actors, pair, login):
    client = login(actors.coordinator)
    listed = client.get(reverse("people:duplicates"), {"reason": "similar_name"})
    assert "Ahmed Mohammed" in listed.content.decode()
    other = client.get(reverse("people:duplicates"), {"reason": "same_code"})
    assert "Ahmed Mohammed" not in other.content.decode()
    assert "Nessuna coppia da verificare" in other.content.decode()


def test_the_queue_is_paginated_by_fifty(actors, login):
    for n in range(51):
        a = PersonFactory(created_by_organisation=actors.sds, family_name=f"Uno{n}")
        b = PersonFactory(created_by_organisation=actors.sds, family_name=f"Due{n}")
        DuplicatePair.objects.create(person_a=a, person_b=b, reason="similar_name")
    client = login(actors.coordinator)
    first = client.get(reverse("people:duplicates"))
    assert len(first.context["page"].object_list) == 50
    assert "51 coppie da verificare" in first.content.decode()
    second = client.get(reverse("people:duplicates"), {"page": 2})
    assert len(second.context["page"].object_list) == 1


def test_a_long_queue_is_counted_only_as_far_as_its_pages_need(actors, login):
    # 1,001 pairs: the home page says "100+", the queue "more than 1000" and still leads,
    # page after page, to the last pair.
    persons = Person.objects.bulk_create(
        PersonFactory.build(created_by_organisation=actors.sds) for _ in range(2002)
    )
    DuplicatePair.objects.bulk_create(
        DuplicatePair(person_a=a, person_b=b, reason="similar_name")
        for a, b in zip(persons[::2], persons[1::2], strict=True)
    )
    oldest = DuplicatePair.objects.order_by("pk").first()
    client = login(actors.coordinator)
    assert "Possibili duplicati da verificare: 100+" in client.get(reverse("home")).content.decode()
    first = client.get(reverse("people:duplicates")).content.decode()
    assert "Più di 1000 coppie da verificare" in first
    assert "Pagina 1</span>" in first
    below = client.get(reverse("people:duplicates"), {"page": 0})
    assert below.context["page"].number == 1
    twentieth = client.get(reverse("people:duplicates"), {"page": 20}).content.decode()
    assert "page=21" in twentieth
    last = client.get(reverse("people:duplicates"), {"page": 21})
    assert list(last.context["page"].object_list) == [oldest]
    assert "1001 coppie da verificare" in last.content.decode()
    assert "Pagina 21 di 21" in last.content.decode()


def test_a_desk_operator_gets_no_queue_and_no_pair(actors, pair, login):
    client = login(actors.desk_operator)
    assert client.get(reverse("people:duplicates")).status_code == 404
    assert client.get(reverse("people:duplicate", args=[pair.pk])).status_code == 404
    response = client.post(reverse("people:duplicate", args=[pair.pk]), _merge_post(pair))
    assert response.status_code == 404
    assert client.post(reverse("people:duplicate_distinct", args=[pair.pk])).status_code == 404
    pair.refresh_from_db()
    assert pair.status == DuplicatePair.Status.OPEN
    assert not Person.objects.filter(merged_into__isnull=False).exists()


def test_a_coordinator_of_another_zone_sees_neither_the_pair_nor_its_page(actors, pair, login):
    client = login(_other_coordinator(actors))
    response = client.get(reverse("people:duplicates"))
    assert response.status_code == 200
    assert "Ahmed" not in response.content.decode()
    assert client.get(reverse("people:duplicate", args=[pair.pk])).status_code == 404
    response = client.post(reverse("people:duplicate", args=[pair.pk]), _merge_post(pair))
    assert response.status_code == 404
    assert not Person.objects.filter(merged_into__isnull=False).exists()


def test_the_home_page_counts_the_pairs_for_coordinators_only(
    actors, pair, login, django_assert_max_num_queries
):
    client = login(actors.coordinator)
    # 26: 25, and the header's unread notifications (issue 18).
    with django_assert_max_num_queries(26):
        content = client.get(reverse("home")).content.decode()
    assert "Possibili duplicati da verificare: 1" in content
    assert reverse("people:duplicates") in content
    content = login(actors.desk_operator).get(reverse("home")).content.decode()
    assert "Possibili duplicati" not in content


# --- compare and merge ----------------------------------------------------------------------


def test_the_compare_page_shows_both_records_what_they_hold_and_the_choices(actors, pair, login):
    response = login(actors.coordinator).get(reverse("people:duplicate", args=[pair.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.differences) == {"given_names", "codice_fiscale", "phone", "permit_type"}
    assert 'name="take_given_names"' in content and 'name="take_family_name"' not in content
    # Each record holds what will move: a contact, and a case.
    history = {name: (a, b) for name, a, b in response.context["history"]}
    assert history["Accessi"] == (1, 0)
    assert history["Prese in carico"] == (0, 1)
    assert history["Consensi"] == (1, 1)
    # The record with more history is offered as the one that stays... both have two rows
    # here, so the older one.
    assert form["survivor"].initial == "a"
    assert f'value="{pair.person_a.version}"' in content
    assert not response.context["problems"]
    assert "Non sono la stessa persona" in content
    viewed = AuditEvent.objects.filter(actor=actors.coordinator, note="duplicate check")
    assert set(viewed.values_list("person_id", flat=True)) == {pair.person_a_id, pair.person_b_id}


def test_the_compare_page_counts_only_what_the_coordinator_may_see(actors, pair, login):
    # Record a also has a case at the Comune di Livorno, record b a contact at its desk:
    # another zone, which the coordinator of the Zona Pisana does not see.
    _case(actors, pair.person_a, actors.other_org)
    Contact.objects.create(
        person=pair.person_b,
        desk=actors.other_desk,
        date=timezone.localdate(),
        operator=actors.outsider,
    )
    url = reverse("people:duplicate", args=[pair.pk])
    response = login(actors.coordinator).get(url)
    history = {name: (a, b) for name, a, b in response.context["history"]}
    assert history["Prese in carico"] == (0, 1)
    assert history["Accessi"] == (1, 0)
    assert history["Consensi"] == (1, 1)
    assert history["Altri elementi che non puoi vedere"] == (1, 1)
    # The administrator sees every row: nothing is "other".
    history = {name: (a, b) for name, a, b in login(actors.admin).get(url).context["history"]}
    assert history["Prese in carico"] == (1, 1)
    assert history["Accessi"] == (1, 1)
    assert "Altri elementi che non puoi vedere" not in history


def test_every_relation_a_merge_moves_from_an_app_above_is_counted_within_its_scope():
    # An app that registers no scope has its rows counted as not seen (scopes.py): the
    # apps whose rows a coordinator may see in part register theirs.
    labels = {rel.related_model._meta.label_lower for rel in Person._meta.related_objects}
    assert {"cases.case", "desk.contact", "desk.referral"} <= labels
    for label in ("cases.case", "desk.contact", "desk.referral"):
        assert visible_rows(label) is not None
    assert visible_rows("people.consent") is None


def test_a_merge_through_the_page_moves_everything_and_is_one_audit_event(actors, pair, login):
    first, second = pair.person_a, pair.person_b
    response = login(actors.coordinator).post(
        reverse("people:duplicate", args=[pair.pk]), _merge_post(pair, survivor="a")
    )
    assert response.status_code == 302
    assert response.url == reverse("people:detail", args=[first.pk])
    second.refresh_from_db()
    assert second.merged_into_id == first.pk and second.merged_at is not None
    assert Contact.objects.filter(person=first).count() == 1
    assert Case.objects.filter(person=first).count() == 1
    assert Consent.objects.filter(person=first).count() == 2
    assert not Contact.objects.filter(person=second).exists()
    assert not Case.objects.filter(person=second).exists()
    pair.refresh_from_db()
    assert pair.status == DuplicatePair.Status.MERGED and pair.decided_by == actors.coordinator
    merges = AuditEvent.objects.filter(action=AuditAction.PERSON_MERGE)
    assert merges.count() == 1
    event = merges.get()
    assert event.actor == actors.coordinator and event.person_id == first.pk
    assert event.changes["merged_person"] == [None, second.pk]
    moved = event.changes["moved"][1]
    # The ids of what moved, so a wrong merge can be told apart again.
    assert moved["cases.case"] == [Case.objects.get(person=first).pk]
    assert len(moved["people.consent"]) == 1
    assert "desk.contact" not in moved  # the contact was the survivor's already
    # The merged record's permit (a health reason) is not written into the trail.
    assert event.changes["merged_record"][0]["permit_type"] == SENSITIVE_CHANGE
    assert str(second.pk) in event.note and str(first.pk) in event.note
    # The survivor kept its values, the merged record's code stays findable as an alias.
    first.refresh_from_db()
    assert first.given_names == "Mohamed" and first.phone == "333 1234567"
    assert first.codice_fiscale == ""
    assert PersonAlias.objects.filter(person=first, kind="merged_cf", value=MOHAMED_CF).exists()


def test_the_survivor_takes_the_values_picked_from_the_merged_record(actors, pair, login):
    first, second = pair.person_a, pair.person_b
    data = _merge_post(pair, survivor="a", given_names="b", codice_fiscale="b")
    response = login(actors.coordinator).post(reverse("people:duplicate", args=[pair.pk]), data)
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.given_names == "Mohammed"
    assert first.codice_fiscale == MOHAMED_CF
    assert first.phone == "333 1234567"  # the survivor's own, not picked from the other
    assert first.permit_type == ""
    second.refresh_from_db()
    assert second.codice_fiscale == "" and second.merged_into_id == first.pk


def test_the_later_record_may_be_the_one_that_stays(actors, pair, login):
    first, second = pair.person_a, pair.person_b
    response = login(actors.coordinator).post(
        reverse("people:duplicate", args=[pair.pk]), _merge_post(pair, survivor="b")
    )
    assert response.url == reverse("people:detail", args=[second.pk])
    first.refresh_from_db()
    assert first.merged_into_id == second.pk
    assert Contact.objects.filter(person=second).count() == 1


def test_a_refused_merge_shows_the_reason_and_writes_nothing(actors, pair, login):
    _case(actors, pair.person_a, actors.cpi)  # both records now have an open case at the CPI
    client = login(actors.coordinator)
    page = client.get(reverse("people:duplicate", args=[pair.pk])).content.decode()
    assert "Entrambe le schede hanno una presa in carico aperta presso CPI Pisa" in page
    assert "disabled" in page
    changes = AuditEvent.objects.filter(kind="change").count()
    response = client.post(reverse("people:duplicate", args=[pair.pk]), _merge_post(pair))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Entrambe le schede hanno una presa in carico aperta presso CPI Pisa" in content
    assert AuditEvent.objects.filter(kind="change").count() == changes
    assert not Person.objects.filter(merged_into__isnull=False).exists()
    assert Case.objects.filter(person=pair.person_b).count() == 1
    pair.refresh_from_db()
    assert pair.status == DuplicatePair.Status.OPEN


def test_open_cases_at_two_organisations_also_refuse_the_merge(actors, pair):
    _case(actors, pair.person_a, actors.sds)
    with translation.override("en"):
        problems = merge_problems(pair.person_a, pair.person_b)
    assert len(problems) == 1
    assert "at SdS Zona Pisana and at CPI Pisa" in problems[0]
    assert "one open case at a time" in problems[0]


def test_a_merge_on_stale_versions_is_refused_and_shows_the_current_values(actors, pair, login):
    data = _merge_post(pair)
    services.person_update(
        actor=actors.desk_operator,
        person=pair.person_b,
        data={**_data_of(pair.person_b), "phone": "320 9999999"},
    )
    response = login(actors.coordinator).post(reverse("people:duplicate", args=[pair.pk]), data)
    content = response.content.decode()
    assert response.status_code == 200
    assert "non è stato unito nulla" in content
    assert "320 9999999" in content
    assert not Person.objects.filter(merged_into__isnull=False).exists()


def _data_of(person):
    return {name: getattr(person, name) for name in services.PERSON_FIELDS} | {
        "citizenship": person.citizenship.code,
        "birth_country": person.birth_country.code,
    }


def test_the_merge_needs_the_confirmation(actors, pair, login):
    data = _merge_post(pair)
    del data["confirm"]
    response = login(actors.coordinator).post(reverse("people:duplicate", args=[pair.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].has_error("confirm")
    assert not Person.objects.filter(merged_into__isnull=False).exists()


# --- different persons ----------------------------------------------------------------------


def test_different_persons_leave_the_queue(actors, pair, login):
    client = login(actors.coordinator)
    response = client.post(reverse("people:duplicate_distinct", args=[pair.pk]))
    assert response.status_code == 302 and response.url == reverse("people:duplicates")
    pair.refresh_from_db()
    assert pair.status == DuplicatePair.Status.DISTINCT and pair.decided_by == actors.coordinator
    assert "Ahmed" not in client.get(reverse("people:duplicates")).content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.DUPLICATE_MARK_DISTINCT).count() == 2


def test_a_pair_with_the_same_code_cannot_be_marked_different_persons(actors, login):
    holder = PersonFactory(created_by_organisation=actors.sds, codice_fiscale=AWA_CF)
    other = PersonFactory(created_by_organisation=actors.sds)
    PersonAlias.objects.create(person=other, kind="held_cf", value=AWA_CF)
    pair = DuplicatePair.objects.create(person_a=holder, person_b=other, reason="same_code")
    client = login(actors.coordinator)
    page = client.get(reverse("people:duplicate", args=[pair.pk])).content.decode()
    assert "Non sono la stessa persona" not in page
    response = client.post(reverse("people:duplicate_distinct", args=[pair.pk]), follow=True)
    assert "Due persone diverse non possono avere lo stesso codice fiscale" in (
        response.content.decode()
    )
    pair.refresh_from_db()
    assert pair.status == DuplicatePair.Status.OPEN


@pytest.mark.parametrize("code_from", ["a", "b"])
def test_a_pair_with_the_same_code_merges_and_the_code_is_the_survivors(actors, login, code_from):
    holder = PersonFactory(
        created_by_organisation=actors.sds, codice_fiscale=AWA_CF, given_names="Awa"
    )
    other = PersonFactory(created_by_organisation=actors.sds, given_names="Awa")
    PersonAlias.objects.create(person=other, kind="held_cf", value=AWA_CF)
    pair = DuplicatePair.objects.create(person_a=holder, person_b=other, reason="same_code")
    client = login(actors.coordinator)
    form = client.get(reverse("people:duplicate", args=[pair.pk])).context["form"]
    data = {
        "survivor": "b",  # the record that held the code back stays
        "version_a": holder.version,
        "version_b": other.version,
        "confirm": "on",
    }
    data |= {f"take_{name}": "b" for name in form.differences}
    data["take_codice_fiscale"] = code_from
    response = client.post(reverse("people:duplicate", args=[pair.pk]), data)
    assert response.status_code == 302
    other.refresh_from_db()
    holder.refresh_from_db()
    assert holder.merged_into_id == other.pk
    # The code is the survivor's either way: as its code, or as the code of a record
    # merged into it; it no longer holds it back for another.
    assert not PersonAlias.objects.filter(kind="held_cf").exists()
    if code_from == "a":
        assert other.codice_fiscale == AWA_CF
        assert not PersonAlias.objects.filter(kind="merged_cf").exists()
    else:
        assert other.codice_fiscale == ""
        assert PersonAlias.objects.get(kind="merged_cf").person_id == other.pk


# --- the tombstone --------------------------------------------------------------------------


@pytest.fixture
def merged(actors, pair, login):
    login(actors.coordinator).post(reverse("people:duplicate", args=[pair.pk]), _merge_post(pair))
    pair.person_b.refresh_from_db()
    return pair.person_a, pair.person_b


def test_the_merged_record_redirects_to_the_survivor_with_a_notice(actors, merged, login):
    survivor, tombstone = merged
    client = login(actors.social_worker)
    response = client.get(reverse("people:detail", args=[tombstone.pk]))
    assert response.status_code == 302
    assert response.url == reverse("people:detail", args=[survivor.pk])
    page = client.get(response.url).content.decode()
    assert "Questa scheda è stata unita a Ahmed Mohamed" in page
    # Its other pages go to the same page of the survivor.
    response = client.get(reverse("people:household", args=[tombstone.pk]))
    assert response.url == reverse("people:household", args=[survivor.pk])
    response = client.get(reverse("cases:person_cases", args=[tombstone.pk]))
    assert response.url == reverse("cases:person_cases", args=[survivor.pk])


def test_a_form_sent_to_the_merged_record_writes_nothing(actors, merged, login):
    survivor, tombstone = merged
    before = AuditEvent.objects.filter(kind="change").count()
    response = login(actors.social_worker).post(
        reverse("people:consent_add", args=[tombstone.pk]),
        {"scope": "processing", "given_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    assert response.url == reverse("people:detail", args=[survivor.pk])
    assert AuditEvent.objects.filter(kind="change").count() == before


def test_the_merged_record_is_404_for_who_may_not_see_the_survivor(actors, merged, login):
    _survivor, tombstone = merged
    response = login(actors.outsider).get(reverse("people:detail", args=[tombstone.pk]))
    assert response.status_code == 404


def test_the_merged_record_is_no_longer_a_person_of_the_lists(actors, merged, login):
    survivor, tombstone = merged
    response = login(actors.desk_operator).get(reverse("people:search"), {"q": "Ahmed"})
    persons = list(response.context["persons"])
    assert persons == [survivor]


def test_the_survivor_page_shows_the_other_identifiers_and_the_merged_records(
    actors, merged, login
):
    survivor, tombstone = merged
    Person.objects.filter(pk=tombstone.pk).update(external_id="anagrafe-pisa-4411")
    content = login(actors.desk_operator).get(reverse("people:detail", args=[survivor.pk]))
    content = content.content.decode()
    assert "Altri identificativi" in content
    assert f"Codice fiscale di una scheda unita: {MOHAMED_CF}" in content
    assert "Schede unite: 1" in content
    assert f"scheda n. {tombstone.pk}" in content
    assert "anagrafe-pisa-4411" in content


def test_the_access_report_covers_the_merged_record(actors, merged, login):
    survivor, tombstone = merged
    response = login(actors.admin).get(reverse("people:audit", args=[survivor.pk]))
    content = response.content.decode()
    persons = {row.event.person_id for row in response.context["rows"]}
    assert persons == {survivor.pk, tombstone.pk}
    on_tombstone = [r for r in response.context["rows"] if r.merged_record == tombstone.pk]
    assert on_tombstone and all(r.event.person_id == tombstone.pk for r in on_tombstone)
    assert f"registrato sulla scheda unita n. {tombstone.pk}" in content
    # The merged record's own address is the survivor's report.
    response = login(actors.admin).get(reverse("people:audit", args=[tombstone.pk]))
    assert response.url == reverse("people:audit", args=[survivor.pk])


# --- registration of a code already registered ----------------------------------------------


def test_a_taken_code_is_refused_in_italian_with_a_link_to_its_person(actors, login):
    awa = register(actors.desk_operator, codice_fiscale=AWA_CF)
    response = login(actors.desk_operator).post(
        reverse("people:create"),
        form_post(given_names="Awa Marie", codice_fiscale=AWA_CF, confirm_distinct="on"),
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].has_error("codice_fiscale", code="cf_taken")
    assert "Questo codice fiscale è già registrato" in content
    assert reverse("people:detail", args=[awa.pk]) in content
    assert Person.objects.count() == 1


def test_a_taken_code_of_a_person_not_seen_is_refused_without_naming_them(actors, login):
    hidden = register(actors.outsider, codice_fiscale=AWA_CF)
    response = login(actors.desk_operator).post(
        reverse("people:create"),
        form_post(given_names="Awa Marie", codice_fiscale=AWA_CF, confirm_distinct="on"),
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Questo codice fiscale è già registrato" in content
    assert "un'altra organizzazione" in content
    assert reverse("people:detail", args=[hidden.pk]) not in content
    assert Person.objects.count() == 1
    # Nobody named, but the person's access report shows who learnt they are registered.
    probe = AuditEvent.objects.get(person=hidden, kind="access")
    assert (probe.actor, probe.note) == (actors.desk_operator, NOTE_CODE_TAKEN)


# --- the scan command -----------------------------------------------------------------------


def test_the_scan_command_finds_a_transliterated_pair(actors):
    first = PersonFactory(family_name="Nguyen", given_names="Thi Lan", birth_date=BIRTH)
    second = PersonFactory(family_name="Thi Lan", given_names="Nguyen", birth_date=BIRTH)
    third = PersonFactory(family_name="Mohammed", given_names="Ahmed", birth_date=BIRTH)
    fourth = PersonFactory(family_name="Mohamed", given_names="Ahmed", birth_date=BIRTH)
    PersonFactory(family_name="Rossi", given_names="Mario", birth_date=BIRTH)
    out = StringIO()
    call_command("duplicates", "scan", stdout=out)
    assert "2 nuove coppie di possibili duplicati" in out.getvalue()
    pairs = set(DuplicatePair.objects.values_list("person_a", "person_b"))
    assert pairs == {(first.pk, second.pk), (third.pk, fourth.pk)}
    out = StringIO()
    call_command("duplicates", "scan", stdout=out)
    assert "0 nuove coppie" in out.getvalue()

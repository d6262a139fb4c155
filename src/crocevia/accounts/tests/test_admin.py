"""Operators and memberships in the Django admin: what decides who sees what is written
through accounts.services, with its audit event, and refused when it breaks a rule."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from crocevia.accounts.models import Membership, Profile, User
from crocevia.accounts.selectors import organisation_ids
from crocevia.accounts.services import membership_update, user_update
from crocevia.audit.models import AuditEvent
from crocevia.network.models import Desk
from crocevia.testing import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Sportello-Nuovo-2027!"


def _events(instance, action):
    return AuditEvent.objects.filter(
        object_type=instance._meta.label_lower, object_id=str(instance.pk), action=action
    )


def _user_form(user, **changes):
    """The operator's change form as the admin posts it, with `changes` over it."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        # As the page shows it: local time, whole seconds.
        "date_joined_0": timezone.localtime(user.date_joined).date().isoformat(),
        "date_joined_1": timezone.localtime(user.date_joined).strftime("%H:%M:%S"),
    }
    for flag in ("is_active", "is_staff", "is_superuser"):
        if getattr(user, flag):
            data[flag] = "on"
    data["groups"] = [str(g.pk) for g in user.groups.all()]
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_membership_given_in_the_admin_is_audited_and_opens_the_organisation(login, actors):
    client = login(actors.admin)
    tutor = UserFactory(username="tutor.cpia")
    response = client.post(
        reverse("admin:accounts_membership_add"),
        {
            "user": tutor.pk,
            "organisation": actors.sds.pk,
            "profile": Profile.DESK_OPERATOR,
            "desks": [actors.desk.pk],
            "active": "on",
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=tutor)
    event = _events(membership, "membership_created").get()
    assert event.actor == actors.admin
    assert event.changes == {
        "user": [None, tutor.pk],
        "organisation": [None, actors.sds.pk],
        "profile": [None, Profile.DESK_OPERATOR],
        "active": [None, True],
        "desks": [None, [actors.desk.pk]],
    }
    assert organisation_ids(User.objects.get(pk=tutor.pk)) == {actors.sds.pk}


def test_membership_change_in_the_admin_records_old_and_new_desks_and_profile(login, actors):
    membership = actors.desk_operator.memberships.get()
    second = Desk.objects.create(
        code="SPI-CASCINA", organisation=actors.sds, name="Cascina", comune=actors.pisa
    )
    client = login(actors.admin)
    response = client.post(
        reverse("admin:accounts_membership_change", args=[membership.pk]),
        {
            "organisation": actors.sds.pk,
            "profile": Profile.SOCIAL_WORKER,
            "desks": [actors.desk.pk, second.pk],
            "active": "on",
            # The operator cannot be swapped: the field is read-only, a posted value ignored.
            "user": actors.outsider.pk,
        },
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.user == actors.desk_operator
    event = _events(membership, "membership_updated").get()
    assert event.actor == actors.admin
    assert event.changes == {
        "profile": [Profile.DESK_OPERATOR, Profile.SOCIAL_WORKER],
        "desks": [[actors.desk.pk], sorted([actors.desk.pk, second.pk])],
    }


def test_desk_of_another_organisation_is_refused_beside_the_field_and_nothing_written(
    login, actors
):
    membership = actors.desk_operator.memberships.get()
    client = login(actors.admin)
    response = client.post(
        reverse("admin:accounts_membership_change", args=[membership.pk]),
        {
            "organisation": actors.sds.pk,
            "profile": Profile.DESK_OPERATOR,
            "desks": [actors.desk.pk, actors.other_desk.pk],
            "active": "on",
        },
    )
    assert response.status_code == 200
    with translation.override("it"):
        message = gettext("A membership's desks must belong to its organisation.")
    assert response.context["adminform"].form.errors["desks"] == [message]
    assert escape(message) in response.content.decode()
    assert list(membership.desks.all()) == [actors.desk]
    assert not AuditEvent.objects.filter(object_type="accounts.membership").exists()


def test_ending_memberships_in_bulk_writes_one_event_each_and_closes_what_they_opened(
    login, actors
):
    ended = [actors.desk_operator.memberships.get(), actors.social_worker.memberships.get()]
    client = login(actors.admin)
    response = client.post(
        reverse("admin:accounts_membership_changelist"),
        {"action": "end_memberships", "_selected_action": [m.pk for m in ended]},
    )
    assert response.status_code == 302
    for membership in ended:
        event = _events(membership, "membership_ended").get()
        assert event.actor == actors.admin and event.changes == {"active": [True, False]}
    assert organisation_ids(User.objects.get(pk=actors.desk_operator.pk)) == set()
    # Ending again changes nothing and writes nothing.
    client.post(
        reverse("admin:accounts_membership_changelist"),
        {"action": "end_memberships", "_selected_action": [m.pk for m in ended]},
    )
    assert AuditEvent.objects.filter(action="membership_ended").count() == 2


def test_memberships_are_never_deleted_in_the_admin(login, actors):
    membership = actors.desk_operator.memberships.get()
    client = login(actors.admin)
    url = reverse("admin:accounts_membership_delete", args=[membership.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    client.post(
        reverse("admin:accounts_membership_changelist"),
        {"action": "delete_selected", "_selected_action": [membership.pk], "post": "yes"},
    )
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_membership_added_on_the_operator_page_is_audited(login, actors):
    client = login(actors.admin)
    user = actors.cpi_consultant
    existing = user.memberships.get()
    data = _user_form(user)
    data.update(
        {
            "memberships-TOTAL_FORMS": "2",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": str(existing.pk),
            "memberships-0-user": str(user.pk),
            "memberships-0-organisation": str(existing.organisation_id),
            "memberships-0-profile": existing.profile,
            "memberships-0-active": "on",
            "memberships-1-user": str(user.pk),
            "memberships-1-organisation": str(actors.other_org.pk),
            "memberships-1-profile": Profile.TUTOR,
            "memberships-1-active": "on",
        }
    )
    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert response.status_code == 302
    added = user.memberships.get(organisation=actors.other_org)
    assert _events(added, "membership_created").get().actor == actors.admin
    # The unchanged membership and the unchanged operator wrote nothing.
    assert not _events(existing, "membership_updated").exists()
    assert not _events(user, "user_updated").exists()


def test_operator_status_and_groups_changed_in_the_admin_are_audited(login, actors):
    reviewers = Group.objects.create(name="Revisori")
    user = actors.desk_operator
    client = login(actors.admin)
    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _user_form(user, is_active=None, is_staff="on", is_superuser="on", groups=[reviewers.pk]),
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.is_active, user.is_staff, user.is_superuser) == (False, True, True)
    event = _events(user, "user_updated").get()
    assert event.actor == actors.admin
    assert event.changes == {
        "is_active": [True, False],
        "is_staff": [False, True],
        "is_superuser": [False, True],
        "groups": [[], [reviewers.pk]],
    }


def test_operator_created_in_the_admin_is_audited_without_the_password(login, actors):
    client = login(actors.admin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "nuova.assistente",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="nuova.assistente")
    assert user.check_password(NEW_PASSWORD)
    event = _events(user, "user_created").get()
    assert event.actor == actors.admin
    assert event.changes["username"] == [None, "nuova.assistente"]
    assert event.changes["usable_password"] == [None, True]
    trail = json.dumps(list(AuditEvent.objects.values("changes", "note")))
    assert NEW_PASSWORD not in trail and user.password not in trail


def test_username_taken_in_another_case_is_refused_on_the_operator_page(login, actors):
    user = actors.desk_operator
    client = login(actors.admin)
    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _user_form(user, username="ASSISTENTE"),
    )
    assert response.status_code == 200
    assert "username" in response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.username == "sportello"
    assert not _events(user, "user_updated").exists()


def test_password_set_in_the_admin_is_audited_and_never_recorded(login, actors):
    user = actors.desk_operator
    admin_client = login(actors.admin)
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    event = _events(user, "password_set").get()
    assert event.actor == actors.admin and event.changes == {}
    trail = json.dumps(list(AuditEvent.objects.values("changes", "note")))
    assert NEW_PASSWORD not in trail and user.password not in trail

    # Disabling sign-in with a password is recorded as such.
    admin_client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"usable_password": "false", "unset-password": "1"},
    )
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert _events(user, "password_set").latest("id").changes == {"usable_password": [True, False]}


def test_staff_without_superuser_status_cannot_raise_anyone_to_superuser(login, actors):
    staff = UserFactory(username="segreteria", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__in=["view_user", "change_user"]))
    user = actors.desk_operator
    client = login(staff)
    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _user_form(user, first_name="Anna Maria", is_superuser="on"),
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_superuser and user.first_name == "Anna Maria"
    assert _events(user, "user_updated").get().changes == {"first_name": ["Anna", "Anna Maria"]}
    # The service refuses it too, whichever page calls it.
    with pytest.raises(ValidationError) as refused:
        user_update(actor=staff, user=user, is_superuser=True)
    assert "is_superuser" in refused.value.message_dict
    # Nor may they touch a superuser's account: not its form, not its password.
    superuser = actors.admin
    assert client.get(reverse("admin:accounts_user_change", args=[superuser.pk])).status_code == 200
    response = client.post(
        reverse("admin:accounts_user_change", args=[superuser.pk]),
        _user_form(superuser, is_active=None),
    )
    assert response.status_code == 403
    response = client.post(
        reverse("admin:auth_user_password_change", args=[superuser.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.is_active and superuser.check_password(PASSWORD)


def test_a_save_that_changes_nothing_writes_no_event(actors):
    membership = actors.desk_operator.memberships.get()
    assert not membership_update(
        actor=actors.admin,
        membership=membership,
        profile=membership.profile,
        desks=list(membership.desks.all()),
        active=True,
    )
    assert not user_update(actor=actors.admin, user=actors.desk_operator, first_name="Anna")
    assert not AuditEvent.objects.filter(action__in=["membership_updated", "user_updated"])


def test_operator_created_with_a_membership_in_one_save_writes_both_events(login, actors):
    client = login(actors.admin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "mediatrice",
            "usable_password": "false",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-organisation": str(actors.sds.pk),
            "memberships-0-profile": Profile.CULTURAL_MEDIATOR,
            "memberships-0-desks": [str(actors.desk.pk)],
            "memberships-0-active": "on",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="mediatrice")
    assert not user.has_usable_password()
    assert _events(user, "user_created").get().changes["usable_password"] == [None, False]
    membership = user.memberships.get()
    event = _events(membership, "membership_created").get()
    assert event.actor == actors.admin
    assert event.changes["user"] == [None, user.pk]
    assert event.changes["desks"] == [None, [actors.desk.pk]]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_an_implausible_joining_date_is_refused_beside_the_field_not_a_server_error(
    login, actors, day
):
    user = UserFactory(username="operatore.data")
    client = login(actors.admin)
    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _user_form(user, date_joined_0=day, last_name="Rossi\u202e"),
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "date_joined" in form.errors and "last_name" in form.errors
    assert not _events(user, "user_updated").exists()

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from crocevia.reporting.models import PatronDay
from crocevia.testing import PASSWORD, ComuneFactory


@pytest.mark.django_db
def test_a_day_that_does_not_exist_is_refused():
    comune = ComuneFactory(name="Cascina")
    with translation.override("it"), pytest.raises(ValidationError) as excinfo:
        PatronDay(comune=comune, month=2, day=30).full_clean()
    with translation.override("it"):
        assert excinfo.value.message_dict["day"] == [
            gettext("This day does not exist in that month.")
        ]
    PatronDay(comune=comune, month=2, day=29).full_clean()  # leap years only, but valid


@pytest.mark.django_db
def test_an_administrator_edits_patron_days_in_the_admin(client, actors):
    cascina = ComuneFactory(name="Cascina")
    client.login(username="admin", password=PASSWORD)
    response = client.post(
        reverse("admin:reporting_patronday_add"),
        {"comune": cascina.pk, "month": 7, "day": 25},
    )
    assert response.status_code == 302
    assert PatronDay.objects.filter(comune=cascina, month=7, day=25).exists()
    listing = client.get(reverse("admin:reporting_patronday_changelist"))
    assert listing.status_code == 200 and "Cascina" in listing.content.decode()


@pytest.mark.django_db
def test_an_operator_cannot_reach_the_admin(client, actors):
    client.login(username="coordinatore", password=PASSWORD)
    response = client.get(reverse("admin:reporting_patronday_changelist"))
    assert response.status_code == 302

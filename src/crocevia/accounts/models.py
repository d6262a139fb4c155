from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Profile(models.TextChoices):
    """Professional profile of an operator within one organisation."""

    SOCIAL_WORKER = "social_worker", _("Social worker")
    DESK_OPERATOR = "desk_operator", _("Desk operator")
    CPI_CONSULTANT = "cpi_consultant", _("CPI consultant")
    CULTURAL_MEDIATOR = "cultural_mediator", _("Cultural mediator")
    EDUCATOR = "educator", _("Educator")
    TUTOR = "tutor", _("Tutor")
    LABOUR_POLICY_EXPERT = "labour_policy_expert", _("Active labour policy expert")
    PHYSICIAN = "physician", _("Physician")
    PROGRAM_MANAGER = "program_manager", _("Program manager")
    ADMINISTRATIVE = "administrative", _("Administrative")
    COORDINATOR = "coordinator", _("Coordinator")
    MONITORING_OFFICER = "monitoring_officer", _("Monitoring officer")


class User(AbstractUser):
    """An operator. Custom from the first migration so fields can be added later."""

    class Meta:
        verbose_name = _("operator")
        verbose_name_plural = _("operators")

    def __str__(self):
        full = self.get_full_name()
        return full or self.username


class Membership(models.Model):
    """An operator's membership of one organisation, with a profile and desks."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("operator")
    )
    organisation = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    profile = models.CharField(_("profile"), max_length=30, choices=Profile.choices)
    desks = models.ManyToManyField(
        "network.Desk", blank=True, related_name="memberships", verbose_name=_("desks")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "profile"], name="unique_membership_profile"
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.organisation} ({self.get_profile_display()})"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.pk and self.organisation_id:
            foreign = self.desks.exclude(organisation_id=self.organisation_id)
            if foreign.exists():
                raise ValidationError(
                    {"desks": _("A membership's desks must belong to its organisation.")}
                )

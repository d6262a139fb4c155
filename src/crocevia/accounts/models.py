from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
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

    # Raised by "log out everywhere" (and by a 2FA reset): it is part of the session
    # authentication hash, so every session signed with the old value ends on its next
    # request, whatever the session engine (database, cache or Redis).
    session_generation = models.PositiveIntegerField(_("session generation"), default=0)

    class Meta:
        verbose_name = _("operator")
        verbose_name_plural = _("operators")

    def __str__(self):
        full = self.get_full_name()
        return full or self.username

    def _get_session_auth_hash(self, secret=None):
        key_salt = "crocevia.accounts.models.User.get_session_auth_hash"
        return salted_hmac(
            key_salt,
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def has_two_factor(self) -> bool:
        device = getattr(self, "two_factor_device", None)
        return device is not None


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


class SecuritySettings(models.Model):
    """Sign-in rules set by an administrator: one row (pk 1), edited in the admin."""

    require_two_factor = models.BooleanField(
        _("Require two-step verification for every operator"),
        default=False,
        help_text=_(
            "Operators without two-step verification are sent to activate it right after "
            "the password, and can do nothing else until they have."
        ),
    )

    class Meta:
        verbose_name = _("sign-in security settings")
        verbose_name_plural = _("sign-in security settings")

    def __str__(self):
        return str(_("Sign-in security settings"))

    @classmethod
    def load(cls) -> "SecuritySettings":
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class TwoFactorDevice(models.Model):
    """An operator's authenticator app (TOTP, RFC 6238): one per operator, once confirmed."""

    user = models.OneToOneField(
        User,
        on_delete=models.CASCADE,
        related_name="two_factor_device",
        verbose_name=_("operator"),
    )
    # Base32 secret shared with the authenticator app. Kept in clear like any TOTP server
    # must (it computes the codes); the database is the trust boundary.
    secret = models.CharField(_("secret"), max_length=64)
    confirmed_at = models.DateTimeField(_("activated at"), default=timezone.now)
    # The last 30-second time step accepted: a code is never accepted twice.
    last_step = models.BigIntegerField(_("last time step used"), default=0)

    class Meta:
        verbose_name = _("two-step verification")
        verbose_name_plural = _("two-step verifications")

    def __str__(self):
        return str(self.user)


class RecoveryCode(models.Model):
    """A one-time code for when the authenticator app is not at hand. Stored hashed."""

    device = models.ForeignKey(
        TwoFactorDevice,
        on_delete=models.CASCADE,
        related_name="recovery_codes",
        verbose_name=_("two-step verification"),
    )
    # SHA-256 of the normalised code: the codes are random (50 bits), so a slow password
    # hash adds nothing and would make checking ten of them slow.
    code_hash = models.CharField(_("code hash"), max_length=64, unique=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self):
        return f"{self.device} #{self.pk}"


class LoginFailure(models.Model):
    """One refused sign-in (wrong password or wrong code), counted for the lockout."""

    at = models.DateTimeField(_("when (UTC)"), default=timezone.now, db_index=True)
    # As typed (case-folded): unknown usernames are counted like real ones, so the
    # lockout says nothing about which usernames exist.
    username = models.CharField(_("username"), max_length=150)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    # A success resets the username's count, a lock or an unlock resets the counts that
    # led to it; the row stays as evidence.
    counts_for_user = models.BooleanField(default=True)
    counts_for_address = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["username", "at"], name="loginfailure_user_at_idx"),
            models.Index(fields=["address", "at"], name="loginfailure_address_at_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.address or ''}"


class LoginLock(models.Model):
    """Sign-in refused for a username or an address until `until`, or until lifted."""

    class Scope(models.TextChoices):
        USER = "user", _("Username")
        ADDRESS = "address", _("Address")

    scope = models.CharField(_("applies to"), max_length=10, choices=Scope.choices)
    key = models.CharField(_("username or address"), max_length=150)
    created_at = models.DateTimeField(_("locked at"), default=timezone.now)
    until = models.DateTimeField(_("locked until"))
    failures = models.PositiveIntegerField(_("failed attempts"))
    lifted_at = models.DateTimeField(_("unlocked at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unlocked by"),
    )

    class Meta:
        verbose_name = _("sign-in lock")
        verbose_name_plural = _("sign-in locks")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["scope", "key", "until"], name="loginlock_key_until_idx")]

    def __str__(self):
        return f"{self.get_scope_display()} {self.key}"

    def is_active(self, now=None) -> bool:
        return self.lifted_at is None and self.until > (now or timezone.now())

"""Writes for accounts: operators, memberships, groups, two-step verification, sign-in
lockout, sessions, passwords.

Every function is keyword-only and atomic, and writes its audit event (the operator is
the audited instance) in the same transaction.
"""

import datetime
import hashlib
import hmac
import secrets

import pyotp
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.audit.actions import AuditAction
from crocevia.audit.rows import row_create, row_delete, row_state, row_update, split_values
from crocevia.audit.services import audit_change, creation_changes

from .lockout import normalise_username
from .models import (
    LoginFailure,
    LoginLock,
    Membership,
    RecoveryCode,
    SecuritySettings,
    TwoFactorDevice,
    User,
)

TOTP_STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: recovery codes are copied from paper.
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


# --- two-step verification -------------------------------------------------------------


def two_factor_new_secret() -> str:
    """A fresh 160-bit base32 secret (RFC 4226 recommends at least 128 bits)."""
    return pyotp.random_base32(length=32)


def two_factor_provisioning_uri(*, user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="Crocevia")


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").casefold() if ch.isalnum())


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(_normalise_code(code).encode()).hexdigest()


def _matching_step(*, secret: str, code: str, after_step: int, now: datetime.datetime):
    """The time step whose code is `code` (one step of clock drift either way), if later
    than `after_step`: a code already used is refused even within its 30 seconds."""
    code = _normalise_code(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _new_recovery_codes(device: TwoFactorDevice) -> list[str]:
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, code_hash=_recovery_hash(code)) for code in codes
    )
    return codes


@transaction.atomic
def two_factor_enrol(*, user: User, secret: str, code: str) -> list[str]:
    """Activate the authenticator app whose first code is `code`; return the recovery
    codes, in clear for the only time (only their hashes are kept)."""
    if TwoFactorDevice.objects.filter(user=user).exists():
        raise ValidationError(_("Two-step verification is already active."), code="exists")
    now = timezone.now()
    step = _matching_step(secret=secret, code=code, after_step=0, now=now)
    if step is None:
        raise ValidationError(
            _("This code is not the one the app shows: check the phone's clock and try again."),
            code="wrong_code",
        )
    device = TwoFactorDevice.objects.create(
        user=user, secret=secret, confirmed_at=now, last_step=step
    )
    codes = _new_recovery_codes(device)
    audit_change(
        actor=user,
        action=AuditAction.TWO_FACTOR_ENROL,
        instance=user,
        changes={"two_factor": [False, True]},
    )
    return codes


@transaction.atomic
def two_factor_verify(*, user: User, code: str) -> str | None:
    """Check the second step: a code of the app ("totp") or an unused recovery code
    ("recovery", then spent). None if neither."""
    device = TwoFactorDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        return None
    step = _matching_step(
        secret=device.secret, code=code, after_step=device.last_step, now=timezone.now()
    )
    if step is not None:
        device.last_step = step
        device.save(update_fields=["last_step"])
        return "totp"
    spent = RecoveryCode.objects.filter(
        device=device, code_hash=_recovery_hash(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    if not spent:
        return None
    remaining = device.recovery_codes.filter(used_at__isnull=True).count()
    audit_change(
        actor=user,
        action=AuditAction.TWO_FACTOR_USE_RECOVERY_CODE,
        instance=user,
        changes={"recovery_codes_left": [remaining + 1, remaining]},
    )
    return "recovery"


@transaction.atomic
def two_factor_reset(*, user: User, actor) -> bool:
    """Remove an operator's two-step verification (lost phone): they enrol again at their
    next sign-in if it is required. Their open sessions end. False if there was none."""
    deleted, _per_model = TwoFactorDevice.objects.filter(user=user).delete()
    if not deleted:
        return False
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    audit_change(
        actor=actor,
        action=AuditAction.TWO_FACTOR_RESET,
        instance=user,
        changes={"two_factor": [True, False]},
    )
    return True


def two_factor_required() -> bool:
    return SecuritySettings.load().require_two_factor


@transaction.atomic
def security_settings_update(*, actor, require_two_factor: bool) -> SecuritySettings:
    row = SecuritySettings.objects.select_for_update().get_or_create(pk=1)[0]
    if row.require_two_factor != require_two_factor:
        audit_change(
            actor=actor,
            action=AuditAction.SECURITY_SETTINGS_UPDATE,
            instance=row,
            changes={"require_two_factor": [row.require_two_factor, require_two_factor]},
        )
        row.require_two_factor = require_two_factor
        row.save(update_fields=["require_two_factor"])
    return row


# --- sessions and passwords ------------------------------------------------------------


@transaction.atomic
def sessions_revoke(*, user: User, actor) -> None:
    """End every session of `user`, on every device (the current one included)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    audit_change(actor=actor, action=AuditAction.SESSIONS_REVOKE, instance=user, changes={})


@transaction.atomic
def password_change(*, user: User, password: str) -> None:
    """Set a new password (already validated by the form). Other sessions end, since the
    session hash covers the password hash; the caller keeps the current one."""
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_change(actor=user, action=AuditAction.PASSWORD_CHANGE, instance=user, changes={})


# --- sign-in lockout -------------------------------------------------------------------


def _window_start(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(minutes=settings.CROCEVIA_LOGIN_FAILURE_WINDOW_MINUTES)


def _lock(*, scope: str, key: str, failures: int, now: datetime.datetime) -> LoginLock:
    lock = LoginLock.objects.create(
        scope=scope,
        key=key,
        created_at=now,
        until=now + datetime.timedelta(minutes=settings.CROCEVIA_LOGIN_LOCK_MINUTES),
        failures=failures,
    )
    audit_change(
        actor=None,
        action=AuditAction.SIGN_IN_LOCK,
        instance=lock,
        changes={"scope": [None, scope], "key": [None, key], "failures": [None, failures]},
    )
    return lock


@transaction.atomic
def login_failure_record(*, username: str, address: str | None) -> LoginLock | None:
    """Count a refused sign-in (wrong password or wrong second-step code). Returns the
    lock it triggered, if it was the one too many for the username or the address."""
    now = timezone.now()
    key = normalise_username(username)
    LoginFailure.objects.create(at=now, username=key, address=address)
    since = _window_start(now)
    lock = None
    user_failures = LoginFailure.objects.filter(username=key, at__gte=since, counts_for_user=True)
    count = user_failures.count()
    if count >= settings.CROCEVIA_LOGIN_MAX_FAILURES_USER:
        # The failures that led to a lock are spent: after it, counting starts afresh.
        LoginFailure.objects.filter(username=key, counts_for_user=True).update(
            counts_for_user=False
        )
        lock = _lock(scope=LoginLock.Scope.USER, key=key, failures=count, now=now)
    if address:
        count = LoginFailure.objects.filter(
            address=address, at__gte=since, counts_for_address=True
        ).count()
        if count >= settings.CROCEVIA_LOGIN_MAX_FAILURES_ADDRESS:
            LoginFailure.objects.filter(address=address, counts_for_address=True).update(
                counts_for_address=False
            )
            lock = _lock(scope=LoginLock.Scope.ADDRESS, key=address, failures=count, now=now)
    return lock


def login_success_record(*, username: str) -> None:
    """A complete sign-in resets the username's count (not the address's: an attacker
    must not be able to reset it with an account of their own)."""
    LoginFailure.objects.filter(username=normalise_username(username), counts_for_user=True).update(
        counts_for_user=False
    )


@transaction.atomic
def login_unlock(*, actor, username: str = "", address: str = "") -> int:
    """Lift the active locks of a username or of an address and reset its count.
    Returns how many locks were lifted."""
    now = timezone.now()
    if bool(username) == bool(address):
        raise ValueError("Give a username or an address.")
    if username:
        scope, key = LoginLock.Scope.USER, normalise_username(username)
        LoginFailure.objects.filter(username=key, counts_for_user=True).update(
            counts_for_user=False
        )
    else:
        scope, key = LoginLock.Scope.ADDRESS, address
        LoginFailure.objects.filter(address=address, counts_for_address=True).update(
            counts_for_address=False
        )
    locks = list(
        LoginLock.objects.select_for_update().filter(
            scope=scope, key=key, lifted_at__isnull=True, until__gt=now
        )
    )
    for lock in locks:
        lock.lifted_at = now
        lock.lifted_by = actor
        lock.save(update_fields=["lifted_at", "lifted_by"])
        audit_change(
            actor=actor,
            action=AuditAction.SIGN_IN_UNLOCK,
            instance=lock,
            changes={"lifted_at": [None, now.isoformat()]},
        )
    return len(locks)


# --- operators, memberships, groups (the administration) -------------------------------

USER_FIELDS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
    "date_joined",
]
USER_LINKS = ["groups", "user_permissions"]
MEMBERSHIP_FIELDS = ["user", "organisation", "profile", "active"]
MEMBERSHIP_LINKS = ["desks"]
GROUP_FIELDS = ["name"]
GROUP_LINKS = ["permissions"]
# What only a superuser may give or take away: the other administrators' own powers.
SUPERUSER_ONLY = ("is_superuser", "user_permissions", "groups")


def username_check(*, username: str, exclude_pk=None) -> None:
    """Refuse a username another operator has, in any case (also checked by the forms)."""
    # Usernames are compared case-folded at sign-in (lockout.normalise_username).
    taken = User.objects.filter(username__iexact=username).exclude(pk=exclude_pk)
    if username and taken.exists():
        raise ValidationError(
            {"username": _("A user with that username already exists.")}, code="unique"
        )


def _check_powers(*, actor, user: User | None, values: dict) -> None:
    if actor is None or actor.is_superuser:
        return
    if user is not None and user.is_superuser:
        raise ValidationError(
            _("Only a superuser may change a superuser's account."), code="superuser_only"
        )
    for name in SUPERUSER_ONLY:
        if name not in values:
            continue
        if name in USER_LINKS:
            current = set(getattr(user, name).all()) if user else set()
            unchanged = set(values[name]) == current
        else:
            unchanged = bool(values[name]) == bool(user and getattr(user, name))
        if not unchanged:
            raise ValidationError(
                {name: _("Only a superuser may change this.")}, code="superuser_only"
            )


@transaction.atomic
def user_create(*, actor, password: str | None = None, **values) -> User:
    """A new operator. `password` None leaves them without one (unusable) until it is set;
    the event records whether a password was set, never the password or its hash."""
    username_check(username=values.get("username", ""))
    _check_powers(actor=actor, user=None, values=values)
    plain, links = split_values(values, USER_FIELDS, USER_LINKS)
    user = User(**plain)
    user.set_password(password)
    user.full_clean()
    user.save()
    for name, objects in links.items():
        getattr(user, name).set(objects)
    changes = creation_changes(row_state(user, USER_FIELDS, USER_LINKS))
    changes["usable_password"] = [None, user.has_usable_password()]
    audit_change(actor=actor, action=AuditAction.USER_CREATE, instance=user, changes=changes)
    return user


@transaction.atomic
def user_update(*, actor, user: User, **values) -> bool:
    """Change an operator's names, e-mail, status (active, staff, superuser), groups and
    permissions. Only a superuser changes superuser status, groups and permissions.
    True if something changed."""
    if "username" in values:
        username_check(username=values["username"], exclude_pk=user.pk)
    _check_powers(actor=actor, user=User.objects.get(pk=user.pk), values=values)
    return row_update(
        actor=actor,
        instance=user,
        action=AuditAction.USER_UPDATE,
        fields=USER_FIELDS,
        values=values,
        m2m=USER_LINKS,
    )


@transaction.atomic
def user_password_set(*, actor, user: User, password: str | None) -> None:
    """Set an operator's password (validated by the form), or none (None: sign-in with a
    password disabled). Their sessions end. The event never holds the password."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    _check_powers(actor=actor, user=locked, values={})
    was_usable = locked.has_usable_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    changes = {}
    if was_usable != user.has_usable_password():
        changes["usable_password"] = [was_usable, user.has_usable_password()]
    audit_change(actor=actor, action=AuditAction.PASSWORD_SET, instance=user, changes=changes)


def _check_membership(values: dict, membership: Membership | None = None) -> None:
    organisation = values.get("organisation", membership and membership.organisation)
    desks = values.get("desks")
    if desks is None and membership is not None:
        desks = list(membership.desks.all())
    foreign = [d for d in desks or () if d.organisation_id != getattr(organisation, "pk", None)]
    if foreign:
        raise ValidationError(
            {"desks": _("A membership's desks must belong to its organisation.")},
            code="foreign_desk",
        )


def membership_check(*, organisation, desks) -> None:
    """The rule a form checks before saving: the desks belong to the organisation."""
    _check_membership({"organisation": organisation, "desks": list(desks)})


@transaction.atomic
def membership_create(*, actor, user: User, organisation, profile: str, desks=(), active=True):
    """Give an operator a profile in an organisation (and desks of it): this decides what
    they see."""
    values = {
        "user": user,
        "organisation": organisation,
        "profile": profile,
        "active": active,
        "desks": list(desks),
    }
    _check_membership(values)
    return row_create(
        actor=actor,
        model=Membership,
        action=AuditAction.MEMBERSHIP_CREATE,
        fields=MEMBERSHIP_FIELDS,
        values=values,
        m2m=MEMBERSHIP_LINKS,
    )


@transaction.atomic
def membership_update(*, actor, membership: Membership, **values) -> bool:
    """Change a membership's organisation, profile, desks or active flag. The operator
    it belongs to never changes. True if something changed."""
    if "user" in values and values["user"].pk != membership.user_id:
        raise ValidationError(
            {"user": _("A membership cannot be moved to another operator.")}, code="user"
        )
    values.pop("user", None)
    current = Membership.objects.get(pk=membership.pk)
    _check_membership(values, current)
    return row_update(
        actor=actor,
        instance=membership,
        action=AuditAction.MEMBERSHIP_UPDATE,
        fields=MEMBERSHIP_FIELDS,
        values=values,
        m2m=MEMBERSHIP_LINKS,
    )


@transaction.atomic
def membership_end(*, actor, membership: Membership) -> bool:
    """End a membership (kept, inactive: the trail names it). False if already ended."""
    return row_update(
        actor=actor,
        instance=membership,
        action=AuditAction.MEMBERSHIP_END,
        fields=MEMBERSHIP_FIELDS,
        values={"active": False},
    )


def _check_group_powers(actor) -> None:
    if actor is not None and not actor.is_superuser:
        raise ValidationError(_("Only a superuser may change this."), code="superuser_only")


@transaction.atomic
def group_create(*, actor, name: str, permissions=()) -> Group:
    """A group of administration permissions (it grants what its permissions say)."""
    _check_group_powers(actor)
    return row_create(
        actor=actor,
        model=Group,
        action=AuditAction.GROUP_CREATE,
        fields=GROUP_FIELDS,
        values={"name": name, "permissions": list(permissions)},
        m2m=GROUP_LINKS,
    )


@transaction.atomic
def group_update(*, actor, group: Group, **values) -> bool:
    _check_group_powers(actor)
    return row_update(
        actor=actor,
        instance=group,
        action=AuditAction.GROUP_UPDATE,
        fields=GROUP_FIELDS,
        values=values,
        m2m=GROUP_LINKS,
    )


@transaction.atomic
def group_delete(*, actor, group: Group) -> None:
    """Delete a group; its operators lose what it granted (the event lists them)."""
    _check_group_powers(actor)
    # The reverse link too: the event says whose powers the deletion took away.
    row_delete(
        actor=actor,
        instance=group,
        action=AuditAction.GROUP_DELETE,
        fields=GROUP_FIELDS,
        m2m=[*GROUP_LINKS, "user_set"],
    )

"""Reads for the sign-in lockout: the client's address and whether sign-in is locked.

The counts and locks live in tables (LoginFailure, LoginLock), not in the cache: they
survive a restart, are the same for every worker, and an administrator can see them.
The writes are in services.py.
"""

import ipaddress

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext

from .models import LoginLock


def normalise_username(username: str) -> str:
    return (username or "").strip().casefold()[:150]


def client_address(request) -> str | None:
    """The client's IP address: REMOTE_ADDR, or behind N trusted proxies (setting
    CROCEVIA_TRUSTED_PROXIES) the N-th address from the right of X-Forwarded-For, the one
    the outermost trusted proxy saw. Addresses further left are the client's own claim."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.CROCEVIA_TRUSTED_PROXIES
    candidate = remote
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except (TypeError, ValueError):
        try:
            return str(ipaddress.ip_address(remote))
        except (TypeError, ValueError):
            return None


def active_lock(*, username: str, address: str | None) -> LoginLock | None:
    """The lock that refuses this sign-in now, if any (by username or by address)."""
    match = Q(scope=LoginLock.Scope.USER, key=normalise_username(username))
    if address:
        match |= Q(scope=LoginLock.Scope.ADDRESS, key=address)
    return (
        LoginLock.objects.filter(match, lifted_at__isnull=True, until__gt=timezone.now())
        .order_by("-until")
        .first()
    )


def locked_message() -> str:
    # The same words for a username lock and an address lock, for real and unknown
    # usernames alike: nothing here tells an attacker which usernames exist.
    minutes = settings.CROCEVIA_LOGIN_LOCK_MINUTES
    return ngettext(
        "Too many failed sign-in attempts: signing in is suspended. Try again in "
        "%(minutes)d minute or ask an administrator to unlock it.",
        "Too many failed sign-in attempts: signing in is suspended. Try again in "
        "%(minutes)d minutes or ask an administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}

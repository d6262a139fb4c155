from django import template

from crocevia.desk.access import contact_is_shared_with, contact_is_writable_by

register = template.Library()


@register.filter
def writable_by(contact, user) -> bool:
    """{% if contact|writable_by:user %}: no query per row (memberships are cached)."""
    return contact_is_writable_by(user, contact)


@register.filter
def shared_with(contact, user) -> bool:
    """{% if contact|shared_with:user %}: read under an agreement only (no query)."""
    return contact_is_shared_with(user, contact)

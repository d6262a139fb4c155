from django import template

from crocevia.desk.access import contact_is_writable_by

register = template.Library()


@register.filter
def writable_by(contact, user) -> bool:
    """{% if contact|writable_by:user %}: no query per row (memberships are cached)."""
    return contact_is_writable_by(user, contact)

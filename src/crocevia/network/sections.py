"""What the apps above the network add to its pages.

The organisation page shows the programmes the organisation takes part in; the zone page
the LEP obligations met by the cases of the zone (active teams, interventions for the
households assessed). Programmes, cases and interventions sit above network (DESIGN.md,
"Layers") and cannot be imported here, so each registers its section when it loads (its
AppConfig.ready). No model is imported here: an app's apps.py imports this module at its
top.
"""

from collections.abc import Callable

# {template: function(user, organisation) -> the template's context}, in registration order
_ORGANISATION_SECTIONS: dict[str, Callable] = {}


def register_organisation_section(template: str, context: Callable) -> None:
    """Show `template` at the end of the organisation page, rendered with the page's
    context plus `context(user, organisation)` (a dict)."""
    _ORGANISATION_SECTIONS[template] = context


def organisation_sections(user, organisation) -> tuple[list[str], dict]:
    """The templates registered for the organisation page and the context they add."""
    templates, context = [], {}
    for template, section_context in _ORGANISATION_SECTIONS.items():
        templates.append(template)
        context.update(section_context(user, organisation))
    return templates, context


# {template: function(user, zone) -> the template's context}, in registration order
_ZONE_SECTIONS: dict[str, Callable] = {}


def register_zone_section(template: str, context: Callable) -> None:
    """Show `template` on the zone page after its LEP norms, rendered with the page's
    context plus `context(user, zone)` (a dict). The zone page is read by those who see
    its figures (network.selectors.zone_ids_visible_to): a section shows counts, never a
    person."""
    _ZONE_SECTIONS[template] = context


def zone_sections(user, zone) -> tuple[list[str], dict]:
    """The templates registered for the zone page and the context they add."""
    templates, context = [], {}
    for template, section_context in _ZONE_SECTIONS.items():
        templates.append(template)
        context.update(section_context(user, zone))
    return templates, context

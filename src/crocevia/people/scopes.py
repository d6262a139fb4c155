"""What the apps above people tell it: who may see a person, and what the person page shows.

people sits below desk and cases (DESIGN.md, "Layers") and cannot import their models or
selectors, so those apps register here when they load (their AppConfig.ready):

- the rows of theirs a user may see, for the counts people shows: the compare page of two
  records (people.comparison) counts what each holds that a merge moves (contacts,
  referrals, cases...), and a coordinator may count only those they may see. The rows of
  an app that registered nothing are counted as not visible (to anyone but an
  administrator): an app vouches for what its users may see;
- the grounds on which an operator sees a person (a contact at their desks, a referral to
  their organisation, a place on a case's team), for `selectors.persons_visible_to`;
- what makes a person one of a zone's (a contact at its desks, a case of the zone), for
  `selectors.persons_of_zones`;
- what makes a person one of an organisation's (a contact at its desks, a case of its),
  for the persons an agreement shares (`selectors.persons_visible_to`, network.sharing);
- the sections of the person page (contacts, referrals).

No model is imported here: an app's apps.py imports this module at its top.
"""

from collections.abc import Callable

# {model label: function(user) -> QuerySet of the rows of that model the user may see}
_VISIBLE_ROWS: dict[str, Callable] = {}
# {name: function(user) -> a condition on Person (Q or Exists): the user sees those persons}
_PERSON_GROUNDS: dict[str, Callable] = {}
# {name: function(zone ids) -> a condition on Person: the persons belong to those zones}
_ZONE_GROUNDS: dict[str, Callable] = {}
# {name: function(organisation ids) -> a condition on Person: the persons are theirs}
_ORGANISATION_GROUNDS: dict[str, Callable] = {}
# {template: function(user, person) -> the template's context}, in registration order
_PERSON_SECTIONS: dict[str, Callable] = {}


def register_visible_rows(label: str, rows_visible_to: Callable) -> None:
    """Count only `rows_visible_to(user)` of the model `label` ("cases.case") where people
    shows a user how many rows a person has."""
    _VISIBLE_ROWS[label] = rows_visible_to


def visible_rows(label: str) -> Callable | None:
    """The function registered for the model `label`, or None."""
    return _VISIBLE_ROWS.get(label)


def register_person_grounds(name: str, persons_seen_by: Callable) -> None:
    """An operator also sees the persons matching `persons_seen_by(user)`, a condition on
    Person (an Exists on the app's rows, with OuterRef("pk") for the person)."""
    _PERSON_GROUNDS[name] = persons_seen_by


def person_grounds(user) -> list:
    """The registered conditions on Person for `user`, in registration order."""
    return [persons_seen_by(user) for persons_seen_by in _PERSON_GROUNDS.values()]


def register_zone_grounds(name: str, persons_of: Callable) -> None:
    """A person also belongs to the zones `zone_ids` when `persons_of(zone_ids)`, a
    condition on Person, matches them."""
    _ZONE_GROUNDS[name] = persons_of


def zone_grounds(zone_ids) -> list:
    """The registered conditions on Person for the zones `zone_ids`, in registration order."""
    return [persons_of(zone_ids) for persons_of in _ZONE_GROUNDS.values()]


def register_organisation_grounds(name: str, persons_of: Callable) -> None:
    """A person is also one of the organisations `organisation_ids` when
    `persons_of(organisation_ids)`, a condition on Person, matches them."""
    _ORGANISATION_GROUNDS[name] = persons_of


def organisation_grounds(organisation_ids) -> list:
    """The registered conditions on Person for the organisations, in registration order."""
    return [persons_of(organisation_ids) for persons_of in _ORGANISATION_GROUNDS.values()]


def register_person_section(template: str, context: Callable) -> None:
    """Show `template` at the end of the person page, rendered with the page's context
    plus `context(user, person)` (a dict)."""
    _PERSON_SECTIONS[template] = context


def person_sections(user, person) -> tuple[list[str], dict]:
    """The templates registered for the person page and the context they add."""
    templates, context = [], {}
    for template, section_context in _PERSON_SECTIONS.items():
        templates.append(template)
        context.update(section_context(user, person))
    return templates, context

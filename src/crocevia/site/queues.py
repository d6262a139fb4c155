"""The work queues: every list of what waits for an operator, one registry.

Each queue names the profiles it is for, reads its rows through its app's selector (scoped
to the user), and says how to filter, order, show and export them. The queue page
(site.views.queue), its export and the home page's counts all read this registry, so a
queue is defined once. Rows are read with everything their columns show in the same
query: a page costs the same number of queries for 1 row or 50.

- referrals to the user's organisations, still to answer or to complete;
- pre-assessments to do: the visible cases still "referred";
- cases without a case manager (coordinators: their zones);
- plans to validate (coordinators: their zones);
- reviews due and overdue, plan actions due, interventions to start, open LEP
  obligations: of the cases the user manages (their zones' for a coordinator); plan
  actions also where the user is the one responsible;
- residence permits expiring within 60 days, of the persons the user may see.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import profiles
from crocevia.cases.models import Priority
from crocevia.cases.selectors import (
    cases_without_manager,
    preassessments_to_do,
    reviews_due,
)
from crocevia.desk.models import Referral
from crocevia.desk.referral_selectors import referrals_waiting
from crocevia.desk.referrals import answer_due_before
from crocevia.interventions.lep import missing_text
from crocevia.interventions.selectors import interventions_to_start, lep_obligations_open
from crocevia.people.selectors import permits_expiring
from crocevia.plans.selectors import actions_due, plans_to_validate

# How far ahead the queues of what is due look (days from today).
DUE_AHEAD_DAYS = 30
INTERVENTIONS_AHEAD_DAYS = 14
PERMITS_AHEAD_DAYS = 60
# Waiting for a pre-assessment longer than this is late (the filter "waiting long").
PREASSESSMENT_LATE_DAYS = 30

# Who works on cases (their reviews, actions, interventions); who registers and follows
# persons at the desks.
CASE_WORKERS = frozenset(
    {
        Profile.SOCIAL_WORKER,
        Profile.CPI_CONSULTANT,
        Profile.EDUCATOR,
        Profile.TUTOR,
        Profile.CULTURAL_MEDIATOR,
        Profile.LABOUR_POLICY_EXPERT,
        Profile.COORDINATOR,
    }
)
NAMED_PROFILES = frozenset(Profile.values) - {Profile.MONITORING_OFFICER}


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@dataclass(frozen=True)
class Column:
    label: Any  # a lazy text
    value: Callable[[Any], Any]  # the row's value: text, number, date or None
    # The column names the row's person or object: the cell links to the row's page.
    link: bool = False


@dataclass(frozen=True)
class Choice:
    value: str
    label: Any
    # The condition on the queue's rows, given today.
    condition: Callable[[datetime.date], Q]


@dataclass(frozen=True)
class Filter:
    """A GET parameter narrowing a queue to the rows of one of its choices."""

    name: str
    label: Any
    all_label: Any
    choices: tuple[Choice, ...]

    def apply(self, queryset: QuerySet, value: str, today: datetime.date) -> QuerySet:
        for choice in self.choices:
            if choice.value == value:
                return queryset.filter(choice.condition(today))
        return queryset


@dataclass(frozen=True)
class Ordering:
    value: str
    label: Any
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Queue:
    code: str  # the URL's last part, Italian (da-fare/<code>/) and its export's file name
    url_name: str  # in the "queues" namespace
    title: Any
    description: Any
    empty: Any  # what the page says when no row matches
    profiles: frozenset
    # The rows the user may see in this queue (today given), their columns' objects
    # selected in the same query.
    rows: Callable[[Any, datetime.date], QuerySet]
    columns: tuple[Column, ...]
    link: Callable[[Any], str]  # the page of a row
    person_path: str  # the lookup of the row's person id ("case__person_id")
    filters: tuple[Filter, ...] = ()
    orderings: tuple[Ordering, ...] = ()  # the first is the default
    # Rows are flagged late (a badge on the page) by this, if given.
    late: Callable[[Any, datetime.date], bool] | None = field(default=None)

    def is_for(self, user) -> bool:
        """The queue is among the user's: one of their profiles (administrators: all).
        Monitoring officers have none: every queue names persons."""
        if not user.is_authenticated or not user.is_active:
            return False
        return user.is_superuser or bool(self.profiles & profiles(user))

    def person_id(self, row) -> int | None:
        return reduce(lambda value, name: getattr(value, name), self.person_path.split("__"), row)

    def ordering(self, value: str) -> Ordering:
        return next((o for o in self.orderings if o.value == value), self.orderings[0])

    def listed(self, user, *, today: datetime.date, filters: dict, order: str) -> QuerySet:
        """The queue's rows for `user`, filtered (`filters`: name -> chosen value) and
        ordered (`order`: an Ordering's value; the default when unknown)."""
        queryset = self.rows(user, today)
        for queue_filter in self.filters:
            queryset = queue_filter.apply(queryset, filters.get(queue_filter.name, ""), today)
        return queryset.order_by(*self.ordering(order).fields)

    def count(self, user, *, today: datetime.date) -> int:
        return self.rows(user, today).order_by().count()


def _percent(text, **values):
    """`text % values`, translated when shown (a lazy text's `%` would translate it now,
    at import, in no language)."""
    return lazy(lambda: str(text) % values, str)()


def _person(path: Callable[[Any], Any]) -> Column:
    return Column(_("Person"), lambda row: path(row).full_name, link=True)


def _priority_filter(lookup: str) -> Filter:
    return Filter(
        name="priorita",
        label=_("Access priority"),
        all_label=_("Any priority"),
        choices=tuple(
            Choice(str(value), label, lambda today, value=value: Q(**{lookup: value}))
            for value, label in Priority.choices
        ),
    )


def _by_priority(priority: str, age: str) -> tuple[Ordering, ...]:
    """Priority then oldest first (the default), oldest first, newest first."""
    return (
        Ordering("priorita", _("Priority, then oldest first"), (priority, age, "pk")),
        Ordering("meno-recenti", _("Oldest first"), (age, "pk")),
        Ordering("piu-recenti", _("Newest first"), (f"-{age}", "-pk")),
    )


def _due_filter(lookup: str, *, ahead: int) -> Filter:
    """Overdue (before today), or due from today to a few days ahead."""
    windows = [7, ahead] if ahead > 7 else [ahead]
    return Filter(
        name="scadenza",
        label=_("When"),
        all_label=_("Overdue and due soon"),
        choices=(
            Choice("scaduti", _("Overdue"), lambda today: Q(**{f"{lookup}__lt": today})),
            *(
                Choice(
                    f"entro-{days}",
                    _percent(_("Due within %(days)s days"), days=days),
                    lambda today, days=days: Q(
                        **{f"{lookup}__gte": today, f"{lookup}__lte": today + _days(days)}
                    ),
                )
                for days in windows
            ),
        ),
    )


# --- the queues -------------------------------------------------------------------------------


def _referrals(user, today):
    return referrals_waiting(user).select_related(
        "person", "from_organisation", "to_organisation", "sent_by", "case"
    )


def _referral_overdue(referral, today) -> bool:
    return referral.state == Referral.State.SENT and referral.sent_on < answer_due_before(today)


REFERRALS = Queue(
    code="invii",
    url_name="referrals",
    title=_("Referrals to your organisation"),
    description=_(
        "Referrals to your organisations waiting for an answer, or accepted and still to "
        "complete. Answers are overdue after the working days the network agreed."
    ),
    empty=_("No referral to your organisations waits for an answer or its completion."),
    profiles=NAMED_PROFILES,
    rows=_referrals,
    columns=(
        Column(_("Sent on"), lambda r: r.sent_on),
        _person(lambda r: r.person),
        Column(_("From"), lambda r: r.from_organisation.name),
        Column(_("To"), lambda r: r.receiver_label),
        Column(_("Reason"), lambda r: Truncator(r.reason).words(20) or None),
        Column(_("State"), lambda r: r.get_state_display()),
    ),
    link=lambda r: reverse("desk:referral_detail", args=[r.pk]),
    person_path="person_id",
    filters=(
        Filter(
            name="stato",
            label=_("State"),
            all_label=_("Waiting or accepted"),
            choices=(
                Choice(
                    "scaduti",
                    _("Answer overdue"),
                    lambda today: Q(
                        state=Referral.State.SENT, sent_on__lt=answer_due_before(today)
                    ),
                ),
                Choice(
                    "inviati", _("Waiting for an answer"), lambda t: Q(state=Referral.State.SENT)
                ),
                Choice(
                    "accettati",
                    _("Accepted, to complete"),
                    lambda t: Q(state=Referral.State.ACCEPTED),
                ),
            ),
        ),
    ),
    # Waiting for an answer first (the overdue ones are the oldest of them), then the
    # accepted ones; referrals carry no priority of their own.
    orderings=(
        Ordering("priorita", _("Waiting first, oldest on top"), ("-state", "sent_on", "pk")),
        Ordering("meno-recenti", _("Oldest first"), ("sent_on", "pk")),
        Ordering("piu-recenti", _("Newest first"), ("-sent_on", "-pk")),
    ),
    late=_referral_overdue,
)


def _preassessments(user, today):
    return preassessments_to_do(user).select_related("person", "organisation")


PREASSESSMENTS = Queue(
    code="analisi-preliminari",
    url_name="preassessments",
    title=_("Pre-assessments to do"),
    description=_("Cases referred and still waiting for their pre-assessment."),
    empty=_("No case waits for its pre-assessment."),
    profiles=frozenset({Profile.SOCIAL_WORKER, Profile.COORDINATOR}),
    rows=_preassessments,
    columns=(
        Column(_("Case"), lambda c: c.pk),
        _person(lambda c: c.person),
        Column(_("Organisation"), lambda c: c.organisation.name),
        Column(_("Referred on"), lambda c: c.referred_on),
        Column(_("Access priority"), lambda c: c.get_priority_display()),
    ),
    link=lambda c: reverse("cases:detail", args=[c.pk]),
    person_path="person_id",
    filters=(
        _priority_filter("priority"),
        Filter(
            name="attesa",
            label=_("Waiting"),
            all_label=_("Any time"),
            choices=(
                Choice(
                    "lunga",
                    _percent(_("More than %(days)s days"), days=PREASSESSMENT_LATE_DAYS),
                    lambda today: Q(referred_on__lt=today - _days(PREASSESSMENT_LATE_DAYS)),
                ),
            ),
        ),
    ),
    orderings=_by_priority("priority", "referred_on"),
    late=lambda c, today: c.referred_on < today - _days(PREASSESSMENT_LATE_DAYS),
)


def _without_manager(user, today):
    return cases_without_manager(user).select_related("person", "organisation")


MANAGERS = Queue(
    code="responsabili-da-nominare",
    url_name="managers",
    title=_("Cases without a case manager"),
    description=_(
        "Complex cases pre-assessed, whose team cannot form without a case manager, and "
        "cases past team formation whose case manager is to be appointed."
    ),
    empty=_("Every case that needs a case manager has one."),
    profiles=frozenset({Profile.COORDINATOR}),
    rows=_without_manager,
    columns=(
        Column(_("Case"), lambda c: c.pk),
        _person(lambda c: c.person),
        Column(_("Organisation"), lambda c: c.organisation.name),
        Column(_("Stage"), lambda c: c.get_stage_display()),
        Column(_("Pre-assessed on"), lambda c: c.preassessed_on),
        Column(_("Access priority"), lambda c: c.get_priority_display()),
    ),
    link=lambda c: reverse("cases:detail", args=[c.pk]) + "#team",
    person_path="person_id",
    filters=(_priority_filter("priority"),),
    orderings=_by_priority("priority", "preassessed_on"),
)


def _plans(user, today):
    return plans_to_validate(user).select_related("plan__case__organisation")


PLANS = Queue(
    code="progetti-da-validare",
    url_name="plans",
    title=_("Plans to validate"),
    description=_("Plans submitted to the coordination group for validation."),
    empty=_("No plan waits for validation."),
    profiles=frozenset({Profile.COORDINATOR}),
    rows=_plans,
    columns=(
        Column(_("Case"), lambda v: v.plan.case_id),
        _person(lambda v: v.plan.case.person),
        Column(_("Case manager"), lambda v: str(v.plan.case.case_manager or "") or None),
        Column(_("Version"), lambda v: v.number),
        Column(_("Submitted on"), lambda v: v.submitted_on),
        Column(_("Access priority"), lambda v: v.plan.case.get_priority_display()),
    ),
    link=lambda v: reverse("plans:validate", args=[v.plan_id]),
    person_path="plan__case__person_id",
    filters=(_priority_filter("plan__case__priority"),),
    orderings=_by_priority("plan__case__priority", "submitted_on"),
)


def _reviews(user, today):
    return reviews_due(user, until=today + _days(DUE_AHEAD_DAYS)).select_related(
        "case__person", "case__case_manager"
    )


REVIEWS = Queue(
    code="verifiche",
    url_name="reviews",
    title=_("Reviews due and overdue"),
    description=_percent(
        _(
            "Reviews not yet held, overdue or due within %(days)s days, of the cases you "
            "manage (of your zones, for a coordinator)."
        ),
        days=DUE_AHEAD_DAYS,
    ),
    empty=_("No review is overdue or due soon."),
    profiles=CASE_WORKERS,
    rows=_reviews,
    columns=(
        Column(_("Case"), lambda r: r.case_id),
        _person(lambda r: r.case.person),
        Column(_("Kind"), lambda r: r.get_kind_display()),
        Column(_("Scheduled on"), lambda r: r.scheduled_on),
        Column(_("Case manager"), lambda r: str(r.case.case_manager or "") or None),
        Column(_("Access priority"), lambda r: r.case.get_priority_display()),
    ),
    link=lambda r: reverse("cases:detail", args=[r.case_id]) + "#case-followup",
    person_path="case__person_id",
    filters=(_due_filter("scheduled_on", ahead=DUE_AHEAD_DAYS),),
    orderings=_by_priority("case__priority", "scheduled_on"),
    late=lambda r, today: r.scheduled_on < today,
)


def _actions(user, today):
    return actions_due(user, until=today + _days(DUE_AHEAD_DAYS)).select_related(
        "version__plan__case__person", "responsible_user", "responsible_organisation"
    )


ACTIONS = Queue(
    code="azioni",
    url_name="actions",
    title=_("Plan actions due"),
    description=_percent(
        _(
            "Actions of the plans not yet done, overdue or due within %(days)s days: those "
            "you are responsible for, and those of the cases you manage (of your zones, "
            "for a coordinator)."
        ),
        days=DUE_AHEAD_DAYS,
    ),
    empty=_("No plan action is overdue or due soon."),
    profiles=CASE_WORKERS | {Profile.PHYSICIAN},
    rows=_actions,
    columns=(
        Column(_("Case"), lambda a: a.version.plan.case_id),
        _person(lambda a: a.version.plan.case.person),
        Column(_("Action"), lambda a: Truncator(a.description).chars(80)),
        Column(
            _("Responsible"),
            lambda a: str(a.responsible_user or a.responsible_organisation or "") or None,
        ),
        Column(_("Due on"), lambda a: a.due_on),
        Column(_("Access priority"), lambda a: a.version.plan.case.get_priority_display()),
    ),
    link=lambda a: reverse("cases:detail", args=[a.version.plan.case_id]) + "#plan-section",
    person_path="version__plan__case__person_id",
    filters=(_due_filter("due_on", ahead=DUE_AHEAD_DAYS),),
    orderings=_by_priority("version__plan__case__priority", "due_on"),
    late=lambda a, today: a.due_on < today,
)


def _interventions(user, today):
    return interventions_to_start(
        user, until=today + _days(INTERVENTIONS_AHEAD_DAYS)
    ).select_related("case__person", "type", "provider")


INTERVENTIONS = Queue(
    code="interventi-da-avviare",
    url_name="interventions",
    title=_("Interventions to start"),
    description=_percent(
        _(
            "Interventions still planned whose start day has come or comes within "
            "%(days)s days, of the cases you manage (of your zones, for a coordinator)."
        ),
        days=INTERVENTIONS_AHEAD_DAYS,
    ),
    empty=_("No planned intervention is due to start."),
    profiles=CASE_WORKERS,
    rows=_interventions,
    columns=(
        Column(_("Case"), lambda i: i.case_id),
        _person(lambda i: i.case.person),
        Column(_("Intervention"), lambda i: i.type.name),
        Column(_("Provider"), lambda i: i.provider.name),
        Column(_("Starts on"), lambda i: i.starts_on),
        Column(_("Access priority"), lambda i: i.case.get_priority_display()),
    ),
    link=lambda i: reverse("cases:detail", args=[i.case_id]) + "#interventions-section",
    person_path="case__person_id",
    filters=(
        Filter(
            name="avvio",
            label=_("Start"),
            all_label=_("Started late or starting soon"),
            choices=(
                Choice("in-ritardo", _("Start day passed"), lambda today: Q(starts_on__lt=today)),
                Choice(
                    "prossimi",
                    _percent(_("Starting within %(days)s days"), days=INTERVENTIONS_AHEAD_DAYS),
                    lambda today: Q(starts_on__gte=today),
                ),
            ),
        ),
    ),
    orderings=_by_priority("case__priority", "starts_on"),
    late=lambda i, today: i.starts_on < today,
)


def _lep(user, today):
    return lep_obligations_open(user, on=today)


# The case manager meets the obligation (they start the intervention); the coordination
# group follows its zones' (the coordination page shows the same cases).
LEP = Queue(
    code="obblighi-lep",
    url_name="lep",
    title=_("Open LEP obligations"),
    description=_(
        "Open cases assessed as complex with no intervention started, or with a child under "
        "1,000 days and no parenting support started, of the cases you manage (of your "
        "zones, for a coordinator). A case leaves the list once the start is recorded."
    ),
    empty=_("No LEP obligation is open."),
    profiles=CASE_WORKERS,
    rows=_lep,
    columns=(
        Column(_("Case"), lambda c: c.pk),
        _person(lambda c: c.person),
        Column(_("What is missing"), missing_text),
        Column(_("Assessed on"), lambda c: c.assessed_on),
        Column(_("Case manager"), lambda c: str(c.case_manager or "") or None),
        Column(_("Access priority"), lambda c: c.get_priority_display()),
    ),
    link=lambda c: reverse("cases:detail", args=[c.pk]) + "#lep-section",
    person_path="person_id",
    filters=(
        Filter(
            name="mancante",
            label=_("What is missing"),
            all_label=_("Any open obligation"),
            choices=(
                Choice(
                    "intervento",
                    _("No intervention started"),
                    lambda today: Q(lep_no_intervention=True),
                ),
                Choice(
                    "genitorialita",
                    _("No parenting support started"),
                    lambda today: Q(lep_no_parenting=True),
                ),
            ),
        ),
    ),
    orderings=_by_priority("priority", "assessed_on"),
)


def _permits(user, today):
    return permits_expiring(user, since=today, until=today + _days(PERMITS_AHEAD_DAYS))


PERMITS = Queue(
    code="permessi-in-scadenza",
    url_name="permits",
    title=_("Residence permits expiring"),
    description=_percent(
        _("Residence permits of the persons you may see expiring within %(days)s days."),
        days=PERMITS_AHEAD_DAYS,
    ),
    empty=_("No residence permit expires within 60 days."),
    profiles=frozenset(
        {
            Profile.DESK_OPERATOR,
            Profile.SOCIAL_WORKER,
            Profile.CULTURAL_MEDIATOR,
            Profile.COORDINATOR,
        }
    ),
    rows=_permits,
    columns=(
        _person(lambda p: p),
        Column(_("Citizenship"), lambda p: p.citizenship.name or None),
        Column(_("Permit expires on"), lambda p: p.permit_expires_on),
    ),
    link=lambda p: reverse("people:detail", args=[p.pk]),
    person_path="pk",
    filters=(
        Filter(
            name="scadenza",
            label=_("Expires"),
            all_label=_percent(_("Within %(days)s days"), days=PERMITS_AHEAD_DAYS),
            choices=tuple(
                Choice(
                    f"entro-{days}",
                    _percent(_("Within %(days)s days"), days=days),
                    lambda today, days=days: Q(permit_expires_on__lte=today + _days(days)),
                )
                for days in (15, 30)
            ),
        ),
    ),
    # A permit has no priority: the soonest expiry first.
    orderings=(
        Ordering("priorita", _("Soonest expiry first"), ("permit_expires_on", "pk")),
        Ordering("piu-lontani", _("Latest expiry first"), ("-permit_expires_on", "-pk")),
    ),
)


QUEUES: tuple[Queue, ...] = (
    REFERRALS,
    PREASSESSMENTS,
    MANAGERS,
    PLANS,
    REVIEWS,
    ACTIONS,
    INTERVENTIONS,
    LEP,
    PERMITS,
)
BY_CODE = {queue.code: queue for queue in QUEUES}


def queues_for(user) -> list[Queue]:
    """The queues of the user's profiles, in the registry's order."""
    return [queue for queue in QUEUES if queue.is_for(user)]

"""Move each intervention's free-text funding to the budget action it names.

An intervention gets a budget action only when exactly one fits, looked for among the
actions of the programmes its case could use (the case's organisation takes part, or the
case is enrolled), then among all actions:
1. a programme's explicit record that one of its actions pays for it (FundedIntervention,
   when it names one action);
2. its text equal, accents, case and spacing aside, to an action's "code – title", title,
   "programme code action code", or to the code or name of a programme with one action,
   or to an action code unique among those candidates.
Otherwise the text stays in funding_legacy, shown on the case page: nothing is lost.
"""

import re
import unicodedata

from django.db import migrations


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[\s\-–—_:./]+", " ", text)
    return text.strip()


def _keys(action, programme, actions_in_programme: int) -> set[str]:
    keys = {
        fold(action.title),
        fold(f"{action.code} {action.title}"),
        fold(f"{programme.code} {action.code}"),
        fold(f"{programme.code} {action.code} {action.title}"),
    }
    if actions_in_programme == 1:
        keys |= {fold(programme.code), fold(programme.name)}
    return {k for k in keys if k}


def _match(text: str, candidates: list) -> object | None:
    key = fold(text)
    if not key:
        return None
    found = [a for a, keys in candidates if key in keys]
    if len(found) == 1:
        return found[0]
    if not found:
        by_code = [a for a, _keys_ in candidates if fold(a.code) == key]
        if len(by_code) == 1:
            return by_code[0]
    return None


def forwards(apps, schema_editor):
    Intervention = apps.get_model("interventions", "Intervention")
    BudgetAction = apps.get_model("programmes", "BudgetAction")
    Participation = apps.get_model("programmes", "Participation")
    Enrolment = apps.get_model("programmes", "Enrolment")
    FundedIntervention = apps.get_model("programmes", "FundedIntervention")

    actions = list(BudgetAction.objects.select_related("programme"))
    if not actions:
        return
    per_programme: dict[int, int] = {}
    for action in actions:
        per_programme[action.programme_id] = per_programme.get(action.programme_id, 0) + 1
    keyed = [(a, _keys(a, a.programme, per_programme[a.programme_id])) for a in actions]
    participants: dict[int, set[int]] = {}
    for programme_id, organisation_id in Participation.objects.values_list(
        "programme_id", "organisation_id"
    ):
        participants.setdefault(organisation_id, set()).add(programme_id)
    enrolled: dict[int, set[int]] = {}
    for programme_id, case_id in Enrolment.objects.values_list("programme_id", "case_id"):
        enrolled.setdefault(case_id, set()).add(programme_id)
    explicit: dict[int, set[int]] = {}
    for intervention_id, action_id in FundedIntervention.objects.filter(
        action__isnull=False
    ).values_list("intervention_id", "action_id"):
        explicit.setdefault(intervention_id, set()).add(action_id)
    by_pk = {a.pk: a for a in actions}

    rows = Intervention.objects.filter(funding_action__isnull=True).select_related("case")
    for intervention in rows.iterator(chunk_size=2000):
        chosen = None
        named = explicit.get(intervention.pk, set())
        if len(named) == 1:
            chosen = by_pk[next(iter(named))]
        elif intervention.funding_legacy:
            usable = participants.get(intervention.case.organisation_id, set()) | enrolled.get(
                intervention.case_id, set()
            )
            near = [(a, k) for a, k in keyed if a.programme_id in usable]
            chosen = _match(intervention.funding_legacy, near) if near else None
            if chosen is None:
                chosen = _match(intervention.funding_legacy, keyed)
        if chosen is None:
            continue
        intervention.funding_action_id = chosen.pk
        if intervention.funding_legacy and _match(
            intervention.funding_legacy, [(chosen, _keys(chosen, chosen.programme, 1))]
        ):
            intervention.funding_legacy = ""  # fully said by the action now
        intervention.save(update_fields=["funding_action", "funding_legacy"])


def backwards(apps, schema_editor):
    Intervention = apps.get_model("interventions", "Intervention")
    for intervention in Intervention.objects.filter(
        funding_action__isnull=False, funding_legacy=""
    ).select_related("funding_action__programme"):
        action = intervention.funding_action
        intervention.funding_legacy = f"{action.programme.code} {action.code}"[:120]
        intervention.save(update_fields=["funding_legacy"])


class Migration(migrations.Migration):
    dependencies = [("interventions", "0004_funding_action")]

    operations = [migrations.RunPython(forwards, backwards)]

"""The duplicates scan stays linear when a birth date is crowded (issue 16 review).

01/01 of a year is the conventional birth date of many permits, and the common names of
one region cluster: a scan that compared everyone born that day with everyone sharing a
word of their name grew with the square of the crowd and flooded the queue.
"""

import datetime

from crocevia.core.text import names_similar
from crocevia.people.models import DuplicatePair, Person
from crocevia.people.pairs import KEY_BLOCK_CAP, KEY_PAIR_BLOCK_CAP, record_pairs, scan_duplicates
from crocevia.testing import PersonFactory

CROWDED_DAY = datetime.date(1990, 1, 1)
# Family names and given names of the crowd: 8 x 8 combinations for 2,000 persons, so
# every word is shared by hundreds and every family-given pair of words by about 30.
FAMILIES = ["Mohamed", "Ali", "Hassan", "Ibrahim", "Ahmed", "Abdi", "Omar", "Yusuf"]
GIVENS = ["Abdullahi", "Hussein", "Farah", "Said", "Musa", "Osman", "Abdirahman", "Abdulkadir"]
CROWD = 2000


def _crowd() -> list[Person]:
    persons = []
    for n in range(CROWD):
        given = GIVENS[(n // 8) % 8]
        second = GIVENS[(n // 64) % 8]
        if n % 3 == 0 and second != given:
            given = f"{given} {second}"
        persons.append(
            PersonFactory.build(
                family_name=FAMILIES[n % 8], given_names=given, birth_date=CROWDED_DAY
            )
        )
    return persons


def _add(family, given) -> Person:
    return PersonFactory(family_name=family, given_names=given, birth_date=CROWDED_DAY)


def test_a_crowded_birth_date_is_scanned_in_bounded_queries_and_keeps_real_pairs(
    db, django_assert_max_num_queries
):
    PersonFactory._meta.model.objects.bulk_create(_crowd(), batch_size=500)
    # A rare word beside a crowded one: compared within the few who share the rare word.
    guled = (_add("Mohamed", "Guled"), _add("Mohammed", "Guuleed"))
    # Two crowded words no one else of the day has together.
    hassan = (_add("Hassan", "Mohamed"), _add("Hasan", "Muhammad"))
    # Seen apart, a name of the crowd (about 30 "Mohamed Abdullahi" that day) pairs with
    # each of them, for names_similar.
    twin = Person.objects.filter(family_name="Mohamed", given_names="Abdullahi").first()
    assert names_similar(("Mohamed", "Abdullahi"), (twin.family_name, twin.given_names))

    with django_assert_max_num_queries(10):
        found = scan_duplicates()

    pairs = set(DuplicatePair.objects.values_list("person_a", "person_b"))
    expected = {tuple(sorted(p.pk for p in pair)) for pair in (guled, hassan)}
    # Only the pairs that are evidence: a name shared by ~30 born the same day is none.
    assert pairs == expected
    assert found == 2
    assert Person.objects.filter(birth_date=CROWDED_DAY).count() == CROWD + 4
    assert KEY_PAIR_BLOCK_CAP < CROWD // 64 < KEY_BLOCK_CAP


def test_a_small_crowd_of_one_name_is_paired_whole(db):
    # Under the caps nothing is skipped: the rule is names_similar's.
    persons = [_add("Mohamed", "Ali") for _ in range(KEY_PAIR_BLOCK_CAP)]
    one_word = _add("Mohammed", "")
    assert scan_duplicates() == KEY_PAIR_BLOCK_CAP * (KEY_PAIR_BLOCK_CAP - 1) // 2 + len(persons)
    assert DuplicatePair.objects.filter(person_b=one_word).count() == len(persons)


def test_recording_pairs_again_adds_nothing_and_counts_only_the_new(db):
    a, b, c = (_add("Diop", f"Awa{n}") for n in range(3))
    reason = DuplicatePair.Reason.SIMILAR_NAME
    assert record_pairs([(b.pk, a.pk, reason), (a.pk, b.pk, reason), (c.pk, c.pk, reason)]) == 1
    DuplicatePair.objects.update(status=DuplicatePair.Status.DISTINCT)
    assert record_pairs([(a.pk, b.pk, reason), (c.pk, a.pk, reason)]) == 1
    assert set(DuplicatePair.objects.values_list("person_a", "person_b", "status")) == {
        (a.pk, b.pk, "distinct"),
        (a.pk, c.pk, "open"),
    }

import datetime

from crocevia.people.selectors import parse_person_query, search_persons

from .helpers import AWA_CF, register


def _names(persons):
    return [f"{p.family_name} {p.given_names}" for p in persons]


def test_exact_family_name_ranks_before_prefix_and_contains(actors):
    op = actors.desk_operator
    register(op, family_name="Mbaye", given_names="Diop", birth_date=datetime.date(1980, 1, 1))
    register(op, family_name="Diopp", given_names="Ali", birth_date=datetime.date(1981, 1, 1))
    register(op, family_name="Diop", given_names="Zeinab", birth_date=datetime.date(1982, 1, 1))
    register(op, family_name="Rossi", given_names="Maria", birth_date=datetime.date(1983, 1, 1))
    assert _names(search_persons(op, "diop")) == ["Diop Zeinab", "Diopp Ali", "Mbaye Diop"]


def test_name_fragments_ignore_accents_and_apostrophes_and_all_words_must_match(actors):
    op = actors.desk_operator
    register(op, family_name="N'Diaye", given_names="Ndèye Fatou")
    register(op, family_name="Ndiaye", given_names="Moussa", birth_date=datetime.date(1970, 2, 2))
    assert _names(search_persons(op, "ndiaye ndeye")) == ["N'Diaye Ndèye Fatou"]
    assert len(search_persons(op, "NDIAYE")) == 2
    assert _names(search_persons(op, "fat")) == ["N'Diaye Ndèye Fatou"]


def test_search_by_codice_fiscale_is_exact(actors):
    op = actors.desk_operator
    register(op, codice_fiscale=AWA_CF)
    register(op, given_names="Fatou", birth_date=datetime.date(1991, 1, 1))
    assert _names(search_persons(op, AWA_CF.lower())) == ["Diop Awa"]


def test_search_by_provisional_code(actors):
    op = actors.desk_operator
    register(op, codice_fiscale="00743110157")
    assert len(search_persons(op, "00743110157")) == 1


def test_search_by_birth_date_in_both_formats(actors):
    op = actors.desk_operator
    register(op)
    register(op, given_names="Fatou", birth_date=datetime.date(1991, 1, 1))
    assert _names(search_persons(op, "17/05/1990")) == ["Diop Awa"]
    assert _names(search_persons(op, "1990-05-17")) == ["Diop Awa"]
    assert search_persons(op, "31/02/1990") == []


def test_search_by_birth_year_and_by_name_and_year(actors):
    op = actors.desk_operator
    register(op)
    register(op, given_names="Fatou", birth_date=datetime.date(1991, 12, 31))
    register(op, family_name="Rossi", given_names="Maria", birth_date=datetime.date(1991, 1, 1))
    assert _names(search_persons(op, "1991")) == ["Diop Fatou", "Rossi Maria"]
    assert _names(search_persons(op, "diop 1991")) == ["Diop Fatou"]
    assert _names(search_persons(op, "1990 diop")) == ["Diop Awa"]


def test_search_is_scoped_to_what_the_user_may_see(actors):
    register(actors.desk_operator)
    assert len(search_persons(actors.social_worker, "diop")) == 1  # same organisation
    assert search_persons(actors.outsider, "diop") == []
    assert search_persons(actors.monitoring_officer, "diop") == []


def test_query_parsing_understands_each_kind_of_token():
    parsed = parse_person_query(f"Diop  Awa 1990 17/05/1990 {AWA_CF.lower()}")
    assert parsed.words == ["Diop", "Awa"]
    assert parsed.birth_year == 1990
    assert parsed.birth_date == datetime.date(1990, 5, 17)
    assert parsed.codice_fiscale == AWA_CF


def test_empty_query_finds_nothing(actors):
    register(actors.desk_operator)
    assert search_persons(actors.desk_operator, "   ") == []


def test_short_fragment_alone_matches_a_whole_leading_name_only(actors):
    op = actors.desk_operator
    register(op, family_name="Li", given_names="Wei", sex="M")
    register(
        op, family_name="Alì", given_names="Omar", sex="M", birth_date=datetime.date(1970, 1, 1)
    )
    assert _names(search_persons(op, "li")) == ["Li Wei"]
    assert _names(search_persons(op, "li wei")) == ["Li Wei"]
    assert _names(search_persons(op, "omar li")) == ["Alì Omar"]


def test_prefix_matches_come_before_contains_matches_in_folded_order(actors):
    op = actors.desk_operator
    register(op, family_name="Abdiop", given_names="Awa", birth_date=datetime.date(1980, 1, 1))
    register(op, family_name="Diopp", given_names="Ali", birth_date=datetime.date(1981, 1, 1))
    register(op, family_name="Diop", given_names="Zeinab", birth_date=datetime.date(1982, 1, 1))
    register(op, family_name="Diop", given_names="Awa", birth_date=datetime.date(1983, 1, 1))
    assert _names(search_persons(op, "diop")) == [
        "Diop Awa",
        "Diop Zeinab",
        "Diopp Ali",
        "Abdiop Awa",
    ]


def test_more_matches_than_the_limit_are_flagged_truncated(actors):
    op = actors.desk_operator
    for day in range(1, 5):
        register(op, given_names="Awa", birth_date=datetime.date(1990, 1, day))
    register(op, family_name="Mbaye", given_names="Diop", birth_date=datetime.date(1990, 2, 1))
    # Tier 1 alone fills the page.
    found = search_persons(op, "diop", limit=3)
    assert len(found) == 3 and found.truncated
    # Tier 1 gives 4, tier 2 the fifth: exactly the limit, nothing left out.
    found = search_persons(op, "diop", limit=5)
    assert _names(found)[-1] == "Mbaye Diop" and not found.truncated
    found = search_persons(op, "diop", limit=4)
    assert len(found) == 4 and found.truncated
    assert not search_persons(op, "mbaye").truncated
    found = search_persons(op, "1990", limit=2)
    assert len(found) == 2 and found.truncated


def test_search_name_sorts_by_bytes_for_the_prefix_tier(actors):
    """Tier 1 relies on "diop zeinab" < "diopp ali" and on a b-tree serving LIKE 'x%'."""
    from django.db import connection

    from crocevia.people.models import Person

    op = actors.desk_operator
    register(op, family_name="Diopp", given_names="Ali")
    register(op, family_name="Diop", given_names="Zeinab")
    names = list(Person.objects.order_by("search_name").values_list("search_name", flat=True))
    assert names == ["diop zeinab", "diopp ali"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_name = 'people_person' AND column_name = 'search_name'"
            )
            assert cursor.fetchone() == ("C",)

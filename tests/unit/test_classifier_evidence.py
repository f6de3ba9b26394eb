"""Evidence keys (services/classifier/evidence.py): language-free facts that link reports about
one incident told in other words, by another witness or in the other language."""

from __future__ import annotations

import numpy as np

from services.classifier import domain, evidence, fingerprint
from services.classifier.entities import Entity

SECRET = b"test-secret"


def test_names_compare_through_pinyin():
    assert evidence.pinyin_of("王建国") == "wangjianguo"
    assert evidence.person_keys("王建国") == ["wangjianguo"]
    assert "wangjianguo" in evidence.person_keys("wang jianguo")
    assert "wangjianguo" in evidence.person_keys("jianguo wang")
    assert evidence.person_keys("曾强") == ["zengqiang"]  # a surname's own reading
    assert evidence.person_keys("wang") == []  # "Mr Wang" alone says too little


def test_a_company_is_its_brand_in_either_language():
    assert evidence.organisation_key("宏达物流有限公司") == "hongda"
    assert evidence.organisation_key("hongda logistics co") == "hongda"
    assert evidence.organisation_key("公司") is None


def test_amounts_and_dates_are_compared_as_facts():
    facts = evidence.facts(
        [Entity("money", "500"), Entity("money", "20000"), Entity("date", "2026-03-03")]
    )
    assert ("money", "500") not in facts  # an everyday sum
    assert ("money", "20000") in facts
    assert ("date", "03-03") in facts  # a witness may leave the year out
    assert evidence.facts([Entity("date", "--03-03")]) == [("date", "03-03")]


def zh_report() -> list[Entity]:
    return [Entity("person", "刘志强"), Entity("money", "5000"), Entity("place", "Changsha")]


def en_report() -> list[Entity]:
    return [Entity("person", "liu zhiqiang"), Entity("money", "5000")]


def keys(entities, crimes=("extortion_protection",), city="Changsha"):
    return set(evidence.keys(entities, crimes, "Hunan", city, SECRET))


def test_one_incident_in_two_languages_shares_keys():
    shared = keys(zh_report()) & keys(en_report())
    assert evidence.rules_of(shared) == ("money+person", "place+crime+person")
    assert evidence.proof(keys(zh_report()), keys(en_report())) == evidence.rules_of(shared)


def test_a_large_sum_in_the_same_city_and_crime_links_unless_the_people_differ():
    sum_only = [Entity("money", "30000")]
    assert evidence.proof(keys(sum_only), keys([*sum_only, Entity("person", "刘志强")])) == (
        "place+crime+money",
    )
    assert evidence.rules_of(keys([Entity("money", "3000")])) == ()  # a small sum: none
    # Both name a person, and not the same one: the sum alone is a coincidence.
    one = keys([*sum_only, Entity("person", "刘志强")])
    other = keys([*sum_only, Entity("person", "周杰")])
    assert evidence.rules_of(one & other) == ("place+crime+money",)
    assert evidence.proof(one, other) == ()


def test_identities_are_stored_but_never_looked_up():
    stored = keys(zh_report())
    assert any(k.startswith("who-person:") for k in stored)
    assert all(not k.startswith("who-") for k in evidence.lookup_keys(stored))
    assert evidence.rules_of(k for k in stored if k.startswith("who-")) == ()


def test_same_city_and_crime_without_a_shared_fact_share_nothing():
    other = [Entity("person", "周杰"), Entity("money", "3000")]
    assert not evidence.rules_of(keys(zh_report()) & keys(other))


def test_one_fact_in_another_city_or_crime_shares_nothing():
    lone = [Entity("person", "刘志强")]
    assert not evidence.rules_of(keys(zh_report()) & keys(lone, city="Yueyang"))
    assert not evidence.rules_of(keys(zh_report()) & keys(lone, crimes=("loan_sharking",)))
    assert not evidence.rules_of(
        keys(zh_report()) & keys(lone, crimes=("other",))
    )  # too vague to count


def test_an_amount_and_a_date_alone_make_no_key():
    details = [Entity("money", "20000"), Entity("date", "--03-03")]
    assert evidence.keys(details, (), None, None, SECRET) == []


def test_keys_hold_kinds_and_hashes_never_values():
    for key in keys(zh_report()):
        rule, digest = key.split(":", 1)
        assert set(rule.split("+")) <= {"place", "crime", "person", "money", "who-person"}
        assert all(c in "0123456789abcdef" for c in digest)
    assert keys(zh_report()) != set(
        evidence.keys(zh_report(), ["extortion_protection"], "Hunan", "Changsha", b"other")
    )


def extortion_in_changsha(entities: list[Entity], signature: np.ndarray) -> domain.Analysis:
    """A report's analysis as sifting leaves it: extortion in Changsha, naming `entities`."""
    return domain.Analysis(
        crime_types=["extortion_protection"],
        crime_type_confidences={},
        industry=None,
        industry_confidence=0.0,
        province="Hunan",
        city="Changsha",
        province_confidence=1.0,
        official_involvement=False,
        official_confidence=0.0,
        official_evidence=[],
        entities=entities,
        signals={},
        signature=signature,
    )


def test_a_link_names_the_evidence_that_made_it():
    signature = fingerprint.minhash("完全不同的文字")
    earlier = domain.Candidate(
        "r1",
        "r1",
        fingerprint.minhash("entirely other words"),
        (),
        evidence_keys=tuple(keys(zh_report())),
    )
    analysis = extortion_in_changsha(en_report(), signature)
    (link,) = domain.links(analysis, [earlier], [], analysis.evidence_keys(SECRET))
    assert link.relation == "related"
    assert "place+crime+person" in link.evidence
    assert link.as_document()["evidence"] == list(link.evidence)
    unrelated = domain.Candidate("r2", "r2", fingerprint.minhash("entirely other words"), ())
    assert domain.links(analysis, [unrelated], [], analysis.evidence_keys(SECRET)) == []


def test_a_name_in_pinyin_is_a_person_without_a_cue():
    from services.classifier import taxonomy
    from services.classifier.entities import extract

    people = {
        e.value
        for e in extract(
            "Zhang Guohua still runs it. He Came later; the shop on Huang Pu Road.",
            taxonomy.load(),
        )
        if e.kind == "person"
    }
    assert people == {"zhang guohua"}
    assert "zhangguohua" in evidence.person_keys("zhang guohua")
    assert evidence.person_keys("张国华") == ["zhangguohua"]


def test_the_pinyin_table_is_what_pypinyin_gives():
    from services.classifier.training import pinyin_table

    assert pinyin_table.PINYIN_FILE.read_text(encoding="utf-8") == pinyin_table.render()
    assert evidence.pinyin_of("绿") == "lu"


def test_a_weak_key_many_earlier_reports_share_links_none_of_them():
    sum_only = keys([Entity("money", "20000")])
    earlier = [
        domain.Candidate(
            f"r{i}", f"r{i}", fingerprint.minhash(f"report {i}"), (), "", tuple(sum_only)
        )
        for i in range(evidence.COMMON_WEAK + 1)
    ]
    analysis = extortion_in_changsha(
        [Entity("money", "20000")], fingerprint.minhash("another report")
    )
    assert domain.links(analysis, earlier, [], sum_only) == []
    assert len(domain.links(analysis, earlier[: evidence.COMMON_WEAK], [], sum_only)) == 5

import asyncio

import joblib
import numpy as np
import pytest
import sklearn

from services.classifier import domain, fingerprint
from services.classifier.model import ModelMismatch, Predictions, load
from services.classifier.taxonomy import load as load_taxonomy
from services.classifier.taxonomy import region_id
from services.common.events import Classification

MODEL = load()
TAXONOMY = load_taxonomy()


def analyse(narrative: str, **content: object) -> domain.Analysis:
    return domain.analyse({"narrative": narrative, **content}, MODEL, TAXONOMY)


def test_region_ids_are_the_routing_tables_keys():
    assert [region_id(n) for n in ("Inner Mongolia", "Xi'an", "Hong Kong", "Dalian")] == [
        "inner_mongolia",
        "xian",
        "hong_kong",
        "dalian",
    ]
    for written in ("Inner Mongolia", "inner_mongolia", "内蒙古"):
        assert TAXONOMY.province_named(written) == "Inner Mongolia"
    assert TAXONOMY.province_named("Atlantis") is None


def test_the_taxonomy_lists_every_label_and_all_34_provincial_divisions():
    assert "official_collusion" in TAXONOMY.crime_types and len(TAXONOMY.crime_types) == 12
    assert len(TAXONOMY.industries) == 11
    assert len(TAXONOMY.provinces) == 34
    assert {"Guangdong", "Inner Mongolia", "Chongqing", "Tibet"} <= set(TAXONOMY.provinces)
    assert TAXONOMY.names["crime_types:illegal_mining"]["zh"]


def test_a_chinese_and_an_english_report_are_classified_with_confidences():
    zh = analyse("他们放高利贷，月息三分，还不上就暴力催收，把人关在屋里。")
    en = analyse("They run an illegal casino in the hotel basement and gamblers lose fortunes.")
    assert "loan_sharking" in zh.crime_types
    assert "illegal_gambling" in en.crime_types
    for result in (zh, en):
        assert all(0.0 < c <= 1.0 for c in result.crime_type_confidences.values())


def test_the_region_comes_from_the_location_fields_before_the_text():
    result = analyse("Sand dredging in Wuhan every night.", location={"province": "广西壮族自治区"})
    assert (result.province, result.province_confidence) == ("Guangxi", 1.0)
    by_city = analyse("某某事情。", location={"city": "深圳市"})
    assert (by_city.province, by_city.city) == ("Guangdong", "Shenzhen")
    from_text = analyse("内蒙古包头的一个煤矿里，老板偷采煤炭。")
    assert from_text.province == "Inner Mongolia" and from_text.city == "Baotou"


def test_an_unsure_decision_is_marked_for_review_not_guessed():
    unsure = Predictions(
        crime_types={label: 0.05 for label in MODEL.crime_labels} | {"fraud_fundraising": 0.22},
        industries={label: 0.1 for label in MODEL.industry_labels},
    )
    crimes, confidences, reasons = domain.choose_crime_types("something odd", unsure, False)
    assert crimes == ["fraud_fundraising"] and confidences == {"fraud_fundraising": 0.22}
    assert reasons == ["crime type below threshold: fraud_fundraising"]
    result = domain.analyse({"narrative": "something odd"}, MODEL, TAXONOMY, unsure)
    assert any(r.startswith("industry below threshold") for r in result.review_reasons)


def test_official_involvement_needs_an_evidence_phrase_which_is_kept():
    result = analyse("派出所的副所长是他们的保护伞，每次报警都不了了之。他们在镇上开赌场。")
    assert result.official_involvement
    assert result.official_evidence == ["派出所的副所长是他们的保护伞，每次报警都不了了之。"]
    assert "official_collusion" in result.crime_types
    plain = analyse("The police arrested two men for dealing drugs near the school.")
    assert not plain.official_involvement and plain.official_evidence == []


def test_collusion_the_rules_miss_is_found_by_the_sentence_reader_and_sent_for_review():
    told = {
        "zh": "他们在河道里偷偷挖沙子卖钱。"
        "镇上的副镇长每年过年都收他们两箱茅台，之后河道从来没人来检查。",
        "en": "They dig sand from the river every night. The deputy township head makes sure no "
        "inspector ever visits their boats; he gets two cases of liquor every new year.",
    }
    for lang, text in told.items():
        assert domain.official_evidence(text) == [], f"{lang}: the rules alone must miss it"
        result = analyse(text)
        assert result.official_involvement, lang
        (evidence,) = result.official_evidence
        assert "deputy township head" in evidence or "副镇长" in evidence
        assert "official_collusion" in result.crime_types
        assert "official involvement found by the model, not by the rules" in result.review_reasons


def test_an_official_named_innocently_is_no_accusation():
    for text in (
        "他们每个月来收保护费，不交就砸店。我已经报警了，派出所民警来做了笔录。",
        "They collect protection money from every shop. I reported it and an officer from the "
        "police station took my statement.",
        "我去过派出所两次，民警说会调查。他们在镇上开赌场。",
    ):
        result = analyse(text)
        assert not result.official_involvement, text
        assert "official_collusion" not in result.crime_types


def test_a_crime_told_in_one_sentence_among_others_is_still_found():
    # Most of each report is about the writer's work, a fleet, a phone: the whole report reads
    # as transport; the sentence readers find the fraud in the one sentence that tells it.
    for text in (
        "我是一名出租车司机，每天在火车站拉客。我们车队有三十多个人。最近有个老板在村里组织大家"
        "入股一个养殖项目，说月息三分，已经收了上百户的钱，现在人跑了。他的电话是13807315566。"
        "希望能查一查。",
        "I drive a taxi and wait for fares at the railway station every day. There are about "
        "thirty drivers in our fleet. Lately a boss has been getting villagers to invest in a "
        "fish farm for three percent a month; he took money from over a hundred households and "
        "now he has vanished. His phone is 13807315566. Please look into it.",
    ):
        result = analyse(text)
        assert "fraud_fundraising" in result.crime_types, (result.crime_types, text)


def test_a_long_report_of_an_ordinary_dispute_is_not_made_a_crime():
    # Some sentence of a long complaint reads a little like a crime ("the company still
    # charges us the full fee"); the report as a whole is `other`, and stays so.
    text = (
        "I am writing about my neighbour and the building management. I moved into flat 302 in "
        "March last year with my wife and our two children. Since the summer the family "
        "upstairs has been renovating almost every day. They start drilling at seven in the "
        "morning and often go on until ten at night. We asked them politely three times to "
        "keep the noise down. The husband said it was his flat and he could do what he wanted. "
        "Last month water leaked from their bathroom into our kitchen ceiling. We took photos "
        "and sent them to the property management company. The manager promised to send "
        "someone but nobody came for three weeks. When a worker finally came he said the pipe "
        "upstairs was broken and the neighbours had to pay. The neighbours refuse to pay for "
        "anything. The property company still charges us the full management fee every month. "
        "I called the city hotline twice and was told to go to the residents' committee. The "
        "residents' committee said they could only mediate. Is there any office that can make "
        "them repair the pipe? Thank you for reading this."
    )
    result = analyse(text)
    assert result.crime_types == ["other"], result.crime_type_confidences
    assert domain.priority(result, 1)[0] == "low"


def test_an_artefact_from_other_code_is_refused_with_the_reason(tmp_path):
    older = tmp_path / "older.joblib"
    joblib.dump({"version": "model-old", "sklearn": sklearn.__version__, "crime_labels": []}, older)
    with pytest.raises(ModelMismatch, match=r"model-old lacks .*crime_sentence"):
        load(older)
    other = tmp_path / "other.joblib"
    joblib.dump({"version": "model-x", "sklearn": "0.0.1"}, other)
    with pytest.raises(ModelMismatch, match=r"scikit-learn 0\.0\.1"):
        load(other)


def test_the_sentence_readers_fast_path_matches_scikit_learn():
    sentences = ["派出所所长是他表哥。", "The court hearing is next month."]
    expected = MODEL.official_sentence.predict_proba(MODEL.vectorizer.transform(sentences))[:, 1]
    assert np.allclose(MODEL.official_probabilities(sentences), expected)


def test_priority_follows_weapons_minors_officials_violence_and_cluster_size():
    armed = analyse("他们收保护费，车上常备砍刀，谁不交就砍人。")
    assert domain.priority(armed, 1)[0] == "critical"
    assert any(r.startswith("armed_threat: 砍刀") for r in domain.priority(armed, 1)[1])
    official = analyse("The township party secretary takes bribes from the sand dredging gang.")
    assert domain.priority(official, 1) == ("high", ["official involvement"])
    quiet = analyse("They control the vegetable wholesale trade and fix the prices.")
    assert domain.priority(quiet, 1)[0] == "normal"
    assert domain.priority(quiet, domain.CLUSTER_SIZE_HIGH)[0] == "high"


def test_minors_drawn_in_are_critical_a_complainers_own_children_are_not():
    for text in (
        "They use middle-school pupils as lookouts and couriers for the drugs.",
        "他们还让初中生帮忙望风送货。",
        "They sell drugs to our children at the school gate every afternoon.",
    ):
        assert domain.priority(analyse(text), 1)[0] == "critical", text
    for text in (
        "The family upstairs drills every night until ten, and my wife and our two children "
        "cannot sleep. The property company does nothing about the noise.",
        "楼上邻居天天装修，晚上十点还在打电钻。我儿子是初中生，晚上根本睡不好，物业也不管。",
    ):
        result = analyse(text)
        assert result.crime_types == ["other"], (result.crime_type_confidences, text)
        assert "minors" not in result.signals, text


def test_the_event_payload_has_categories_and_confidences_only():
    result = analyse("老板叫王大海，电话13800138000，在长沙开赌场。")
    payload = domain.classification(result, "r1", "normal", MODEL.version, TAXONOMY.version)
    raw = payload.model_dump_json()
    for private in ("王大海", "13800138000"):
        assert private not in raw
    parsed = Classification.model_validate_json(raw)
    assert (parsed.province, parsed.city) == ("hunan", "changsha")  # the routing table's ids


def test_an_event_from_before_sifting_still_parses():
    old = {"crime_types": ["other"], "province": "hunan", "city": "changsha", "rules_version": "r"}
    parsed = Classification.model_validate(old)
    assert parsed.priority is None and parsed.cluster_id is None and not parsed.needs_review


def test_minhash_estimates_similarity_and_near_copies_share_a_band():
    text = "每天凌晨两点以后，十几条抽沙船就开到湘江上抽沙，把沙子卖给搅拌站，河堤都快被挖空了。"
    edited = text.replace("都快被", "快要被") + "补充：情况还在继续。"
    other = "The karaoke club on Renmin Road sells drugs every night to young people."
    a, b, c = (fingerprint.minhash(t) for t in (text, edited, other))
    assert fingerprint.similarity(a, b) >= 0.6
    assert fingerprint.similarity(a, c) < 0.1
    assert set(fingerprint.bands(a)) & set(fingerprint.bands(b))
    assert not set(fingerprint.bands(a)) & set(fingerprint.bands(c))
    assert np.array_equal(fingerprint.from_bytes(fingerprint.to_bytes(a)), a)


def test_linking_records_duplicates_and_shared_entities_and_merges_clusters():
    index = domain.MemoryIndex()
    reports = {
        "r1": "带头的人叫蒋国富，他们每天晚上在湘江非法采砂，联系电话13807315566。",
        "r2": "带头的人叫蒋国富，他们每天晚上在湘江非法采砂，联系电话138 0731 5566。",
        "r3": "I saw trucks of the sand gang; the man in charge is called Jiang. Call 13807315566.",
        "r4": "A pyramid scheme in Shenzhen takes money from retired teachers.",
    }

    async def sift() -> dict[str, list[domain.Link]]:
        found = {}
        for rid, text in reports.items():
            analysis = analyse(text)
            fp = domain.Fingerprint(
                rid,
                fingerprint.bands(analysis.signature),
                analysis.linking_keys,
                analysis.signature,
            )
            await index.add([fp])
            (lookup,) = await index.candidates([fp])
            found[rid] = domain.links(analysis, lookup.candidates)
            linked = {link.report_id for link in found[rid]}
            clusters = frozenset(c.cluster_id for c in lookup.candidates if c.report_id in linked)
            await index.join([domain.Join(rid, lookup.own_cluster or rid, clusters)])
        return found

    links = asyncio.run(sift())
    (dup,) = links["r2"]
    assert dup.report_id == "r1" and dup.relation == "duplicate"
    assert "phone:+8613807315566" in dup.shared_entities
    assert {link.relation for link in links["r3"]} == {"related"}
    assert links["r4"] == []
    assert index.cluster["r1"] == index.cluster["r2"] == index.cluster["r3"] == "r1"
    assert index.cluster["r4"] == "r4"


def test_the_fast_inference_path_gives_scikit_learns_probabilities():
    texts = ["他们放高利贷，还暴力催收。", "They run a casino and sell drugs in the club."]
    for fast, reference in zip(
        MODEL.predict_many(texts), MODEL.predict_with_sklearn(texts), strict=True
    ):
        for label, p in reference.crime_types.items():
            assert abs(fast.crime_types[label] - p) < 1e-5
        for label, p in reference.industries.items():
            assert abs(fast.industries[label] - p) < 1e-5


def test_merges_of_a_batch_keep_earlier_clusters_and_join_reports_linked_to_each_other():
    join = domain.Join
    plan = domain.plan_merges(
        [
            # new-2 links to an earlier cluster; new-1 links to new-2 only
            join("new-2", "new-2", frozenset({"old-b"})),
            join("new-1", "new-1", frozenset({"new-2"})),
            # new-3 bridges two earlier clusters
            join("new-3", "new-3", frozenset({"old-c", "old-a"})),
            # two new reports linked only to each other
            join("new-5", "new-5", frozenset({"new-4"})),
            join("new-4", "new-4", frozenset({"new-5"})),
            join("alone", "alone", frozenset()),
        ]
    )
    assert plan.cluster_of == {
        "new-2": "old-b",
        "new-1": "old-b",  # an earlier cluster is never renamed after a new report
        "new-3": "old-a",
        "new-5": "new-4",
        "new-4": "new-4",
        "alone": "alone",
    }
    assert sorted(plan.renames) == [
        ("new-4", ["new-5"]),
        ("old-a", ["new-3", "old-c"]),
        ("old-b", ["new-1", "new-2"]),
    ]


def test_the_memory_index_merges_a_batch_like_the_database_one():
    index = domain.MemoryIndex()
    signature = fingerprint.minhash("带头的人叫蒋国富，他们每天晚上在湘江非法采砂。")

    async def run() -> list[tuple[str, int]]:
        first = domain.Fingerprint("r1", fingerprint.bands(signature), [], signature)
        await index.add([first])
        await index.join([domain.Join("r1", "r1", frozenset())])
        batch = [
            domain.Fingerprint(rid, fingerprint.bands(signature), [], signature)
            for rid in ("r3", "r2")
        ]
        await index.add(batch)
        lookups = await index.candidates(batch)
        return await index.join(
            [
                domain.Join(
                    fp.report_id,
                    lookup.own_cluster or fp.report_id,
                    frozenset(c.cluster_id for c in lookup.candidates),
                )
                for fp, lookup in zip(batch, lookups, strict=True)
            ]
        )

    assert asyncio.run(run()) == [("r1", 3), ("r1", 3)]


def test_replicas_merging_the_same_clusters_pick_the_same_survivor_by_rank():
    """Each replica holds one copy of a report and sees the others' clusters: ranked, all four
    pick the earliest-founded cluster, whichever copy is their own (unranked, each picked
    another's)."""
    copies = ["c", "a", "d", "b"]
    ranks = {"c": "0003", "a": "0005", "d": "0003", "b": "0009"}
    chosen = set()
    for own in copies:
        others = frozenset(c for c in copies if c != own)
        plan = domain.plan_merges([domain.Join(own, own, others)], ranks)
        chosen.add(plan.cluster_of[own])
    assert chosen == {"c"}  # the earliest rank, ties to the smallest id
    # Fingerprints stored before ranks count as earliest.
    plan = domain.plan_merges([domain.Join("new", "new", frozenset({"old"}))], {"new": "0001"})
    assert plan.cluster_of["new"] == "old"

"""Sifting as staff see it: reports submitted through intake are classified, linked into
clusters, and can be re-classified by a person."""

from __future__ import annotations

import json
from typing import Any

import httpx

from deploy.local.stack import Stack
from services.common import topics
from tests.integration.helpers import (
    code_hash_of,
    mongo_client,
    read_topic,
    submit,
    wait_for_stage,
    wait_until,
)

FIRST = {
    "channel": "web",
    "narrative": (
        "我要举报长沙河西的非法采砂团伙。每天凌晨两点以后，十几条抽沙船就开到湘江上抽沙，"
        "把沙子卖给搅拌站，河堤都快被挖空了。带头的人叫蒋国富，外号“疤哥”，"
        "他们的联系电话是138 0731 5566。村里人去劝，被他们拿钢管打伤了两个。"
    ),
    "location": {"province": "湖南", "city": "长沙"},
}
# The same reporter tells it again a week later, a little differently.
PARAPHRASE = {
    "channel": "wechat",
    "narrative": (
        "我要举报长沙河西的非法采砂团伙。每天凌晨两点以后，十几条抽沙船就开到湘江上抽沙，"
        "把沙子卖给搅拌站，河堤快要被挖空了。带头的人叫蒋国富，外号“疤哥”，"
        "联系电话是13807315566。村里人去劝，被他们用钢管打伤了两个人。"
    ),
}
UNRELATED = {
    "channel": "web",
    "narrative": (
        "A pyramid scheme in Shenzhen is taking money from retired teachers: they promise "
        "thirty percent a year and pay the first investors with the money of the next."
    ),
}


def staff(stack: Stack, role: str = "supervisor", **scope: Any) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {stack.staff_token(role, subject=f'{role}-7', **scope)}",
        "X-Access-Purpose": "checking why these reports were linked",
    }


def classification(stack: Stack, report_id: str) -> httpx.Response:
    return httpx.get(
        f"{stack.url('classifier')}/v1/staff/reports/{report_id}/classification",
        headers=staff(stack),
        timeout=10,
    )


def submit_and_classify(stack: Stack, report: dict[str, Any]) -> dict[str, Any]:
    """Submits a report and returns its classified event (found by the report's own id)."""
    code = submit(stack, report).json()["tracking_code"]
    wait_for_stage(stack, code, "classified", timeout=60)
    code_hash = code_hash_of(stack, code)
    case = mongo_client(stack)["tracker"]["cases"].find_one(
        {"tracking_code_hash": code_hash}, {"_id": 1}
    )
    assert case is not None
    found: dict[str, Any] = {}

    def classified() -> bool:
        for message in read_topic(stack, topics.REPORT_STAGE):
            event = json.loads(message.value)
            if event["subject"] == case["_id"] and event["data"]["stage"] == "classified":
                found.update(event)
                return True
        return False

    wait_until(classified, 30, "the classified event")
    return found


def test_two_paraphrased_reports_end_in_one_cluster_and_an_unrelated_one_does_not(stack: Stack):
    first = submit_and_classify(stack, FIRST)
    again = submit_and_classify(stack, PARAPHRASE)
    other = submit_and_classify(stack, UNRELATED)

    first_id, again_id, other_id = first["subject"], again["subject"], other["subject"]
    assert again["data"]["classification"]["cluster_id"] == first_id
    assert other["data"]["classification"]["cluster_id"] == other_id

    cluster = httpx.get(
        f"{stack.url('classifier')}/v1/staff/clusters/{first_id}", headers=staff(stack), timeout=10
    ).json()
    assert {m["report_id"] for m in cluster["members"]} == {first_id, again_id}

    # The second report says which report it repeats, and why.
    shown = classification(stack, again_id).json()
    (link,) = shown["details"]["links"]
    assert link["report_id"] == first_id
    # Their shingle sets overlap by 0.80 (Jaccard); MinHash, keyed by the stack's random linking
    # secret, estimates it within about ±0.1, so this retelling is labelled a duplicate under
    # most keys and related (through the shared phone and name) under some. Either way it
    # joins the cluster, and the label follows the estimate.
    assert link["similarity"] >= 0.6
    assert link["relation"] == ("duplicate" if link["similarity"] >= 0.75 else "related")
    assert "phone:+8613807315566" in link["shared_entities"]
    assert "person:蒋国富" in link["shared_entities"]
    # The cluster view names what was shared by kind only; values need the audited read.
    member = next(m for m in cluster["members"] if m["report_id"] == again_id)
    assert "phone" in member["links"][0]["shared_entities"]
    assert "13807315566" not in json.dumps(cluster, ensure_ascii=False)

    # The classifier's own database keeps entity values and quoted phrases only sealed.
    database = mongo_client(stack)["classifier"]
    for collection in database.list_collection_names():
        for document in database[collection].find():
            stored = str(document)
            for private in ("13807315566", "蒋国富", "疤哥", "钢管"):
                assert private not in stored, f"{private} in classifier.{collection}"


def test_the_classified_event_carries_categories_and_never_text_or_entities(stack: Stack):
    event = submit_and_classify(stack, FIRST)
    result = event["data"]["classification"]
    assert "illegal_mining" in result["crime_types"]
    assert "violent_intimidation" in result["crime_types"]
    assert result["province"] == "hunan" and result["city"] == "changsha"
    assert result["priority"] in ("high", "critical")
    assert result["confidences"]["province"] == 1.0
    assert result["model_version"].startswith("model-")
    raw = json.dumps(event, ensure_ascii=False)
    for private in ("蒋国富", "13807315566", "138 0731 5566", "抽沙船", "河西", "湘江"):
        assert private not in raw


def test_staff_see_the_reasons_entities_and_evidence(stack: Stack):
    report = {
        "channel": "letter",
        "narrative": (
            "The karaoke club on Renmin Road in Wuhan sells drugs to teenagers every night. "
            "The deputy chief of the local police station takes bribes from the owner and "
            "tips them off before every raid. Their van has the plate 鄂A·7Q2K9."
        ),
    }
    report_id = submit_and_classify(stack, report)["subject"]
    shown = classification(stack, report_id).json()
    assert shown["official_involvement"] is True
    details = shown["details"]
    assert any("takes bribes" in phrase for phrase in details["official_evidence"])
    assert {"kind": "plate", "value": "鄂A7Q2K9"} in details["entities"]
    assert shown["province"] == "hubei" and shown["city"] == "wuhan"
    assert shown["province_name"] == "Hubei" and shown["city_name"] == "Wuhan"
    assert "official involvement" in details["priority_reasons"]

    # The read was recorded before anything was opened, with its purpose.
    def recorded() -> list[dict[str, Any]]:
        return [
            event["data"]
            for event in (json.loads(m.value) for m in read_topic(stack, topics.ACCESS))
            if event["subject"] == report_id and event["data"]["staff"] == "supervisor-7"
        ]

    wait_until(lambda: bool(recorded()), 20, "the access event")
    assert recorded()[0]["fields"] == ["classification-details"]

    # An investigator of Hubei reads it; one of another province, or without a purpose, not.
    url = f"{stack.url('classifier')}/v1/staff/reports/{report_id}/classification"
    hubei = staff(stack, "investigator", provinces=["hubei"])
    assert httpx.get(url, headers=hubei, timeout=10).status_code == 200
    elsewhere = httpx.get(url, headers=staff(stack, "investigator", provinces=["yunnan"]))
    unknown = httpx.get(
        f"{stack.url('classifier')}/v1/staff/reports/no-such-report/classification",
        headers=staff(stack, "investigator", provinces=["yunnan"]),
    )
    assert elsewhere.status_code == unknown.status_code == 403
    assert elsewhere.json() == unknown.json()  # out of scope looks like nonexistent
    no_purpose = {"Authorization": hubei["Authorization"]}
    assert httpx.get(url, headers=no_purpose, timeout=10).status_code == 422
    for role in ("analyst", "auditor", "clerk"):
        assert httpx.get(url, headers=staff(stack, role), timeout=10).status_code == 403


def test_a_person_reclassifies_a_report_and_the_change_is_emitted_as_a_stage(stack: Stack):
    report_id = submit_and_classify(stack, UNRELATED)["subject"]
    url = f"{stack.url('classifier')}/v1/staff/reports/{report_id}/classification"
    change = {
        "crime_types": ["fraud_fundraising"],
        "industry": "education",
        "province": "Guangdong",
        "priority": "high",
        "reason": "Dozens of retired teachers affected",
        "change_id": "change-0001-abcd",
    }
    answer = httpx.post(url, json=change, headers=staff(stack), timeout=10)
    assert answer.status_code == 200
    assert answer.json()["priority"] == "high" and answer.json()["decided_by"] == "staff"

    def emitted() -> list[dict[str, Any]]:
        return [
            event
            for event in (json.loads(m.value) for m in read_topic(stack, topics.REPORT_STAGE))
            if event["subject"] == report_id
            and event["data"]["stage"] == "classified"
            and event["data"]["classification"]["decided_by"] == "staff"
        ]

    wait_until(lambda: bool(emitted()), 20, "the re-classification event")
    (event,) = emitted()
    assert event["data"]["classification"]["industry"] == "education"
    assert event["data"]["classification"]["priority"] == "high"
    assert event["data"]["classification"]["province"] == "guangdong"

    # Sent twice (a retry), it is recorded once.
    assert httpx.post(url, json=change, headers=staff(stack), timeout=10).status_code == 200
    shown = classification(stack, report_id).json()
    assert [h["change_id"] for h in shown["history"]] == ["change-0001-abcd"]
    assert shown["history"][0]["by"] == "supervisor-7"
    assert shown["history"][0]["before"]["priority"] != "high"


def test_staff_api_refuses_bad_labels_unknown_reports_and_missing_credentials(stack: Stack):
    report_id = submit_and_classify(stack, UNRELATED)["subject"]
    base = f"{stack.url('classifier')}/v1/staff"
    bad = httpx.post(
        f"{base}/reports/{report_id}/classification",
        json={"crime_types": ["jaywalking"], "reason": "typo test"},
        headers=staff(stack),
        timeout=10,
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "crime_types"
    no_reason = httpx.post(
        f"{base}/reports/{report_id}/classification",
        json={"priority": "low"},
        headers=staff(stack),
        timeout=10,
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["field"] == "reason"
    assert classification(stack, "no-such-report").status_code == 404
    assert httpx.get(f"{base}/clusters/no-such-cluster", headers=staff(stack)).status_code == 404
    assert httpx.get(f"{base}/reports/{report_id}/classification").status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert httpx.get(f"{base}/clusters/{report_id}", headers=wrong).status_code == 401


# One incident told by two witnesses, one in Chinese and one in English: no wording in common,
# no phone or plate, but the same city, crime, lender's name (through pinyin) and sum.
WITNESS_ZH = {
    "channel": "web",
    "narrative": (
        "贵阳市南明区有一伙人放高利贷，我表哥借了3万元，一个月利息就要一万。"
        "放贷的老板叫邓宏伟，催债的人天天上门泼油漆，还说要打断他的腿。"
    ),
}
WITNESS_EN = {
    "channel": "web",
    "narrative": (
        "My colleague in Guiyang took a loan of RMB 30,000 from a lender named Deng Hongwei. "
        "The interest is ten thousand a month, and his collectors splash paint on the door "
        "and threaten to break his legs."
    ),
}
# The same city and crime, another lender and another sum: a different incident.
LOOK_ALIKE = {
    "channel": "web",
    "narrative": (
        "贵阳市云岩区也有人放高利贷，我借了8000元，现在要还5万，放贷的人叫罗斌，"
        "每天打电话骂我家里人。"
    ),
}


def test_one_incident_told_in_two_languages_is_linked_by_its_evidence(stack: Stack):
    first = submit_and_classify(stack, WITNESS_ZH)
    other_language = submit_and_classify(stack, WITNESS_EN)
    look_alike = submit_and_classify(stack, LOOK_ALIKE)

    first_id = first["subject"]
    assert first["data"]["classification"]["city"] == "guiyang"
    assert other_language["data"]["classification"]["cluster_id"] == first_id
    assert look_alike["data"]["classification"]["cluster_id"] == look_alike["subject"]

    # The link says which evidence made it: the same city and crime with the lender's name and
    # the sum, and the name with the sum; never their values.
    (link,) = classification(stack, other_language["subject"]).json()["details"]["links"]
    assert link["report_id"] == first_id and link["relation"] == "related"
    assert "place+crime+person" in link["evidence"]
    assert "money+person" in link["evidence"]
    cluster = httpx.get(
        f"{stack.url('classifier')}/v1/staff/clusters/{first_id}", headers=staff(stack), timeout=10
    ).json()
    assert {m["report_id"] for m in cluster["members"]} == {first_id, other_language["subject"]}

    # The shared index holds the evidence as hashes only.
    stored = mongo_client(stack)["classifier"]["fingerprints"].find_one({"_id": first_id})
    assert stored is not None and stored["evidence"]
    for private in ("邓宏伟", "denghongwei", "30000", "guiyang", "Guiyang"):
        assert private not in str(stored["evidence"])

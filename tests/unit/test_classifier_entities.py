import pytest

from services.classifier.entities import Entity, extract, luhn_valid, valid_resident_id
from services.classifier.pipeline import entity_kinds
from services.classifier.taxonomy import load

TAXONOMY = load()


def kinds(text: str, kind: str) -> set[str]:
    return {e.value for e in extract(text, TAXONOMY) if e.kind == kind}


@pytest.mark.parametrize(
    "written",
    ["13800138000", "138 0013 8000", "+86 138-0013-8000", "(+86)13800138000", "0086 13800138000"],
)
def test_one_phone_written_many_ways_is_one_entity(written):
    assert kinds(f"他的电话是{written}，打过去就是他。", "phone") == {"+8613800138000"}


def test_a_landline_keeps_its_area_code():
    assert kinds("Call the office on 0731-84561234 during the day.", "phone") == {"+8673184561234"}


def test_a_resident_id_is_kept_only_when_its_check_character_is_right():
    assert valid_resident_id("11010519491231002X")
    assert not valid_resident_id("110105194912310021")
    assert kinds("身份证号11010519491231002X", "resident_id") == {"11010519491231002X"}
    assert kinds("身份证号110105194912310021", "resident_id") == set()


def test_a_bank_card_is_kept_only_when_luhn_accepts_it():
    valid = "4111111111111111"
    assert luhn_valid(valid) and not luhn_valid("4111111111111112")
    assert kinds("转到卡号4111 1111 1111 1111", "bank_card") == {valid}
    assert kinds("转到卡号4111 1111 1111 1112", "bank_card") == set()


@pytest.mark.parametrize("written", ["湘A12345", "湘A·12345", "湘 A 12345", "湘a12345"])
def test_plates_are_normalised(written):
    assert kinds(f"车牌{written}的车", "plate") == {"湘A12345"}


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("每月交2万元", "20000"),
        ("收了3000块", "3000"),
        ("They demanded 50,000 yuan", "50000"),
        ("a fee of RMB 1.5 million", "1500000"),
        ("¥800 a month", "800"),
    ],
)
def test_money_amounts_are_read_as_yuan(text, yuan):
    assert kinds(text, "money") == {yuan}


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2025年3月5日晚上", "2025-03-05"),
        ("on March 5, 2025 at night", "2025-03-05"),
        ("on 5 March 2025", "2025-03-05"),
        ("since 2025-03-05", "2025-03-05"),
        ("3月5号那天", "--03-05"),
    ],
)
def test_dates_are_iso(text, date):
    assert kinds(text, "date") == {date}


def test_places_come_from_the_gazetteer_in_both_languages():
    assert kinds("从长沙到Guangzhou，再到内蒙古的包头", "place") == {
        "Changsha",
        "Guangzhou",
        "Inner Mongolia",
        "Baotou",
    }


def test_organisations_and_people_are_found_where_patterns_allow():
    text = (
        "他们背后是宏达砂石有限公司，老板叫王大海。"
        "Their boss is named Zhang Wei of Hongda Sand and Gravel Co."
    )
    found = set(extract(text, TAXONOMY))
    assert Entity("organisation", "宏达砂石有限公司") in found
    assert Entity("organisation", "hongda sand and gravel co") in found
    assert Entity("person", "王大海") in found
    assert Entity("person", "zhang wei") in found


def test_a_generic_place_of_business_is_not_an_organisation():
    assert kinds("我在物流园开了一家小车队，旁边就是砂场。", "organisation") == set()


def test_the_unsealed_summary_counts_entities_by_kind_and_carries_no_value():
    found = extract("韦大勇的电话是139 0733 2468，另一个是13812345678。", TAXONOMY)
    kinds = entity_kinds(list(found))
    assert kinds.get("phone") == 2
    assert "2468" not in str(kinds) and "韦大勇" not in str(kinds)

import pytest

from services.classifier.domain import classify, crime_types, province_of
from services.classifier.rules import RULES_VERSION


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "村霸强收保护费，不交就打人",
            {"extortion_protection", "violent_intimidation", "market_monopoly"},
        ),
        ("The gang runs an underground casino behind the hotel", {"illegal_gambling"}),
        ("他们放高利贷，还暴力催收", {"loan_sharking"}),
        ("Night-time sand dredging on the river, trucks every hour", {"illegal_mining"}),
        ("派出所所长是他们的保护伞", {"official_collusion"}),
        (
            "A loan shark's men beat my brother; a police chief protects them and takes bribes",
            {"loan_sharking", "violent_intimidation", "official_collusion"},
        ),
    ],
)
def test_crime_types_are_found_in_chinese_english_and_mixed_reports(text, expected):
    assert expected <= set(crime_types(text))


def test_a_report_that_matches_nothing_is_other():
    assert crime_types("Something strange is going on in our street at night") == ["other"]


def test_english_keywords_match_whole_words_only():
    assert "drug_trafficking" not in crime_types("The drugstore owner was friendly")


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ({"province": "湖南省", "city": "长沙市"}, ("hunan", "changsha")),
        ({"province": "广西壮族自治区"}, ("guangxi", None)),
        ({"province": "hunan province"}, ("hunan", None)),
        ({"city": "Shenzhen"}, ("guangdong", "shenzhen")),
        ({"details": "near the bridge"}, (None, None)),
        (None, (None, None)),
    ],
)
def test_the_region_comes_from_the_location(location, expected):
    assert province_of(location) == expected


def test_classification_records_the_rules_that_made_it():
    result = classify({"narrative": "赌场", "location": {"province": "北京"}})
    assert result.crime_types == ["illegal_gambling"]
    assert result.province == "beijing"
    assert result.rules_version == RULES_VERSION

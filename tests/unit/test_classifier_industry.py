"""Industry: read from the trade a report's crime is set in, not from any word anywhere; the
writer's own job sets the scene; nothing named and the model unsure is `other`, for review."""

import pytest

from services.classifier import domain, rules
from services.classifier.model import Predictions, load
from services.classifier.taxonomy import load as load_taxonomy

MODEL = load()
TAXONOMY = load_taxonomy()
INDUSTRIES = [
    "construction", "mining", "transport", "finance_lending", "entertainment_venues",
    "agriculture_fisheries", "real_estate_land", "retail_markets", "healthcare", "education",
    "other",
]  # fmt: skip


def flat(**leaning: float) -> Predictions:
    """A model reading that leans a little where told, otherwise even."""
    rest = (1.0 - sum(leaning.values())) / (len(INDUSTRIES) - len(leaning))
    return Predictions(crime_types={}, industries={k: leaning.get(k, rest) for k in INDUSTRIES})


def industry(narrative: str) -> str | None:
    return domain.analyse({"narrative": narrative}, MODEL, TAXONOMY).industry


@pytest.mark.parametrize(
    ("text", "crimes", "expected"),
    [
        ("河边那个砂场晚上偷偷抽沙，几十条船一直干到天亮。", [], "mining"),
        (
            "There is an illegal quarry behind our village, they blast every afternoon.",
            [],
            "mining",
        ),
        ("渣土车全是他们公司的，拉渣土要给他们交钱。", [], "transport"),
        ("The bus route to the airport is run by one gang.", [], "transport"),
        ("城南工地的包工头每天收20块管理费，不交就不让上塔吊。", [], "construction"),
        ("Every subcontractor on the building site pays the foreman's men.", [], "construction"),
        ("那家KTV包厢里有人卖K粉。", [], "entertainment_venues"),
        ("The nightclub's back room runs baccarat tables every night.", [], "entertainment_venues"),
        ("休渔期还有渔船用电网捕鱼。", [], "agriculture_fisheries"),
        ("开发商找人晚上来砸窗户，逼我们签拆迁协议。", [], "real_estate_land"),
        ("菜市场的摊位被他们垄断，新来的摊贩要交进场费。", [], "retail_markets"),
        ("县医院门口的医托把病人骗到私人诊所。", [], "healthcare"),
        ("校外辅导班收了一年学费，老板跑路了。", [], "education"),
        ("镇上的投资公司搞集资，说月息3分，老人的养老钱都投进去了。", [], "finance_lending"),
        # The loan is the crime, wherever the borrower works.
        (
            "我是开出租车的，之前跟人借了五万，现在要我还三十万。",
            ["loan_sharking"],
            "finance_lending",
        ),
        (
            "我在工地搬砖，借了放贷的三万块，他们天天打电话给工友。",
            ["loan_sharking"],
            "finance_lending",
        ),
        # The writer's job sets the scene; the crime's trade decides.
        (
            "我们祖祖辈辈在江边打鱼为生。这两年来了几十条抽沙船，半夜偷偷采砂。",
            ["illegal_mining"],
            "mining",
        ),
    ],
)
def test_the_trade_the_crime_is_set_in(text: str, crimes: list[str], expected: str) -> None:
    chosen, _, _ = domain.choose_industry(text, flat(), crimes)
    assert chosen == expected


def test_a_trade_named_outweighs_a_model_leaning_elsewhere() -> None:
    chosen, _, _ = domain.choose_industry(
        "采石场没有任何手续，天天放炮，矿上的工人都是外地来的。", flat(education=0.3), []
    )
    assert chosen == "mining"


def test_nothing_named_and_the_model_unsure_is_other_for_review() -> None:
    chosen, _, reasons = domain.choose_industry(
        "my ex keeps following me and sends messages at night", flat(entertainment_venues=0.2), []
    )
    assert chosen == "other"
    assert reasons


def test_nothing_named_keeps_a_sure_model_reading() -> None:
    chosen, confidence, reasons = domain.choose_industry(
        "他们天天来闹事。", flat(construction=0.8), []
    )
    assert (chosen, reasons) == ("construction", [])
    assert confidence == pytest.approx(0.8)


@pytest.mark.parametrize(
    "text",
    [
        "我邻居家养了十几条狗，天天叫，跟他说了他还骂人。",
        "The man upstairs plays loud music every night and shouts at my wife.",
    ],
)
def test_hard_negatives_are_not_given_a_trade(text: str) -> None:
    assert industry(text) == "other"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我在工地干活，借了放贷的三万块，利息一个月一万，他们天天到工地催收。", "finance_lending"),
        (
            "We make our living fishing. At night dredgers suck sand from the lake bed.",
            "mining",
        ),
        ("后山有个采石场没有任何手续，天天放炮，房子都震裂了。", "mining"),
    ],
)
def test_whole_reports(text: str, expected: str) -> None:
    assert industry(text) == expected


@pytest.mark.parametrize(
    "clause",
    [
        "我是开出租车的",
        "我们祖祖辈辈在江边打鱼为生",
        "本人在工地上班",
        "我老公是跑大车的",
        "I teach at a primary school.",
        "I'm a fisherman on the lake.",
        "Dear office, we make our living fishing",
        "my dad runs a noodle stall",
    ],
)
def test_the_writer_introducing_themselves(clause: str) -> None:
    assert rules.WRITER_INTRODUCED.search(clause)


@pytest.mark.parametrize(
    "clause",
    [
        "河边那个砂场晚上偷偷抽沙",
        "他们在工地上收管理费",
        "The bus route to the airport is run by one gang.",
        "They lend money to the losers at crazy interest",
    ],
)
def test_the_crime_told_is_no_introduction(clause: str) -> None:
    assert not rules.WRITER_INTRODUCED.search(clause)

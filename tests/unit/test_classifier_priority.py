"""Priority follows what a report says about imminence and danger, not a keyword anywhere."""

import pytest

from services.classifier import domain
from services.classifier.model import load
from services.classifier.taxonomy import load as load_taxonomy

MODEL = load()
TAXONOMY = load_taxonomy()


def priority(narrative: str, cluster_size: int = 1) -> str:
    analysis = domain.analyse({"narrative": narrative}, MODEL, TAXONOMY)
    return domain.priority(analysis, cluster_size)[0]


@pytest.mark.parametrize(
    "narrative",
    [
        "他们每月来收保护费。门上写着：12月5日前不搬，烧。",
        "They collect protection money from every stall. They said if I do not pay by Friday "
        "they will burn the shop.",
        "放高利贷的把我弟弟绑走了，要我们拿五万块赎人。",
        "The loan sharks are holding my brother and want ransom.",
        "矿上非法开采，井下有瓦斯，已经有工人晕倒了，老板还逼着下井。",
        "Illegal mine: there is gas underground and two miners passed out yesterday.",
        "他们在校门口向初中生卖毒品。",
        "They sell drugs to pupils at the school gate.",
        "我被高利贷逼得活不下去了，想过自杀。",
        "他们收保护费，腰里别着砍刀，说今晚就来砍人。",
    ],
)
def test_danger_now_is_critical(narrative):
    assert priority(narrative) == "critical"


@pytest.mark.parametrize(
    "narrative",
    [
        # A weapon carried, no threat: dangerous, not imminent.
        "菜市场有一伙人收保护费，他们车上常备砍刀。",
        # Many victims, or a large sum.
        "这个理财平台骗了上千名老人，非法集资两千万元。",
        "The investment scheme took money from hundreds of investors.",
    ],
)
def test_ongoing_danger_or_great_harm_is_high(narrative):
    assert priority(narrative) == "high"


@pytest.mark.parametrize(
    "narrative",
    [
        # A date with no threat is no imminence.
        "明天我要去上班，想先举报一下：菜市场的菜霸强买强卖，垄断了批发。",
        "They control the vegetable wholesale trade and fix the prices. I will call again "
        "tomorrow.",
    ],
)
def test_a_date_without_a_threat_is_not_imminent(narrative):
    assert priority(narrative) == "normal"


def test_old_or_vague_events_are_low_unless_they_go_on():
    assert priority("很多年前，大概2010年，我们村有一伙人开赌场，老板已经死了。") == "low"
    assert priority("Years ago, maybe 2010, there was a gang running a gambling den.") == "low"
    assert priority("很多年前他们就开始开赌场，现在还在开，每天晚上都有人去赌。") != "low"


def test_the_reporters_own_children_are_not_minors_drawn_in():
    narrative = "楼上邻居天天装修，晚上十点还在打电钻。我儿子是初中生，晚上根本睡不好。"
    assert priority(narrative) == "low"


@pytest.mark.parametrize(
    "narrative",
    [
        # A threat to kill or maim, whenever it was made.
        "放高利贷的打电话说要弄死我全家。",
        "The lender threatened to kill my family if I go to the police.",
        "收保护费的说再晚交就打断我老公的腿。",
        # A child in danger, named by age or school.
        "我儿子才十五岁，被他们拉去赌场看场子，现在还在里面。",
        "Drug dealers sell pills to students outside the middle school gate.",
        "Some of the girls working in the massage parlour are only 15.",
        # Violence going on now.
        "他们十几个人拿着钢管在我们厂门口打人，快来人！",
        "Right now men with knives are beating the workers who asked for their wages.",
    ],
)
def test_threats_to_kill_children_in_danger_and_violence_now_are_critical(narrative):
    assert priority(narrative) == "critical"


@pytest.mark.parametrize(
    "narrative",
    [
        # Harm denied raises nothing.
        "那伙人来店里收保护费，态度很凶，没有人受伤。",
        "They run a protection racket on the night market; nobody was hurt so far.",
        "他们在村口棋牌室赌钱，一晚上输赢几千块，没有打架，也没有人被威胁。",
        "The sand boats dredge at night; the men on board are not threatening anyone.",
    ],
)
def test_harm_denied_does_not_raise_priority(narrative):
    assert priority(narrative) == "normal"


def test_a_threat_without_a_date_is_high_in_a_report_of_intimidation():
    assert priority("那伙人天天上门恐吓威胁我们，说不搬走就让我们好看。") == "high"
    assert priority("They threaten and intimidate every shop owner on the street.") == "high"


def test_resolved_events_are_low():
    assert priority("以前他们收过保护费，打过人，但是去年已经被抓了，现在没事了。") == "low"
    assert priority("A gang ran a gambling den in our street, but they were all arrested.") == "low"


def test_a_critical_report_implicating_an_official_says_so_in_its_reasons():
    narrative = "他们在校门口向初中生卖毒品。派出所副所长收了老板的好处，每次检查前都通风报信。"
    analysis = domain.analyse({"narrative": narrative}, MODEL, TAXONOMY)
    level, reasons = domain.priority(analysis, 1)
    assert level == "critical"
    assert "official involvement" in reasons

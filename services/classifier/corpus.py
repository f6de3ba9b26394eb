"""Writes the labelled corpora: `python -m services.classifier.corpus`.

Both files are synthetic: reports assembled from hand-written sentences in Chinese and English,
with invented people, companies, phone numbers, plates, cards and ID numbers (checksums valid).
The training set and the evaluation set are kept apart: every sentence pool is split in two,
the training set draws only from one half and the evaluation set only from the other, with
different openings, closings and witness phrasings, and a different random seed. So the
evaluation set measures how the model copes with wording it has never seen, not recall of its
training data. Entity values (names, companies, numbers) are drawn fresh for each incident.

The evaluation set also holds what linking must get right: the same report sent twice with
small edits, the same report retold, the same incident told by other witnesses (who share
names, numbers or plates, not wording), and unrelated reports that share words, places and
crime types.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.classifier.entities import luhn_check_digit, resident_id_check_character
from services.classifier.model import NONE
from services.classifier.rules import OFFICIAL_ROLES

DATA = Path(__file__).with_name("data")
TRAIN_FILE = DATA / "train.jsonl"
EVAL_FILE = DATA / "eval.jsonl"
# Training only: sentences written apart from this file (by people who never saw the evaluation
# halves below), 40 per crime type and 30 per industry in each language.
SENTENCES = DATA / "sentences"

# Each pool: (training half, evaluation half). Slots: {boss} {org} {phone} {plate} {money}
# {date} {place} {card} {idno} {nick}.
Pool = dict[str, tuple[list[str], list[str]]]

CRIME_ZH: Pool = {
    "violent_intimidation": (
        [
            "他们经常拿着钢管在街上转悠，谁不听话就把谁打一顿，上个月还把一个摊主打进了医院。",
            "这伙人晚上上门砸玻璃、泼油漆，威胁说再不搬走就让我们全家好看。",
            "我父亲因为不肯签字，被五六个人围住殴打，头上缝了十几针。",
            "他们在村口拦车，看谁不顺眼就动手打人，村民敢怒不敢言。",
        ],
        [
            "那帮人揣着刀到处恐吓，前几天有个老人被推倒在地，肋骨都断了。",
            "半夜有人往我家院子里扔死老鼠，还打电话说要弄死我。",
            "我弟弟只是多说了一句，就被拖进巷子里一顿拳打脚踢。",
        ],
    ),
    "extortion_protection": (
        [
            "每个月初都有人挨家挨户收“管理费”，每家{money}，不交就不让开门做生意。",
            "他们强迫我们交保护费，说交了钱才能保证店里平安。",
            "过年前他们又来敲诈，张口就要{money}，说是“兄弟们的辛苦钱”。",
            "不给钱的商户第二天就发现门锁被堵、招牌被砸。",
        ],
        [
            "凡是在这条街开店的，都得按月给他们上供{money}，名义上叫“卫生费”。",
            "他们以“看场子”为名勒索商户，谁拒绝就派人天天来门口闹事。",
            "我刚开业一周就被要了{money}的“平安钱”。",
        ],
    ),
    "illegal_gambling": (
        [
            "他们在{org}的地下室开了赌场，每天晚上都有几十人在里面赌博，进出都要对暗号。",
            "那里名义上是棋牌室，实际上是赌场，一晚上输赢几十万。",
            "他们组织网络赌博，拉人进群下注，庄家抽水。",
        ],
        [
            "村里的空厂房被改成了赌窝，天一黑就有人开车来押大小。",
            "他们设局引诱工友去打牌，输了钱就逼着借他们的钱继续赌。",
        ],
    ),
    "drug_trafficking": (
        [
            "我亲眼看到他们在{org}的包厢里交易毒品，一小包一小包地卖。",
            "他们从外地运来冰毒，再分给下线在夜场里贩卖。",
            "有人在出租屋里制毒，楼道里总有一股刺鼻的化学味。",
        ],
        [
            "那个人常年在网吧后门卖“麻古”，来买的多是年轻人。",
            "他们用快递把毒品寄到各个县城，收货的人用假名字。",
        ],
    ),
    "loan_sharking": (
        [
            "他们放高利贷，借一万块一个月利息就要三千，还不上就翻倍。",
            "我借了{money}，被逼着签了一张远超借款金额的欠条，这是典型的套路贷。",
            "催收的人天天堵在我家门口，在墙上喷“欠债还钱”，还给我孩子的学校打电话。",
            "他们暴力催收，把欠钱的人关在屋子里不让走，直到家里人拿钱来赎。",
        ],
        [
            "利息是按天算的，砍头息先扣掉两成，到手的钱根本不够还。",
            "还不上钱，他们就把我的车开走了，说要拿去抵债。",
            "他们的催收人员半夜打电话辱骂我的父母，还把我的照片发到亲戚群里。",
        ],
    ),
    "illegal_mining": (
        [
            "每天夜里都有采砂船在河道里非法采砂，河堤都快被挖空了。",
            "他们没有任何手续就在山上开矿，炸山的声音半夜都能听见。",
            "河里的沙子被抽走以后，下游的桥墩都露出来了。",
        ],
        [
            "十几条抽沙船白天躲起来，凌晨两点以后开工，把沙子偷偷卖给搅拌站。",
            "他们在保护区里盗采稀土，洗矿的废水直接排进了农田。",
        ],
    ),
    "market_monopoly": (
        [
            "这个市场的蔬菜批发被他们垄断了，外地菜进不来，只能从他们手里拿货。",
            "工地上的钢材、水泥都必须从他们指定的地方买，价格比市面上贵三成。",
            "他们强买强卖，工程一开工就逼着施工方用他们的土方队。",
            "谁要是从别的地方进货，第二天摊位就会被掀翻。",
        ],
        [
            "整个片区的装修材料只能找他们，换别家的话工人就进不了小区。",
            "他们把持了镇上所有的工程，别的施工队根本投不了标。",
            "猪肉摊的价格都是他们定的，谁便宜卖谁就被赶走。",
        ],
    ),
    "transport_monopoly": (
        [
            "从县城到乡镇的客运线路被他们霸占，别的车跑这条线就会被拦下来砸车。",
            "砂石运输全部被他们控制，别的车队想拉货必须每车交钱。",
            "物流园里的货只能用他们的车拉，价格翻了一倍。",
        ],
        [
            "码头上的集装箱拖车都得挂靠他们的公司，不挂靠就别想接活。",
            "高铁站门口的出租车和黑车都归他们管，外来司机拉客会被围殴。",
        ],
    ),
    "prostitution_trafficking": (
        [
            "{org}楼上其实在组织卖淫，女孩子大多是从外地骗来的。",
            "他们以招工为名把农村女孩骗到城里，收走身份证后逼她们接客。",
            "有中介专门介绍外籍妇女来这里，被卖给当地人做媳妇。",
        ],
        [
            "那家足疗店晚上只接熟客，里面有人提供色情服务，老板按人头抽成。",
            "我表妹说是去南方打工，结果被控制在一个宿舍里，手机也被没收了。",
        ],
    ),
    "fraud_fundraising": (
        [
            "他们以高回报为诱饵非法集资，说投{money}一年能拿三成利息，现在老板跑路了。",
            "这家公司打着养老项目的旗号，骗老人买理财产品，很多人一辈子的积蓄都没了。",
            "他们搞传销，拉人头发展下线，交了钱才能“升级”。",
            "他们冒充银行工作人员打电话诈骗，让受害人把钱转到{card}这张卡上。",
        ],
        [
            "所谓的“区块链项目”根本不存在，钱一进账就被转到了境外。",
            "他们在小区里开讲座，送鸡蛋送米，然后让老人签合同“投资”。",
            "我被拉进一个“内部理财群”，先让小赚几笔，最后投进去的{money}全部提不出来。",
        ],
    ),
}

CRIME_EN: Pool = {
    "violent_intimidation": (
        [
            "They walk around the street with steel pipes and beat anyone who talks back; last month a stall owner ended up in hospital.",
            "At night they come and smash windows and throw paint, and they threaten to hurt our families if we do not move out.",
            "My father refused to sign and was surrounded and beaten by five or six men; he needed stitches in his head.",
            "They stop cars at the village entrance and attack whoever they dislike; people are too scared to say anything.",
        ],
        [
            "The gang carries knives and frightens everyone; a few days ago an old man was shoved to the ground and broke his ribs.",
            "Someone threw dead rats into our yard at midnight and then phoned to say they would kill me.",
            "My brother said one word back and was dragged into an alley and kicked and punched.",
        ],
    ),
    "extortion_protection": (
        [
            "At the start of every month men go door to door collecting a 'management fee' of {money}; if you refuse you cannot open your shop.",
            "They force us to pay protection money and say it keeps our shop safe.",
            "Before the New Year they came to extort us again and demanded {money} for 'the brothers'.",
            "Shop owners who do not pay find their locks glued and their signs smashed the next morning.",
        ],
        [
            "Anyone who opens a shop on this street has to hand them {money} a month, which they call a 'cleaning fee'.",
            "They shake down businesses in the name of 'looking after the place', and anyone who says no gets people making trouble at the door every day.",
            "One week after I opened they demanded {money} as 'peace money'.",
        ],
    ),
    "illegal_gambling": (
        [
            "They run a casino in the basement of {org}; dozens of people gamble there every night and you need a password to get in.",
            "It is called a card room but it is really a gambling den where people win or lose hundreds of thousands in a night.",
            "They organise online gambling, pulling people into chat groups to place bets while the house takes a cut.",
        ],
        [
            "An empty factory in the village has become a gambling den; after dark people drive in to bet on dice.",
            "They lure workers into card games, and when they lose they are pushed to borrow from the gang to keep playing.",
        ],
    ),
    "drug_trafficking": (
        [
            "I saw them dealing drugs in the private rooms of {org}, selling small bags one at a time.",
            "They bring in meth from out of town and hand it to their people to sell in the night clubs.",
            "Someone is cooking drugs in a rented flat; the stairwell always smells of chemicals.",
        ],
        [
            "That man has been selling pills behind the internet cafe for years, mostly to teenagers.",
            "They post narcotics by courier to county towns and the people who collect them use fake names.",
        ],
    ),
    "loan_sharking": (
        [
            "They lend at usurious rates: borrow ten thousand and the interest is three thousand a month, doubling if you miss a payment.",
            "I borrowed {money} and was forced to sign an IOU for far more than that; it is a classic loan trap.",
            "The debt collectors wait outside my home every day, spray 'pay your debts' on the wall and call my child's school.",
            "They collect debts with violence, locking borrowers in a room until their families bring money.",
        ],
        [
            "Interest is charged by the day and they take twenty percent off the top, so what you receive is never enough to repay.",
            "When I could not pay they drove my car away and said it settled part of the debt.",
            "Their collectors phone my parents at midnight to abuse them and posted my photo in my relatives' group chat.",
        ],
    ),
    "illegal_mining": (
        [
            "Every night dredging boats illegally pump sand from the river, and the embankment is nearly hollowed out.",
            "They opened a mine on the hill without any permit, and you can hear the blasting at midnight.",
            "Since the sand was sucked out of the river the piers of the bridge downstream are exposed.",
        ],
        [
            "A dozen sand-pumping boats hide during the day, start after two in the morning and sell the sand to concrete plants.",
            "They are digging rare earth inside the nature reserve and the waste water from washing the ore runs into the fields.",
        ],
    ),
    "market_monopoly": (
        [
            "They control vegetable wholesale in this market; produce from outside cannot come in and everyone has to buy from them.",
            "On the building site all steel and cement must be bought from their suppliers at thirty percent over market price.",
            "They force their earth-moving crews on every project as soon as it starts.",
            "If you buy stock anywhere else, your stall is overturned the next day.",
        ],
        [
            "All the renovation materials in the district have to come from them; use anyone else and the workers are kept out of the estate.",
            "They have a grip on every project in the town, and other contractors cannot even bid.",
            "They set the price at every pork stall, and whoever sells cheaper is driven out.",
        ],
    ),
    "transport_monopoly": (
        [
            "They have taken over the bus route from the county town to the villages, and any other vehicle on it is stopped and smashed.",
            "All the sand and gravel haulage is controlled by them; other fleets have to pay for every truckload.",
            "Goods in the logistics park can only be moved by their trucks, at double the price.",
        ],
        [
            "Every container truck at the port must register under their company or it gets no work.",
            "They run all the taxis and unlicensed cabs outside the railway station, and outside drivers who pick up passengers are beaten.",
        ],
    ),
    "prostitution_trafficking": (
        [
            "Upstairs at {org} they run a prostitution ring, and most of the girls were tricked into coming from other provinces.",
            "They lure village girls to the city with job offers, take their identity cards and force them to sell sex.",
            "A broker brings in foreign women who are sold to local men as wives.",
        ],
        [
            "The foot massage shop only takes regulars at night; sexual services are sold inside and the owner takes a cut per girl.",
            "My cousin went south for a factory job and ended up locked in a dormitory with her phone taken away.",
        ],
    ),
    "fraud_fundraising": (
        [
            "They raised money illegally by promising thirty percent a year on an investment of {money}; now the boss has disappeared.",
            "This company sells 'elderly care' investment products to old people, and many have lost their life savings.",
            "They run a pyramid scheme where you must recruit others and pay to 'level up'.",
            "They call people pretending to be bank staff and tell them to transfer money to the card {card}.",
        ],
        [
            "The so-called blockchain project does not exist; money is moved abroad as soon as it arrives.",
            "They hold talks in housing estates, hand out free eggs and rice, then get old people to sign 'investment' contracts.",
            "I was added to an 'insider wealth group', allowed a few small wins, and then could not withdraw the {money} I had put in.",
        ],
    ),
}

OFFICIAL_ZH = (
    [
        "派出所的{role}是他们的保护伞，每次有人报警，警察来了转一圈就走。",
        "听说他们每年给镇上的干部送钱，所以从来没人查。",
        "{role}收了他们的好处，还亲自给他们通风报信。",
        "老大的亲戚在县里当官，出了事都是他出面摆平。",
    ],
    [
        "我们举报过好几次，结果举报信转到了他们手里，{role}还打电话警告我们别多事。",
        "据说{role}在他们公司有干股，执法检查前都会提前打招呼。",
        "法院的一位法官跟他们称兄道弟，官司从来没输过。",
    ],
)
OFFICIAL_EN = (
    [
        "The {role} at the police station protects them; every time someone calls the police, officers show up and leave without doing anything.",
        "People say they pay the township officials every year, which is why nobody ever investigates.",
        "The {role} takes bribes from them and tips them off before inspections.",
        "The boss has a relative who is an official in the county government and smooths everything over.",
    ],
    [
        "We reported them several times and our letter ended up in their hands; the {role} then called to warn us to stay out of it.",
        "They say the {role} holds a secret share in their company and warns them before every inspection.",
        "A judge at the court treats them like brothers, and they never lose a case.",
    ],
)
ROLES_ZH = (["副所长", "所长", "镇党委书记", "村支书"], ["分局局长", "国土所所长", "副镇长"])
ROLES_EN = (
    ["deputy chief", "station chief", "township party secretary"],
    ["district police chief", "land bureau head", "deputy mayor"],
)

# Industry scene-setting: (zh, en) pools per industry.
INDUSTRY_ZH: Pool = {
    "construction": (
        ["我在{place}的一个建筑工地上做分包。", "我们公司在{place}承接了一个市政工程。"],
        ["我是{place}一个装修队的包工头。"],
    ),
    "mining": (
        ["我们村在{place}，村后面就是河道和矿山。", "我在{place}的一个采石场附近住了二十年。"],
        ["我家在{place}的河边，旁边就是砂场。"],
    ),
    "transport": (
        ["我在{place}开了十年货车。", "我是{place}跑客运的司机。"],
        ["我在{place}的物流园开了一家小车队。"],
    ),
    "finance_lending": (
        [
            "我在{place}做小生意，前年资金周转不开。",
            "我是{place}的一个普通工人，因为家里有人生病急需用钱。",
        ],
        ["去年在{place}，我因为孩子上学需要一笔钱。"],
    ),
    "entertainment_venues": (
        ["我在{place}的一家KTV做服务员。", "我是{place}一家酒吧的调酒师。"],
        ["我以前在{place}的一家洗浴中心上班。"],
    ),
    "agriculture_fisheries": (
        ["我是{place}的养殖户，承包了村里的鱼塘。", "我在{place}种了三十亩果园。"],
        ["我们在{place}靠打渔为生。"],
    ),
    "real_estate_land": (
        ["我们小区在{place}，开发商一直没有交房。", "我家在{place}的老房子被划进了拆迁范围。"],
        ["我在{place}有一块宅基地，村里说要征收。"],
    ),
    "retail_markets": (
        ["我在{place}的农贸市场有个摊位。", "我在{place}的服装批发城开店。"],
        ["我在{place}的建材市场租了一个门面。"],
    ),
    "healthcare": (
        ["我在{place}的一家民营医院工作过。", "我母亲在{place}的一家诊所看病。"],
        ["我是{place}一家药店的店员。"],
    ),
    "education": (
        ["我孩子在{place}的一所民办学校读书。", "我在{place}的一家培训机构当老师。"],
        ["我是{place}一所中学的家长代表。"],
    ),
    "other": (["我住在{place}。", "我是{place}的普通居民。"], ["我是{place}本地人。"]),
}
INDUSTRY_EN: Pool = {
    "construction": (
        [
            "I work as a subcontractor on a building site in {place}.",
            "Our company won a municipal construction contract in {place}.",
        ],
        ["I lead a small renovation crew in {place}."],
    ),
    "mining": (
        [
            "Our village is in {place}, with the river and the quarries right behind it.",
            "I have lived next to a stone quarry in {place} for twenty years.",
        ],
        ["My family lives on the riverbank in {place}, right beside a sand yard."],
    ),
    "transport": (
        [
            "I have been driving a freight truck in {place} for ten years.",
            "I drive a passenger minibus in {place}.",
        ],
        ["I run a small fleet of vans at the logistics park in {place}."],
    ),
    "finance_lending": (
        [
            "I run a small business in {place} and two years ago I ran short of cash.",
            "I am an ordinary worker in {place} and needed money urgently when a relative fell ill.",
        ],
        ["Last year in {place} I needed a sum of money for my child's school fees."],
    ),
    "entertainment_venues": (
        [
            "I work as a waiter at a karaoke club in {place}.",
            "I am a bartender at a bar in {place}.",
        ],
        ["I used to work at a bathhouse and spa in {place}."],
    ),
    "agriculture_fisheries": (
        [
            "I am a fish farmer in {place} and rent the village ponds.",
            "I grow fruit on thirty mu of orchard in {place}.",
        ],
        ["We make our living fishing in {place}."],
    ),
    "real_estate_land": (
        [
            "Our housing estate is in {place} and the developer never handed over the flats.",
            "Our old house in {place} was put inside a demolition zone.",
        ],
        ["I hold a plot of homestead land in {place} that the village says it will take."],
    ),
    "retail_markets": (
        [
            "I have a stall at the farmers' market in {place}.",
            "I run a shop in the clothing wholesale mall in {place}.",
        ],
        ["I rent a unit in the building materials market in {place}."],
    ),
    "healthcare": (
        [
            "I used to work at a private hospital in {place}.",
            "My mother was treated at a clinic in {place}.",
        ],
        ["I am a shop assistant at a pharmacy in {place}."],
    ),
    "education": (
        [
            "My child attends a private school in {place}.",
            "I teach at a tutoring centre in {place}.",
        ],
        ["I am a parents' representative at a middle school in {place}."],
    ),
    "other": (
        ["I live in {place}.", "I am an ordinary resident of {place}."],
        ["I am from {place}."],
    ),
}
# Which industries a crime plausibly happens in.
CRIME_INDUSTRIES = {
    "violent_intimidation": [
        "construction",
        "real_estate_land",
        "retail_markets",
        "other",
        "agriculture_fisheries",
    ],
    "extortion_protection": ["retail_markets", "entertainment_venues", "construction", "transport"],
    "illegal_gambling": ["entertainment_venues", "other", "construction"],
    "drug_trafficking": ["entertainment_venues", "other"],
    "loan_sharking": ["finance_lending", "education", "other"],
    "illegal_mining": ["mining", "agriculture_fisheries"],
    "market_monopoly": [
        "retail_markets",
        "construction",
        "real_estate_land",
        "agriculture_fisheries",
    ],
    "transport_monopoly": ["transport"],
    "prostitution_trafficking": ["entertainment_venues", "other"],
    "fraud_fundraising": ["finance_lending", "healthcare", "education", "real_estate_land"],
    "other": ["healthcare", "education", "other"],
}
# Training only: how people name each crime, put into varied frames, so the model learns the
# vocabulary of a crime rather than a handful of whole sentences.
PHRASES_ZH: dict[str, list[str]] = {
    "violent_intimidation": [
        "持械伤人",
        "把人打成重伤",
        "上门恐吓",
        "围攻村民",
        "拿刀威胁",
        "殴打路人",
        "寻衅滋事",
        "聚众斗殴",
        "打断了别人的腿",
        "威胁要杀人全家",
        "用铁棍打人",
        "砸车砸店",
    ],
    "extortion_protection": [
        "收保护费",
        "敲诈勒索商户",
        "强收管理费",
        "索要好处费",
        "按月收“份子钱”",
        "逼店主交钱",
        "勒索过路司机",
        "强行收取“场地费”",
        "向摊贩敲诈钱财",
        "以各种名义收钱",
    ],
    "illegal_gambling": [
        "开设赌场",
        "聚众赌博",
        "组织网络赌博",
        "开地下赌档",
        "设赌局抽头",
        "搞“六合彩”",
        "经营赌博机",
        "组织打牌赌钱",
        "在酒店包房里开赌",
        "放赌债",
    ],
    "drug_trafficking": [
        "贩卖毒品",
        "贩卖冰毒",
        "运输毒品",
        "制造毒品",
        "卖K粉",
        "在夜场卖摇头丸",
        "藏毒运毒",
        "容留他人吸毒",
        "做毒品生意",
        "从境外走私毒品",
    ],
    "loan_sharking": [
        "放高利贷",
        "搞套路贷",
        "暴力催收",
        "软暴力催债",
        "月息三分的贷款",
        "逼人签虚高借条",
        "利滚利",
        "上门讨债",
        "非法拘禁欠债人",
        "给欠款人家里泼油漆",
    ],
    "illegal_mining": [
        "非法采砂",
        "盗采河砂",
        "无证开矿",
        "私挖滥采",
        "非法开采矿石",
        "偷采煤炭",
        "在河道里挖沙",
        "毁林开矿",
        "非法采石",
        "盗挖稀土",
    ],
    "market_monopoly": [
        "垄断市场",
        "强买强卖",
        "欺行霸市",
        "垄断工程",
        "强揽工程",
        "控制建材供应",
        "垄断土方生意",
        "霸占菜市场",
        "逼商户进他们的货",
        "围标串标",
    ],
    "transport_monopoly": [
        "垄断客运线路",
        "霸占运输市场",
        "控制砂石运输",
        "垄断货运",
        "强迫司机挂靠",
        "拦截别家的货车",
        "垄断出租车营运",
        "控制码头运输",
        "独霸物流生意",
        "不许外地车拉货",
    ],
    "prostitution_trafficking": [
        "组织卖淫",
        "强迫妇女卖淫",
        "拐卖妇女",
        "拐卖儿童",
        "介绍卖淫",
        "容留卖淫",
        "以招工为名骗女孩",
        "贩卖人口",
        "控制女孩接客",
        "在按摩店搞色情交易",
    ],
    "fraud_fundraising": [
        "非法集资",
        "搞传销",
        "电信诈骗",
        "集资诈骗",
        "虚假投资理财",
        "骗老人买保健品",
        "网络诈骗",
        "庞氏骗局",
        "以高息吸收存款",
        "冒充公检法诈骗",
    ],
}
PHRASES_EN: dict[str, list[str]] = {
    "violent_intimidation": [
        "attack people with clubs",
        "beat a man until he was unconscious",
        "threaten families at their homes",
        "assault anyone who complains",
        "threaten people with knives",
        "smash cars and shops",
        "start fights in the street",
        "break people's legs",
        "threaten to kill whole families",
        "terrorise the neighbourhood",
    ],
    "extortion_protection": [
        "collect protection money",
        "extort money from shop owners",
        "force stallholders to pay a monthly fee",
        "demand cash from every business",
        "run a protection racket",
        "squeeze money out of drivers",
        "charge a 'site fee' by force",
        "blackmail local traders",
        "extort the restaurants",
        "make shops pay to stay open",
    ],
    "illegal_gambling": [
        "run an illegal casino",
        "organise gambling",
        "operate online betting",
        "run a gambling den",
        "host card games for money",
        "run illegal lottery betting",
        "keep gambling machines",
        "take bets on football",
        "run mahjong gambling for high stakes",
        "lend money to gamblers",
    ],
    "drug_trafficking": [
        "sell drugs",
        "deal methamphetamine",
        "smuggle narcotics",
        "traffic heroin",
        "sell ecstasy in clubs",
        "make drugs in a rented house",
        "move drugs across the border",
        "supply drugs to dealers",
        "sell ketamine",
        "run a drug ring",
    ],
    "loan_sharking": [
        "lend money at illegal interest",
        "run a loan shark business",
        "collect debts with violence",
        "charge interest of ten percent a month",
        "force borrowers to sign inflated IOUs",
        "hound debtors day and night",
        "lock up people who owe them money",
        "compound interest until the debt explodes",
        "send debt collectors to homes",
        "seize property for unpaid loans",
    ],
    "illegal_mining": [
        "dredge sand illegally",
        "mine without a licence",
        "steal sand from the river",
        "dig coal illegally",
        "quarry stone without permits",
        "strip the hills for ore",
        "pump sand out of the lake",
        "mine rare earth illegally",
        "cut down forest to mine",
        "run an unlicensed quarry",
    ],
    "market_monopoly": [
        "monopolise the market",
        "force buyers to buy from them",
        "control all building materials",
        "take every construction project by force",
        "rig the bids",
        "bully other traders out",
        "fix prices in the market",
        "force contractors to use their crews",
        "control the wholesale trade",
        "keep competitors out by threats",
    ],
    "transport_monopoly": [
        "monopolise the bus routes",
        "control all freight haulage",
        "force truck drivers to pay them",
        "control sand and gravel transport",
        "block other trucking firms",
        "run the taxi ranks by force",
        "control the port haulage",
        "stop outside trucks from loading",
        "own every logistics contract by threats",
        "make drivers register with their fleet",
    ],
    "prostitution_trafficking": [
        "run a prostitution ring",
        "force women into prostitution",
        "traffic women",
        "sell children",
        "lure girls with fake jobs",
        "keep women locked up to sell sex",
        "run a brothel",
        "traffic people across the border",
        "pimp girls in hotels",
        "sell women as brides",
    ],
    "fraud_fundraising": [
        "raise money illegally",
        "run a pyramid scheme",
        "run phone scams",
        "cheat investors",
        "sell fake investment products",
        "run a Ponzi scheme",
        "cheat old people out of their savings",
        "run online fraud",
        "promise impossible returns",
        "pose as police to cheat people",
    ],
}
EXTRA_ZH: dict[str, list[str]] = {
    "violent_intimidation": [
        "上周他们把隔壁店老板拖到街上打，旁边的人都不敢报警。",
        "他们的人开着车撞我们的门，还扬言要放火烧房子。",
        "村民去理论，被他们十几个人拿棍子追着打。",
        "我收到好几条短信，说如果再去上访就打断我的腿。",
        "他们把一个工人按在地上踢，打得满脸是血。",
        "晚上经常有人在我家楼下喊话，说知道我孩子在哪个学校。",
    ],
    "extortion_protection": [
        "他们每逢节日都来要“过节费”，少一分都不行。",
        "开饭店的每桌都要给他们抽成，说是“安保费”。",
        "货车进村要交“过路费”，不交就把路堵上。",
        "我们市场里每个摊位每个月交三百，交给一个自称“管事”的人。",
        "他们说这片是他们的地盘，做生意就得给钱。",
        "有个商户拒绝交钱，店门口第二天就被倒了一车垃圾。",
    ],
    "illegal_gambling": [
        "他们在山上的农家乐里搞赌博，门口有人放哨。",
        "一个月流水上百万的赌局，很多人输得倾家荡产。",
        "他们用手机APP坐庄，让人用微信转账下注。",
        "村里的老年活动室被他们包下来打麻将赌钱，一场输赢好几万。",
        "赌桌上输光的人，当场就有人借钱给他继续赌。",
        "他们还在工地宿舍里组织工人玩牌九赌钱。",
    ],
    "drug_trafficking": [
        "有人在酒吧里兜售摇头丸和K粉。",
        "他们把毒品藏在茶叶包装里往外运。",
        "我弟弟就是在他们那里染上毒瘾的，他们先免费给，后来就要钱。",
        "那个仓库晚上总有人进出，听说是在分装毒品。",
        "他们雇人从边境带货，一趟给几千块钱。",
        "小区里经常有陌生人来取一个小包裹，给了钱就走。",
    ],
    "loan_sharking": [
        "借款合同上写的是五万，实际只给了我三万五。",
        "逾期一天就加收一千元违约金，几个月下来欠款翻了几倍。",
        "他们把我关在一个宾馆房间里三天，逼我家里人还钱。",
        "讨债的人在我单位门口拉横幅，说我是老赖。",
        "他们专门放贷给大学生，利息高得吓人。",
        "还款稍微晚一点，他们就把我的通讯录全部打一遍。",
    ],
    "illegal_mining": [
        "河道被挖得坑坑洼洼，去年夏天淹死了两个孩子。",
        "他们的挖掘机晚上开进山里，天亮前就撤走。",
        "矿渣直接倒在河边，水都变成了黄色。",
        "挖出来的沙子用大卡车连夜拉走，卖到城里的工地。",
        "他们的矿证早就过期了，还在一直挖。",
        "农田下面被挖空，好几户人家的房子都裂了。",
    ],
    "market_monopoly": [
        "水果批发只能从他们的档口拿，自己去产地拉货会被扣车。",
        "小区的装修队、送水、收垃圾全被他们包了。",
        "他们在工程招标前就放话，谁敢来投标就等着瞧。",
        "市场里的冻品生意都是他们一家说了算。",
        "外地人来卖鱼，摊子当天就被他们掀了。",
        "混凝土只能用他们的，别家的车开到工地门口就被拦下。",
    ],
    "transport_monopoly": [
        "我们镇的班车全部被他们承包，票价说涨就涨。",
        "渣土车都必须交钱入他们的车队，否则不让进场。",
        "他们控制了港口的货运，别的车队接不到一单活。",
        "火车站的网约车司机被他们打过好几次，说这是他们的地盘。",
        "拉煤的车必须走他们指定的路线，还要每车交一百块。",
        "他们的车队垄断了整个开发区的运输业务。",
    ],
    "prostitution_trafficking": [
        "宾馆里有人专门往房间塞小卡片，打电话过去就有人送人上门。",
        "他们从外地骗来的女孩被收了手机，不让跟家里联系。",
        "那个按摩店其实是个窝点，老板娘负责安排客人。",
        "有人出钱从贫困山区买来媳妇，女方是被骗来的。",
        "他们在网上发招聘广告，说是做模特，去了才知道是陪酒卖身。",
        "夜总会里的小姐大部分是被他们控制的，挣的钱要上交。",
    ],
    "fraud_fundraising": [
        "他们说投资养殖项目一年翻番，全村很多人都把钱投了进去。",
        "公司突然关门，几百个投资人的钱都要不回来了。",
        "他们在直播间卖所谓的“特效药”，老人买了好几万。",
        "有人冒充公安打电话，说我涉嫌洗钱，要我把钱转到安全账户。",
        "他们拉人入会，交三千八就能当“代理”，然后再去拉别人。",
        "借着“众筹建厂”的名义，他们收了上千万。",
    ],
}
EXTRA_EN: dict[str, list[str]] = {
    "violent_intimidation": [
        "Last week they dragged the owner of the shop next door into the street and beat him while people watched.",
        "Their men rammed our gate with a car and said they would burn the house down.",
        "When villagers went to argue, a dozen of them chased them with sticks.",
        "I got several messages saying my legs would be broken if I kept petitioning.",
        "They held a worker on the ground and kicked him until his face was covered in blood.",
        "At night someone shouts under my window that they know which school my child goes to.",
    ],
    "extortion_protection": [
        "They come at every festival for a 'holiday fee' and not a cent less.",
        "Every restaurant has to give them a cut per table, which they call a security fee.",
        "Trucks entering the village must pay a 'road fee' or the road gets blocked.",
        "Every stall in our market pays three hundred a month to a man who calls himself the manager.",
        "They say this area is their turf and anyone doing business here pays.",
        "One shop owner refused to pay and the next day a truckload of rubbish was dumped at his door.",
    ],
    "illegal_gambling": [
        "They run gambling at a farm guesthouse in the hills with lookouts at the gate.",
        "Millions change hands every month at their tables and many families have been ruined.",
        "They run bets through a phone app and take the stakes by mobile transfer.",
        "They took over the old people's activity room for mahjong gambling with tens of thousands at stake.",
        "People who lose everything at the table are offered loans on the spot to keep gambling.",
        "They also organise card gambling for workers in the site dormitory.",
    ],
    "drug_trafficking": [
        "People sell ecstasy and ketamine in the bar.",
        "They hide drugs in tea packaging to ship them out.",
        "My brother got addicted there; they gave it free at first and then made him pay.",
        "People go in and out of that warehouse at night and it is said they pack drugs there.",
        "They hire people to carry goods across the border for a few thousand yuan a trip.",
        "Strangers often come to the estate to pick up a small parcel, pay and leave.",
    ],
    "loan_sharking": [
        "The contract says fifty thousand but I only received thirty-five thousand.",
        "Every day late adds a thousand yuan penalty, and after a few months the debt had multiplied.",
        "They held me in a hotel room for three days until my family paid.",
        "Debt collectors hung a banner at my workplace calling me a cheat.",
        "They lend to university students at terrifying rates of interest.",
        "If a payment is a little late they call every contact in my phone.",
    ],
    "illegal_mining": [
        "The riverbed is full of pits and two children drowned there last summer.",
        "Their excavators drive into the hills at night and leave before dawn.",
        "Mine waste is dumped on the riverbank and the water has turned yellow.",
        "The sand is hauled away overnight by big trucks and sold to city building sites.",
        "Their mining licence expired long ago but they keep digging.",
        "The farmland has been hollowed out underneath and several houses have cracked.",
    ],
    "market_monopoly": [
        "Fruit can only be bought wholesale from their stalls, and anyone who fetches it from the farms has their truck held.",
        "Renovation, water delivery and rubbish collection in the estate are all theirs.",
        "Before the tender they let it be known that anyone who bids had better watch out.",
        "They alone decide everything in the frozen food trade at the market.",
        "When outsiders come to sell fish their stalls are overturned the same day.",
        "Concrete can only come from them; other suppliers' trucks are stopped at the site gate.",
    ],
    "transport_monopoly": [
        "All the buses in our town are contracted to them and they raise fares whenever they like.",
        "Every muck truck has to pay to join their fleet or it cannot enter the site.",
        "They control the freight at the port and other fleets cannot get a single job.",
        "Ride-hailing drivers at the station have been beaten several times for working 'their' area.",
        "Coal trucks must take their route and pay a hundred yuan per truck.",
        "Their fleet has a monopoly on all haulage in the development zone.",
    ],
    "prostitution_trafficking": [
        "Someone slides cards under hotel room doors, and if you call, a woman is sent up.",
        "The girls they brought from other provinces had their phones taken and cannot contact home.",
        "That massage parlour is a front and the madam arranges the clients.",
        "People pay to buy brides from poor mountain villages; the women were tricked into coming.",
        "They advertise modelling jobs online, and girls find out on arrival they must sell sex.",
        "Most of the hostesses at the nightclub are controlled by them and must hand over their earnings.",
    ],
    "fraud_fundraising": [
        "They said investing in their livestock project would double your money in a year, and half the village put money in.",
        "The company suddenly shut and hundreds of investors cannot get their money back.",
        "They sell so-called miracle medicine on livestreams and old people have spent tens of thousands.",
        "Someone pretending to be from public security said I was suspected of money laundering and told me to move my money to a safe account.",
        "You pay three thousand eight hundred to become an 'agent' and then recruit others.",
        "In the name of crowdfunding a factory they collected tens of millions.",
    ],
}
SCENES_ZH: dict[str, list[str]] = {
    "construction": [
        "我是做工程的，在{place}接了几个楼盘的活。",
        "我在{place}开挖掘机，常年跟着施工队跑工地。",
        "我们是{place}的一家小建筑公司。",
    ],
    "mining": [
        "我们{place}的村子靠着一座铁矿。",
        "我在{place}的煤矿下过井。",
        "{place}这边到处是小砂场和石料厂。",
    ],
    "transport": [
        "我在{place}跑长途运输。",
        "我是{place}开出租车的。",
        "我家在{place}做货运代理。",
    ],
    "finance_lending": [
        "我在{place}找过一家借贷公司借钱。",
        "我在{place}的网贷平台上借过款。",
        "我在{place}经营一家小厂，需要贷款周转。",
    ],
    "entertainment_venues": [
        "我在{place}的夜总会当过保安。",
        "我在{place}的一家酒吧驻唱。",
        "我朋友在{place}开了一家足浴店。",
    ],
    "agriculture_fisheries": [
        "我在{place}承包了几十亩水田。",
        "我们村在{place}，家家户户养虾。",
        "我在{place}的水库边上养鸭。",
    ],
    "real_estate_land": [
        "我家在{place}的城中村，正在搞征地。",
        "我在{place}买的期房一直烂尾。",
        "我们{place}村的集体土地被人租走了。",
    ],
    "retail_markets": [
        "我在{place}的水果批发市场做生意。",
        "我在{place}的夜市摆摊卖小吃。",
        "我在{place}的商业街开了一家五金店。",
    ],
    "healthcare": [
        "我在{place}的一家医院当护士。",
        "我父亲在{place}的私人诊所做过手术。",
        "我在{place}的医药公司做销售。",
    ],
    "education": [
        "我在{place}的一所小学教书。",
        "我孩子在{place}的培训学校上课。",
        "我在{place}的一所大学读书。",
    ],
    "other": ["我是{place}的一名退休工人。", "我在{place}打零工。", "我是{place}的一名普通市民。"],
}
SCENES_EN: dict[str, list[str]] = {
    "construction": [
        "I do contracting work on several housing projects in {place}.",
        "I operate an excavator for building crews around {place}.",
        "We are a small construction firm in {place}.",
    ],
    "mining": [
        "Our village in {place} sits next to an iron mine.",
        "I used to work underground at a coal mine in {place}.",
        "Around {place} there are small sand pits and stone yards everywhere.",
    ],
    "transport": [
        "I drive long-haul freight out of {place}.",
        "I drive a taxi in {place}.",
        "My family runs a freight forwarding business in {place}.",
    ],
    "finance_lending": [
        "I borrowed from a lending company in {place}.",
        "I took loans from an online lending platform in {place}.",
        "I run a small factory in {place} and needed a loan to keep going.",
    ],
    "entertainment_venues": [
        "I was a security guard at a nightclub in {place}.",
        "I sing at a bar in {place}.",
        "A friend of mine opened a foot spa in {place}.",
    ],
    "agriculture_fisheries": [
        "I farm dozens of mu of rice paddies in {place}.",
        "In our village in {place} every family raises shrimp.",
        "I raise ducks by the reservoir in {place}.",
    ],
    "real_estate_land": [
        "My family lives in an urban village in {place} where land is being requisitioned.",
        "The flat I bought off-plan in {place} was never finished.",
        "Our village's collective land in {place} was leased away.",
    ],
    "retail_markets": [
        "I trade at the fruit wholesale market in {place}.",
        "I sell snacks from a stall at the night market in {place}.",
        "I run a hardware shop on a shopping street in {place}.",
    ],
    "healthcare": [
        "I am a nurse at a hospital in {place}.",
        "My father had an operation at a private clinic in {place}.",
        "I sell for a pharmaceutical company in {place}.",
    ],
    "education": [
        "I teach at a primary school in {place}.",
        "My child takes classes at a training school in {place}.",
        "I study at a university in {place}.",
    ],
    "other": [
        "I am a retired worker in {place}.",
        "I do odd jobs in {place}.",
        "I am an ordinary citizen of {place}.",
    ],
}
FRAMES_ZH = [
    "这伙人长期{p}。",
    "他们在这一带{p}，谁都不敢惹。",
    "据我所知，他们{p}已经好几年了。",
    "我亲眼见过他们{p}。",
    "他们公开{p}，没有人管。",
    "有人{p}，大家都知道是他们干的。",
]
FRAMES_EN = [
    "This gang has been going to {p} for years.",
    "They {p} here and nobody dares to stop them.",
    "As far as I know they {p}.",
    "I have seen them {p} with my own eyes.",
    "They openly {p} and nobody does anything.",
    "Everyone knows these men {p}.",
]
WORKPLACES_ZH: dict[str, list[str]] = {
    "construction": ["工地", "施工队", "楼盘项目", "搅拌站", "脚手架公司"],
    "mining": ["矿山", "煤矿", "砂场", "采石场", "选矿厂"],
    "transport": ["货运站", "客运站", "车队", "码头", "出租车公司"],
    "finance_lending": ["贷款公司", "担保公司", "典当行", "银行网点", "小额贷款公司"],
    "entertainment_venues": ["KTV", "夜总会", "酒吧", "洗浴中心", "网吧"],
    "agriculture_fisheries": ["鱼塘", "果园", "养猪场", "渔船", "合作社"],
    "real_estate_land": ["拆迁片区", "小区", "楼盘", "宅基地", "物业公司"],
    "retail_markets": ["菜市场", "批发市场", "商场", "夜市", "农贸市场"],
    "healthcare": ["医院", "诊所", "药店", "卫生院", "体检中心"],
    "education": ["学校", "培训班", "幼儿园", "补习机构", "职业学校"],
    "other": ["街道", "村里", "小区门口", "家里", "单位"],
}
WORKPLACES_EN: dict[str, list[str]] = {
    "construction": [
        "building site",
        "construction crew",
        "housing project",
        "concrete plant",
        "scaffolding firm",
    ],
    "mining": ["mine", "coal pit", "sand yard", "quarry", "ore plant"],
    "transport": ["freight depot", "bus station", "trucking fleet", "port", "taxi company"],
    "finance_lending": [
        "lending company",
        "guarantee firm",
        "pawnshop",
        "bank branch",
        "microcredit firm",
    ],
    "entertainment_venues": ["karaoke bar", "nightclub", "bar", "sauna", "internet cafe"],
    "agriculture_fisheries": [
        "fish pond",
        "orchard",
        "pig farm",
        "fishing boat",
        "farm cooperative",
    ],
    "real_estate_land": [
        "demolition zone",
        "housing estate",
        "property development",
        "homestead plot",
        "property management office",
    ],
    "retail_markets": [
        "vegetable market",
        "wholesale market",
        "shopping mall",
        "night market",
        "farmers' market",
    ],
    "healthcare": ["hospital", "clinic", "pharmacy", "health centre", "medical check-up centre"],
    "education": ["school", "tutoring class", "kindergarten", "cram school", "vocational school"],
    "other": ["street", "village", "neighbourhood", "home", "office"],
}
WORK_FRAMES_ZH = [
    "我在{place}的{w}工作。",
    "事情发生在{place}的一个{w}。",
    "我家在{place}，离那个{w}不远。",
]
WORK_FRAMES_EN = [
    "I work at a {w} in {place}.",
    "This happens at a {w} in {place}.",
    "My family lives near a {w} in {place}.",
]

# Reports of no organized crime (complaints, disputes): crime type "other".
OTHER_ZH = (
    [
        "医院乱收费，一个小手术收了我{money}，我想投诉。",
        "学校强制学生购买指定的校服和教辅资料，家长意见很大。",
        "邻居装修噪音太大，物业也不管。",
    ],
    [
        "诊所给我开了很多不需要的药，我觉得被坑了。",
        "培训机构收了一年的学费以后突然关门了，老板说会退款但一直拖着。",
    ],
)
OTHER_EN = (
    [
        "The hospital overcharged me {money} for a minor operation and I want to complain.",
        "The school forces pupils to buy a particular uniform and workbooks, and parents are unhappy.",
        "My neighbour's renovation is extremely noisy and the property management does nothing.",
    ],
    [
        "The clinic prescribed me lots of medicine I did not need and I feel cheated.",
        "The tutoring centre took a year's fees and then closed; the owner keeps promising refunds.",
    ],
)
# What raises priority.
WEAPON_ZH = (
    ["他们车上常备砍刀和猎枪。", "有人看到他们腰里别着枪。"],
    ["他们的人随身带着管制刀具，还有人见过土制手枪。"],
)
WEAPON_EN = (
    [
        "They keep machetes and a hunting rifle in their car.",
        "People have seen a gun tucked in his belt.",
    ],
    ["Their men carry knives and someone has seen a home-made pistol."],
)
MINOR_ZH = (
    ["其中还有未成年的孩子，最小的才十五岁。", "他们还让初中生帮忙望风送货。"],
    ["被他们控制的人里有未满十八岁的学生。"],
)
MINOR_EN = (
    [
        "Some of them are children; the youngest is only fifteen.",
        "They use middle-school pupils as lookouts and couriers.",
    ],
    ["Among the people they control are students under eighteen."],
)
IMMINENT_ZH = (
    ["他们放话说这个周末就要来砸店，我很害怕。", "他们说明天之前不给钱就动手。"],
    ["今晚他们就会过来，求你们快点管一管。"],
)
IMMINENT_EN = (
    [
        "They said they will come and wreck the shop this weekend and I am afraid.",
        "They said if we do not pay by tomorrow they will act.",
    ],
    ["They are coming tonight, please do something quickly."],
)

OPENINGS_ZH = (
    ["我要实名举报", "我想反映一个情况", "举报材料如下", "你好，", "我憋了很久，终于决定举报。"],
    ["各位领导好，", "请有关部门调查以下问题。", "这件事我只敢匿名说。"],
)
OPENINGS_EN = (
    [
        "I want to report the following.",
        "Hello,",
        "I am writing to report a gang.",
        "Please look into this.",
    ],
    ["To whom it may concern,", "I can only say this anonymously.", "Dear office,"],
)
CLOSINGS_ZH = (
    ["希望能够严查。", "请为我们老百姓做主。", "谢谢。"],
    ["恳请彻查，还我们一个公道。", "以上情况属实，可以随时核实。"],
)
CLOSINGS_EN = (
    ["Please investigate.", "We need help.", "Thank you."],
    ["I beg you to look into it properly.", "Everything above is true and can be checked."],
)

# How entities appear: (zh, en) pools; each incident uses some of them.
ENTITY_ZH: Pool = {
    "boss": (
        ["带头的叫{boss}，外号“{nick}”。", "他们的老板叫{boss}。", "头目名叫{boss}。"],
        ["领头的是一个叫{boss}的男人。", "大家都知道幕后老板是{boss}。"],
    ),
    "org": (
        ["他们以{org}的名义做事。", "他们的据点是{org}。"],
        ["他们背后是{org}。", "这些人都是{org}的。"],
    ),
    "phone": (
        ["他们的联系电话是{phone}。", "收钱的人用的手机号是{phone}。"],
        ["有事就打{phone}找他们。", "他给我打电话用的号码是{phone}。"],
    ),
    "plate": (
        ["他们开一辆黑色越野车，车牌{plate}。", "经常来的是车牌号{plate}的面包车。"],
        ["那辆车牌是{plate}的车每天都停在门口。"],
    ),
    "card": (["钱要打到他们指定的卡号{card}。"], ["他们让我转账到{card}这个账户。"]),
    "idno": (["他的身份证号是{idno}。"], ["我查到他的身份证号码是{idno}。"]),
    "date": (["{date}那天他们又来了。", "最近一次是{date}。"], ["事情发生在{date}。"]),
}
ENTITY_EN: Pool = {
    "boss": (
        ["Their leader is called {boss}, nicknamed '{nick}'.", "The boss is named {boss}."],
        [
            "The man in charge is called {boss}.",
            "Everyone knows the real boss is a man named {boss}.",
        ],
    ),
    "org": (
        ["They operate under the name {org}.", "Their base is {org}."],
        ["Behind them is {org}.", "These men all work for {org}."],
    ),
    "phone": (
        [
            "Their contact number is {phone}.",
            "The man who collects the money uses the phone number {phone}.",
        ],
        ["If you need them you call {phone}.", "He called me from {phone}."],
    ),
    "plate": (
        [
            "They drive a black SUV with the plate {plate}.",
            "The van that comes most often has the plate {plate}.",
        ],
        ["The car with plate {plate} is parked outside every day."],
    ),
    "card": (
        ["Money has to go to their bank card {card}."],
        ["They told me to transfer to the account {card}."],
    ),
    "idno": (["His ID number is {idno}."], ["I found out his resident ID number is {idno}."]),
    "date": (
        ["They came again on {date}.", "The latest time was {date}."],
        ["It happened on {date}."],
    ),
}
WITNESS_ZH = (
    ["我也要反映同一伙人的事。", "我是附近的居民，我也见过这些人。"],
    [
        "我和前面举报的人说的是同一件事。",
        "我是受害者的家属，补充一些情况。",
        "我在那里打过工，知道一些内情。",
    ],
)
WITNESS_EN = (
    ["I also want to report the same people.", "I live nearby and I have seen these men too."],
    [
        "I am writing about the same thing as others have.",
        "I am a relative of one of the victims and want to add what I know.",
        "I used to work there and know how it runs.",
    ],
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
PINYIN = {
    "王": "Wang",
    "李": "Li",
    "张": "Zhang",
    "刘": "Liu",
    "陈": "Chen",
    "杨": "Yang",
    "黄": "Huang",
    "赵": "Zhao",
    "吴": "Wu",
    "周": "Zhou",
    "徐": "Xu",
    "孙": "Sun",
    "马": "Ma",
    "朱": "Zhu",
    "胡": "Hu",
    "郭": "Guo",
    "何": "He",
    "高": "Gao",
    "林": "Lin",
    "罗": "Luo",
    "郑": "Zheng",
    "梁": "Liang",
    "谢": "Xie",
    "宋": "Song",
    "唐": "Tang",
}
GIVEN_EN = [
    "Wei",
    "Gang",
    "Yong",
    "Jun",
    "Feng",
    "Qiang",
    "Ping",
    "Dong",
    "Hui",
    "Ming",
    "Jian",
    "Guang",
    "Hai",
    "Shan",
    "Bo",
    "Ning",
    "Long",
    "Sheng",
    "Xue",
    "Xiang",
    "Fei",
    "Bin",
    "Tao",
    "Cheng",
    "Kang",
    "Xing",
    "Guangming",
    "Jianguo",
    "Haitao",
    "Zhiqiang",
    "Dahai",
    "Wenbin",
    "Xiaolong",
    "Tianyu",
    "Zhenhua",
    "Yongsheng",
]
NICKS_ZH = ["黑皮", "光头", "老三", "疤哥", "二虎", "大炮", "刀疤", "胖子", "小六", "阿龙"]
NICKS_EN = [
    "Scarface",
    "Baldy",
    "Third Brother",
    "Big Gun",
    "Tiger",
    "Fatty",
    "Little Six",
    "Dragon",
]
ORG_STEM_ZH = [
    "宏达",
    "金鑫",
    "鑫盛",
    "恒发",
    "顺通",
    "汇金",
    "天豪",
    "隆昌",
    "锦华",
    "富源",
    "鸿运",
    "兴旺",
    "东方",
    "盛世",
    "泰和",
    "永利",
    "华龙",
    "金鼎",
    "祥瑞",
    "通达",
]
ORG_KIND_ZH = [
    "砂石有限公司",
    "物流有限公司",
    "建筑工程有限公司",
    "娱乐会所",
    "投资咨询有限公司",
    "运输公司",
    "典当行",
    "KTV",
    "小额贷款有限公司",
    "农贸市场管理有限公司",
]
ORG_STEM_EN = [
    "Hongda",
    "Jinxin",
    "Xinsheng",
    "Hengfa",
    "Shuntong",
    "Huijin",
    "Tianhao",
    "Longchang",
    "Jinhua",
    "Fuyuan",
    "Hongyun",
    "Xingwang",
    "Dongfang",
    "Shengshi",
    "Taihe",
    "Yongli",
    "Hualong",
    "Jinding",
    "Xiangrui",
    "Tongda",
]
ORG_KIND_EN = [
    "Sand and Gravel Co.",
    "Logistics Co.",
    "Construction Group",
    "Entertainment Club",
    "Investment Consulting Co.",
    "Transport Company",
    "Pawnshop",
    "KTV",
    "Microcredit Co.",
    "Market Management Co.",
]
ORG_STEM_ZH += [
    "瑞丰",
    "金海",
    "宏图",
    "聚福",
    "昌盛",
    "新华",
    "大地",
    "万达兴",
    "海天",
    "荣发",
    "德胜",
    "恒通",
    "佳禾",
    "凯旋",
    "长青",
    "永泰",
    "安康",
    "广源",
    "华兴",
    "宝利",
]
ORG_STEM_EN += [
    "Ruifeng",
    "Jinhai",
    "Hongtu",
    "Jufu",
    "Changsheng",
    "Xinhua",
    "Dadi",
    "Wandaxing",
    "Haitian",
    "Rongfa",
    "Desheng",
    "Hengtong",
    "Jiahe",
    "Kaixuan",
    "Changqing",
    "Yongtai",
    "Ankang",
    "Guangyuan",
    "Huaxing",
    "Baoli",
]
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def luhn_complete(partial: str) -> str:
    return partial + luhn_check_digit(partial)


def resident_id(rng: random.Random) -> str:
    area = rng.choice(["430102", "440305", "510104", "110105", "320106", "330106", "420106"])
    body = f"{area}{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + resident_id_check_character(body)


@dataclass
class Incident:
    """One gang or event: what every report about it shares."""

    crimes: list[str]
    industry: str
    province: str | None
    place_zh: str
    place_en: str
    official: bool
    weapon: bool
    minor: bool
    imminent: bool
    values: dict[str, str] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)


def _written(name: str) -> Any:
    return json.loads((SENTENCES / name).read_text(encoding="utf-8"))


def _both_rounds(lang: str) -> dict[str, list[str]]:
    first, second = _written(f"crime_{lang}.json"), _written(f"crime2_{lang}.json")
    return {label: first[label] + second[label] for label in first}


MORE_CRIME = {"zh": _both_rounds("zh"), "en": _both_rounds("en")}
MORE_INDUSTRY = _written("industry.json")
# Police, courts and offices named innocently ("I called 110 and they took a statement"), so
# that naming an official is not learnt as collusion. Training reports only: the evaluation
# half is empty, and an empty half draws nothing, which keeps the evaluation set as it was.
_NEUTRAL = _written("officials_neutral.json")
NEUTRAL_OFFICIALS_ZH: tuple[list[str], list[str]] = (_NEUTRAL["zh"], [])
NEUTRAL_OFFICIALS_EN: tuple[list[str], list[str]] = (_NEUTRAL["en"], [])


class Generator:
    def __init__(self, split: int, seed: int) -> None:
        self.split = split  # 0: training half of every pool, 1: evaluation half
        self.rng = random.Random(seed)
        taxonomy = json.loads((DATA / "taxonomy.json").read_text())
        self.places: list[tuple[str, str, str]] = []  # (province, zh, en)
        for region in taxonomy["regions"]:
            self.places.append((region["id"], region["zh"], region["id"]))
            for city in region["cities"]:
                self.places.append((region["id"], city["zh"], city["en"]))
        self.used_names: set[str] = set()
        self.used_orgs: set[tuple[int, int]] = set()

    def pick(self, pool: tuple[list[str], list[str]]) -> str:
        return self.rng.choice(pool[self.split])

    def _person(self) -> tuple[str, str]:
        if len(self.used_names) > 20_000:
            self.used_names.clear()  # only the evaluation set needs its names unique
        while True:
            surname = self.rng.choice(list(PINYIN))
            zh = surname + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))
            given = self.rng.choice(GIVEN_EN)
            if self.rng.random() < 0.6:
                given += self.rng.choice(GIVEN_EN).lower()
            en = f"{PINYIN[surname]} {given}"
            if zh not in self.used_names and en not in self.used_names:
                self.used_names |= {zh, en}
                return zh, en

    def _money(self) -> tuple[str, str]:
        amount = self.rng.choice([500, 800, 1000, 2000, 3000, 5000, 20000, 50000, 80000, 150000])
        zh = (
            f"{amount // 10000}万元"
            if amount >= 10000 and self.rng.random() < 0.5
            else f"{amount}元"
        )
        en = self.rng.choice([f"{amount:,} yuan", f"RMB {amount:,}", f"¥{amount}"])
        return zh, en

    def incident(self) -> Incident:
        rng = self.rng
        if rng.random() < 0.08:
            crimes = ["other"]
        else:
            kinds = [k for k in CRIME_ZH]
            crimes = [rng.choice(kinds)]
            if rng.random() < 0.3:
                second = rng.choice(kinds)
                if second not in crimes:
                    crimes.append(second)
        industry = rng.choice(CRIME_INDUSTRIES[crimes[0]])
        official = crimes != ["other"] and rng.random() < 0.3
        if official:
            crimes.append("official_collusion")
        if rng.random() < 0.12:
            province, place_zh, place_en = None, "本地", "our town"
        else:
            province, place_zh, place_en = rng.choice(self.places)
        violent = "violent_intimidation" in crimes
        incident = Incident(
            crimes=crimes,
            industry=industry,
            province=province,
            place_zh=place_zh,
            place_en=place_en,
            official=official,
            weapon=crimes != ["other"] and rng.random() < 0.12,
            minor=crimes != ["other"] and rng.random() < 0.08,
            imminent=(violent or "extortion_protection" in crimes) and rng.random() < 0.2,
        )
        boss_zh, boss_en = self._person()
        while True:  # one company per incident: unrelated gangs do not share a company name
            stem = rng.randrange(len(ORG_STEM_ZH))
            kind = rng.randrange(len(ORG_KIND_ZH))
            if (stem, kind) not in self.used_orgs or len(self.used_orgs) > 350:
                self.used_orgs.add((stem, kind))
                break
        money_zh, money_en = self._money()
        date = (rng.randint(2024, 2026), rng.randint(1, 12), rng.randint(1, 28))
        months = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ]
        mobile = f"1{rng.choice('35789')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        incident.values = {
            "boss_zh": boss_zh,
            "boss_en": boss_en,
            "nick_zh": rng.choice(NICKS_ZH),
            "nick_en": rng.choice(NICKS_EN),
            "org_zh": (place_zh if province and rng.random() < 0.5 else "")
            + ORG_STEM_ZH[stem]
            + ORG_KIND_ZH[kind],
            "org_en": f"{ORG_STEM_EN[stem]} {ORG_KIND_EN[kind]}",
            "mobile": mobile,
            "plate_zh": rng.choice("京沪粤湘川鄂豫鲁苏浙赣桂云贵陕")
            + rng.choice(PLATE_LETTERS)
            + "".join(rng.choice("0123456789" + PLATE_LETTERS[:8]) for _ in range(5)),
            "card": luhn_complete("62" + "".join(str(rng.randint(0, 9)) for _ in range(15))),
            "idno": resident_id(rng),
            "money_zh": money_zh,
            "money_en": money_en,
            "date_zh": f"{date[0]}年{date[1]}月{date[2]}日",
            "date_en": rng.choice(
                [
                    f"{months[date[1] - 1]} {date[2]}, {date[0]}",
                    f"{date[2]} {months[date[1] - 1]} {date[0]}",
                    f"{date[0]}-{date[1]:02d}-{date[2]:02d}",
                ]
            ),
        }
        strong = ["boss", "org", "phone", "plate"]
        incident.kinds = rng.sample(strong, rng.choice((1, 2, 2, 3)))
        if rng.random() < 0.15:
            incident.kinds.append(rng.choice(["card", "idno"]))
        if rng.random() < 0.5:
            incident.kinds.append("date")
        return incident

    def _phone(self, mobile: str, lang: str) -> str:
        style = self.rng.randrange(4)
        if style == 0:
            return mobile
        if style == 1:
            return f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"
        if style == 2:
            return f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
        return f"(+86){mobile}" if lang == "en" else f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"

    def report(self, inc: Incident, lang: str, witness: bool = False) -> str:
        rng = self.rng
        zh = lang == "zh"
        v = inc.values
        slots = {
            "boss": v["boss_zh"] if zh else v["boss_en"],
            "nick": v["nick_zh"] if zh else v["nick_en"],
            "org": v["org_zh"] if zh else v["org_en"],
            "phone": self._phone(v["mobile"], lang),
            "plate": v["plate_zh"]
            if rng.random() < 0.6
            else f"{v['plate_zh'][:2]}·{v['plate_zh'][2:]}",
            "card": v["card"]
            if rng.random() < 0.5
            else " ".join(v["card"][i : i + 4] for i in range(0, len(v["card"]), 4)),
            "idno": v["idno"],
            "money": v["money_zh"] if zh else v["money_en"],
            "date": v["date_zh"] if zh else v["date_en"],
            "place": inc.place_zh if zh else inc.place_en,
        }
        crime_pool, industry_pool, entity_pool = (
            (CRIME_ZH, INDUSTRY_ZH, ENTITY_ZH) if zh else (CRIME_EN, INDUSTRY_EN, ENTITY_EN)
        )
        parts: list[str] = []
        if witness:
            parts.append(self.pick(WITNESS_ZH if zh else WITNESS_EN))
        elif rng.random() < 0.7:
            parts.append(self.pick(OPENINGS_ZH if zh else OPENINGS_EN))
        # The evaluation split never reaches a draw below that starts with `self.split == 0`,
        # so adding training material leaves the evaluation set as it was.
        if self.split == 0 and rng.random() < 0.5:
            parts.append(rng.choice(MORE_INDUSTRY[lang][inc.industry]))
        elif self.split == 0 and rng.random() < 0.35:
            parts.append(rng.choice((SCENES_ZH if zh else SCENES_EN)[inc.industry]))
        elif self.split == 0 and rng.random() < 0.5:
            workplaces = WORKPLACES_ZH if zh else WORKPLACES_EN
            frame = rng.choice(WORK_FRAMES_ZH if zh else WORK_FRAMES_EN)
            parts.append(frame.replace("{w}", rng.choice(workplaces[inc.industry])))
        else:
            parts.append(self.pick(industry_pool[inc.industry]))
        body: list[str] = []
        for crime in inc.crimes:
            if self.split == 0 and rng.random() < 0.5:
                body.extend(rng.sample(MORE_CRIME[lang][crime], rng.choice((1, 2))))
            elif crime == "official_collusion":
                role = self.pick(ROLES_ZH if zh else ROLES_EN)
                body.append(self.pick(OFFICIAL_ZH if zh else OFFICIAL_EN).replace("{role}", role))
            elif crime == "other":
                body.append(self.pick(OTHER_ZH if zh else OTHER_EN))
            elif self.split == 0 and rng.random() < 0.35:
                extra = (EXTRA_ZH if zh else EXTRA_EN)[crime]
                body.extend(rng.sample(extra, rng.choice((1, 2))))
            elif self.split == 0 and rng.random() < 0.5:
                phrases = (PHRASES_ZH if zh else PHRASES_EN)[crime]
                for phrase in rng.sample(phrases, rng.choice((1, 2))):
                    body.append(rng.choice(FRAMES_ZH if zh else FRAMES_EN).replace("{p}", phrase))
            else:
                pool = crime_pool[crime][self.split]
                body.extend(rng.sample(pool, min(len(pool), rng.choice((1, 2)))))
        kinds = inc.kinds if not witness else rng.sample(inc.kinds, max(1, len(inc.kinds) - 1))
        for kind in kinds:
            body.append(self.pick(entity_pool[kind]))
        neutral = NEUTRAL_OFFICIALS_ZH if zh else NEUTRAL_OFFICIALS_EN
        if neutral[self.split] and rng.random() < 0.2:
            body.append(self.pick(neutral))
        if inc.weapon:
            body.append(self.pick(WEAPON_ZH if zh else WEAPON_EN))
        if inc.minor:
            body.append(self.pick(MINOR_ZH if zh else MINOR_EN))
        if inc.imminent:
            body.append(self.pick(IMMINENT_ZH if zh else IMMINENT_EN))
        rng.shuffle(body)
        parts.extend(body)
        if rng.random() < 0.7:
            parts.append(self.pick(CLOSINGS_ZH if zh else CLOSINGS_EN))
        text = ("" if zh else " ").join(parts)
        for key, value in slots.items():
            text = text.replace("{" + key + "}", value)
        return text

    @staticmethod
    def priority(inc: Incident) -> str:
        if inc.weapon or inc.minor or inc.imminent:
            return "critical"
        if inc.official or "violent_intimidation" in inc.crimes:
            return "high"
        if inc.crimes == ["other"]:
            return "low"
        return "normal"

    def record(
        self, rid: str, inc: Incident, lang: str, text: str, group: str | None
    ) -> dict[str, Any]:
        return {
            "id": rid,
            "lang": lang,
            "text": text,
            "crime_types": sorted(inc.crimes),
            "industry": inc.industry,
            "province": inc.province,
            "official_involvement": inc.official,
            "priority": self.priority(inc),
            "group": group,
        }


def light_edit(rng: random.Random, text: str, lang: str) -> str:
    """The same report sent again: a sentence dropped or added, punctuation and typos changed."""
    splitter = "。" if lang == "zh" else ". "
    sentences = [s for s in text.split(splitter) if s]
    if len(sentences) > 3 and rng.random() < 0.5:
        sentences.pop(rng.randrange(1, len(sentences)))
    edited = splitter.join(sentences)
    if rng.random() < 0.5:
        edited = edited.replace("，", ",") if lang == "zh" else edited.replace(",", "")
    extra = (
        ["我之前提交过一次，不知道有没有收到。", "补充：情况还在继续。"],
        ["I sent this before but heard nothing.", "Update: it is still going on."],
    )
    joiner = " " if lang == "en" else ("" if edited.endswith("。") else "。")
    return (edited + joiner + rng.choice(extra[lang == "en"])).strip()


def _mixed(gen: Generator, inc: Incident) -> str:
    zh = gen.report(inc, "zh").split("。")
    en = gen.report(inc, "en").split(". ")
    return "。".join(zh[: max(2, len(zh) // 2)]) + "。" + ". ".join(en[len(en) // 2 :])


def training_set(n: int = 8000, seed: int = 11) -> list[dict[str, Any]]:
    gen = Generator(split=0, seed=seed)
    rows = []
    for i in range(n):
        inc = gen.incident()
        lang = "zh" if i % 2 == 0 else "en"
        if i % 15 == 0:
            rows.append(gen.record(f"train-{i:05d}", inc, "mixed", _mixed(gen, inc), None))
        else:
            rows.append(gen.record(f"train-{i:05d}", inc, lang, gen.report(inc, lang), None))
    return rows


def evaluation_set(seed: int = 20261128) -> list[dict[str, Any]]:
    gen = Generator(split=1, seed=seed)
    rng = gen.rng
    rows: list[dict[str, Any]] = []
    n = 0

    def add(inc: Incident, lang: str, text: str, group: str | None) -> None:
        nonlocal n
        rows.append(gen.record(f"eval-{n:04d}", inc, lang, text, group))
        n += 1

    for g in range(90):  # incidents told more than once
        inc = gen.incident()
        group = f"g{g:03d}"
        lang = "zh" if g % 2 == 0 else "en"
        first = gen.report(inc, lang)
        add(inc, lang, first, group)
        shape = g % 3
        if shape == 0:  # sent again with small edits
            add(inc, lang, light_edit(rng, first, lang), group)
        elif shape == 1:  # retold by the same person in other words
            add(inc, lang, gen.report(inc, lang), group)
        for _ in range(rng.choice((1, 1, 2))):  # other witnesses, sometimes in the other language
            other = lang if rng.random() < 0.8 else ("en" if lang == "zh" else "zh")
            add(inc, other, gen.report(inc, other, witness=True), group)
    for i in range(190):  # unrelated reports: same crimes, places and words, other people
        inc = gen.incident()
        lang = "mixed" if i % 19 == 0 else ("zh" if i % 2 == 0 else "en")
        add(inc, lang, _mixed(gen, inc) if lang == "mixed" else gen.report(inc, lang), None)
    rng.shuffle(rows)
    return rows


def write(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


_SLOT = re.compile(r"\{\w+\}")


def official_sentences() -> list[dict[str, Any]]:
    """Training only: single sentences that name an official, labelled collusion or not, for the
    model's sentence reader (`kind: official_sentence` rows of train.jsonl). The negatives are
    the innocent mentions and every other crime's sentences that name an official."""
    rows = []
    for lang, neutral in (("zh", NEUTRAL_OFFICIALS_ZH), ("en", NEUTRAL_OFFICIALS_EN)):
        for label, sentences in MORE_CRIME[lang].items():
            for sentence in sentences:
                if label == "official_collusion" or OFFICIAL_ROLES.search(sentence):
                    rows.append((sentence, label == "official_collusion"))
        rows += [(sentence, False) for sentence in neutral[0]]
    return [
        {"kind": "official_sentence", "text": _SLOT.sub("", text), "collusion": collusion}
        for text, collusion in rows
    ]


def labelled_sentences() -> list[dict[str, Any]]:
    """Training only: every sentence of the training halves with what it tells, for the model's
    sentence readers (`kind: crime_sentence` and `kind: industry_sentence` rows of train.jsonl).
    A sentence that tells no crime (openings, entities, workplaces, weapons) is `none` for the
    crime reader, and one that tells no industry (the crimes, openings, entities) `none` for
    the industry reader."""
    crime: list[tuple[str, str]] = []
    industry: list[tuple[str, str]] = []
    for lang, zh in (("zh", True), ("en", False)):

        def pick(zh_pool: Any, en_pool: Any, zh: bool = zh) -> Any:
            return zh_pool if zh else en_pool

        roles = pick(ROLES_ZH, ROLES_EN)[0]
        frames = pick(FRAMES_ZH, FRAMES_EN)
        work_frames = pick(WORK_FRAMES_ZH, WORK_FRAMES_EN)
        told: list[tuple[str, str]] = []
        for label, pool in pick(CRIME_ZH, CRIME_EN).items():
            told += [(s, label) for s in pool[0]]
        for label, phrases in pick(PHRASES_ZH, PHRASES_EN).items():
            told += [
                (frames[i % len(frames)].replace("{p}", p), label) for i, p in enumerate(phrases)
            ]
        for source in (MORE_CRIME[lang], pick(EXTRA_ZH, EXTRA_EN)):
            told += [(s, label) for label, sentences in source.items() for s in sentences]
        told += [(s, "other") for s in pick(OTHER_ZH, OTHER_EN)[0]]
        told += [
            (s.replace("{role}", roles[i % len(roles)]), "official_collusion")
            for i, s in enumerate(pick(OFFICIAL_ZH, OFFICIAL_EN)[0])
        ]
        workplace: list[tuple[str, str]] = []
        for label, pool in pick(INDUSTRY_ZH, INDUSTRY_EN).items():
            workplace += [(s, label) for s in pool[0]]
        for source in (MORE_INDUSTRY[lang], pick(SCENES_ZH, SCENES_EN)):
            workplace += [(s, label) for label, sentences in source.items() for s in sentences]
        for label, places in pick(WORKPLACES_ZH, WORKPLACES_EN).items():
            workplace += [
                (work_frames[i % len(work_frames)].replace("{w}", w), label)
                for i, w in enumerate(places)
            ]
        neither = [
            s
            for pool in (
                pick(OPENINGS_ZH, OPENINGS_EN),
                pick(CLOSINGS_ZH, CLOSINGS_EN),
                pick(WITNESS_ZH, WITNESS_EN),
                pick(WEAPON_ZH, WEAPON_EN),
                pick(MINOR_ZH, MINOR_EN),
                pick(IMMINENT_ZH, IMMINENT_EN),
                pick(NEUTRAL_OFFICIALS_ZH, NEUTRAL_OFFICIALS_EN),
                *pick(ENTITY_ZH, ENTITY_EN).values(),
            )
            for s in pool[0]
        ]
        crime += told + [(s, NONE) for s, _ in workplace] + [(s, NONE) for s in neither]
        industry += workplace + [(s, NONE) for s, _ in told] + [(s, NONE) for s in neither]
    return [
        {"kind": kind, "text": text, "label": label}
        for kind, rows in (("crime_sentence", crime), ("industry_sentence", industry))
        for text, label in ((_SLOT.sub("", s).strip(), label) for s, label in rows)
        if text
    ]


def training_sentences() -> list[dict[str, Any]]:
    return official_sentences() + labelled_sentences()


def main() -> None:
    reports, evaluation = training_set(), evaluation_set()
    overlap = {r["text"] for r in reports} & {r["text"] for r in evaluation}
    assert not overlap, "a report appears in both sets"
    sentences = training_sentences()
    write(TRAIN_FILE, reports + sentences)
    write(EVAL_FILE, evaluation)
    print(
        f"{TRAIN_FILE.name}: {len(reports)} reports and {len(sentences)} labelled sentences; "
        f"{EVAL_FILE.name}: {len(evaluation)} reports"
    )


if __name__ == "__main__":
    main()

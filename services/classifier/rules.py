"""Rules, where rules beat the model: evidence of official involvement (the phrase itself is what
staff need to see), the signals that set priority, and keywords that confirm a crime type the
model is unsure of. Plain data, read by `domain`. Bump RULES_VERSION whenever a table changes,
so every stored classification says which rules made it.
"""

import re

RULES_VERSION = "rules-2026.11.2"

# A sentence is evidence of official involvement when it names an official role and says the
# official protects, is paid by, or belongs to the gang.
OFFICIAL_ROLES = re.compile(
    r"所长|局长|书记|支书|干部|官员|当官|警察|民警|派出所|公安|法官|法院|检察|镇长|县长|市长|领导|"
    r"\b(?:officials?|officers?|police|chief|judges?|court|party secretary|cadres?|mayor|"
    r"bureau|government|prosecutor)\b",
    re.IGNORECASE,
)
OFFICIAL_CORRUPTION = re.compile(
    r"保护伞|好处|受贿|行贿|送钱|通风报信|干股|摆平|包庇|称兄道弟|打招呼|转一圈就走|没人查|警告我们|"
    r"纵容|入股|\b(?:protects?|protecting|protection|bribes?|bribed|tips? (?:them|us) off|"
    r"tipped|share|smooths?|shield(?:s|ing)?|covers? for|pay(?:s|ing)? (?:the )?\w* ?officials|"
    r"treats them like brothers|never lose|warn(?:s|ed)? (?:us|them)|without doing anything)\b",
    re.IGNORECASE,
)

# Priority signals: (signal, pattern). Their matches are reasons staff can read. Violence
# named outright also makes the report violent_intimidation, whatever the model says.
SIGNALS: dict[str, re.Pattern[str]] = {
    "weapons": re.compile(
        r"砍刀|猎枪|手枪|土枪|枪支|管制刀具|刀具|炸药|"
        r"\b(?:guns?|pistols?|rifles?|machetes?|knives|explosives)\b",
        re.IGNORECASE,
    ),
    "minors": re.compile(
        r"未成年|未满十八|小学生|初中生|中学生|童工|"
        r"\b(?:minors?|children|under eighteen|under 18|schoolchildren|child labour)\b",
        re.IGNORECASE,
    ),
    "imminent": re.compile(
        r"今晚|明天|马上就|这个周末|随时会|"
        r"\b(?:tonight|tomorrow|this weekend|right now|any moment)\b",
        re.IGNORECASE,
    ),
    "violence": re.compile(
        r"殴打|打伤|打人|砍伤|砍人|伤人|打死|围殴|毒打|"
        r"\b(?:beat|beaten|beating|assault(?:ed|s)?|attacked|injured|stabbed|wounded)\b",
        re.IGNORECASE,
    ),
}

# Keywords that confirm a crime type the model gives a middling probability: the words of the
# first rule-based classifier plus common legal terms, written without looking at data/eval.jsonl.
CRIME_TYPE_KEYWORDS: dict[str, re.Pattern[str]] = {
    "violent_intimidation": re.compile(
        r"殴打|打人|砍人|恐吓|威胁|暴力|\b(?:assault\w*|beat|beaten|threaten\w*|intimidat\w+)\b",
        re.I,
    ),
    "extortion_protection": re.compile(
        r"保护费|敲诈|勒索|\b(?:extort\w*|protection money|racket\w*)\b", re.I
    ),
    "illegal_gambling": re.compile(r"赌场|赌博|开设赌|\b(?:gambl\w+|casinos?)\b", re.I),
    "drug_trafficking": re.compile(r"毒品|贩毒|制毒|冰毒|\b(?:drugs?|narcotics|meth)\b", re.I),
    "loan_sharking": re.compile(
        r"高利贷|套路贷|暴力催收|催收|\b(?:loan shark\w*|usur\w+|debt collect\w+)\b", re.I
    ),
    "illegal_mining": re.compile(
        r"非法采砂|采砂|盗采|非法采矿|\b(?:sand dredging|illegal mining|sand mining|dredg\w+)\b",
        re.I,
    ),
    "market_monopoly": re.compile(
        r"强买强卖|垄断|菜霸|市霸|村霸|行霸|\b(?:monopol\w+|market bull\w+)\b", re.I
    ),
    "transport_monopoly": re.compile(
        r"客运垄断|运输垄断|砂石运输|车霸|\b(?:transport monopol\w+)\b", re.I
    ),
    "prostitution_trafficking": re.compile(
        r"卖淫|拐卖|人口贩卖|\b(?:prostitution|human trafficking)\b", re.I
    ),
    "fraud_fundraising": re.compile(
        r"诈骗|非法集资|传销|\b(?:fraud|scam|ponzi|illegal fund-raising)\b", re.I
    ),
}

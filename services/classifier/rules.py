"""Rules, where rules beat the model: evidence of official involvement (the phrase itself is what
staff need to see), the signals that set priority, and keywords that confirm a crime type the
model is unsure of. Plain data, read by `domain`. Bump RULES_VERSION whenever a table changes,
so every stored classification says which rules made it.
"""

import re

RULES_VERSION = "rules-2026.11.4"

# A sentence is evidence of official involvement when it names an official role and says the
# official protects, is paid by, or belongs to the gang.
OFFICIAL_ROLES = re.compile(
    r"所长|局长|书记|支书|干部|官员|当官|警察|民警|辅警|协警|刑警|交警|特警|派出所|公安|法官|法院|"
    r"检察|镇长|乡长|县长|区长|市长|领导|村主任|村长|村委|主任|科长|处长|厅长|部长|队长|站长|纪委|"
    r"政法委|城管|税务|工商|国土|环保局|执法|人大代表|政协委员|公务员|县委|市委|镇政府|"
    r"\b(?:officials?|officers?|police\w*|cops?|chief|captain|commander|inspector|judges?|court|"
    r"party secretary|secretary|cadres?|mayor|bureau|government|authorities|prosecutors?|"
    r"procurator\w*|magistrate|director|township head|village head|county head|chengguan|"
    r"deputy|congress)\b",
    re.IGNORECASE,
)
OFFICIAL_CORRUPTION = re.compile(
    r"保护伞|好处|受贿|行贿|送钱|送礼|红包|打点|通风报信|放风|报信|干股|入股|分红|股份|摆平|包庇|"
    r"庇护|撑腰|罩着|关照|称兄道弟|打招呼|转一圈就走|没人查|不了了之|压下|撤案|销案|不立案|"
    r"睁一只眼闭一只眼|勾结|串通|收钱|收了钱|吃拿卡要|纵容|警告我们|"
    r"\b(?:protects?|protecting|protection|bribes?|bribed|bribing|kickbacks?|pay-?offs?|"
    r"paid off|payroll|tips? (?:them|us|him|the gang) off|tipped|share|shares|stake|dividends?|"
    r"smooths?|shield(?:s|ing|ed)?|covers? (?:for|up)|cover-up|looks? the other way|"
    r"blind eye|drop(?:s|ped)? the case|collud\w+|in league|gifts?|red envelopes?|"
    r"pay(?:s|ing)? (?:the )?\w* ?officials|treats them like brothers|never lose|"
    r"warn(?:s|ed)? (?:us|them)|without doing anything)\b",
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
        r"\b(?:minors?|children|underage|under eighteen|under 18|schoolchildren|pupils|"
        r"child labour)\b",
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

# In a report that tells no organized crime, what a signal's words must not count in: the
# reporter's own family ("our two children", "我儿子是初中生") would make every ordinary
# complaint critical. Where a crime is told, every child named may be one drawn in.
SIGNAL_EXCEPTIONS: dict[str, re.Pattern[str]] = {
    "minors": re.compile(
        r"我(?:家|的)?(?:孩子|儿子|女儿|小孩)(?:现在|今年)?(?:是|在读|读|上)?(?:小学生|初中生|中学生)|"
        r"\b(?:my|our)\s+(?:\w+\s+){0,2}?(?:children|kids|pupils)\b",
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

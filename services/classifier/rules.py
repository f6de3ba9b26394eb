"""Rules, where rules beat the model: evidence of official involvement (the phrase itself is what
staff need to see), the signals that set priority, and keywords that confirm a crime type the
model is unsure of. Plain data, read by `domain`. Bump RULES_VERSION whenever a table changes,
so every stored classification says which rules made it.
"""

import re

RULES_VERSION = "rules-2026.12.4"

# A sentence is evidence of official involvement when it names an official role and says the
# official protects, is paid by, tips off, is related to, or belongs to the gang; or when it says
# so in words that need no role (保护伞, "protective umbrella"). Saying the reporter called the
# police, that officers came late or took a statement, names a role and nothing of the second
# kind, so it is no evidence.
OFFICIAL_ROLES = re.compile(
    r"所长|局长|书记|支书|干部|官员|当官|警察|民警|辅警|协警|刑警|交警|特警|派出所|公安|法官|法院|"
    r"检察|镇长|乡长|县长|区长|市长|领导|村主任|村长|村委|主任|科长|处长|厅长|部长|队长|站长|纪委|"
    r"政法委|城管|税务|工商|国土|环保局|执法|人大代表|政协委员|公务员|县委|市委|镇政府|"
    r"检查组|检查的人|检查人员|稽查|安监|质监|监管|海事|渔政|运管|路政|卫健|教育局|规划局|住建|"
    r"自然资源|矿管|林业局|水利局|院长|警官|条子|片警|"
    r"\b(?:officials?|officers?|police\w*|cops?|chief|captain|commander|inspectors?|judges?|court|"
    r"party secretary|secretary|cadres?|mayor|bureau|government|authorities|prosecutors?|"
    r"procurator\w*|magistrate|director|township head|village head|county head|chengguan|"
    r"deputy|congress|regulators?|supervisors? from|land office|safety office)\b",
    re.IGNORECASE,
)
OFFICIAL_CORRUPTION = re.compile(
    r"保护伞|好处|受贿|行贿|送钱|送礼|红包|打点|通风报信|放风|报信|干股|入股|分红|股份|摆平|包庇|"
    r"庇护|撑腰|罩着|关照|称兄道弟|打招呼|转一圈就走|没人查|不了了之|压下|撤案|销案|不立案|"
    r"睁一只眼闭一只眼|勾结|串通|收钱|收了钱|吃拿卡要|纵容|警告我们|"
    r"塞钱|塞红包|请吃饭|吃喝|孝敬|上供|进贡|分钱|分成|抽成|回扣|提前通知|提前知道|提前打电话|"
    r"收到风|走漏|风声|走过场|做做样子|装样子|卖地|倒卖|私自卖|买官|卖官|拜把子|铁哥们|把兄弟|"
    r"结拜|是股东|合伙|名下|挂名|幕后老板|实际控制|是[^，。,.]{0,8}开的|"
    r"\b(?:protects?|protecting|protection|bribes?|bribed|bribing|kickbacks?|pay-?offs?|"
    r"paid off|payroll|tips? (?:them|us|him|the gang) off|tipped|share|shares|stake|dividends?|"
    r"smooths?|shield(?:s|ing|ed)?|covers? (?:for|up)|cover-up|looks? the other way|"
    r"blind eye|drop(?:s|ped)? the case|collud\w+|in league|gifts?|red envelopes?|"
    r"pay(?:s|ing)? (?:the )?\w* ?officials|treats them like brothers|never lose|"
    r"warn(?:s|ed)? (?:us|them)|without doing anything|"
    r"envelopes?|tip-?offs?|heads-up|a cut|on the take|sworn brothers?|"
    r"sold (?:off )?(?:the )?(?:collective |village |farm)?land|looked away|"
    r"(?:cash|money|envelopes?|gifts?) (?:to|for) (?:the )?(?:police|officials?|inspectors?|cops)|"
    r"knew (?:about )?the raid|before (?:the|every|each) (?:raid|inspection|check)s?)\b",
    re.IGNORECASE,
)
_KIN_ZH = (
    "亲戚|小舅子|舅舅|表哥|表弟|堂哥|堂弟|女婿|丈人|姐夫|妹夫|侄子|外甥|连襟|老丈人|亲哥|亲弟弟"
)
_POSTS_ZH = (
    "所长|局长|书记|支书|镇长|乡长|县长|区长|市长|村主任|村长|警察|民警|公安|派出所|法院|法官|"
    "检察院|纪委|政法委|领导|当官|干部|官员|主任|科长|处长|队长"
)
_KIN_EN = (
    "brother-in-law|son-in-law|father-in-law|cousin|nephew|uncle|brother|son|wife|relative|daughter"
)
_POSTS_EN = (
    "officials?|police\\w*|officers?|chief|party secretary|secretary|village head|township head|"
    "county head|village chief|judge|director|mayor|cadre|inspector|commander|bureau"
)
_OWNER_POSTS_EN = (
    "officials?|party secretary|village head|township head|county head|village chief|mayor|"
    "police chief|station chief|bureau chief|cadre"
)
# Evidence on its own, whatever role is named or not.
OFFICIAL_ON_ITS_OWN = re.compile(
    r"保护伞|官商勾结|黑白通吃|黑白两道|上面有人|有后台|后台很硬|后台硬|后台是|"
    r"\b(?:protective umbrella|umbrella of protection|political protection|"
    r"protected by (?:officials|the police|someone (?:high|in the government)|people in power)|"
    r"friends? in high places|connections? in the (?:police|government|bureau|county)|"
    r"on the (?:police|government)'?s? payroll|on the take)\b|"
    # A relative of an official, not the reporter's own: "老板的小舅子是派出所副所长".
    rf"(?<!我)(?<!我的)(?:{_KIN_ZH})[^，。！？,.]{{0,6}}(?:是|在|当)[^，。！？,.]{{0,10}}(?:{_POSTS_ZH})|"
    rf"(?:{_POSTS_ZH})(?:的|是他|是老板的)(?:{_KIN_ZH})|"
    rf"(?<!my )(?<!our )\b(?:{_KIN_EN})s?\b[^.!?]{{0,40}}\b(?:is|was|works as|works for)\b"
    rf"[^.!?]{{0,25}}\b(?:{_POSTS_EN})|"
    # An official who owns or runs the business: "这个砂场是村支书开的", "the village head owns it".
    rf"\b(?:{_OWNER_POSTS_EN})s?\b[^.!?]{{0,30}}\b(?:owns|runs|is a partner|has a stake|"
    r"is the real boss|takes a cut|gets a cut)\b",
    re.IGNORECASE,
)

# Priority follows what a report says about imminence and danger, not a keyword anywhere: a
# date in a sentence with no threat ("明天我去上班") or a weapon merely carried does not make a
# report critical. Signals are found sentence by sentence (domain.signals); their matches are
# reasons staff can read. Violence named outright also makes the report violent_intimidation.
SIGNALS: dict[str, re.Pattern[str]] = {
    "weapons": re.compile(
        r"砍刀|猎枪|手枪|土枪|枪支|管制刀具|刀具|炸药|铁棍|钢管|西瓜刀|菜刀|匕首|持刀|拿刀|带刀|拿着刀|"
        r"棍棒|木棍|铁锤|榔头|弩|雷管|汽油瓶|硫酸|"
        r"\b(?:guns?|pistols?|rifles?|machetes?|knives|knife|explosives|shotguns?|iron bars?|"
        r"baseball bats?|bats|clubs|axes?|cleavers?|daggers?|crossbows?|acid|metal pipes?)\b",
        re.IGNORECASE,
    ),
    "minors": re.compile(
        r"未成年|未满十八|小学生|初中生|中学生|高中生|童工|儿童|少女|女孩|男孩|校门口|(?:孩子|小孩)[^，。！？]{0,6}(?:被拐|被绑|被打|被卖|被关|被逼|被抓|"
        r"被带走|被控制|被喂)|拐(?:卖|来|走)?的?(?:孩子|小孩)|"
        r"小姑娘|小女孩|小男孩|"
        r"(?:才|只有|刚|不到)(?:[6-9]|1[0-7]|[六七八九]|十[一二三四五六七]?)岁|"
        r"\b(?:minors?|children|child|kids?|teenagers?|teens|underage|under eighteen|under 18|"
        r"schoolchildren|pupils|(?:school|middle[- ]school|high[- ]school|"
        r"primary[- ]school) (?:students|kids)|schoolgirls?|schoolboys?|school gate|child labour|"
        r"(?:[6-9]|1[0-7])[- ]years?[- ]old|aged (?:[6-9]|1[0-7])|young girls?|girls as young as|"
        r"child workers?|(?:only|just|barely) (?:[6-9]|1[0-7])(?= years|[.,!]|$)|"
        r"(?:only|just|barely|aged) (?:six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
        r"fifteen|sixteen|seventeen)\b(?! (?:minutes|hours|days|weeks|months|yuan|dollars|"
        r"times)))\b|最小的(?:才|只有)",
        re.IGNORECASE,
    ),
    "violence": re.compile(
        r"殴打|打伤|(?<!没有)(?<!没)打人|砍伤|砍人|(?<!没有)伤人|打死|围殴|毒打|拳打脚踢|打断了|骨折|"
        r"被[^，。！？]{0,4}打(?:伤|了|得|成|断|骨折)|打(?:进|到)(?:了)?医院|打到住院|刺伤|捅伤|捅了|泼硫酸|"
        r"\b(?:beat|beaten|beating|beats|assault(?:ed|s)?|attacked|(?<!nobody was )(?<!no one was )"
        r"(?<!nobody got )(?<!not )injured|stabbed|wounded|punched|kicked|slashed|"
        r"hospitali[sz]ed|broke (?:his|her|my|their) (?:arms?|legs?|nose|ribs?|fingers?|hands?))\b",
        re.IGNORECASE,
    ),
    # Someone held for ransom or kidnapped.
    "held": re.compile(
        r"绑架|绑走|人质|赎金|赎人|非法拘禁|"
        r"\b(?:kidnap\w*|ransom|held (?:captive|hostage|prisoner)|hostages?)\b",
        re.IGNORECASE,
    ),
    # Danger to life now: gas in a mine with people fainting, a victim thinking of suicide.
    "life_danger": re.compile(
        r"(?:瓦斯|毒气|一氧化碳|有毒气体)[^。！？]{0,20}(?:晕|昏|倒下|中毒)|"
        r"自杀|想死|跳楼|不想活|活不下去|轻生|割腕|生命危险|随时会塌|快塌了|"
        r"(?:井下|矿下|矿井|坑道|巷道)[^。！？]{0,20}(?:晕倒|昏倒|昏迷|窒息|中毒)|"
        r"\b(?:gas|fumes|carbon monoxide)\b[^.!?]{0,40}\b(?:faint\w*|passed out|collaps\w*|"
        r"poison\w*)|\b(?:suicid\w*|kill (?:myself|himself|herself)|end (?:my|his|her) life|"
        r"danger to (?:his|her|their|my) li(?:fe|ves)|about to collapse|"
        r"(?:no|without) ventilation|(?:fainted|passed out|collapsed) (?:down |under)ground)\b",
        re.IGNORECASE,
    ),
    # Many victims or a large sum: high.
    "many_victims": re.compile(
        r"(?:几百|上百|数百|上千|几千|数千|成百上千)(?![块元万米亩斤吨公个月年天次])|"
        r"(?:几百|上百|数百|上千|几千|数千)(?:多)?(?:个|名|位)?(?:人|户|家|村民|工人|老人|投资|受害)|"
        r"(?:\d{3,}|\d{1,3}(?:,\d{3})+)\s?(?:多)?(?:个|名|位)?(?:人|户|家|村民|工人|投资|老人|群众)|"
        r"全村|整个村|"
        r"\b(?:hundreds|thousands)\s+of\b|the whole village|\b\d{3,}\s+(?:people|investors|"
        r"victims|families|"
        r"households|workers|villagers|students|members|pensioners|retirees|elderly|residents|"
        r"customers|depositors|savers|buyers|tenants|farmers)\b|\b\d{1,3}(?:,\d{3})+\s+(?:\w+\s+)?"
        r"(?:people|investors|victims|families|households|workers|villagers|pensioners|retirees|"
        r"residents|customers|depositors|savers|buyers|farmers)\b|more than (?:a|one) thousand",
        re.IGNORECASE,
    ),
    # A threat to kill: critical whenever it was made.
    "death_threat": re.compile(
        r"弄死|整死|杀了你|杀了我|杀你|杀我|杀他|杀全家|杀你全家|灭你全家|要你的命|要你命|要了你的命|"
        r"要我的命|砍死|打死你|打死我|让你死|让我死|活埋|(?:要|就|会|把你|给你)[^，。！？]{0,4}打断[^，。！？]{0,6}(?:腿|手|胳膊)|打断你的?(?:腿|"
        r"手)|"
        r"卸(?:你|他)?一条腿|砍(?:你|他|掉)?(?:的)?手|下一个就是你|你是下一个|"
        r"\b(?:(?:threat\w*|said|swore|promised|going|gonna|will|would) (?:\w+ ){0,2}kill|"
        r"kill (?:you|me|us|him|her|them|my|your|his|her|the whole)|death threats?|"
        r"(?:you|we|i|he|she)(?:'ll| will) (?:be )?dead|end up dead|"
        r"break (?:his|her|your|my|their|our) (?:legs?|arms?|hands?|fingers?)|"
        r"cut off (?:his|her|your|my|their) (?:hands?|fingers?)|you(?:'re| are) next)\b",
        re.IGNORECASE,
    ),
    # A threat made, with no date: high.
    "threatened": re.compile(
        r"威胁|恐吓|扬言|放话|警告我|(?:让|给|要)[^，。！？]{0,4}好看|走着瞧|等着瞧|不会放过|跟踪|"
        r"\b(?:threat\w*|intimidat\w+|warned (?:me|us|my|our)|or else|follow(?:s|ed|ing)? (?:me|my|"
        r"her|him)|"
        r"stalk\w*)\b",
        re.IGNORECASE,
    ),
}
# Violence told as going on now, in the sentence of the violence: critical.
HAPPENING_NOW = re.compile(
    r"正在|此刻|现在还在打|还在打|还在里面|现在就在|快来人|救命|快来|赶紧来|"
    r"\b(?:right now|at this moment|as we speak|is happening now|are (?:beating|hitting|attacking)|"
    r"is (?:beating|hitting|attacking)|keep (?:beating|hitting)|still (?:beating|hitting|inside|"
    r"there)|come (?:quickly|now|at once)|help us now|hurry)\b",
    re.IGNORECASE,
)
# Harm denied: "没有人受伤", "nobody was hurt", "without threatening anyone". Taken out of a
# sentence before its signals are read.
NEGATED = re.compile(
    r"(?:没有|没|并没有|并没|也没有|也没)(?:人)?(?:被)?(?:受伤|打人|打架|动手|伤人|威胁|恐吓|带刀|拿刀|"
    r"出事|伤到|打伤|死)|没有(?:任何)?人(?:员)?(?:受伤|伤亡|被打|被威胁)|无人(?:受伤|伤亡)|"
    r"\b(?:no(?:body| one|one)(?: was| were| got)? (?:hurt|injured|harmed|beaten|killed|"
    r"threatened)|"
    r"(?:without|never) (?:hurting|injuring|threatening|harming|attacking) (?:any(?:one|body)|us|"
    r"me)|"
    r"not (?:threatening|hurting|attacking) any(?:one|body)|no (?:violence|threats?|weapons?|"
    r"injuries)|"
    r"(?:did not|didn't|never) (?:hurt|beat|threaten|attack|harm) (?:any(?:one|body)|us|me))\b",
    re.IGNORECASE,
)
# When: a threat with a date or a deadline, in the same sentence as the threat.
IMMINENCE = re.compile(
    r"今晚|今天晚上|明天|后天|马上|随时|这个周末|这周|下周|过几天|这几天|月底前|年底前|限期|最后期限|"
    r"\d{1,2}月\d{1,2}[日号]?(?:之前|以前|前)|(?:周|星期|礼拜)[一二三四五六日天](?:之前|以前|前)|"
    r"[\d一二三两四五六七八九十]+(?:天|日|个小时|小时)(?:之内|以内|内|后)|"
    r"\b(?:tonight|tomorrow|this weekend|right now|any moment|any day now|next week|"
    r"deadline|by (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|the end of)|"
    r"before (?:\d{1,2}(?:st|nd|rd|th)? )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*|"
    r"before (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"(?:in|within) (?:\d+|one|two|three|four|five|a few|a|24|48) (?:days?|hours?|weeks?)|"
    r"is in \d+ days)\b",
    re.IGNORECASE,
)
THREAT = re.compile(
    r"威胁|放话|扬言|不然|否则|动手|砸|烧(?!烤|饭|菜|酒)|砍(?!刀)|杀(?!猪)|弄死|打断|收拾|报复|放火|"
    r"要命|灭了|不给钱就|不交就|不搬就|会过来|就要来|找上门|(?:让|给|要)[^，。！？]{0,4}好看|走着瞧|下一个就是你|等着瞧|跟踪|"
    r"\b(?:threat\w*|warned|or else|will (?:come|burn|kill|hurt|break|smash|beat|act|wreck)|"
    r"coming|wreck|set fire|burn|kill|hurt|pay up|or we|or they|you(?:'re| are) next|"
    r"take (?:your|my|his|her) (?:daughter|son|child|kid|wife))\b",
    re.IGNORECASE,
)
# Words that draw a child into a crime, in the same sentence as a child ("sell drugs to pupils").
CHILD_HARM = re.compile(
    r"卖|毒|拐|威胁|殴打|打伤|陪|招|雇|逼|控制|吸|贷|赌|望风|送货|利用|最小|"
    r"\b(?:sold|sell\w*|drugs?|traffick\w*|threat\w*|recruit\w*|lookouts?|couriers?|forced|"
    r"lur\w+|gambl\w+|loans?|beat\w*|prostitut\w+|use[sd]?|work|working|workers|locked|hidden|"
    r"youngest)\b",
    re.IGNORECASE,
)
# Old or vague: years ago, a lender who has since died; unless the report says it goes on.
OLD = re.compile(
    r"(?:\d+|几|十几|二十|好几|很多)年前|早年|很久以前|当年|19\d\d年|20(?:0\d|1[0-5])年|已经死了|已经去世|"
    r"已经(?:被)?(?:抓了|判了|抓起来|关起来|解决|处理好|结案|还清)|现在没事了|再也没来过|"
    r"\b(?:years ago|long ago|back in (?:19|20)\d\d|maybe (?:19|20)\d\d|has (?:since )?died|"
    r"passed away|is dead now|(?:was|were|have been|has been|got) (?:all )?(?:arrested|jailed|"
    r"convicted|"
    r"sentenced|settled|resolved)|(?:have|has)(?: not|n't) (?:been|come) back since|"
    r"never came back)\b",
    re.IGNORECASE,
)
ONGOING = re.compile(
    r"现在(?!没事|已经|不)|至今|还在|仍然|一直|每天|每月|今年|最近|目前|天天|"
    r"\b(?:still|now|every (?:day|week|month)|recently|this year|again|these days)\b",
    re.IGNORECASE,
)

# Keywords that confirm a crime type the model gives a middling probability: the words of the
# first rule-based classifier plus common legal terms, written without looking at data/eval.jsonl.
CRIME_TYPE_KEYWORDS: dict[str, re.Pattern[str]] = {
    "violent_intimidation": re.compile(
        r"殴打|打人|砍人|恐吓|威胁|暴力|砸店|砸了|泼油漆|打断|堵门|围堵|报复|"
        r"\b(?:assault\w*|beat|beaten|threaten\w*|intimidat\w+|smash\w*|beat(?:en|ing)? up)\b",
        re.I,
    ),
    "extortion_protection": re.compile(
        r"保护费|敲诈|勒索|看场费|平安费|索要|强收|"
        r"\b(?:extort\w*|protection (?:money|fees?)|racket\w*|shake(?:s|n)? down|shakedown)\b",
        re.I,
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

# The industry a report is about: its workplace and trade words, in both languages (written from
# general knowledge of how people describe their work, without looking at any evaluation file).
# `domain.choose_industry` counts the sentences that name each and weighs them with the model's
# reading; a word in passing ("我在工地上班") counts less than the crime's own trade (below).
INDUSTRY_KEYWORDS: dict[str, re.Pattern[str]] = {
    "construction": re.compile(
        r"工地|塔吊|包工头|工头|施工|工程款|工程队|建筑工|建筑公司|搅拌站|混凝土|水泥|钢筋|"
        r"脚手架|土方|装修|项目经理|分包|转包|总包|承包商|劳务|农民工|盖楼|修路|搬砖|板房|"
        r"\b(?:building sites?|construction\w*|builders?|scaffold\w*|cranes?|concrete|cement|"
        r"subcontract\w*|contractors?|labou?r boss|foreman|renovation|bricklay\w+|rebar)\b",
        re.I,
    ),
    "mining": re.compile(
        r"砂场|沙场|采砂|抽沙|抽砂|挖沙|挖砂|河沙|采石|石场|石料厂|矿山|矿井|矿洞|矿场|煤矿|"
        r"煤窑|小煤窑|矿石|矿区|开矿|采矿|稀土|金矿|铁矿|矿工|矿上|矿主|放炮|爆破|"
        r"\b(?:quarr(?:y|ies)|mines?|mining|miners?|coal|pits?|sand (?:dredg\w+|mining|pits?)|"
        r"dredg\w+|ore|rare earth|gravel pits?|blasting)\b",
        re.I,
    ),
    "transport": re.compile(
        r"货运|运输|渣土车|泥头车|客运|班车|大巴|公交|线路|物流|货车|卡车|大货车|司机|"
        r"车站|客车|出租车|的士|网约车|黑车|拉客|车队|码头|港口|过路费|车霸|车辆|"
        r"\b(?:freight|haul\w*|trucks?|truckers?|lorr(?:y|ies)|bus(?:es)?|bus routes?|"
        r"coach(?:es)?|logistics|taxis?|cabs?|drivers?|passengers?|depot|port|docks?|"
        r"shipping|transport\w*|ride-?hailing|minibus\w*)\b",
        re.I,
    ),
    "finance_lending": re.compile(
        r"放贷|借贷|贷款|网贷|小贷|高利贷|套路贷|校园贷|裸贷|P2P|集资|理财|投资公司|担保公司|"
        r"利息|利滚利|本金|借条|欠条|借款|借了|借钱|还钱|欠钱|欠款|欠债|还款|砍头息|催收|逾期|返利|高息|月息|年化|"
        r"平台暴雷|存款|储户|投资人|融资|"
        r"\b(?:loans?|lend\w*|borrow\w*|debts?|interest|repay\w*|loan sharks?|usur\w+|p2p|"
        r"invest\w*|returns|deposit(?:s|ors)?|fund-?rais\w+|ponzi|wealth management|"
        r"financ\w+|credit)\b",
        re.I,
    ),
    "entertainment_venues": re.compile(
        r"KTV|夜总会|洗浴|桑拿|会所|赌场|棋牌室|麻将馆|酒吧|歌厅|舞厅|迪厅|足浴|按摩|洗脚|"
        r"网吧|游戏厅|电玩城|包厢|包间|陪酒|夜场|娱乐城|娱乐场所|宾馆|酒店|茶楼|茶馆|足疗|"
        r"\b(?:ktv|karaoke|night ?clubs?|clubs?|bars?|saunas?|massage|bath ?house\w*|casinos?|"
        r"mahjong (?:parlou?rs?|halls?|rooms?)|parlou?rs?|arcades?|discos?|lounges?|hostess\w*|"
        r"private rooms?|internet cafes?|hotels?|tea ?houses?)\b",
        re.I,
    ),
    "agriculture_fisheries": re.compile(
        r"鱼塘|渔船|渔民|捕鱼|电鱼|休渔|养殖|种植|承包地|农田|耕地|果园|大棚|蔬菜基地|菜农|果农|"
        r"农民|农户|养猪|养鸡|猪场|鸡场|牛羊|粮食|收购粮|化肥|农药|种子|苗木|茶园|林场|砍树|"
        r"水库|鱼苗|养鱼|"
        r"\b(?:fish\w*|fish ?ponds?|farm\w*|crops?|harvest\w*|livestock|pigs?|cattle|"
        r"orchards?|greenhouses?|seeds?|fertili[sz]er\w*|pesticides?|aquaculture|shrimp|"
        r"growers?|grain|tea plantation\w*|timber|logging)\b",
        re.I,
    ),
    "real_estate_land": re.compile(
        r"拆迁|强拆|征地|征收|补偿款|安置房|楼盘|开发商|房地产|售楼|烂尾|物业|业主|宅基地|"
        r"土地|地皮|房产|房东|押金|产权|土地流转|卖地|"
        r"\b(?:demolition\w*|evict\w*|land (?:seizures?|grabs?|acquisition)|developers?|"
        r"real estate|property (?:management|developer\w*|compan\w+)|"
        r"homeowners?|landlords?|compensation|relocat\w+|land|plots?)\b",
        re.I,
    ),
    "retail_markets": re.compile(
        r"菜市场|农贸市场|批发市场|市场|商铺|店铺|摊位|摊贩|摊主|摆摊|档口|商户|进场费|摊位费|"
        r"菜霸|市霸|商场|超市|门面|小卖部|批发|零售|开店|小店|店主|店面|(?<![足洗车])店(?:里|门口|门前)|"
        r"\b(?:markets?|marketplace|stalls?|stallholders?|vendors?|shops?|shopkeepers?|stores?|"
        r"wholesal\w+|retail\w*|traders?|hawkers?|supermarkets?|malls?)\b",
        re.I,
    ),
    "healthcare": re.compile(
        r"医院|诊所|药店|药房|医生|医托|护士|护工|病人|患者|看病|治疗|手术|假药|医疗|卫生院|"
        r"医保|整形|美容院|莆田系|"
        r"\b(?:hospitals?|clinics?|pharmac(?:y|ies)|doctors?|nurses?|patients?|medic\w+|"
        r"surgery|treatments?|health ?care|drugstores?)\b",
        re.I,
    ),
    "education": re.compile(
        r"学校|培训班|培训机构|辅导班|校外辅导|补习|学费|家长|老师|校长|学生|中学|小学|幼儿园|"
        r"大学|高校|考证|招生|留学|教育|"
        r"\b(?:schools?|tutor\w*|training (?:centres?|centers?|courses?|classes)|classes|"
        r"tuition|parents?|teachers?|headmaster|principal|students?|pupils?|kindergarten\w*|"
        r"universit(?:y|ies)|college|academ(?:y|ies)|education\w*)\b",
        re.I,
    ),
}
# Crime types that are themselves a trade: the loan is the crime in loan sharking, wherever the
# borrower works, so a construction worker harassed over a loan is `finance_lending`.
CRIME_TYPE_INDUSTRY: dict[str, str] = {
    "loan_sharking": "finance_lending",
    "illegal_mining": "mining",
    "transport_monopoly": "transport",
}
# A sentence in which the writer says who they are or where they (or their family) work: its
# trade words set the scene ("我是开出租车的", "I teach at a primary school"), not the crime's.
WRITER_INTRODUCED = re.compile(
    r"^(?:[^，,。]{0,6}[，,])?(?:我|俺|本人|我们|俺们|咱们?)(?:家|老公|老婆|爸|妈|儿子|女儿|丈夫|妻子)?"
    r"(?:是|在|祖祖辈辈|世代|一直|平时|以前|原来|之前|靠|做|干|开|跑|当)|"
    r"为生|谋生|上班的|打工的|"
    r"^(?:hi|hello|dear [^,.]*)?[, ]*(?:i'?m|i am|i work|i teach|i run|i drive|i own|we are|we run|"
    r"we (?:make|earn) our living|my (?:dad|father|mum|mother|husband|wife|son|daughter|family) "
    r"(?:is|runs|works|drives|owns)|i'?ve been working)\b",
    re.I,
)

"""The first, rule-based categorization: keywords for crime types, a gazetteer for regions.

Plain data, read by `domain.classify`. Bump RULES_VERSION whenever a table changes, so every
stored classification says which rules made it. The sifting issue replaces these tables with a
versioned taxonomy file; `classify` is the seam it plugs into.
"""

RULES_VERSION = "rules-2026.11.1"

# Crime type -> keywords (Chinese matched as substrings, English as case-insensitive words).
CRIME_TYPE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "violent_intimidation": ("殴打", "打人", "砍人", "恐吓", "威胁", "暴力", "assault", "beat",
                             "beaten", "threaten", "threatened", "intimidate", "intimidation"),
    "extortion_protection": ("保护费", "敲诈", "勒索", "extort", "extortion", "protection money",
                             "racket"),
    "illegal_gambling": ("赌场", "赌博", "开设赌", "gambling", "casino"),
    "drug_trafficking": ("毒品", "贩毒", "制毒", "drug", "drugs", "narcotics", "meth"),
    "loan_sharking": ("高利贷", "套路贷", "暴力催收", "催收", "loan shark", "loan sharking",
                      "usury", "debt collector"),
    "illegal_mining": ("非法采砂", "采砂", "盗采", "非法采矿", "sand dredging", "illegal mining",
                       "sand mining"),
    "market_monopoly": ("强买强卖", "垄断", "菜霸", "市霸", "村霸", "行霸", "monopoly",
                        "market bully"),
    "transport_monopoly": ("客运垄断", "运输垄断", "砂石运输", "车霸", "transport monopoly"),
    "prostitution_trafficking": ("卖淫", "拐卖", "人口贩卖", "prostitution", "human trafficking"),
    "fraud_fundraising": ("诈骗", "非法集资", "传销", "fraud", "scam", "ponzi",
                          "illegal fund-raising"),
    "official_collusion": ("保护伞", "包庇", "受贿", "官员", "干部", "充当", "umbrella", "bribe",
                           "bribes", "corrupt official", "police protect", "officials protect"),
}
OTHER = "other"

# Provincial-level divisions: canonical id -> names people write.
PROVINCES: dict[str, tuple[str, ...]] = {
    "beijing": ("北京", "beijing"),
    "tianjin": ("天津", "tianjin"),
    "shanghai": ("上海", "shanghai"),
    "chongqing": ("重庆", "chongqing"),
    "hebei": ("河北", "hebei"),
    "shanxi": ("山西", "shanxi"),
    "liaoning": ("辽宁", "liaoning"),
    "jilin": ("吉林", "jilin"),
    "heilongjiang": ("黑龙江", "heilongjiang"),
    "jiangsu": ("江苏", "jiangsu"),
    "zhejiang": ("浙江", "zhejiang"),
    "anhui": ("安徽", "anhui"),
    "fujian": ("福建", "fujian"),
    "jiangxi": ("江西", "jiangxi"),
    "shandong": ("山东", "shandong"),
    "henan": ("河南", "henan"),
    "hubei": ("湖北", "hubei"),
    "hunan": ("湖南", "hunan"),
    "guangdong": ("广东", "guangdong"),
    "hainan": ("海南", "hainan"),
    "sichuan": ("四川", "sichuan"),
    "guizhou": ("贵州", "guizhou"),
    "yunnan": ("云南", "yunnan"),
    "shaanxi": ("陕西", "shaanxi"),
    "gansu": ("甘肃", "gansu"),
    "qinghai": ("青海", "qinghai"),
    "inner_mongolia": ("内蒙古", "inner mongolia", "nei mongol"),
    "guangxi": ("广西", "guangxi"),
    "tibet": ("西藏", "tibet", "xizang"),
    "ningxia": ("宁夏", "ningxia"),
    "xinjiang": ("新疆", "xinjiang"),
    "hong_kong": ("香港", "hong kong"),
    "macau": ("澳门", "macau", "macao"),
    "taiwan": ("台湾", "taiwan"),
}

# Main cities -> their province, for reports that name a city only.
CITIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "shijiazhuang": ("hebei", ("石家庄", "shijiazhuang")),
    "taiyuan": ("shanxi", ("太原", "taiyuan")),
    "shenyang": ("liaoning", ("沈阳", "shenyang")),
    "dalian": ("liaoning", ("大连", "dalian")),
    "changchun": ("jilin", ("长春", "changchun")),
    "harbin": ("heilongjiang", ("哈尔滨", "harbin")),
    "nanjing": ("jiangsu", ("南京", "nanjing")),
    "suzhou": ("jiangsu", ("苏州", "suzhou")),
    "hangzhou": ("zhejiang", ("杭州", "hangzhou")),
    "ningbo": ("zhejiang", ("宁波", "ningbo")),
    "hefei": ("anhui", ("合肥", "hefei")),
    "fuzhou": ("fujian", ("福州", "fuzhou")),
    "xiamen": ("fujian", ("厦门", "xiamen")),
    "nanchang": ("jiangxi", ("南昌", "nanchang")),
    "jinan": ("shandong", ("济南", "jinan")),
    "qingdao": ("shandong", ("青岛", "qingdao")),
    "zhengzhou": ("henan", ("郑州", "zhengzhou")),
    "wuhan": ("hubei", ("武汉", "wuhan")),
    "changsha": ("hunan", ("长沙", "changsha")),
    "guangzhou": ("guangdong", ("广州", "guangzhou")),
    "shenzhen": ("guangdong", ("深圳", "shenzhen")),
    "haikou": ("hainan", ("海口", "haikou")),
    "chengdu": ("sichuan", ("成都", "chengdu")),
    "guiyang": ("guizhou", ("贵阳", "guiyang")),
    "kunming": ("yunnan", ("昆明", "kunming")),
    "xian": ("shaanxi", ("西安", "xi'an", "xian")),
    "lanzhou": ("gansu", ("兰州", "lanzhou")),
    "xining": ("qinghai", ("西宁", "xining")),
    "hohhot": ("inner_mongolia", ("呼和浩特", "hohhot")),
    "nanning": ("guangxi", ("南宁", "nanning")),
    "lhasa": ("tibet", ("拉萨", "lhasa")),
    "yinchuan": ("ningxia", ("银川", "yinchuan")),
    "urumqi": ("xinjiang", ("乌鲁木齐", "urumqi")),
}

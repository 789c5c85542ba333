"""Everyday words and abbreviations of Chinese disability-employment policy, mapped to the documents' own terms.

People ask "低保" and "残保金"; the plans write "最低生活保障" and "殘疾人就業保障金". Each expansion is added to
the question's search key (never to what is shown). Keys and values are Simplified: questions are matched on
their Simplified key.
"""

from __future__ import annotations

import re

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
}


# English words of the field whose dictionary (CC-CEDICT) glosses miss the documents' terms. Keys are lowercase
# phrases matched on word boundaries; values are Simplified terms added to the BM25 side of an English question.
ENGLISH_GLOSSARY: dict[str, str] = {
    "start a business": "创业",
    "start-up": "创业",
    "startup": "创业",
    "entrepreneur": "创业",
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
    "civil service": "机关 招录",
    "government agencies": "机关 事业单位",
    "public institutions": "事业单位",
    "university": "高校 大学生",
    "college": "高校 大学生",
    "graduate": "高校毕业生 毕业生",
    "blind": "盲人",
    "massage": "按摩",
    "sheltered": "辅助性就业",
    "supported employment": "辅助性就业",
    "autism": "孤独症",
    "autistic": "孤独症",
    "intellectual disability": "智力残疾",
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
}


def expand_english(text: str) -> str:
    """The glossary terms for an English question, space-joined ('' when none apply)."""
    lowered = f" {text.lower()} "
    return " ".join(terms for phrase, terms in ENGLISH_GLOSSARY.items() if _has_phrase(lowered, phrase))


def _has_phrase(padded_lowercase: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z-]){re.escape(phrase)}(?:s|es)?(?![a-z-])", padded_lowercase) is not None


def expand(simplified_key: str) -> str:
    """The expansions that apply to a Simplified question key, space-joined ('' when none apply)."""
    return " ".join(terms for word, terms in GLOSSARY.items() if word in simplified_key)

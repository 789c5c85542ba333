"""Everyday words and abbreviations of Chinese disability-employment policy, mapped to the documents' own terms.

People ask "低保" and "残保金"; the plans write "最低生活保障" and "殘疾人就業保障金". Each expansion is added to
the question's search key (never to what is shown). Keys and values are Simplified: questions are matched on
their Simplified key.
"""

from __future__ import annotations

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
    "贷款": "创业担保贷款 信贷",
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
    "手艺": "传统工艺 技能",
}


def expand(simplified_key: str) -> str:
    """The expansions that apply to a Simplified question key, space-joined ('' when none apply)."""
    return " ".join(terms for word, terms in GLOSSARY.items() if word in simplified_key)

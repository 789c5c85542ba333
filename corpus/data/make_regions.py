"""Generate ``corpus/data/regions.json``: China's administrative divisions.

This script documents how the region table was produced; it is NOT needed at
run time (``corpus/regions.py`` only reads the JSON it writes).

Data sources
------------
* ``cpca`` 0.5.5 (PyPI, MIT licence): its ``resources/adcodes.csv`` lists the
  provinces, prefecture-level cities and counties/districts of China with
  their GB/T 2260 administrative codes (a snapshot of roughly 2016-2017).
* ``pypinyin`` 0.55.0 (PyPI, MIT licence): romanises the short names of the
  prefecture-level cities; the readings it gets wrong (polyphones such as
  长治, 漯河, 朝阳) and the conventional non-pinyin English names (Urumqi,
  Hohhot, Lhasa, Kashgar, ...) are fixed by ``CITY_ENGLISH_OVERRIDES`` below.
* Hand-written tables below: the provincial-level English names and one-
  character abbreviations, Taiwan's main cities, and the best-known
  renamings/new divisions after the cpca snapshot (``COUNTY_RENAMES`` etc.),
  so that both the old and the current names are found.

Usage::

    python3.11 -m venv /tmp/regvenv
    /tmp/regvenv/bin/pip install cpca==0.5.5 pypinyin==0.55.0 --no-deps
    /tmp/regvenv/bin/python corpus/data/make_regions.py

The output is deterministic: records are sorted by adcode (then name) and
written as UTF-8 with ``ensure_ascii=False``, one record per line.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("regions.json")

# adcode prefix -> (short name, full name, abbreviation, other abbreviations,
#                   English names (first is the preferred one), Chinese aliases)
PROVINCES: dict[str, tuple[str, str, str, list[str], list[str], list[str]]] = {
    "11": ("北京", "北京市", "京", [], ["Beijing", "Peking"], []),
    "12": ("天津", "天津市", "津", [], ["Tianjin"], []),
    "13": ("河北", "河北省", "冀", [], ["Hebei"], []),
    "14": ("山西", "山西省", "晋", [], ["Shanxi"], []),
    "15": ("内蒙古", "内蒙古自治区", "蒙", [], ["Inner Mongolia", "Nei Mongol", "Neimenggu"], ["内蒙"]),
    "21": ("辽宁", "辽宁省", "辽", [], ["Liaoning"], []),
    "22": ("吉林", "吉林省", "吉", [], ["Jilin"], []),
    "23": ("黑龙江", "黑龙江省", "黑", [], ["Heilongjiang"], []),
    "31": ("上海", "上海市", "沪", ["申"], ["Shanghai"], ["申城", "魔都"]),
    "32": ("江苏", "江苏省", "苏", [], ["Jiangsu"], []),
    "33": ("浙江", "浙江省", "浙", [], ["Zhejiang"], []),
    "34": ("安徽", "安徽省", "皖", [], ["Anhui"], []),
    "35": ("福建", "福建省", "闽", [], ["Fujian"], []),
    "36": ("江西", "江西省", "赣", [], ["Jiangxi"], []),
    "37": ("山东", "山东省", "鲁", [], ["Shandong"], []),
    "41": ("河南", "河南省", "豫", [], ["Henan"], []),
    "42": ("湖北", "湖北省", "鄂", [], ["Hubei"], []),
    "43": ("湖南", "湖南省", "湘", [], ["Hunan"], []),
    "44": ("广东", "广东省", "粤", [], ["Guangdong"], []),
    "45": ("广西", "广西壮族自治区", "桂", [], ["Guangxi"], []),
    "46": ("海南", "海南省", "琼", [], ["Hainan"], []),
    "50": ("重庆", "重庆市", "渝", [], ["Chongqing"], []),
    "51": ("四川", "四川省", "川", ["蜀"], ["Sichuan", "Szechuan", "Szechwan"], []),
    "52": ("贵州", "贵州省", "黔", ["贵"], ["Guizhou"], []),
    "53": ("云南", "云南省", "滇", ["云"], ["Yunnan"], []),
    "54": ("西藏", "西藏自治区", "藏", [], ["Tibet", "Xizang"], []),
    "61": ("陕西", "陕西省", "陕", ["秦"], ["Shaanxi"], []),
    "62": ("甘肃", "甘肃省", "甘", ["陇"], ["Gansu"], []),
    "63": ("青海", "青海省", "青", [], ["Qinghai"], []),
    "64": ("宁夏", "宁夏回族自治区", "宁", [], ["Ningxia"], []),
    "65": ("新疆", "新疆维吾尔自治区", "新", [], ["Xinjiang"], []),
    "71": ("台湾", "台湾省", "台", [], ["Taiwan"], ["台湾地区"]),
    "81": ("香港", "香港特别行政区", "港", [], ["Hong Kong", "Hongkong"], ["香港特区"]),
    "82": ("澳门", "澳门特别行政区", "澳", [], ["Macao", "Macau"], ["澳门特区"]),
}

MUNICIPALITIES = {"11", "12", "31", "50"}

# Suffixes stripped from a prefecture-level name to get its short name.
CITY_SUFFIXES = ("自治州", "地区", "市", "盟")

# pypinyin misreadings and conventional English names of prefecture-level
# divisions (keyed by short name).  The first entry is the preferred name.
CITY_ENGLISH_OVERRIDES: dict[str, list[str]] = {
    "长治": ["Changzhi"],
    "漯河": ["Luohe"],
    "朝阳": ["Chaoyang"],
    "吕梁": ["Lüliang", "Lvliang"],
    "乌鲁木齐": ["Urumqi", "Wulumuqi"],
    "呼和浩特": ["Hohhot", "Huhehaote"],
    "拉萨": ["Lhasa", "Lasa"],
    "日喀则": ["Shigatse", "Rikaze"],
    "昌都": ["Qamdo", "Chamdo", "Changdu"],
    "林芝": ["Nyingchi", "Linzhi"],
    "山南": ["Shannan", "Lhoka"],
    "那曲": ["Nagqu", "Naqu"],
    "阿里": ["Ngari"],
    "喀什": ["Kashgar", "Kashi"],
    "和田": ["Hotan", "Hetian"],
    "阿克苏": ["Aksu", "Akesu"],
    "吐鲁番": ["Turpan", "Tulufan"],
    "克拉玛依": ["Karamay", "Kelamayi"],
    "阿勒泰": ["Altay", "Aletai"],
    "伊犁": ["Yili"],
    "博尔塔拉": ["Bortala", "Boertala"],
    "巴音郭楞": ["Bayingolin", "Bayinguoleng"],
    "克孜勒苏": ["Kizilsu", "Kezilesu"],
    "昌吉": ["Changji"],
    "呼伦贝尔": ["Hulunbuir", "Hulunbeier"],
    "巴彦淖尔": ["Bayannur", "Bayannaoer"],
    "乌兰察布": ["Ulanqab", "Wulanchabu"],
    "锡林郭勒": ["Xilingol", "Xilinguole"],
    "阿拉善": ["Alxa", "Alashan"],
    "兴安": ["Hinggan", "Xing'an"],
    "鄂尔多斯": ["Ordos", "Eerduosi"],
    "大兴安岭": ["Greater Khingan", "Daxing'anling", "Daxinganling"],
    "果洛": ["Golog", "Guoluo"],
    "玉树": ["Yushu"],
    "海西": ["Haixi"],
    "西双版纳": ["Xishuangbanna"],
    "德宏": ["Dehong"],
    "厦门": ["Xiamen", "Amoy"],
    "哈尔滨": ["Harbin", "Haerbin"],
    "齐齐哈尔": ["Qiqihar", "Qiqihaer"],
    "阿坝": ["Ngawa"],  # not "Aba": clashes with ABA (applied behaviour analysis)
    "吉安": ["Ji'an"],  # not "Jian": a common given name
    "六安": ["Lu'an", "Luan"],
}

# Taiwan is not subdivided in the cpca table; its main cities are added here.
TAIWAN_CITIES: list[tuple[str, list[str]]] = [
    ("台北市", ["Taipei"]),
    ("新北市", ["New Taipei"]),
    ("桃园市", ["Taoyuan"]),
    ("台中市", ["Taichung"]),
    ("台南市", ["Tainan"]),
    ("高雄市", ["Kaohsiung"]),
    ("基隆市", ["Keelung"]),
    ("新竹市", ["Hsinchu"]),
    ("嘉义市", ["Chiayi"]),
]

# County-level renamings after the cpca snapshot: adcode -> current name.
# The old name is kept as an alias so older documents still match.
COUNTY_RENAMES: dict[str, str] = {
    "130223": "滦州市",
    "130823": "平泉市",
    "140624": "怀仁市",
    "232723": "漠河市",
    "331021": "玉环市",
    "340225": "无为市",
    "340824": "潜山市",
    "371202": "莱芜区",
    "410728": "长垣市",
    "420821": "京山市",
    "430124": "宁乡市",
    "430521": "邵东市",
    "451023": "平果市",
    "500228": "梁平区",
    "500232": "武隆区",
    "510922": "射洪市",
    "511028": "隆昌市",
    "513425": "会理市",
    "520222": "盘州市",
    "530422": "澄江市",
    "530630": "水富市",
    "542421": "色尼区",
    "610125": "鄠邑区",
    "610427": "彬州市",
    "610623": "子长市",
    "610821": "神木市",
    "652923": "库车市",
}

# County-level divisions moved to another prefecture: adcode -> new city.
COUNTY_MOVES: dict[str, str] = {
    "220381": "长春市",  # 公主岭市, from 四平市 (2020)
    "371202": "济南市",  # 莱芜区 (formerly 莱城区), 莱芜市 abolished (2019)
    "371203": "济南市",  # 钢城区
}

# Prefecture-level renamings after the snapshot: adcode -> current name.
CITY_RENAMES: dict[str, str] = {
    "542400": "那曲市",
}

# Extra names of existing counties (e.g. a special zone bearing the county's
# territory): adcode -> aliases.
COUNTY_ALIASES: dict[str, list[str]] = {
    "350128": ["平潭综合实验区"],
}

# County-level divisions missing from the snapshot:
# (adcode, name, city or None, province prefix).
EXTRA_COUNTIES: list[tuple[str | None, str, str | None, str]] = [
    ("659005", "北屯市", None, "65"),
    ("659007", "双河市", None, "65"),
    ("659008", "可克达拉市", None, "65"),
    ("659009", "昆玉市", None, "65"),
    ("659010", "胡杨河市", None, "65"),
    ("659011", "新星市", None, "65"),
    ("659012", "白杨市", None, "65"),
    (None, "雄安新区", "保定市", "13"),
]


def _cpca_resources() -> Path:
    """Locate cpca's data folder without importing cpca (which needs pandas)."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install cpca==0.5.5 --no-deps  (into a throw-away venv)")
    return Path(next(iter(spec.submodule_search_locations))) / "resources"


def _load_cpca() -> list[tuple[str, str]]:
    """Return (6-digit adcode, name) rows from cpca's bundled adcodes.csv."""
    path = _cpca_resources() / "adcodes.csv"
    rows: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rows.append((row["adcode"][:6], row["name"].strip()))
    return rows


def _short_city_name(full: str, ethnic_names: list[str]) -> str:
    """Strip the administrative suffix (and ethnic names of an autonomous prefecture)."""
    name = full
    for suffix in CITY_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            name = name[: -len(suffix)]
            if suffix == "自治州":
                # 延边朝鲜族自治州 -> 延边; 巴音郭楞蒙古自治州 -> 巴音郭楞
                changed = True
                while changed:
                    changed = False
                    for ethnic in ethnic_names:
                        for form in (ethnic, ethnic.removesuffix("族")):
                            if len(form) >= 2 and name.endswith(form) and len(name) > len(form) + 1:
                                name = name[: -len(form)]
                                changed = True
            break
    return name


def _pinyin_names(short: str) -> list[str]:
    """Romanise a city short name: 'Changchun', and "Xi'an" plus 'Xian' forms."""
    from pypinyin import lazy_pinyin

    if short in CITY_ENGLISH_OVERRIDES:
        return CITY_ENGLISH_OVERRIDES[short]
    syllables = [s.replace("v", "ü") for s in lazy_pinyin(short)]
    plain = "".join(syllables)
    marked = syllables[0]
    for syl in syllables[1:]:
        marked += ("'" if syl[0] in "aeo" else "") + syl
    names = [marked.capitalize()]
    if marked != plain:
        names.append(plain.capitalize())
    if "ü" in plain:
        names.append(plain.replace("ü", "v").capitalize())
    return names


def _ethnic_names() -> list[str]:
    path = _cpca_resources() / "56_nations.csv"
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    names += ["蒙古", "柯尔克孜", "哈萨克"]
    return sorted(set(names), key=lambda s: (-len(s), s))


def build() -> dict[str, Any]:
    """Build the region table as a JSON-serialisable dict."""
    rows = _load_cpca()
    ethnic = _ethnic_names()

    provinces: list[dict[str, Any]] = []
    for prefix, (short, full, abbr, alt, english, aliases) in sorted(PROVINCES.items()):
        record: dict[str, Any] = {
            "adcode": prefix + "0000",
            "name": short,
            "full_name": full,
            "abbr": abbr,
        }
        if alt:
            record["alt_abbr"] = alt
        record["english"] = english
        if aliases:
            record["aliases"] = aliases
        provinces.append(record)
    province_of = {prefix: names[0] for prefix, names in PROVINCES.items()}

    cities: list[dict[str, Any]] = []
    city_name_by_code: dict[str, str] = {}
    for code, name in rows:
        if code.endswith("0000") or not code.endswith("00"):
            continue
        prefix = code[:2]
        if prefix in MUNICIPALITIES or name in ("市辖区", "县") or "直辖县级" in name:
            continue
        name = CITY_RENAMES.get(code, name)
        city_name_by_code[code] = name
        short = _short_city_name(name, ethnic)
        record = {"adcode": code, "name": name}
        if len(short) >= 2 and short != name:
            record["short"] = short
        record["province"] = province_of[prefix]
        record["english"] = _pinyin_names(short)
        cities.append(record)
    for name, english in TAIWAN_CITIES:
        cities.append({"adcode": None, "name": name, "short": name[:-1], "province": "台湾", "english": english})

    counties: list[dict[str, Any]] = []
    for code, name in rows:
        if code.endswith("00") or name == "市辖区":  # 市辖区: placeholder, not a division
            continue
        prefix = code[:2]
        if prefix in MUNICIPALITIES:
            city: str | None = PROVINCES[prefix][1]
        else:
            city = city_name_by_code.get(code[:4] + "00")  # None: directly under the province
        city = COUNTY_MOVES.get(code, city)
        record = {"adcode": code, "name": COUNTY_RENAMES.get(code, name)}
        aliases = list(COUNTY_ALIASES.get(code, []))
        if code in COUNTY_RENAMES:
            aliases.append(name)
        if aliases:
            record["aliases"] = aliases
        record["city"] = city
        record["province"] = province_of[prefix]
        counties.append(record)
    for code, name, city, prefix in EXTRA_COUNTIES:
        counties.append({"adcode": code, "name": name, "city": city, "province": province_of[prefix]})

    def key(rec: dict[str, Any]) -> tuple[str, str, str]:
        province_code = next(p for p, v in PROVINCES.items() if v[0] == rec["province"])
        return (province_code, rec["adcode"] or "999999", rec["name"])

    cities.sort(key=key)
    counties.sort(key=key)
    return {
        "meta": {
            "description": "China's administrative divisions: provincial-level, prefecture-level, county-level.",
            "source": "cpca 0.5.5 resources/adcodes.csv (GB/T 2260 snapshot c. 2016-2017), "
            "pypinyin 0.55.0 romanisation, hand-written tables in make_regions.py",
            "generator": "corpus/data/make_regions.py",
        },
        "provinces": provinces,
        "cities": cities,
        "counties": counties,
    }


def dump(data: dict[str, Any]) -> str:
    """Serialise compactly but diff-friendly: one record per line."""
    parts = ["{"]
    parts.append('"meta": ' + json.dumps(data["meta"], ensure_ascii=False, sort_keys=True) + ",")
    sections = ["provinces", "cities", "counties"]
    for i, section in enumerate(sections):
        parts.append(f'"{section}": [')
        records = data[section]
        for j, rec in enumerate(records):
            line = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
            parts.append(line + ("," if j < len(records) - 1 else ""))
        parts.append("]" + ("," if i < len(sections) - 1 else ""))
    parts.append("}")
    text = "\n".join(parts) + "\n"
    json.loads(text)  # sanity check
    return text


def main() -> None:
    """Write regions.json next to this script and print the table sizes."""
    data = build()
    OUT.write_text(dump(data), encoding="utf-8")
    print(
        f"wrote {OUT}: {len(data['provinces'])} provinces, {len(data['cities'])} cities, "
        f"{len(data['counties'])} counties, {OUT.stat().st_size} bytes"
    )
    # Report names that need a human look (no silent surprises).
    odd = [c["name"] for c in data["cities"] if not re.fullmatch(r"[A-Z][a-zü']+( [A-Z][a-zü']+)*", c["english"][0])]
    if odd:
        print("cities with unusual English names:", odd)


if __name__ == "__main__":
    main()

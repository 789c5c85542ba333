"""Text extraction for `policyqa add`: every input is built in tmp_path by the test that reads it."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from corpus import extract
from corpus.errors import InputError
from corpus.extract import SUPPORTED_SUFFIXES, ExtractedText, extract_text
from corpus.model import Document
from corpus.parse import parse_document

GBK_TEXT = (
    "某市残疾人就业促进办法\n"
    "\n"
    "第一条  为了促进残疾人就业,保障残疾人的劳动权利,根据《中华人民共和国残疾人保障法》,制定本办法。\r\n"
    "第二条  用人单位应当按照不低于本单位在职职工总数1.5%的比例安排残疾人就业。\r\n"
    "   第三条  本办法自2025年1月1日起施行。   \r\n"
)

# Some TTF/TTC fonts with CJK glyphs, for when reportlab's built-in CID font does not round-trip.
CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _clauses(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("第") and "条" in line[:5]]


def _assert_normalised(result: ExtractedText) -> None:
    assert result.text.endswith("\n")
    assert "\r" not in result.text
    assert "\n\n" not in result.text
    assert all(line == line.strip() and line for line in result.text.splitlines())


# --- plain text -------------------------------------------------------------------------------------------------


def test_gbk_txt_keeps_clauses_and_title(tmp_path: Path) -> None:
    path = _write(tmp_path / "gbk.txt", GBK_TEXT.encode("gbk"))
    before = (path.read_bytes(), path.stat().st_mtime_ns)

    result = extract_text(path)

    assert result.source_format == "txt"
    assert result.encoding in ("gb18030", "gbk", "gb2312")
    assert result.title == "某市残疾人就业促进办法"
    assert result.text.splitlines() == [
        "某市残疾人就业促进办法",
        "第一条  为了促进残疾人就业,保障残疾人的劳动权利,根据《中华人民共和国残疾人保障法》,制定本办法。",
        "第二条  用人单位应当按照不低于本单位在职职工总数1.5%的比例安排残疾人就业。",
        "第三条  本办法自2025年1月1日起施行。",
    ]
    _assert_normalised(result)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before  # the input is only read


def test_gbk_text_round_trips_through_the_parser(tmp_path: Path) -> None:
    result = extract_text(_write(tmp_path / "gbk.txt", GBK_TEXT.encode("gbk")))
    document = Document(id="test-gbk", region="全国", title=result.title, text=result.text)

    clauses = parse_document(document)

    numbered = [clause for clause in clauses if clause.number]
    assert [clause.number for clause in numbered] == ["第一条", "第二条", "第三条"]
    assert numbered[2].text.strip() == "本办法自2025年1月1日起施行。"
    assert all(result.text[c.start : c.end] == c.text for c in clauses)


def test_utf8_bom_txt(tmp_path: Path) -> None:
    text = "关于做好残疾人就业工作的通知\r\n一、总体要求\r\n(一)提高就业质量。\r\n"
    result = extract_text(_write(tmp_path / "bom.txt", text.encode("utf-8-sig")))

    assert result.encoding == "utf_8"
    assert not result.text.startswith("\ufeff")
    assert result.text == "关于做好残疾人就业工作的通知\n一、总体要求\n(一)提高就业质量。\n"
    assert result.title == "关于做好残疾人就业工作的通知"


def test_big5_txt_stays_traditional(tmp_path: Path) -> None:
    text = (
        "殘疾人就業條例\n"
        "第一條 為了促進殘疾人就業,保障殘疾人的勞動權利,根據《中華人民共和國殘疾人保障法》,制定本條例。\n"
        "第二條 國家對殘疾人就業實行集中就業與分散就業相結合的方針。\n"
    )
    result = extract_text(_write(tmp_path / "big5.txt", text.encode("big5")))

    assert result.encoding in ("big5", "cp950", "big5hkscs")
    assert result.text == text  # no script conversion, punctuation untouched
    assert result.title == "殘疾人就業條例"


def test_title_falls_back_to_the_first_book_title(tmp_path: Path) -> None:
    text = "2025年6月,国家下发了《促进残疾人就业三年行动方案(2025—2027年)》。各地据此制定实施方案。\n"
    result = extract_text(_write(tmp_path / "intro.txt", text.encode("utf-8")))

    assert result.title == "促进残疾人就业三年行动方案(2025—2027年)"


# --- Markdown ---------------------------------------------------------------------------------------------------


def test_markdown_syntax_is_stripped_and_words_kept(tmp_path: Path) -> None:
    source = (
        "# 残疾人就业补贴办法\n"
        "\n"
        "![banner](images/banner.png)\n"
        "\n"
        "## 一、补贴对象\n"
        "\n"
        "- 本市**户籍**的持证残疾人;\n"
        "* 详见[人社局网站](https://example.gov.cn/rsj)的__公告__。\n"
        "\n"
        "1. 首次就业的,给予*一次性*补贴。\n"
        "---\n"
        "> 本办法由市残联负责解释。\n"
    )
    result = extract_text(_write(tmp_path / "policy.md", source.encode("utf-8")))

    assert result.source_format == "md"
    assert result.encoding == "utf_8"
    assert result.title == "残疾人就业补贴办法"
    assert result.text.splitlines() == [
        "残疾人就业补贴办法",
        "一、补贴对象",
        "本市户籍的持证残疾人;",
        "详见人社局网站的公告。",
        "1. 首次就业的,给予一次性补贴。",
        "本办法由市残联负责解释。",
    ]


# --- HTML -------------------------------------------------------------------------------------------------------

GOV_PAGE = """<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某市促进残疾人就业实施办法_某市人民政府门户网站</title>
<style>.nav { color: red }</style>
<script>var 统计 = "请勿显示这段脚本文字";</script>
</head><body>
<div class="top-header"><a href="/">某市人民政府门户网站</a> 无障碍浏览 繁体版</div>
<nav><ul><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li>
<li><a href="/bs">办事服务</a></li></ul></nav>
<div id="mainMenu"><a href="/zx">政务资讯</a> <a href="/hd">互动交流</a> <a href="/sj">数据开放</a></div>
<div class="wrapper">
  <div class="breadcrumb">当前位置:<a href="/">首页</a> &gt; <a href="/zc">政策文件</a></div>
  <div class="sidebar"><h3>相关文件推荐阅读</h3><ul><li><a href="/1">关于开展就业援助月活动的通知</a></li></ul></div>
  <div class="article">
    <h1>某市促进残疾人就业实施办法</h1>
    <div class="info">发布时间:2025-03-01 来源:市残联</div>
    <div class="TRS_Editor">
      <p>&nbsp;&nbsp;为了促进残疾人就业,
      根据有关法律法规,结合本市实际,制定本办法。</p>
      <p>第一条 用人单位安排残疾人就业的比例不得低于本单位在职职工总数的1.5%。</p>
      <p>第二条 对超比例安排残疾人就业的用人单位,<span>给予</span><b>奖励</b>。</p>
      <div>第三条 本办法自2025年4月1日起施行。<br>附件:申请表</div>
    </div>
    <div class="share">分享到:微信 微博</div>
  </div>
</div>
<footer><p>版权所有:某市人民政府办公室 网站标识码:1234567890</p></footer>
<div class="copyright">主办单位:某市人民政府 ICP备案号</div>
</body></html>
"""


def test_government_page_keeps_the_policy_text_only(tmp_path: Path) -> None:
    path = _write(tmp_path / "page.html", GOV_PAGE.encode("gbk"))

    result = extract_text(path)

    assert result.source_format == "html"
    assert result.encoding == "gb18030"
    assert result.title == "某市促进残疾人就业实施办法"
    assert result.text.splitlines() == [
        "为了促进残疾人就业,根据有关法律法规,结合本市实际,制定本办法。",
        "第一条 用人单位安排残疾人就业的比例不得低于本单位在职职工总数的1.5%。",
        "第二条 对超比例安排残疾人就业的用人单位,给予奖励。",
        "第三条 本办法自2025年4月1日起施行。",
        "附件:申请表",
    ]
    for noise in ("首页", "政务公开", "政务资讯", "当前位置", "相关文件", "分享到", "版权所有", "主办单位", "脚本"):
        assert noise not in result.text


def test_page_without_a_known_container_narrows_to_the_text(tmp_path: Path) -> None:
    page = """<html><head><meta charset="utf-8"><title>通知 - 某省残联</title></head><body>
    <div id="site"><div class="top-nav"><a href="/">首页</a><a href="/a">机构概况</a></div>
    <div id="body-wrap"><section>
      <h2>关于开展残疾人职业技能培训的通知</h2>
      <p>各市残联:</p>
      <p>一、培训对象为有劳动能力和就业意愿的残疾人。</p>
      <p>二、培训经费从残疾人就业保障金中列支。</p>
    </section></div>
    <div class="foot-links"><a href="/x">联系我们</a></div></div></body></html>"""
    result = extract_text(_write(tmp_path / "notice.htm", page.encode("utf-8")))

    assert result.encoding == "utf_8"
    assert result.title == "通知"
    assert "首页" not in result.text and "机构概况" not in result.text
    assert result.text.splitlines()[-2:] == [
        "一、培训对象为有劳动能力和就业意愿的残疾人。",
        "二、培训经费从残疾人就业保障金中列支。",
    ]


# --- Word -------------------------------------------------------------------------------------------------------


def test_docx_paragraphs_and_table_in_document_order(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx", reason="python-docx is a runtime dependency: pip install -e .")
    document = docx.Document()
    document.add_paragraph("残疾人就业补贴标准", style="Title")
    document.add_paragraph("第一条 用人单位招用残疾人的,按下表给予补贴。")
    document.add_paragraph("")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "类别"
    table.cell(0, 1).text = "补贴标准"
    table.cell(1, 0).text = "一级残疾"
    table.cell(1, 1).text = "每人每年5000元"
    document.add_paragraph("第二条 本标准自发布之日起施行。")
    path = tmp_path / "standard.docx"
    document.save(str(path))

    result = extract_text(path)

    assert result.source_format == "docx"
    assert result.encoding is None
    assert result.title == "残疾人就业补贴标准"
    assert result.text.splitlines() == [
        "残疾人就业补贴标准",
        "第一条 用人单位招用残疾人的,按下表给予补贴。",
        "类别",
        "补贴标准",
        "一级残疾",
        "每人每年5000元",
        "第二条 本标准自发布之日起施行。",
    ]


def test_corrupt_docx_is_an_input_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "broken.docx", os.urandom(4096))
    with pytest.raises(InputError, match=r"broken\.docx.*not a readable Word \.docx file"):
        extract_text(path)


# --- PDF --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cjk_font() -> str:
    """A reportlab font name whose CJK text pypdf reads back: the built-in STSong-Light, else a font file."""
    pytest.importorskip("reportlab", reason="reportlab (dev extra) generates the test PDFs: pip install -e .[dev]")
    pytest.importorskip("pypdf", reason="pypdf is a runtime dependency: pip install -e .")
    from pypdf import PdfReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    def round_trips(font: str) -> bool:
        buffer = io.BytesIO()
        page = canvas.Canvas(buffer)
        page.setFont(font, 12)
        page.drawString(72, 720, "残疾人就业")
        page.save()
        return "残疾人就业" in (PdfReader(io.BytesIO(buffer.getvalue())).pages[0].extract_text() or "")

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    if round_trips("STSong-Light"):
        return "STSong-Light"
    for index, file in enumerate(CJK_FONT_FILES):
        if Path(file).is_file():
            name = f"test-cjk-{index}"
            pdfmetrics.registerFont(TTFont(name, file, subfontIndex=0))
            if round_trips(name):
                return name
    pytest.skip(f"no CJK font whose text pypdf reads back: STSong-Light failed and none of {CJK_FONT_FILES} works")


def _pdf(path: Path, pages: list[list[str]], font: str | None) -> Path:
    """A PDF with one drawn line of text per entry; the last entry of a page is drawn as its footer."""
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path))
    for lines in pages:
        if font is not None:
            page.setFont(font, 12)
            for row, line in enumerate(lines[:-1]):
                page.drawString(72, 760 - 20 * row, line)
            page.drawCentredString(300, 40, lines[-1])
        else:
            page.rect(100, 100, 300, 400, fill=1)
        page.showPage()
    page.save()
    return path


def test_pdf_text_lines_rejoined_and_page_numbers_dropped(tmp_path: Path, cjk_font: str) -> None:
    pages = [
        [
            "残疾人就业促进条例",
            "第一条 为了促进残疾人就业,保障残疾人的劳动权利,根据《中华人民",
            "共和国残疾人保障法》和其他有关法律,制定本条例。",
            "第二条 国家对残疾人就业实行集中就业与分散就业相结合的方针,促进",
            "- 1 -",
        ],
        [
            "残疾人就业。县级以上人民政府应当将残疾人就业纳入国民经济规划。",
            "第三条 用人单位应当按照一定比例安排残疾人就业。",
            "2",
        ],
        ["第四条 本条例自发布之日起施行。", "第3页"],
    ]
    path = _pdf(tmp_path / "rules.pdf", pages, cjk_font)

    result = extract_text(path)

    assert result.source_format == "pdf"
    assert result.encoding is None
    assert result.title == "残疾人就业促进条例"
    assert result.text.splitlines() == [
        "残疾人就业促进条例",
        "第一条 为了促进残疾人就业,保障残疾人的劳动权利,根据《中华人民共和国残疾人保障法》和其他有关法律,制定本条例。",
        "第二条 国家对残疾人就业实行集中就业与分散就业相结合的方针,促进残疾人就业。"
        "县级以上人民政府应当将残疾人就业纳入国民经济规划。",
        "第三条 用人单位应当按照一定比例安排残疾人就业。",
        "第四条 本条例自发布之日起施行。",
    ]


def test_pdf_without_text_layer_looks_scanned(tmp_path: Path) -> None:
    pytest.importorskip("reportlab", reason="reportlab (dev extra) generates the test PDFs: pip install -e .[dev]")
    path = _pdf(tmp_path / "scan.pdf", [["image only"]], font=None)
    with pytest.raises(InputError, match=r"scan\.pdf: looks scanned: no text layer; run OCR first"):
        extract_text(path)


def _zip_without_word_parts() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a Word document")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "verdict"),
    [
        ("noise.pdf", lambda: b"%PDF-1.7\n" + os.urandom(2048), "not a readable PDF"),
        ("text.pdf", lambda: b"plain words, no PDF at all", "not a readable PDF"),
        ("zip.docx", _zip_without_word_parts, "not a readable Word .docx file"),
    ],
)
def test_damaged_files_are_input_errors(tmp_path: Path, name: str, make: Callable[[], bytes], verdict: str) -> None:
    path = _write(tmp_path / name, make())
    with pytest.raises(InputError) as raised:
        extract_text(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: {verdict}") and "\n" not in message


def test_truncated_pdf_is_an_input_error(tmp_path: Path, cjk_font: str) -> None:
    whole = _pdf(tmp_path / "whole.pdf", [["第一条 条文。", "1"]], cjk_font).read_bytes()
    path = _write(tmp_path / "cut.pdf", whole[: len(whole) // 3])
    with pytest.raises(InputError, match=r"cut\.pdf: "):
        extract_text(path)


def test_join_pdf_lines_keeps_headings_apart() -> None:
    lines = [
        "一、总体要求",
        "坚持以人民为中心的发展思想,把促进残疾人就业摆在更加突出的位置,推动",
        "实现更加充分更高质量就业",
        "(一)提高就业质量。",
        "Employment of persons with",
        "disabilities.",
    ]
    assert extract.join_pdf_lines(lines).splitlines() == [
        "一、总体要求",
        "坚持以人民为中心的发展思想,把促进残疾人就业摆在更加突出的位置,推动实现更加充分更高质量就业",
        "(一)提高就业质量。",
        "Employment of persons with disabilities.",
    ]


# --- failures ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_empty_file_is_an_input_error(tmp_path: Path, suffix: str) -> None:
    path = _write(tmp_path / f"empty{suffix}", b"")
    with pytest.raises(InputError, match=r"empty.*0 bytes"):
        extract_text(path)


def test_file_with_only_blank_lines_has_no_text(tmp_path: Path) -> None:
    path = _write(tmp_path / "blank.txt", "\r\n   \n\u3000\n".encode())
    with pytest.raises(InputError, match=r"blank\.txt: no text found"):
        extract_text(path)


def test_unsupported_suffix_lists_the_supported_ones(tmp_path: Path) -> None:
    path = _write(tmp_path / "table.xls", b"\xd0\xcf\x11\xe0 not really excel")
    with pytest.raises(InputError) as raised:
        extract_text(path)
    message = str(raised.value)
    assert "table.xls" in message and "'.xls'" in message
    assert all(suffix in message for suffix in SUPPORTED_SUFFIXES)
    assert "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere\.txt: no such file"):
        extract_text(tmp_path / "nowhere.txt")


def test_too_large_file_names_size_and_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "MAX_FILE_BYTES", 100)
    path = _write(tmp_path / "big.txt", ("第一条 条文。\n" * 20).encode("utf-8"))
    with pytest.raises(InputError, match=r"big\.txt: the file is \d+ bytes; the limit is 100 bytes"):
        extract_text(path)


def test_undecodable_text_is_an_input_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "binary.txt", bytes(range(256)) * 8)
    with pytest.raises(InputError, match=r"binary\.txt: cannot tell the text encoding"):
        extract_text(path)


def test_boilerplate_lines_with_fullwidth_colons_are_noise_too():
    from corpus.extract import HTML_NOISE_LINE_RE

    # ： escaped (\uff1a) so no editor or formatter turns it into ":".
    for line in ("当前位置\uff1a首页 > 政策文件", "字号\uff1a大 中 小", "当前位置:首页", "字号:大 中 小"):
        assert HTML_NOISE_LINE_RE.match(line), line
    assert not HTML_NOISE_LINE_RE.match("第一条\uff1a为了促进残疾人就业")

"""Text out of the files a user adds: plain text, Markdown, web pages, Word and PDF documents.

Every format comes out the same way: a UTF-8 ``str`` with one paragraph per line, stripped lines, no blank
lines and a final newline, ready for :func:`corpus.parse.parse_document`, which cuts along the numbering at
the start of lines. Characters are kept as the source has them: no script conversion, no punctuation changes.
Anything wrong with a file raises :class:`~corpus.errors.InputError` with one line that names the file.
The input file is only ever read, once, into memory.
"""

from __future__ import annotations

import codecs
import contextlib
import encodings
import encodings.aliases
import functools
import io
import itertools
import logging
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.errors import InputError
from corpus.numbering import MARKER_RE

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
MAX_FILE_BYTES = 20 * 1024 * 1024

# --- shared text rules ---------------------------------------------------------------------------------------

CJK_CHAR = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RE = re.compile(f"[{CJK_CHAR}]")
# Ideographs plus CJK punctuation and full-width forms: no space belongs between two of these.
CJK_WIDE = f"{CJK_CHAR}\u3000-\u303f\uff00-\uffef"

# A title is short and is not a sentence: no sentence end, not an addressee line ending with a colon.
TITLE_MAX_CHARS = 60
TITLE_SCAN_LINES = 5
TITLE_SENTENCE_RE = re.compile(r"[。!?;！？；]")
BOOK_TITLE_RE = re.compile(r"《([^《》\n]+)》")

BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf_32"),
    (codecs.BOM_UTF32_BE, "utf_32"),
    (codecs.BOM_UTF8, "utf_8_sig"),
    (codecs.BOM_UTF16_LE, "utf_16"),
    (codecs.BOM_UTF16_BE, "utf_16"),
)
# GBK and GB2312 are subsets of GB18030, which also decodes the characters they lack.
GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "cp936", "euc_cn", "hz"})
BIG5_FALLBACKS = ("cp950", "big5hkscs")
# Text that reads as at least this share of common Chinese characters is taken as Chinese.
CHINESE_MIN_SHARE = 0.6
CHINESE_SAMPLE_CHARS = 20_000
CJK_PUNCT_RE = re.compile(r"[\u2000-\u206f\u3000-\u303f\uff00-\uffef\u00a0-\u00bf\u00d7\u00f7]")


@dataclass(frozen=True)
class ExtractedText:
    """The text of one file, normalised, with what was learnt about it on the way."""

    text: str  # one paragraph per line, stripped, no blank lines, ends with "\n"
    title: str  # best guess at the document's title; "" if none
    source_format: str  # "txt", "md", "html", "docx", "pdf"
    encoding: str | None  # detected encoding for txt/md/html (e.g. "gb18030", "utf_8", "big5"), else None


def extract_text(path: Path) -> ExtractedText:
    """Read ``path`` and return its text; raise :class:`InputError` for anything that stops that."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"'{path.suffix}' files are" if path.suffix else "files without a suffix are"
        raise InputError(
            f"{path}: {kind} not supported; policyqa reads {', '.join(SUPPORTED_SUFFIXES)}: "
            "save the document in one of these formats and add that file"
        )
    data = _read(path)
    reader = _READERS[suffix]
    result = reader(path, data)
    if not result.text.strip():
        raise InputError(f"{path}: no text found after extraction; check that the file has a text body")
    return result


def _read(path: Path) -> bytes:
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file; pass a document file, not a folder")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"{path}: the file is {_size(size)}; the limit is {_size(MAX_FILE_BYTES)}; "
                "split the document or add only its policy text"
            )
        if size == 0:
            raise InputError(f"{path}: the file is empty (0 bytes); add a file with the document's text")
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror or error}); check its permissions") from None
    if len(data) > MAX_FILE_BYTES:  # grew while we looked
        raise InputError(f"{path}: the file is over the limit of {_size(MAX_FILE_BYTES)}; split the document")
    if not data:
        raise InputError(f"{path}: the file is empty (0 bytes); add a file with the document's text")
    return data


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB ({n} bytes)"
    return f"{n} bytes"


def normalise_text(text: str) -> str:
    """One paragraph per line: "\\n" line ends, every line stripped, blank lines dropped, a final "\\n"."""
    lines = [line.strip() for line in text.replace("\ufeff", "").splitlines()]
    kept = [line for line in lines if line]
    return "\n".join(kept) + "\n" if kept else ""


def guess_title(text: str) -> str:
    """The first of the opening lines that looks like a title, else the first 《…》 name, else ""."""
    for line in text.splitlines()[:TITLE_SCAN_LINES]:
        if _looks_like_title(line):
            return line.strip()
    match = BOOK_TITLE_RE.search(text)
    return match.group(1).strip() if match else ""


def _looks_like_title(line: str) -> bool:
    line = line.strip()
    if not 2 <= len(line) <= TITLE_MAX_CHARS or TITLE_SENTENCE_RE.search(line) or line[-1] in "::":
        return False
    if MARKER_RE.match(line):
        return False
    return len(CJK_RE.findall(line)) >= 2 or len(re.findall(r"[A-Za-z]", line)) >= 3


# --- decoding ---------------------------------------------------------------------------------------------------


def _codec_name(name: str) -> str:
    key = encodings.normalize_encoding(name).lower()
    return encodings.aliases.aliases.get(key, key)


def _decode(path: Path, data: bytes, declared: str | None = None) -> tuple[str, str]:
    """The text and the name of its encoding: BOM, then strict UTF-8, then ``declared``, then detection."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), "utf_8" if codec == "utf_8_sig" else codec
            except UnicodeDecodeError:
                break
    with contextlib.suppress(UnicodeDecodeError):
        return data.decode("utf_8"), "utf_8"
    if declared:
        decoded = _decode_as(data, declared)
        if decoded is not None:
            return decoded
    decoded = _decode_chinese(data)
    if decoded is not None:
        return decoded
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        decoded = _decode_as(data, best.encoding)
        if decoded is not None:
            return decoded
    raise InputError(
        f"{path}: cannot tell the text encoding (tried UTF-8, GB18030/GBK, Big5 and others); "
        "save the file as UTF-8 and add it again"
    )


def _decode_chinese(data: bytes) -> tuple[str, str] | None:
    """GB18030 or Big5, whichever reads as common Chinese characters; None when neither does.

    Short GBK and Big5 texts are ambiguous byte for byte, and a general detector guesses wrong on a few
    characters (Korean, UTF-16); the wrong reading of Chinese bytes is mostly rare characters, kana or Hangul.
    """
    scored: list[tuple[float, str, str]] = []
    for family in (("gb18030",), ("big5", *BIG5_FALLBACKS)):
        for codec in family:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            scored.append((_chinese_share(text), codec, text))
            break
    if not scored:
        return None
    share, codec, text = max(scored, key=lambda item: item[0])  # ties go to GB18030, listed first
    return (text, codec) if share >= CHINESE_MIN_SHARE else None


def _chinese_share(text: str) -> float:
    """The share of common Chinese characters among the non-ASCII characters that are not punctuation."""
    sample = [char for char in text[:CHINESE_SAMPLE_CHARS] if ord(char) > 0x7F and not CJK_PUNCT_RE.match(char)]
    if not sample:
        return 0.0
    return sum(map(_common_hanzi, sample)) / len(sample)


@functools.lru_cache(maxsize=16384)
def _common_hanzi(char: str) -> bool:
    """In GB2312 level 1 (the 3,755 common Simplified characters) or Big5 level 1 (the 5,401 common Traditional)."""
    with contextlib.suppress(UnicodeEncodeError):
        code = char.encode("gb2312")
        if len(code) == 2 and 0xB0 <= code[0] <= 0xD7:
            return True
    with contextlib.suppress(UnicodeEncodeError):
        code = char.encode("big5")
        if len(code) == 2 and 0xA440 <= int.from_bytes(code, "big") <= 0xC67E:
            return True
    return False


def _decode_as(data: bytes, name: str) -> tuple[str, str] | None:
    try:
        codec = _codec_name(codecs.lookup(name).name)
    except LookupError:
        return None
    if codec in GB_FAMILY:
        candidates: tuple[str, ...] = ("gb18030",)
    elif codec in ("big5", *BIG5_FALLBACKS):
        candidates = (codec, *(c for c in BIG5_FALLBACKS if c != codec))
    else:
        candidates = (codec,)
    for candidate in candidates:
        with contextlib.suppress(UnicodeDecodeError, LookupError):
            return data.decode(candidate), candidate
    return None


# --- plain text and Markdown ------------------------------------------------------------------------------------


def _read_txt(path: Path, data: bytes) -> ExtractedText:
    text, encoding = _decode(path, data)
    text = normalise_text(text)
    return ExtractedText(text, guess_title(text), "txt", encoding)


MD_FENCE_RE = re.compile(r"^\s*(```|~~~)")
MD_RULE_RE = re.compile(r"^\s{0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,}|(?:=\s*){3,})$")
MD_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
MD_LINK_DEF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+")
MD_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
MD_QUOTE_RE = re.compile(r"^\s*(?:>\s?)+")
MD_LIST_RE = re.compile(r"^\s*[-*+]\s+(?:\[[ xX]\]\s+)?")
MD_INLINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"!\[[^\]]*\]\[[^\]]*\]"), ""),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),  # autolinks
    (re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>"), ""),  # inline HTML tags
    (re.compile(r"`+([^`]+?)`+"), r"\1"),  # code spans
    (re.compile(r"\*\*(.+?)\*\*"), r"\1"),
    (re.compile(r"__(.+?)__"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    # Chinese has no spaces, so emphasis may sit inside a run of characters; ASCII words keep their "_".
    (re.compile(r"(?<![A-Za-z0-9*\\])\*(?![\s*])(.+?)(?<![\s\\])\*(?!\*)"), r"\1"),
    (re.compile(r"(?<![A-Za-z0-9_\\])_(?![\s_])(.+?)(?<![\s\\])_(?![A-Za-z0-9_])"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])"), r"\1"),  # backslash escapes
)


def _read_md(path: Path, data: bytes) -> ExtractedText:
    source, encoding = _decode(path, data)
    lines: list[str] = []
    first_heading = ""
    for raw in source.splitlines():
        if MD_FENCE_RE.match(raw) or MD_RULE_RE.match(raw) or MD_TABLE_RULE_RE.match(raw) or MD_LINK_DEF_RE.match(raw):
            continue
        line = MD_QUOTE_RE.sub("", raw)
        heading = MD_HEADING_RE.match(line)
        if heading:
            line = heading.group(2)
        line = MD_LIST_RE.sub("", line)
        if line.strip().startswith("|") and line.strip().endswith("|"):
            line = " ".join(cell.strip() for cell in line.strip().strip("|").split("|") if cell.strip())
        line = markdown_inline_text(line)
        if heading and not first_heading and line.strip():
            first_heading = line.strip()
        lines.append(line)
    text = normalise_text("\n".join(lines))
    return ExtractedText(text, first_heading or guess_title(text), "md", encoding)


def markdown_inline_text(line: str) -> str:
    """The words of one Markdown line: links become their text, images go, emphasis marks go."""
    for pattern, replacement in MD_INLINE_RULES:
        line = pattern.sub(replacement, line)
    return line


# --- HTML -------------------------------------------------------------------------------------------------------

HTML_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
HTML_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "button",
    "select",
    "input",
    "textarea",
    "head",
)
# Page furniture: dropped unless it wraps the policy text.
HTML_FURNITURE_TAGS = ("nav", "header", "footer", "aside", "form")
# id/class words of navigation and boilerplate, matched as whole words ("top-nav", "mainMenu", "footer_box").
HTML_NOISE_WORDS = frozenset(
    {
        "nav",
        "navbar",
        "navigation",
        "menu",
        "menus",
        "submenu",
        "breadcrumb",
        "breadcrumbs",
        "crumb",
        "crumbs",
        "footer",
        "header",
        "sidebar",
        "share",
        "sharing",
        "copyright",
        "toolbar",
    }
)
# Whole class/id values that Chinese government sites use for 当前位置 bars and the like.
HTML_NOISE_NAMES = frozenset({"position", "location", "dqwz", "bread", "path", "place", "wzdh"})
# The containers government content systems put the document body in.
HTML_CONTENT_RE = re.compile(
    r"^(?:TRS_Editor|TRS_UEDITOR|zoom|UCAP-CONTENT|pages_content|Custom_UnionStyle|article-content|"
    r"article_content|xxgk_content|zw|zwnr|content_text|detail-content|news_content)$",
    re.IGNORECASE,
)
HTML_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
# Boilerplate lines that live inside content containers.
HTML_NOISE_LINE_RE = re.compile(
    r"^(?:(?:当前位置|您的位置|您现在的位置|所在位置|當前位置|您現在的位置)[:\uff1a]"
    r"|分享到|分享至|(?:【[^【】]{1,8}】\s*)+$|字[号體体][:\uff1a]?\s*[\[【]?\s*大\s*中\s*小)"
)
# Descend from a container into a child that holds at least this share of its non-link Chinese text.
HTML_DESCEND_SHARE = 0.8
# A child with this many non-link Chinese characters counts as a paragraph: two of them make a container.
HTML_PARAGRAPH_CHARS = 4
HTML_SOFT_BREAK = "\ue000"  # stands for a source line break inside running text until lines are settled


def _read_html(path: Path, data: bytes) -> ExtractedText:
    match = HTML_META_CHARSET_RE.search(data[:4096])
    declared = match.group(1).decode("ascii", "replace") if match else None
    source, encoding = _decode(path, data, declared)
    try:
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(source, "html.parser")
    except Exception as error:  # the parser's failures on broken markup vary by version
        raise InputError(f"{path}: the HTML cannot be parsed ({error}); save the page again and add it") from None
    heading = _html_title(soup)
    root = soup.body or soup
    content = _html_content(root)
    text = normalise_text(_html_text(content))
    text = "".join(line + "\n" for line in text.splitlines() if not HTML_NOISE_LINE_RE.match(line))
    return ExtractedText(text, heading or guess_title(text), "html", encoding)


def _html_title(soup: BeautifulSoup) -> str:
    """The <h1> that matches <title>, else <title> without the site name, else the first <h1>."""
    title = ""
    if soup.title is not None:
        title = re.split(r"\s*(?:_|\||｜|\s-\s|\s–\s|--)\s*", _one_line(soup.title.get_text()))[0]
    headings = [_one_line(h1.get_text()) for h1 in soup.find_all("h1")]
    headings = [h for h in headings if h]
    for heading in headings:
        if title and (heading in title or title in heading):
            return heading
    if title:
        return title
    return headings[0] if headings else ""


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _html_content(root: Tag) -> Tag:
    """Strip scripts and page furniture, then narrow to the element holding the policy text."""
    for tag in root.find_all(HTML_DROP_TAGS):
        if not tag.decomposed:
            tag.decompose()
    counts = _cjk_counts(root)
    total = counts.get(id(root), (0, 0))[0]
    known = [tag for tag in root.find_all(True) if _is_known_content(tag)]
    known = [tag for tag in known if counts.get(id(tag), (0, 0))[0] > 0]
    container = max(known, key=lambda tag: counts[id(tag)][0]) if known else None
    keep_ancestors = {id(parent) for parent in container.parents} if container is not None else set()
    for tag in root.find_all(True):
        if tag.decomposed or id(tag) in keep_ancestors or tag is root:
            continue
        held = counts.get(id(tag), (0, 0))[0]
        if tag.name in HTML_FURNITURE_TAGS:
            if tag.name == "form" and held * 2 > total:  # ASP.NET pages wrap everything in a <form>
                continue
            if tag.name != "form" and tag.find(["article", "main"]) is not None:
                continue
            tag.decompose()
        elif _is_noise(tag) and held * 2 <= total:
            tag.decompose()
    if container is not None and not container.decomposed:
        return container
    articles = list(root.find_all(["article", "main"]))
    counts = _cjk_counts(root)
    total = counts.get(id(root), (0, 0))[0]
    start = root
    if articles:
        best = max(articles, key=lambda tag: counts[id(tag)][0])
        if counts[id(best)][0] * 10 >= total * 3:
            start = best
    return _narrow(start, counts)


def _is_known_content(tag: Tag) -> bool:
    names = [*tag.get("class", []), tag.get("id") or ""]
    return any(HTML_CONTENT_RE.match(name) for name in names if isinstance(name, str))


def _is_noise(tag: Tag) -> bool:
    names = [name for name in [*tag.get("class", []), tag.get("id") or ""] if isinstance(name, str) and name]
    for name in names:
        if name.lower() in HTML_NOISE_NAMES:
            return True
        words = re.split(r"[\s_\-]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name))
        if any(word.lower() in HTML_NOISE_WORDS for word in words):
            return True
    return False


def _cjk_counts(root: Tag) -> dict[int, tuple[int, int]]:
    """Per element id: (Chinese characters outside links, Chinese characters inside links)."""
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    totals: dict[int, list[int]] = {}
    nodes = [root, *root.descendants]
    for node in reversed(nodes):
        if isinstance(node, Tag):
            own = totals.setdefault(id(node), [0, 0])
            if node.name == "a":
                own[1] += own[0]
                own[0] = 0
            value = own
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            value = [len(CJK_RE.findall(str(node))), 0]
        else:
            continue
        parent = node.parent
        if parent is not None and node is not root:
            slot = totals.setdefault(id(parent), [0, 0])
            slot[0] += value[0]
            slot[1] += value[1]
    return {key: (value[0], value[1]) for key, value in totals.items()}


def _narrow(node: Tag, counts: dict[int, tuple[int, int]]) -> Tag:
    """Descend while one child holds nearly all the text and the node is not itself a run of paragraphs."""
    from bs4 import NavigableString, Tag

    while True:
        paragraphs = 0
        best: Tag | None = None
        for child in node.children:
            if isinstance(child, Tag):
                held = counts.get(id(child), (0, 0))[0]
                if best is None or held > counts.get(id(best), (0, 0))[0]:
                    best = child
            elif isinstance(child, NavigableString):
                held = len(CJK_RE.findall(str(child)))
            else:
                continue
            paragraphs += held >= HTML_PARAGRAPH_CHARS
        total = counts.get(id(node), (0, 0))[0]
        if paragraphs >= 2 or best is None or total == 0:
            return node
        if counts.get(id(best), (0, 0))[0] < total * HTML_DESCEND_SHARE:
            return node
        node = best


def _html_text(root: Tag) -> str:
    """The visible text with block elements on their own lines; source line wraps are not spaces in Chinese."""
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    pieces: list[str] = []
    stack: list[tuple[object, bool]] = [(root, False)]
    pre_depth = 0
    while stack:
        node, leaving = stack.pop()
        if isinstance(node, Tag):
            if leaving:
                if node.name == "pre":
                    pre_depth -= 1
                if node.name in HTML_BLOCK_TAGS:
                    pieces.append("\n")
                continue
            if node.name == "br":
                pieces.append("\n")
                continue
            if node.name in HTML_BLOCK_TAGS:
                pieces.append("\n")
            if node.name == "pre":
                pre_depth += 1
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(list(node.children)))
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            text = str(node)
            if pre_depth:
                pieces.append(text)
            else:
                text = re.sub(r"[ \t\f\r]*\n[ \t\n\f\r]*", HTML_SOFT_BREAK, text)
                pieces.append(re.sub(r"[ \t\f\r]+", " ", text))
    text = "".join(pieces)
    # A wrap next to a Chinese character or full-width mark is no space; between two Latin words it is one.
    soft = f"[ {HTML_SOFT_BREAK}]*{HTML_SOFT_BREAK}[ {HTML_SOFT_BREAK}]*"
    text = re.sub(f"(?<=[{CJK_WIDE}]){soft}|{soft}(?=[{CJK_WIDE}])", "", text)
    return re.sub(f"[ {HTML_SOFT_BREAK}]+", " ", text)


# --- Word -------------------------------------------------------------------------------------------------------


def _read_docx(path: Path, data: bytes) -> ExtractedText:
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        lines, styled_title = _docx_lines(document)
    except InputError:
        raise
    except Exception as error:  # python-docx raises zip, XML, key and value errors on damaged files
        raise InputError(
            f"{path}: not a readable Word .docx file ({type(error).__name__}: {_short(error)}); "
            "open it in Word or LibreOffice, save it as .docx again and add that file"
        ) from None
    text = normalise_text("\n".join(lines))
    return ExtractedText(text, styled_title or guess_title(text), "docx", None)


def _docx_lines(document: object) -> tuple[list[str], str]:
    """Paragraphs and table cells (row by row, each cell once) in document order; and a Title-styled line."""
    from docx.table import Table

    lines: list[str] = []
    title = ""

    def walk(container: object) -> None:
        nonlocal title
        for item in container.iter_inner_content():  # type: ignore[attr-defined]
            if isinstance(item, Table):
                for row in item.rows:
                    seen: set[int] = set()
                    for cell in row.cells:
                        if id(cell._tc) in seen:  # a merged cell repeats across the columns it spans
                            continue
                        seen.add(id(cell._tc))
                        walk(cell)
            else:
                lines.append(item.text)
                style = item.style.name if item.style is not None else ""
                if not title and style in ("Title", "标题", "標題") and item.text.strip():
                    title = _one_line(item.text)

    walk(document)
    return lines, title


def _short(error: BaseException) -> str:
    message = str(error).splitlines()[0] if str(error) else ""
    return message[:120]


# --- PDF --------------------------------------------------------------------------------------------------------

# A lone page number at the top or bottom of a page: "3", "- 3 -", "— 3 —", "第3页", "第 3 页 共 10 页", "3/10".
PDF_PAGE_NUMBER_RE = re.compile(
    r"^[\s\-—–―_~·•]*(?:第\s*)?\d{1,4}\s*(?:页|頁)?(?:\s*(?:/|／|of)\s*\d{1,4}|\s*[,，]?\s*共\s*\d{1,4}\s*(?:页|頁))?"
    r"[\s\-—–―_~·•]*$|^(?:Page|页码|頁碼)\s*[:\uff1a]?\s*\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$",
    re.IGNORECASE,
)
PDF_EDGE_LINES = 2  # page numbers are looked for among this many lines at each end of a page
# Sentence ends: a line ending with one of these ends its paragraph.
PDF_SENTENCE_END = "。.!?;:！？；：…"
PDF_CLOSERS = "”’\"'」』》〉)）]】"
# A line ending with one of these is always cut mid-sentence.
PDF_SOFT_END = ",，、（(《〈“‘「『【—-"
# A line shorter than this share of a full line (in display width) ended where its author ended it.
PDF_FULL_LINE_SHARE = 0.8


def _read_pdf(path: Path, data: bytes) -> ExtractedText:
    pages = _pdf_pages(path, data)
    if not any(page.strip() for page in pages):
        raise InputError(_scanned(path))
    text = normalise_text(join_pdf_lines(_drop_page_numbers(pages)))
    if not text:
        raise InputError(_scanned(path))
    return ExtractedText(text, guess_title(text), "pdf", None)


def _scanned(path: Path) -> str:
    return f"{path}: looks scanned: no text layer; run OCR first and add the text"


@contextlib.contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs and warns about every repair it makes; the user only needs our one-line verdict."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR + 10)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _pdf_pages(path: Path, data: bytes) -> list[str]:
    try:
        from pypdf import PdfReader

        with _quiet_pypdf():
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise InputError(
                    f"{path}: the PDF is password-protected; save an unprotected copy (print to PDF) and add that"
                )
            return [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except Exception as error:  # pypdf raises its own errors, and value/key/type errors on damaged files
        raise InputError(
            f"{path}: not a readable PDF ({type(error).__name__}: {_short(error)}); "
            "re-export or print it to PDF and add that file"
        ) from None


def _drop_page_numbers(pages: list[str]) -> list[str]:
    """All lines of all pages, without lone page numbers at the top or bottom of a page."""
    lines: list[str] = []
    for page in pages:
        page_lines = [line.strip() for line in page.splitlines()]
        page_lines = [line for line in page_lines if line]
        edge = set(range(PDF_EDGE_LINES)) | set(range(len(page_lines) - PDF_EDGE_LINES, len(page_lines)))
        lines.extend(
            line for index, line in enumerate(page_lines) if not (index in edge and PDF_PAGE_NUMBER_RE.match(line))
        )
    return lines


def join_pdf_lines(lines: list[str]) -> str:
    """Rejoin paragraphs that the page layout broke into lines.

    A line is joined to the next when it does not end a sentence (。;:!? and their ASCII forms), the next line
    does not open with a numbering marker (第X章, 第X条, 一、, (一), 1., (1)), and either the line ends with a
    comma-like mark or it runs (nearly) the full width of the text: a short line without a sentence end is a
    heading or a title, which its author ended there. CJK joins without a space; two Latin words get one.
    """
    lines = [line.strip() for line in lines if line.strip()]
    if not lines:
        return ""
    widths = sorted(_display_width(line) for line in lines)
    full = widths[int(0.9 * (len(widths) - 1))]
    out: list[str] = [lines[0]]
    for previous, line in itertools.pairwise(lines):
        if _continues(previous, line, full):
            last, first = previous[-1], line[0]
            joiner = " " if last.isascii() and last.isalnum() and first.isascii() and first.isalnum() else ""
            out[-1] += joiner + line
        else:
            out.append(line)
    return "\n".join(out)


def _continues(line: str, following: str, full_width: int) -> bool:
    """Whether the physical line ``line`` runs on into ``following``."""
    if MARKER_RE.match(following):
        return False
    tail = line.rstrip(PDF_CLOSERS) or line
    if tail[-1] in PDF_SENTENCE_END:
        return False
    if line[-1] in PDF_SOFT_END:
        return True
    return _display_width(line) >= full_width * PDF_FULL_LINE_SHARE


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


_READERS: dict[str, Callable[[Path, bytes], ExtractedText]] = {
    ".txt": _read_txt,
    ".md": _read_md,
    ".html": _read_html,
    ".htm": _read_html,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
}

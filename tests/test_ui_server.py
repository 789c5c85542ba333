"""The chat UI: formatting (ui.render), the event handlers on the real assistant, and the real Gradio server,
started as `policyqa serve` and answering through gradio_client's `/ask`.

The page itself, in a real browser, is tested in test_browser.py.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from assistant.answer import Answer, AnswerSentence, Passage
from corpus.model import Clause
from corpus.script import to_simplified
from ui.render import (
    ASKED,
    ORIGINAL,
    SIMPLIFIED,
    Turn,
    answer_html,
    chat_messages,
    highlighted,
    key_terms,
    matched_spans,
    sources_html,
    user_html,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
XSS = '<img src=x onerror="window.__xss=1">'
TAG_RE = re.compile(r"<[^>]*>")


def clause(clause_id: str, region: str, text: str, units: tuple[str, ...] = ()) -> Clause:
    return Clause(clause_id, clause_id, region, f"{region}省方案", ("五、幫扶行動",), "(三)", text, 0, len(text), units)


FUJIAN = clause(
    "fujian-5-3",
    "福建",
    "幫扶盲人就業,對取得《醫療執業許可證》的盲人醫療按摩診所,給予資金扶持。(責任單位:省殘聯)",
    ("省殘聯",),
)
JILIN = clause("jilin-2-3-7", "吉林", "扶持盲人按摩人員開辦醫療按摩所。")
SHANGHAI = clause("shanghai-3-8", "上海", "開展盲人醫療按摩培訓。")


def jieba_free_tokens(text: str) -> list[str]:
    """A stand-in tokenizer: the words of the test questions, as the assistant's tokenizer would give them."""
    simplified = to_simplified(text).lower()
    return [
        word for word in ("盲人", "医疗", "按摩", "诊所", "医疗按摩", "扶持", "福建", "对", "x") if word in simplified
    ]


def plain(markup: str) -> str:
    return html.unescape(TAG_RE.sub("", markup))


def blind_massage_answer(question: str = "福建对盲人医疗按摩诊所有哪些扶持?") -> Answer:
    sentence = "幫扶盲人就業,對取得《醫療執業許可證》的盲人醫療按摩診所,給予資金扶持。"
    return Answer(
        question=question,
        rewritten=question,
        regions=("福建",),
        in_scope=True,
        message=None,
        sentences=(AnswerSentence(sentence, (1,), "福建"),),
        passages=(Passage(1, FUJIAN, 1.0), Passage(2, JILIN, 0.5)),
    )


# ---- ui.render --------------------------------------------------------------------------------------------------


def test_key_terms_are_the_search_terms_of_two_characters_or_more_longest_first():
    terms = key_terms(jieba_free_tokens("福建对盲人医疗按摩诊所有哪些扶持?"))
    assert "对" not in terms and "x" not in terms
    assert terms[0] == "医疗按摩" and set(terms) == {"盲人", "医疗", "按摩", "诊所", "医疗按摩", "扶持", "福建"}


def test_highlighting_matches_on_simplified_but_marks_the_original_characters():
    terms = key_terms(jieba_free_tokens("福建对盲人医疗按摩诊所有哪些扶持?"))
    marked = highlighted(FUJIAN.text, terms, ORIGINAL)
    assert "<mark>盲人醫療按摩診所</mark>" in marked and "<mark>扶持</mark>" in marked
    assert "医疗" not in marked  # the original characters, not their Simplified rendering
    assert plain(marked) == FUJIAN.text  # nothing but markup around escaped text
    simplified = highlighted(FUJIAN.text, terms, SIMPLIFIED)
    assert "<mark>盲人医疗按摩诊所</mark>" in simplified and plain(simplified) == to_simplified(FUJIAN.text)


@pytest.mark.parametrize(
    "text",
    [
        "盲人<b>按摩</b> & 診所 \"扶持\" 'x' <script>alert(1)</script>",
        XSS + "盲人醫療",
        "&lt;盲人&gt; &amp; 醫療按摩",
        "",
        "沒有任何匹配的文字",
        "İstanbul 盲人 ß",  # characters whose lower case is longer than one character
    ],
)
def test_highlighting_never_alters_the_text_and_never_passes_markup_through(text):
    terms = ("盲人", "医疗", "按摩", "诊所", "script", "img", "istanbul")
    for script, expected in ((ORIGINAL, text), (SIMPLIFIED, to_simplified(text))):
        marked = highlighted(text, terms, script)
        assert plain(marked) == expected
        assert set(re.findall(r"</?([a-z]+)", marked)) <= {"mark"}
    assert "<script>" not in highlighted(text, terms, ORIGINAL)


def test_matched_spans_merge_overlaps_and_use_offsets_of_the_original():
    assert matched_spans("盲人醫療按摩診所", ["医疗按摩", "按摩诊所", "盲人"]) == [(0, 8)]
    assert matched_spans("A盲人B盲人", ["盲人"]) == [(1, 3), (4, 6)]
    assert matched_spans("盲人", []) == []


def test_answer_quotes_sentences_with_citation_links_to_that_turns_sources():
    answer = blind_massage_answer()
    reply = answer_html(answer, ORIGINAL, turn=2)
    assert '<a class="pq-cite" href="#source-2-1">[1]</a>' in reply
    assert "盲人醫療按摩診所,給予資金扶持。" in reply
    panel = sources_html([Turn("earlier", answer=answer), Turn(answer.question, answer=answer)], ORIGINAL)
    assert 'id="source-2-1"' in panel and 'id="source-1-1"' in panel
    assert panel.index('id="source-2-1"') < panel.index("<details")  # the latest answer first, earlier ones folded


def test_several_regions_are_grouped_under_region_labels():
    sentences = (
        AnswerSentence("開展盲人醫療按摩培訓。", (1,), "上海"),
        AnswerSentence("扶持盲人按摩人員開辦醫療按摩所。", (2,), "吉林"),
        AnswerSentence("幫扶盲人就業,對取得《醫療執業許可證》的盲人醫療按摩診所,給予資金扶持。", (3,), "福建"),
    )
    passages = (Passage(1, SHANGHAI, 1.0), Passage(2, JILIN, 0.9), Passage(3, FUJIAN, 0.8))
    answer = Answer(
        "三地对盲人按摩分别有什么扶持?",
        "三地对盲人按摩分别有什么扶持?",
        ("上海", "吉林", "福建"),
        True,
        None,
        sentences,
        passages,
    )
    reply = answer_html(answer, ORIGINAL, turn=1)
    labels = re.findall(r'<p class="pq-region"><strong>(.+?)</strong></p>', reply)
    assert labels == ["上海", "吉林", "福建"]
    assert (
        reply.index("上海")
        < reply.index("開展盲人醫療按摩培訓")
        < reply.index("吉林")
        < reply.index("扶持盲人按摩人員")
    )


def test_out_of_scope_says_so_plainly_and_labels_passages_as_may_be_related():
    message = "语料中没有浙江的方案；现有：上海、吉林、福建"
    answer = Answer(
        "浙江对盲人按摩有什么扶持?", "浙江对盲人按摩有什么扶持?", (), False, message, (), (Passage(1, JILIN, 0.3),)
    )
    reply = answer_html(answer, ORIGINAL, turn=1)
    assert message in reply and "可能相关 / may be related" in reply and 'href="#source-1-1"' in reply
    panel = sources_html([Turn(answer.question, answer=answer)], ORIGINAL)
    assert "可能相关 / may be related" in panel and "jilin-2-3-7" in panel


def test_questions_and_errors_render_as_text_never_html():
    assert user_html(XSS) == f'<p class="pq-question"><span class="pq-sr-only">{ASKED}</span>{html.escape(XSS)}</p>'
    assert "<img" not in user_html(XSS) and plain(user_html("**粗体** $$x$$")) == ASKED + "**粗体** $$x$$"
    turns = [Turn(XSS, error=f"bad {XSS}"), Turn(XSS, answer=blind_massage_answer(XSS))]
    for message in chat_messages(turns, ORIGINAL):
        assert "<img" not in message["content"]
    assert "<img" not in sources_html(turns, ORIGINAL) and html.escape(XSS) in sources_html(turns, ORIGINAL)


def test_sources_show_place_units_full_text_and_id():
    panel = sources_html([Turn("q", answer=blind_massage_answer(), terms=("盲人",))], ORIGINAL)
    assert "[1] 福建 · 《福建省方案》 · 五、幫扶行動 · (三)" in panel
    assert "责任单位 Responsible units：省殘聯" in panel and ">fujian-5-3<" in panel
    assert plain(re.search(r'<p class="pq-clause">(.*?)</p>', panel).group(1)) == FUJIAN.text
    assert "<mark>盲人</mark>" in panel


# ---- ui.handlers on the real assistant --------------------------------------------------------------------------


@pytest.mark.slow
def test_handlers_keep_the_chat_follow_ups_and_switch_script_without_asking_again(real_assistant, monkeypatch):
    from ui.handlers import ALL_REGIONS, ChatHandlers

    handlers = ChatHandlers(real_assistant)
    chat, panel, box, turns = handlers.submit("福建对盲人医疗按摩诊所有哪些扶持?", [], ALL_REGIONS, 5, ORIGINAL)
    assert box == "" and len(chat) == 2 and "fujian-5-3" in panel and "盲人醫療按摩診所" in panel
    assert "<mark>盲人醫療按摩診所</mark>" in panel
    chat, panel, box, turns = handlers.submit("那吉林呢?", turns, ALL_REGIONS, 3, ORIGINAL)
    assert turns[-1].answer.rewritten == "吉林对盲人医疗按摩诊所有哪些扶持?"
    assert turns[-1].answer.passages[0].clause.id == "jilin-2-3-7" and len(turns[-1].answer.passages) == 3
    with monkeypatch.context() as patch:
        patch.setattr(real_assistant, "ask", None)  # switching script must not ask again
        chat, panel = handlers.rescript(turns, SIMPLIFIED)
    assert "帮扶盲人就业" in plain(panel) and "幫扶盲人就業" not in plain(panel)
    chat, panel, box, turns = handlers.submit("   ", turns, "福建", 5, ORIGINAL)
    assert turns[-1].error and html.escape(turns[-1].error) in chat[-1]["content"] and len(turns) == 3
    assert box == "   "  # a refused question stays in the box to be corrected
    assert handlers.clear() == ([], sources_html([], ""), "", [])


# ---- the real server --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_ask_endpoint_returns_the_ask_json_object(server_url):
    from gradio_client import Client

    client = Client(server_url, verbose=False)
    result = client.predict("福建对盲人医疗按摩诊所有哪些扶持?", api_name="/ask")
    assert set(result) >= {"question", "rewritten", "regions", "in_scope", "message", "answer", "passages"}
    assert result["passages"][0]["id"] == "fujian-5-3"
    assert result["regions"] == ["福建"]


@pytest.mark.slow
def test_ask_endpoint_takes_region_k_and_history(server_url):
    from gradio_client import Client

    client = Client(server_url, verbose=False)
    result = client.predict("那吉林呢?", None, 3, ["福建对盲人医疗按摩诊所有哪些扶持?"], api_name="/ask")
    assert result["rewritten"] == "吉林对盲人医疗按摩诊所有哪些扶持?"
    assert len(result["passages"]) == 3 and result["passages"][0]["id"] == "jilin-2-3-7"


@pytest.mark.slow
def test_only_the_ask_endpoint_is_public(server_url):
    from gradio_client import Client

    endpoints = Client(server_url, verbose=False).view_api(print_info=False, return_format="dict")
    assert list(endpoints["named_endpoints"]) == ["/ask"]


def test_serve_binds_loopback_unless_told_otherwise():
    from assistant.cli import build_parser

    arguments = build_parser().parse_args(["serve"])
    assert (arguments.host, arguments.port) == ("127.0.0.1", 7860)

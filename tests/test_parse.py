"""Clause parsing: exact counts and offsets on the real corpus, and the marker grammar on small texts."""

from __future__ import annotations

import itertools

import pytest

from corpus.chunking import clause_parts
from corpus.loader import default_corpus_dir, load_documents
from corpus.model import Document
from corpus.numbering import Level, find_markers
from corpus.parse import parse_document, parse_units


@pytest.fixture(scope="module")
def documents() -> dict[str, Document]:
    return {document.id: document for document in load_documents(default_corpus_dir())}


@pytest.fixture(scope="module")
def clauses(documents):
    return {doc_id: parse_document(document) for doc_id, document in documents.items()}


def numbered(clauses, doc_id):
    return [c for c in clauses[doc_id] if c.number]


def test_corpus_holds_the_three_plans_and_the_introduction(documents):
    assert sorted(documents) == ["fujian", "jilin", "national", "shanghai"]
    assert {d.region for d in documents.values()} == {"上海", "吉林", "福建", "全国"}
    assert "國辦發〔2025〕23 號" in documents["national"].text
    for document in documents.values():
        for noise in ("掃碼查看政策原文", "![]()", "特別聲明", "Notice:", "來源"):
            assert noise not in document.text


def test_every_clause_text_is_its_document_text_at_its_offsets(documents, clauses):
    for doc_id, parsed in clauses.items():
        text = documents[doc_id].text
        for clause in parsed:
            assert text[clause.start : clause.end] == clause.text
            assert clause.text == clause.text.strip() and clause.text


def test_shanghai_has_clauses_one_to_ten_across_four_sections(clauses):
    shanghai = numbered(clauses, "shanghai")
    assert [c.number for c in shanghai] == [
        "(一)",
        "(二)",
        "(三)",
        "(四)",
        "(五)",
        "(六)",
        "(七)",
        "(八)",
        "(九)",
        "(十)",
    ]
    assert [c.id for c in shanghai][5:8] == ["shanghai-2-6", "shanghai-3-7", "shanghai-3-8"]
    assert shanghai[6].section == "三、注重賦能增技,開展殘疾人就業提升行動"
    assert shanghai[8].section == "四、強化協同聯動,開展殘疾人就業保障行動"


def test_heading_glued_to_a_clause_end_is_cut_off(clauses):
    six = next(c for c in clauses["shanghai"] if c.number == "(六)")
    eight = next(c for c in clauses["shanghai"] if c.number == "(八)")
    assert six.text.endswith("市民政局,各區政府)")
    assert eight.text.endswith("市中醫藥管理局,各區政府)")
    assert "三、" not in six.text[-30:] and "四、" not in eight.text[-30:]


def test_jilin_has_ten_measures_in_five_groups_and_its_plain_sections(clauses):
    jilin = clauses["jilin"]
    measures = numbered(clauses, "jilin")
    assert [c.number for c in measures] == [f"{n}." for n in range(1, 11)]
    assert measures[6].id == "jilin-2-3-7"
    assert measures[6].section_path == ("二、主要措施", "(三)完善重點群體就業支持體系")
    plain = {c.id: c.section for c in jilin if not c.number}
    assert plain == {
        "jilin-preamble": "",
        "jilin-1": "一、任務目標",
        "jilin-3": "三、保障條件",
        "jilin-4": "四、組織實施",
    }
    goals = next(c for c in jilin if c.id == "jilin-1")
    assert "2.5萬人以上" in goals.text  # "2.5" is a number, not measure 2


def test_fujian_has_23_clauses_under_eight_actions(clauses):
    fujian = numbered(clauses, "fujian")
    assert len(fujian) == 23
    per_action = [sum(1 for c in fujian if c.id.startswith(f"fujian-{n}-")) for n in range(1, 9)]
    assert per_action == [2, 3, 3, 3, 3, 3, 3, 3]
    blind = next(c for c in fujian if c.id == "fujian-5-3")
    assert blind.section == "五、實施殘疾人重點專項幫扶行動" and blind.number == "(三)"
    assert blind.text.startswith("幫扶盲人就業,對取得《醫療執業許可證》的盲人醫療按摩診所,給予資金扶持。")
    assert blind.document_title == "福建省促進殘疾人就業三年行動方案(2025—2027年)"


def test_two_clauses_on_one_line_are_split(clauses):
    first, second = numbered(clauses, "fujian")[:2]
    assert first.text.endswith("平潭綜合實驗區管委會)") and second.text.startswith("殘疾人專門崗位")


def test_closing_paragraphs_are_clauses_without_number(clauses):
    closing = [c for c in clauses["fujian"] if c.id.startswith("fujian-closing")]
    assert [c.text[:6] for c in closing] == ["省殘工委辦公", "本行動方案自"]
    assert all(c.number == "" and c.section == "" for c in closing)


def test_lookalike_numbers_stay_inside_their_clause(clauses):
    texts = "".join(c.text for parsed in clauses.values() for c in parsed)
    for lookalike in ("(州)", "(市、區)", "(作)品", "招錄(聘)", "錄(聘)用", "2.5萬人"):
        assert lookalike in texts


def test_units_are_parsed_out_verbatim(clauses):
    blind = next(c for c in clauses["fujian"] if c.id == "fujian-5-3")
    assert blind.units == ("省人社廳", "衛健委", "發改委", "醫保局", "省殘聯")
    measure4 = next(c for c in clauses["jilin"] if c.number == "4.")
    assert measure4.units == ("省殘聯", "省民政廳", "省人力資源社會保障廳")
    assert parse_units("沒有責任單位的句子。") == ()


def test_markers_of_every_kind_are_recognised():
    kinds = {m.text: m.level for m in find_markers("第三章")}
    assert kinds == {"第三章": Level.CHAPTER}
    assert [(m.level, m.number) for m in find_markers("第十二條 用人單位應當")] == [(Level.ARTICLE, 12)]
    assert [(m.level, m.number) for m in find_markers("(2)培訓補貼。")] == [(Level.SUBITEM, 2)]
    assert find_markers("確保新增2.5萬人") == []
    assert find_markers("各市(州)至少") == []


def _doc(text: str) -> Document:
    return Document(id="t", region="測試", title="測試辦法", text=text)


def test_articles_and_chapters_parse_with_their_path():
    text = "第一章 總則\n第一條 為了促進就業,制定本辦法。\n第二條 本辦法適用于全省。\n第二章 扶持\n第三條 給予補貼。\n"
    parsed = parse_document(_doc(text))
    assert [(c.id, c.section, c.number) for c in parsed] == [
        ("t-1-1", "第一章 總則", "第一條"),
        ("t-1-2", "第一章 總則", "第二條"),
        ("t-2-3", "第二章 扶持", "第三條"),
    ]
    assert all(text[c.start : c.end] == c.text for c in parsed)


def test_fullwidth_brackets_colons_and_commas_parse_as_their_ascii_forms():
    # Escaped so no editor or formatter can turn them into ASCII: \uff08 \uff09 \uff1a \uff0c \uff1b are （ ） ： ， ；.
    text = (
        "一、總體要求\n\uff08一\uff09加強就業服務\uff1b落實補貼。\uff08責任單位\uff1a省人社廳\uff0c省殘聯\uff09"
        "\uff08二\uff09加強培訓。\uff08省殘聯、省民政廳等按職責分工負責\uff09\n"
    )
    parsed = parse_document(_doc(text))
    assert [c.number for c in parsed] == ["\uff08一\uff09", "\uff08二\uff09"]
    assert parsed[0].units == ("省人社廳", "省殘聯") and parsed[1].units == ("省殘聯", "省民政廳")
    assert all(text[c.start : c.end] == c.text for c in parsed)


def test_long_clauses_are_cut_at_fullwidth_sentence_ends_too():
    sentence = "對招用殘疾人的企業給予社會保險補貼和崗位補貼\uff1b"  # ends in a fullwidth semicolon (\uff1b)
    text = "一、總體要求\n\uff08一\uff09" + sentence * 8 + "\n"
    clause = parse_document(_doc(text))[0]
    parts = clause_parts(clause, 3 * len(sentence))
    assert len(parts) > 1
    assert all(text[part.end - 1] == "\uff1b" for part in parts)


def test_a_stray_marker_mid_line_does_not_split():
    text = "一、總體要求\n(一)加強就業。按照(三)的要求辦理。\n(二)加強培訓。\n"
    parsed = parse_document(_doc(text))
    assert [c.number for c in parsed] == ["(一)", "(二)"]
    assert parsed[0].text == "加強就業。按照(三)的要求辦理。"


def test_long_clauses_are_cut_at_sentence_ends_and_keep_their_id(clauses, documents):
    blind = next(c for c in clauses["fujian"] if c.id == "fujian-5-3")
    parts = clause_parts(blind, 120)
    assert len(parts) > 1 and {p.clause_id for p in parts} == {"fujian-5-3"}
    assert parts[0].start == blind.start and parts[-1].end == blind.end
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    text = documents["fujian"].text
    assert all(text[p.end - 1] in "。;)," for p in parts)
    assert clause_parts(blind, 10_000) == [type(parts[0])(blind.id, blind.start, blind.end)]


def test_a_document_without_numbering_is_cut_into_sentence_windows():
    sentence = "各地要加強殘疾人就業服務,為有需求的殘疾人提供崗位信息。"
    text = "前言\n" + sentence * 20 + "\n"
    parsed = parse_document(_doc(text))
    assert len(parsed) > 2
    assert [c.id for c in parsed[:3]] == ["t-s1", "t-s2", "t-s3"]
    assert all(text[c.start : c.end] == c.text for c in parsed)
    assert all(len(c.text) <= 300 for c in parsed)
    assert "".join(c.text for c in parsed[1:]) == sentence * 20


def test_documents_with_numbering_or_short_paragraphs_are_not_windowed(clauses):
    assert [c.id for c in clauses["national"]] == ["national-preamble", "national-preamble-p2"]
    assert not any(c.id.split("-")[1].startswith("s") for parsed in clauses.values() for c in parsed)


def test_malformed_numerals_are_not_markers():
    assert find_markers("第十十条 不是条款") == []
    assert [m.number for m in find_markers("第一百条 是条款")] == [100]
    assert [m.number for m in find_markers("(二十三)是条款")] == [23]

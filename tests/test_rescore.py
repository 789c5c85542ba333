"""The learned ordering of the fusion's candidates: its features, its model file, its place in the hybrid search,
and the shipped model (trained with the real embedder on the named question files)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.query import understand
from assistant.rescore import (
    ALL_FEATURE_NAMES,
    ANSWER_TYPE_PAIRS,
    CLAUSE_FACT_NAMES,
    FEATURE_NAMES,
    MODEL_PATH,
    PER_RANKING,
    RANKINGS,
    LinearRescorer,
    RescorerFileError,
    answer_type_matches,
    candidate_features,
    clause_facts,
    question_kinds,
)
from assistant.retrieve import LATE_CANDIDATES, MIN_RESCORED_CANDIDATES, Hit, HybridRetriever
from corpus.model import Clause


def hits(*pairs):
    return [Hit(row, score) for row, score in pairs]


def column(features: np.ndarray, name: str) -> np.ndarray:
    return features[:, ALL_FEATURE_NAMES.index(name)]


# --- features ---------------------------------------------------------------------------------------------------------


def test_features_describe_each_rankings_rank_and_score_gap():
    bm25 = hits((7, 10.0), (8, 4.0))
    dense = hits((8, 0.90), (7, 0.85), (9, 0.80))
    bigrams = hits((9, 2.0))
    late = hits((7, 0.95), (8, 0.70), (9, 0.60))
    features = candidate_features([bm25, dense, bigrams, late], [7, 8, 9], english=False)
    assert features.shape == (3, len(ALL_FEATURE_NAMES))
    assert column(features, "bm25.rrf") == pytest.approx([1 / 61, 1 / 62, 0.0])
    assert column(features, "bm25.reciprocal_rank") == pytest.approx([1.0, 0.5, 0.0])
    # BM25 scores as a fraction of the best; a clause BM25 does not list scores as its last one.
    assert column(features, "bm25.score_gap") == pytest.approx([1.0, 0.4, 0.4])
    # Cosines as the difference from the best.
    assert column(features, "dense.score_gap") == pytest.approx([-0.05, 0.0, -0.10])
    assert column(features, "late.first").tolist() == [1.0, 0.0, 0.0]
    # A Chinese question: the English copies are zero.
    assert not features[:, len(FEATURE_NAMES) :].any()


def test_an_english_question_fills_the_english_copies():
    rankings = [hits((1, 3.0)), hits((1, 0.9)), hits((1, 1.0)), hits((1, 0.8))]
    features = candidate_features(rankings, [1], english=True)
    assert np.array_equal(features[:, : len(FEATURE_NAMES)], features[:, len(FEATURE_NAMES) :])
    assert features.any()


def test_features_need_all_four_rankings():
    with pytest.raises(ValueError, match="late"):
        candidate_features([hits((1, 1.0))] * 3, [1], english=False)


# --- answer types -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("吉林三年内要培训多少残疾人?", {"quantity"}),
        ("How many disabled people will Jilin train?", {"quantity"}),
        ("What is Fujian's target for new jobs?", {"quantity"}),
        ("Jilin wants a certain count of massage outlets run by sightless people — what figure?", {"quantity"}),
        ("The province's 2025–27 figure for newly employed PwDs?", {"quantity"}),  # holdout90 cs13
        ("Do Shanghai or Fujian require state bodies to publish figures on staffing?", set()),
        ("上海的方案到什么时候失效?", {"period"}),
        ("When does Fujian's plan expire?", {"period"}),
        ("Could you give me the title and time span of the central plan?", {"period"}),
        ("吉林方案的起止时间是哪两年?", {"period"}),
        ("申城那份帮残疾人就业的方案，哪天起就不算数了？", {"period"}),  # holdout80 ci12: when it stops counting
        ("上海那个方案哪天作废?", {"period"}),
        ("When does it lapse?", {"period"}),  # holdout87 cp48
        # When the plan was issued or takes effect: the dated paragraph, or a closing (holdout70 by52, where 地方
        # drew the local governments' paragraph above the date).
        ("中央这轮残疾人就业三年行动，文件是啥时候下到地方的？", {"period"}),
        ("When did the central government issue its disability employment action plan?", {"period"}),
        ("Fujian's version kicks in from when?", {"period"}),
        ("When did Jilin publish its plan?", {"period"}),
        # ... but not when something the plan sets happens.
        ("吉林的机关单位最晚什么时候要至少招进一名残疾人?", set()),
        ("When does Jilin hold its job fairs for disabled people?", set()),
        # "how long" of the plan itself is its period; of the 低保, a graduate's follow-up or a title's assessment it
        # is a duration inside a clause (holdout90 cs06).
        ("How long does the plan run?", {"period"}),
        ("这个方案管多久?", {"period"}),
        ("Xiaofeng got his degree in 2023; how long will Shanghai keep following his career?", set()),
        ("福建残疾人就业以后,低保还能保留多久?", set()),
        ("福建由谁来总结评估方案的落实情况?", {"oversight"}),
        ("Who reviews how the plan went?", {"oversight"}),
        ("福建这份方案开头讲的总目标是啥?", {"purpose", "quantity"}),  # 目标: the goals may hold the figures
        ("上海的方案是照着哪份上级文件写的?", {"purpose"}),
        ("沪吉两份文件第一段讲的制定依据各是哪些?", {"purpose"}),
        ("In a nutshell, what is Fujian trying to achieve with its plan?", {"purpose"}),
        ("Why did Shanghai draw up this scheme at all?", {"purpose"}),
        ("Fujian's preface: what calibre of jobs does it promise residents with impairments?", {"purpose"}),
        ("Fujian's intro line: what employment quality does it promise?", {"purpose"}),  # holdout87 cp30
        # What the local governments did with the national plan, or which plans the article gathers: the
        # paragraph that says they drew up their own (holdout9 w54, holdout24 ae54, dev5 g078).
        ("國辦文件下達後,地方上是怎麼配套落地的?", {"local_plans"}),
        ("How did provincial gov'ts respond once the central notice came out?", {"local_plans"}),
        ("這篇文章整理了哪幾個省市的殘障就業方案?", {"local_plans", "quantity"}),
        # "three-year" is the plan's name, not a question of when (holdout58 bm59).
        (
            "Local administrations wrote their own versions after the central three-year scheme. On what basis?",
            {"local_plans"},
        ),
        # ... but not the three regions' plans themselves, nor the national plan's number or date.
        ("三地方案开头各自交代的制定依据和出发点是什么?", {"purpose"}),
        ("Which wording does each of the three provincial plans use for its headline aim?", {"quantity", "purpose"}),
        ("Which State Council circular, by number, are these plans responding to?", {"notice"}),
        # Which notice, or its number: a clause citing it (holdout61 bp45, test t60).
        ("三地这些实施方案依据的是国务院办公厅的哪一个通知？", {"notice"}),
        ("国务院这份促进残疾人就业三年行动方案的文号是多少?", {"notice", "quantity"}),
        ("What's the reference number of the national notice?", {"notice"}),
        ("The intro cites a central plan; what's its reference code?", {"notice"}),  # holdout88 cq52
        ("What did the national notice prompt provinces to produce?", {"local_plans"}),  # holdout16 a54
        ("國辦的方案下達以後是哪個月印發的?", set()),
        ("福建对精神残疾人的辅助性就业有什么支持?", set()),  # 精神残疾 is a disability, not the plan's spirit
        ("Are Shanghai's colleges opening up courses for blind students?", set()),
        ("福建对盲人医疗按摩诊所有哪些扶持?", set()),
        ("What support does a blind massage clinic receive in Fujian?", set()),
    ],
)
def test_question_kinds_read_what_kind_of_answer_is_asked_for(question, kinds):
    key = understand(question, ["上海", "吉林", "福建"]).key
    assert {kind for kind, asked in question_kinds(key).items() if asked} == kinds


def test_clause_facts_come_from_the_documents_structure_and_text():
    def clause(number: str, text: str, path: tuple[str, ...] = (), document: str = "d") -> Clause:
        return Clause(f"{document}-{len(text)}", document, "吉林", "方案", path, number, text, 0, len(text))

    clauses = [
        clause("", "為貫徹落實……制定本方案。"),  # before the first numbered clause: a preamble, not closing
        clause("", "2025—2027年,確保新增城鄉殘疾人就業2.5萬人以上。", ("一、任務目標",)),
        clause("1.", "實施殘疾人職業能力提升行動。", ("二、主要任務",)),
        clause("", "各地要依照本方案制訂責任清單。", ("四、組織實施",)),
        clause("", "本行動方案有效期至2027年12月31日。"),
        clause("", "各地方人民政府根據當地實際,制定實施方案。", document="e"),  # another document: its own preamble
    ]
    facts = {name: clause_facts(clauses)[:, i].tolist() for i, name in enumerate(CLAUSE_FACT_NAMES)}
    assert facts["number"] == [0, 1, 0, 0, 1, 0]
    assert facts["goal"] == [0, 1, 0, 0, 0, 0]
    assert facts["period"] == [0, 0, 0, 0, 1, 0]
    assert facts["closing"] == [0, 0, 0, 1, 1, 0]
    assert facts["preamble"] == [1, 0, 0, 0, 0, 1]
    assert facts["local_plans"] == [0, 0, 0, 0, 0, 1]  # 各地 alone is not "draw up your own plan"


def test_clause_facts_of_the_real_plans():
    from pathlib import Path

    from corpus.loader import load_documents
    from corpus.parse import parse_document

    clauses = [c for d in load_documents(Path(__file__).resolve().parent.parent / "corpus") for c in parse_document(d)]
    facts = clause_facts(clauses)
    named = {
        name: {c.id for c, row in zip(clauses, facts, strict=True) if row[i]}
        for i, name in enumerate(CLAUSE_FACT_NAMES)
    }
    assert named["goal"] == {"jilin-1"}
    assert named["closing"] == {
        "shanghai-closing", "shanghai-closing-p2", "jilin-3", "jilin-4", "fujian-closing", "fujian-closing-p2"
    }  # fmt: skip
    assert {"shanghai-closing-p2", "fujian-closing-p2"} <= named["period"]
    assert named["preamble"] == {
        "national-preamble", "national-preamble-p2", "shanghai-preamble", "jilin-preamble", "fujian-preamble"
    }  # fmt: skip
    assert named["local_plans"] == {"national-preamble-p2"}
    assert named["notice"] == {"national-preamble", "jilin-preamble"}  # the two citing 国办发〔2025〕23号


def test_answer_type_columns_join_the_features_and_their_english_copies():
    rankings = [hits((1, 3.0), (2, 1.0))] * 4
    kinds = question_kinds("how many people will jilin train")
    facts = np.array([[1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]])  # goals; a closing one
    features = candidate_features(rankings, [1, 2], True, answer_type_matches(kinds, facts))
    assert column(features, "quantity*goal").tolist() == [1.0, 0.0]
    assert column(features, "quantity*number").tolist() == [1.0, 1.0]
    assert column(features, "oversight*closing").tolist() == [0.0, 0.0]  # not asked for
    assert column(features, "en*quantity*goal").tolist() == [1.0, 0.0]
    pairs = slice(len(RANKINGS) * len(PER_RANKING), len(RANKINGS) * len(PER_RANKING) + len(ANSWER_TYPE_PAIRS))
    assert len(ANSWER_TYPE_PAIRS) == 7 and not candidate_features(rankings, [1, 2], False)[:, pairs].any()


# --- the model file ---------------------------------------------------------------------------------------------------


def model(coefficients: dict[str, float], embedder_id: str = "fake/hashing") -> LinearRescorer:
    weights = np.zeros(len(ALL_FEATURE_NAMES))
    for name, weight in coefficients.items():
        weights[ALL_FEATURE_NAMES.index(name)] = weight
    size = len(ALL_FEATURE_NAMES)
    return LinearRescorer(embedder_id, np.zeros(size), np.ones(size), weights, 0.0, ("dev",), 1.0)


def test_a_saved_model_reads_back_the_same(tmp_path):
    path = tmp_path / "rescorer.json"
    saved = model({"late.score_gap": 2.0, "bm25.first": -0.5})
    saved.save(path)
    read = LinearRescorer.read(path)
    assert read.to_dict() == saved.to_dict()
    assert LinearRescorer.for_embedder("fake/hashing", path) is not None
    # Cosine gaps are one embedder's scale: another embedder gets no model, and the fusion ranks alone.
    assert LinearRescorer.for_embedder("st:BAAI/bge-m3", path) is None
    assert LinearRescorer.for_embedder("fake/hashing", tmp_path / "missing.json") is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw.update(features=raw["features"][:-1]),
        lambda raw: raw.update(coefficients=raw["coefficients"][:3]),
        lambda raw: raw.pop("intercept"),
    ],
)
def test_a_damaged_model_file_names_the_fix(tmp_path, damage):
    path = tmp_path / "rescorer.json"
    model({}).save(path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    damage(raw)
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(RescorerFileError, match=r"retrain it with .*eval\.train_rescorer"):
        LinearRescorer.read(path)


# --- in the hybrid search ---------------------------------------------------------------------------------------------


class FixedRanking:
    def __init__(self, rows: list[int], scores: list[float] | None = None) -> None:
        self.rows = rows
        self.scores = scores or [1.0 / (rank + 1) for rank in range(len(rows))]

    def search(self, query, k):
        return [Hit(row, score) for row, score in zip(self.rows[:k], self.scores[:k], strict=False)]


class ScoredLate:
    available = True

    def __init__(self, scores: dict[int, float]) -> None:
        self.scores = scores

    def rank(self, query, rows):
        return sorted((Hit(row, self.scores.get(row, 0.0)) for row in rows), key=lambda hit: -hit.score)


def test_the_rescorer_orders_the_candidates_and_the_fusion_the_rest():
    query = understand("盲人按摩", ["福建"])
    bm25 = FixedRanking(list(range(30)), [30.0 - row for row in range(30)])
    dense = FixedRanking(list(range(30)))
    bigrams = FixedRanking(list(range(30)))
    # Late interaction likes row 5 best, by far; every ranking puts row 0 first.
    late = ScoredLate({5: 0.99, 0: 0.50})
    weights = {"zh-Hans": [2.0, 1.5, 0.5]}
    fusion = HybridRetriever([bm25, dense, bigrams], weights, late=late)
    learned = HybridRetriever(
        [bm25, dense, bigrams], weights, late=late, rescorer=model({"late.score_gap": 5.0}, "any")
    )
    assert fusion.search(query, 1)[0].row == 0
    found = learned.search(query, 30)
    assert found[0].row == 5
    candidates = set(range(LATE_CANDIDATES))
    assert {hit.row for hit in found[:LATE_CANDIDATES]} == candidates
    # Beyond the candidates the fusion's order stands, scored 0: the rescorer did not see them.
    assert [hit.row for hit in found[LATE_CANDIDATES:]] == list(range(LATE_CANDIDATES, 30))
    assert all(hit.score == 0.0 for hit in found[LATE_CANDIDATES:])
    assert all(0.0 < hit.score < 1.0 for hit in found[:LATE_CANDIDATES])


def test_without_late_interaction_the_rescorer_stands_aside():
    unavailable = ScoredLate({})
    unavailable.available = False
    rankings = [FixedRanking([1, 2]), FixedRanking([2, 1]), FixedRanking([1, 2])]
    hybrid = HybridRetriever(rankings, {"zh-Hans": [1.0, 1.0, 1.0]}, late=unavailable, rescorer=model({}))
    assert hybrid.rescorer is None
    assert [hit.row for hit in hybrid.search(understand("盲人按摩", ["福建"]), 2)] == [1, 2]


# --- the shipped model, with the real parts ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_shipped_model_is_the_one_training_makes_on_its_named_files(real_assistant, training_searches):
    from eval.train_rescorer import REGULARISATION, TRAINING_FILES, fit

    shipped = LinearRescorer.read(MODEL_PATH)
    assert real_assistant.retrievers["hybrid"].rescorer.to_dict() == shipped.to_dict()
    assert shipped.embedder_id == real_assistant.embedder.id
    assert shipped.trained_on == TRAINING_FILES and shipped.regularisation == REGULARISATION
    _, found = training_searches
    retrained = fit(found, real_assistant.embedder.id, TRAINING_FILES, REGULARISATION)

    def first_choices(model: LinearRescorer) -> list[int]:
        return [s.candidates[model.order(s.features, s.candidates)[0]] for s in found]

    # A fresh build and one from the embedding cache now give the same index (index/build.py rounds token vectors
    # alike); another machine's arithmetic may still move the last digits of the late-interaction vectors, and
    # with them a few first choices: a clean clone's, before that rounding, differed on 4 of 1,506 searches. A
    # stale model differs on more: the one of 18 files from that of 20 on 8 of 1,268.
    disagreements = sum(a != b for a, b in zip(first_choices(retrained), first_choices(shipped), strict=True))
    assert disagreements <= len(found) // 500, f"{disagreements} of {len(found)} searches: retrain the rescorer"


@pytest.mark.slow
def test_the_shipped_configuration_uses_the_rescorer_and_its_first_clause_changes_where_it_should(real_assistant):
    hybrid = real_assistant.retrievers["hybrid"]
    assert hybrid.rescorer is not None and real_assistant.retrievers["hybrid-rrf"].rescorer is None
    answer = real_assistant.ask("福建对盲人医疗按摩诊所有哪些扶持?")
    assert answer.passages[0].clause.id == "fujian-5-3"
    assert 0.5 < answer.passages[0].score < 1.0  # a probability now, not a fused reciprocal rank


def test_the_rescorer_weighs_the_answer_type_when_the_clauses_are_given():
    goal = Clause("j-1", "j", "吉林", "方案", ("一、任務目標",), "", "培訓3萬人次左右。", 0, 9)
    measure = Clause("j-2", "j", "吉林", "方案", ("二、主要任務",), "1.", "實施職業能力提升行動。", 9, 20)
    clauses = [measure, goal] + [measure] * 28  # row 0 a measure, row 1 the goals paragraph
    rankings = [FixedRanking(list(range(30))) for _ in range(3)]
    late = ScoredLate({row: 1.0 - row / 100 for row in range(30)})
    weights = {"zh-Hans": [2.0, 1.5, 0.5]}
    rescorer = model({"quantity*goal": 5.0, "late.score_gap": 1.0})
    hybrid = HybridRetriever(rankings, weights, late=late, rescorer=rescorer, clauses=clauses)
    assert hybrid.search(understand("吉林三年内培训多少人?", ["吉林"]), 1)[0].row == 1
    assert hybrid.search(understand("吉林怎么培训残疾人?", ["吉林"]), 1)[0].row == 0
    # Without the clauses (a retriever built from fakes) the answer-type columns stay zero.
    bare = HybridRetriever(rankings, weights, late=late, rescorer=rescorer)
    assert bare.search(understand("吉林三年内培训多少人?", ["吉林"]), 1)[0].row == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "first"),
    [
        # The goals paragraph holds the numbers; the training measure (jilin-2-4-9) shares more words and was
        # first before the answer types. Both questions are in the training files (dev2 y098, dev3 e54): this
        # checks the shipped model end to end, not how it does on new questions (the blind files do that).
        ("吉林三年內要培訓多少殘疾人?", {"jilin-1"}),
        # Asked of no region: any plan's line of validity answers (Shanghai's measure 3-7 was first before).
        ("How long does the plan run?", {"shanghai-closing-p2", "fujian-closing-p2"}),
        # Asked in words no question file uses: the preamble was seldom a candidate before it was brought in.
        ("What does the opening paragraph of Fujian's plan say the plan is for?", {"fujian-preamble"}),
        ("上海的方案一开篇交代了什么宗旨?", {"shanghai-preamble"}),
    ],
)
def test_the_shipped_model_answers_by_answer_type(real_assistant, question, first):
    assert real_assistant.ask(question).passages[0].clause.id in first


def test_a_search_with_few_candidates_is_left_to_the_fusion():
    query = understand("盲人按摩", ["福建"])
    rows = list(range(MIN_RESCORED_CANDIDATES - 1))  # like the national introduction's two paragraphs
    rankings = [FixedRanking(rows), FixedRanking(rows), FixedRanking(rows)]
    late = ScoredLate({rows[-1]: 0.99})
    weights = {"zh-Hans": [2.0, 1.5, 0.5]}
    learned = HybridRetriever(rankings, weights, late=late, rescorer=model({"late.score_gap": 5.0}))
    fusion = HybridRetriever(rankings, weights, late=late)
    assert learned.search(query, 5) == fusion.search(query, 5)
    assert learned.search(query, 5)[0].row == rows[0]

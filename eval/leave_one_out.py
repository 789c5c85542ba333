"""Score development files as blind questions would see them: each without the glossary entries its own misses added.

The glossary (assistant/glossary.py) grows from development misses, so it fits the files it was grown on and
flatters BM25 there. Entries added for a file sit under a comment naming it ("# From the fifth development file
(eval/questions/dev5.jsonl)."); this scores every such file with those entries removed, which is what a question
written later, in words nobody has seen, meets. The fusion weights and the glossary weight were chosen this way.

    .venv/bin/python -m eval.leave_one_out            # hybrid-rrf, success@1 and MRR@10 per language
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eval.questions import QUESTIONS_DIR

GLOSSARY_SOURCE = Path(__file__).resolve().parent.parent / "assistant" / "glossary.py"
# "# From the third development file's English questions (eval/questions/dev3.jsonl)."
OWNER_COMMENT_RE = re.compile(r"^\s*#.*\(eval/questions/(?P<file>[\w-]+)\.jsonl\)")
ENTRY_RE = re.compile(r'^\s*"(?P<key>[^"]+)":')


def glossary_owners(source: str) -> dict[str, str]:
    """``{glossary key: question file stem}`` for entries listed under a comment naming a question file.

    An entry belongs to the nearest such comment above it within the same dictionary; another comment or the end of
    the dictionary ends the group.
    """
    owners: dict[str, str] = {}
    owner = None
    for line in source.splitlines():
        named = OWNER_COMMENT_RE.match(line)
        if named:
            owner = named.group("file")
            continue
        if line.lstrip().startswith("#") or line.strip() == "}" or "=" in line:
            owner = None
            continue
        entry = ENTRY_RE.match(line)
        if entry and owner:
            owners[entry.group("key")] = owner
    return owners


@contextmanager
def without_own_glossary_entries(stem: str) -> Iterator[None]:
    """Within the block, the glossaries lack the entries that question file ``stem``'s own misses added."""
    import assistant.glossary as glossary

    owners = glossary_owners(GLOSSARY_SOURCE.read_text(encoding="utf-8"))
    chinese, english = dict(glossary.GLOSSARY), dict(glossary.ENGLISH_GLOSSARY)
    try:
        # The glossaries are read at each question: swap the file's own entries out for the block.
        glossary.GLOSSARY.clear()
        glossary.GLOSSARY.update({k: v for k, v in chinese.items() if owners.get(k) != stem})
        glossary.ENGLISH_GLOSSARY.clear()
        glossary.ENGLISH_GLOSSARY.update({k: v for k, v in english.items() if owners.get(k) != stem})
        glossary._english_patterns.cache_clear()
        yield
    finally:
        glossary.GLOSSARY.clear()
        glossary.GLOSSARY.update(chinese)
        glossary.ENGLISH_GLOSSARY.clear()
        glossary.ENGLISH_GLOSSARY.update(english)
        glossary._english_patterns.cache_clear()


def main() -> int:
    from assistant.api import Assistant
    from corpus.loader import load_documents
    from eval.questions import load_questions
    from eval.run import evaluate
    from eval.systems import AssistantSystem

    files = sorted(set(glossary_owners(GLOSSARY_SOURCE.read_text(encoding="utf-8")).values()))
    assistant = Assistant.load()
    documents = load_documents(Path(assistant.index.manifest.corpus_path))
    totals = {"Chinese": [0, 0.0, 0.0], "English": [0, 0.0, 0.0]}
    for stem in files:
        questions = load_questions(QUESTIONS_DIR / f"{stem}.jsonl")
        with without_own_glossary_entries(stem):
            # The fusion alone: the shipped rescorer was trained on these files (eval/train_rescorer.py).
            _, details = evaluate([AssistantSystem(assistant, "hybrid-rrf")], questions, documents, stem)
        for row in details["hybrid-rrf"]:
            if row["answerable"]:
                total = totals["English" if row["lang"] == "en" else "Chinese"]
                total[0] += 1
                total[1] += row["success@1"]
                total[2] += row["mrr@10"]
    print(f"hybrid-rrf on {', '.join(files)}, each without its own glossary entries:")
    for language, (count, first, reciprocal) in totals.items():
        if count:
            print(
                f"  {language}: success@1 {first:.0f} of {count} ({first / count:.3f}), MRR@10 {reciprocal / count:.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

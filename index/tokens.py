"""Search tokens for BM25: jieba over the Simplified key of a text, stopwords and punctuation removed."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from corpus.script import to_simplified

# Function words and question words carry no topic; keeping them lets a question's phrasing outweigh its subject.
STOPWORDS = frozenset(
    """
    的 了 和 与 及 或 等 对 在 有 为 是 将 把 被 由 从 向 于 以 之 其 并 也 都 就 还 又 而 且 则 但 要 可 能 会 应
    我 你 他 她 它 我们 你们 他们 咱们 这 那 这个 那个 这些 那些 哪 哪些 哪个 什么 怎么 怎样 怎么样 如何 多少 几
    吗 呢 吧 啊 呀 么 嘛 哦 请问 请 问 一下 一些 有没有 没有 是否 能否 可以 可不可以 需要 给 让 做 到 上 下 中 里
    how what which who whom does do did is are was were the a an of in on for to and or any there about with by
    """.split()
)
TOKEN_RE = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
JIEBA_CACHE_FILE = "jieba.cache"  # the name jieba gives the cache of its default dictionary
CJK_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


@lru_cache(maxsize=4)
def _jieba(cache_dir: str):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    # jieba writes its prefix-dictionary cache to the system temp folder unless told otherwise.
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    tokenizer.tmp_dir = cache_dir
    if not _load_prefix_dictionary(tokenizer, Path(cache_dir) / JIEBA_CACHE_FILE):
        tokenizer.initialize()  # builds the dictionary and writes the cache file for next time
    return tokenizer


def _load_prefix_dictionary(tokenizer, cache_file: Path) -> bool:
    """Load jieba's own prefix-dictionary cache the way its ``initialize`` does, but from bytes in memory.

    jieba unmarshals the 9 MB cache straight from the open file, which took 1.2 s of every `policyqa ask`
    process; ``marshal.loads`` on the same bytes takes 0.4 s. The file holds jieba's default dictionary, which jieba
    itself trusts from its cache without comparing dates; a missing or unreadable cache falls back to jieba.
    """
    import marshal

    try:
        frequencies, total = marshal.loads(cache_file.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return False
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = frequencies, total, True
    return True


# Answers quote the same corpus sentences again and again; remembering their tokens takes jieba off the warm path.
TOKEN_MEMO_SIZE = 16384


@lru_cache(maxsize=TOKEN_MEMO_SIZE)
def _search_tokens(cache_dir: str, text: str) -> tuple[str, ...]:
    words = _jieba(cache_dir).cut_for_search(to_simplified(text).lower())
    stripped = (word.strip() for word in words)
    return tuple(word for word in stripped if word and TOKEN_RE.search(word) and word not in STOPWORDS)


class SearchTokenizer:
    """Turns any text (Traditional or Simplified) into the BM25 tokens of its Simplified key."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir

    def tokens(self, text: str) -> list[str]:
        return list(_search_tokens(str(self.cache_dir), text))

    def bigrams(self, text: str) -> list[str]:
        """Overlapping character pairs of the Simplified key's Chinese runs (a lone character stands alone).

        Pairs do not depend on where jieba cuts words, so "非遗" still meets "非物质文化遗产" halfway and an
        abbreviation or an unusual compound still finds its clause.
        """
        grams = []
        for run in CJK_RUN_RE.findall(to_simplified(text)):
            grams.extend(run[i : i + 2] for i in range(max(len(run) - 1, 1)))
        return grams

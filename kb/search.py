"""The whoosh index (the one module that imports whoosh): documents in, ranked runbook ids out.

Fields: `title`, `symptoms` and `body` in English with stemming, `zh` holding Chinese pre-cut by jieba at build time
(so answering a query never loads jieba), and `exact` holding identifiers (`response_flag=UH`,
`analyzer_code=IST0173`) that must match whole. Queries are built from terms, never by the query parser:
pasted logs are full of `:`, brackets, quotes and `NOT`.
"""

from __future__ import annotations

import importlib
import math
import re
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import scoring
from whoosh.analysis import STOP_WORDS as STOP_WORDS_WHOOSH
from whoosh.analysis import LowercaseFilter, SpaceSeparatedTokenizer, StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.util.numeric import byte_to_length, length_to_byte

from kb.documents import Document
from kb.glossary import ZH_TO_EN
from kb.vocabulary import ABBREVIATIONS

# Bumped whenever the fields or their analysis change, so cached indexes are rebuilt.
SCHEMA_VERSION = "4"

# whoosh's stop words plus the function words people type around a symptom ("how should I ...").
STOP_WORDS = frozenset(STOP_WORDS_WHOOSH) | {
    "about", "after", "again", "all", "also", "am", "any", "been", "before", "but", "could", "did", "do",
    "does", "doing", "done", "each", "get", "got", "had", "has", "he", "her", "here", "him", "his", "how",
    "i", "into", "its", "just", "me", "more", "most", "my", "no", "now", "only", "other", "our", "out",
    "over", "she", "should", "so", "some", "such", "than", "then", "there", "these", "they", "those",
    "through", "too", "under", "until", "up", "very", "was", "were", "what", "where", "which", "while",
    "who", "why", "would", "their", "them",
}  # fmt: skip
_ENGLISH = StemmingAnalyzer(stoplist=STOP_WORDS)
# What whoosh's RegexTokenizer would split on, run once over the query text; each distinct token is
# then analysed on its own, which keeps a 1 MB log linear and cheap.
_WORD = re.compile(r"\w+(?:\.?\w+)*")
# Words with digits in them are mostly request ids, timestamps, pod hashes and versions: rare, so BM25
# would love them, and meaningless for the next paste. Only HTTP status codes are kept; ports and other
# identifiers reach the index through the `exact` field.
_NOISE = re.compile(r"(?=.*[0-9])(?![1-5][0-9][0-9]$).+")
# Words of dates and of the headers every HTTP response carries (`date: Thu, 14 Jun 2018 08:45:48 GMT`,
# `content-length: 57`, `content-type: text/plain; charset=utf-8`): as rare in runbooks as request ids and
# as meaningless, so a curl paste would spend its query terms on them.
BOILERPLATE = frozenset(
    {
        "mon", "tue", "wed", "thu", "fri", "sat", "sun",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "gmt", "utc", "cst", "pst", "date", "content", "length", "charset", "utf",
    }
)  # fmt: skip
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# The ranked query uses this many English terms: the rarest in the library, which are both the most
# telling and the cheapest to look up (a common term has a long posting list).
ENGLISH_TERMS = 10
ZH_TERMS = 12
MAX_ZH_WORD = 8
# Term frequencies remembered between queries before the memory is cleared.
MAX_REMEMBERED = 200_000
# Hits that report which query terms they contain (the confidence rule looks at the best two).
TERMS_FOR = 3
# `symptoms` holds the runbook's own phrasings of what a user sees, apart from the long body (summary, cause,
# impact, examples): a typed question is worded like a symptom, and in a field of its own a hit is not diluted
# by the length of a runbook with many examples, which BM25's length normalisation would punish.
FIELD_BOOSTS = {"title": 2.0, "body": 1.0, "symptoms": 2.0, "zh": 1.5, "exact": 2.0}
# Fields BM25F scores; a hit in `exact` (a KEYWORD field) counts its posting weight as it is.
SCORED_FIELDS = ("title", "body", "symptoms", "zh")
ENGLISH_FIELDS = ("title", "body", "symptoms")


@dataclass(frozen=True)
class Query:
    """What a paste is searched with: (field, term) pairs, and the words as pasted behind English stems."""

    pairs: list[tuple[str, str]]
    written: dict[str, str]

    def shown(self, terms: Iterable[str]) -> tuple[str, ...]:
        """`terms` as the asker wrote them (`service`, not the stem `servic`), without repeats."""
        return tuple(dict.fromkeys(self.written.get(term, term) for term in terms))


@dataclass(frozen=True)
class Hit:
    """A runbook the query found, its BM25F score and the query terms its document contains."""

    id: str
    score: float
    terms: tuple[str, ...]


def _indexing_analyzer() -> StemmingAnalyzer:
    # The same analysis as _ENGLISH, with stems remembered without bound: only documents go through it (queries
    # use _ENGLISH), so the memory is bounded by the library's vocabulary, even where an in-memory index lives
    # as long as the process; the bounded cache's bookkeeping cost a tenth of the build.
    return StemmingAnalyzer(stoplist=STOP_WORDS, cachesize=-1)


def _schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        # No phrase queries are ever made, so positions are not stored: smaller index, faster build.
        title=TEXT(analyzer=_indexing_analyzer(), field_boost=FIELD_BOOSTS["title"], phrase=False),
        body=TEXT(analyzer=_indexing_analyzer(), phrase=False),
        symptoms=TEXT(analyzer=_indexing_analyzer(), field_boost=FIELD_BOOSTS["symptoms"], phrase=False),
        zh=TEXT(analyzer=SpaceSeparatedTokenizer() | LowercaseFilter(), field_boost=FIELD_BOOSTS["zh"], phrase=False),
        exact=KEYWORD(field_boost=FIELD_BOOSTS["exact"]),
    )


def english_stems(words: Iterable[str]) -> dict[str, str]:
    """Each word as the index's English analysis stems it; stop words and too-short words are left out."""
    stems = {}
    for word in words:
        for token in _ENGLISH(word):
            stems[word] = token.text
    return stems


def _text(term: str | bytes) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def load_chinese_dictionary() -> None:
    """Load jieba's dictionary now: worker processes forked afterwards share it instead of each loading it."""
    _jieba().initialize()


def _jieba() -> ModuleType:
    """jieba, imported the first time in a thread of its own, its log quiet.

    Importing jieba imports pkg_resources, which leaves tracebacks of the exceptions it caught in reference
    cycles. A traceback keeps its frames and each frame its caller, so the locals of whatever imported jieba
    first (a whole library being loaded) would outlive their function until the cyclic collector found them:
    a 1,000-runbook site build kept 400,000 objects that way. A new thread's stack has no such callers.
    """
    if "jieba" not in sys.modules:
        importer = threading.Thread(target=importlib.import_module, args=("jieba",), name="kb-import-jieba")
        importer.start()
        importer.join()
    jieba = importlib.import_module("jieba")
    jieba.setLogLevel(60)
    return jieba


def cut_chinese(text: str) -> str:
    """The Chinese runs of `text` cut into words (jieba's search mode), joined by spaces.

    Other text is dropped: queries look up only Chinese words in this field (English words are matched in
    `title` and `body`), and leaving it out halves the time jieba takes.
    """
    runs = _CJK.findall(text)
    if not runs:
        return ""
    jieba = _jieba()  # on first use: only index builds with Chinese text pay its ~0.8 s dictionary load
    return " ".join(word for run in runs for word in jieba.cut_for_search(run) if word.strip())


def searchable_chinese(text: str) -> str:
    """`text` with each Chinese run cut into words (jieba), each word followed by its shorter endings.

    For a search engine that matches query words as prefixes of indexed words but cuts queries with another
    segmenter (a browser's ICU cuts 熔断 into 熔 + 断 where jieba keeps 熔断): every finer cut of a word is then a
    prefix of the word or of one of its endings. Other text is kept as it is.
    """
    if not _CJK.search(text):
        return text
    return _CJK.sub(lambda run: _words_and_endings(run[0]), text)


@lru_cache(maxsize=65536)
def _words_and_endings(run: str) -> str:
    # Remembered: a site repeats each runbook's Chinese title and summary on every page that lists it.
    words = [word for word in _jieba().cut(run) if word.strip()]
    return " " + " ".join(" ".join(word[start:] for start in range(len(word))) for word in words) + " "


# From this many documents the writer uses two processes and keeps their segments unmerged: a 10,000-runbook
# library indexes in about a third of the time, and searching a few segments costs little.
PARALLEL_INDEX_FROM = 2000


def write_index(directory: Path, documents: Sequence[Document]) -> None:
    """Write a new index of `documents` into the empty directory `directory`."""
    _fill(whoosh_index.create_in(str(directory), _schema()), documents, on_disk=True)


def _fill(ix: whoosh_index.Index, documents: Sequence[Document], on_disk: bool = False) -> None:
    # A bigger in-memory pool means fewer temporary segments to merge on large libraries. The worker
    # processes write segment files, so they need a directory (RamStorage cannot be shared).
    if on_disk and len(documents) >= PARALLEL_INDEX_FROM:
        writer = ix.writer(limitmb=512, procs=2, multisegment=True)
    else:
        writer = ix.writer(limitmb=256)
    for doc in documents:
        writer.add_document(id=doc.id, **{field: _field_value(doc, field) for field in FIELD_BOOSTS})
    writer.commit()


# One document's terms in one field, as the index writer analyses them: (term, weight) pairs and the length.
FieldTerms = tuple[tuple[tuple[str, float], ...], int]


def document_terms(doc: Document) -> dict[str, FieldTerms]:
    """What an index would hold of `doc`, by field: its terms with their posting weights (the field boost is
    in them) and the field's length, as `indexed_terms` (whoosh's own analysis) gives them, faster.

    whoosh analyses every word through its filter chain; a runbook repeats its words, so here each distinct
    word is analysed once (by whoosh's analyzer, remembered per process) and its count carried over. The
    tokenizers are whoosh's patterns; tests hold this equal to `indexed_terms`.
    """
    found: dict[str, FieldTerms] = {}
    for name, boost in FIELD_BOOSTS.items():
        text = _field_value(doc, name)
        if name in ENGLISH_FIELDS:
            words = Counter(match.group() for match in _INDEX_WORD.finditer(text))
            counts: Counter[str] = Counter()
            for word, count in words.items():
                term = _indexed_word(word)
                if term is not None:
                    counts[term] += count
        elif name == "zh":
            counts = Counter(word.lower() for word in _SPACED.findall(text))
        else:  # `exact`: whole identifiers, as written, never counted in a length (a KEYWORD field)
            counts = Counter(_SPACED.findall(text))
        terms = tuple((term, count * boost) for term, count in counts.items())
        found[name] = (terms, sum(counts.values()) if name != "exact" else 0)
    return found


# What the index's English analyzer (whoosh's RegexTokenizer; it keeps `*`) and whoosh's SpaceSeparatedTokenizer
# take as a token.
_INDEX_WORD: re.Pattern[str] = _indexing_analyzer().items[0].expression
_SPACED = re.compile(r"[^ \t\r\n]+")


@cache
def _indexed_word(word: str) -> str | None:
    """The index's term for one word of English text (lower-cased, stemmed), or None for a stop word."""
    tokens = [token.text for token in _indexing_analyzer()(word)]
    return tokens[0] if len(tokens) == 1 else None


def indexed_terms(doc: Document) -> dict[str, FieldTerms]:
    """`document_terms` the slow way, through whoosh's fields exactly as the index writer analyses them."""
    schema = _analysis_schema()
    found: dict[str, FieldTerms] = {}
    for name in FIELD_BOOSTS:
        field = schema[name]
        terms, length = [], 0
        for term, frequency, weight, _ in field.index(_field_value(doc, name)):
            terms.append((_text(term), float(weight)))
            length += frequency if field.scorable else 0
        found[name] = (tuple(terms), length)
    return found


@lru_cache(maxsize=1)
def _analysis_schema() -> Schema:
    """One schema per process for `indexed_terms`, so its analyzers' stem memory serves every document."""
    return _schema()


def term_statistics(documents: Sequence[tuple[str, dict[str, FieldTerms]]]) -> dict[str, Any]:
    """`SearchIndex.term_statistics()` of an index of the documents given as (id, `document_terms`), computed
    without writing one (the site's export needs the numbers, not the index)."""
    fields: dict[str, Any] = {}
    for name in FIELD_BOOSTS:
        postings: dict[str, dict[str, float]] = {}
        lengths: dict[str, int] = {}
        total = 0
        for doc_id, terms in documents:
            field_terms, length = terms[name]
            for term, weight in field_terms:
                postings.setdefault(term, {})[doc_id] = weight
            total += length
            # The index keeps a document's field length in one byte (whoosh's lossy encoding); so do these.
            lengths[doc_id] = byte_to_length(length_to_byte(length)) if length else 0
        average = float(total) / max(len(documents), 1)
        fields[name] = {"postings": dict(sorted(postings.items())), "lengths": lengths, "average": average or 1.0}
    return {"documents": len(documents), "fields": fields}


def _field_value(doc: Document, field: str) -> str:
    return " ".join(doc.exact) if field == "exact" else str(getattr(doc, field))


class _PrivateRamStorage(RamStorage):  # type: ignore[misc]
    """RamStorage whose writer spills to a fresh private directory.

    whoosh's own spills to `<tmp>/MAIN.tmp`, one path for every process on the machine: two in-memory builds
    at once (`kb eval` beside an API worker, two test runs) delete each other's files mid-build.
    """

    def temp_storage(self, name: str | None = None) -> FileStorage:
        return FileStorage(tempfile.mkdtemp(prefix="kb-index-")).create()


class SearchIndex:
    """An open whoosh index with one searcher kept for its lifetime (it is safe to share between threads)."""

    def __init__(self, ix: whoosh_index.Index) -> None:
        self._ix = ix
        self._searcher = ix.searcher(weighting=scoring.BM25F())
        self._reader = self._searcher.reader()
        self._zh_words: frozenset[str] | None = None
        # whoosh looks a term up in pure Python (~30 µs); a query asks for hundreds, and the same words
        # come back paste after paste. The index never changes while open, so the answers can be kept.
        self._frequencies: dict[tuple[str, str], int] = {}

    @classmethod
    def open(cls, directory: Path) -> SearchIndex:
        return cls(whoosh_index.open_dir(str(directory)))

    @classmethod
    def in_memory(cls, documents: Sequence[Document]) -> SearchIndex:
        ix = _PrivateRamStorage().create_index(_schema())
        _fill(ix, documents)
        return cls(ix)

    def __len__(self) -> int:
        return int(self._reader.doc_count())

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    def terms_for(self, text: str, exact: Iterable[str] = ()) -> list[tuple[str, str]]:
        """The (field, term) pairs a query for `text` uses: rarest English words, Chinese words, identifiers."""
        return self.query_for(text, exact).pairs

    def query_for(self, text: str, exact: Iterable[str] = ()) -> Query:
        """The query's (field, term) pairs, and each English stem as it was written in `text`."""
        pairs = [("exact", token) for token in dict.fromkeys(exact) if self._frequency("exact", token)]
        english = self._english_terms(text)
        pairs += [(field, term) for term in english for field in ENGLISH_FIELDS if self._frequency(field, term)]
        pairs += [("zh", term) for term in self._chinese_terms(text)]
        return Query(pairs, english)

    def search(self, pairs: Sequence[tuple[str, str]], limit: int) -> list[Hit]:
        """BM25F over an OR of the given terms, best first; the best few also say which terms they hold."""
        if not pairs:
            return []
        query = wq.Or([wq.Term(field, term) for field, term in pairs])
        # The array matcher scores every candidate exactly and is faster than the default union tree here,
        # but it does not track matched terms, so those are looked up afterwards for the top hits only.
        query.matcher_type = wq.Or.ARRAY_MATCHER
        results = list(self._searcher.search(query, limit=limit))
        held = self._held_terms([result.docnum for result in results[:TERMS_FOR]], pairs)
        return [Hit(result["id"], float(result.score), held.get(result.docnum, ())) for result in results]

    def _held_terms(self, docnums: Sequence[int], pairs: Sequence[tuple[str, str]]) -> dict[int, tuple[str, ...]]:
        """The query terms each of `docnums` holds, reading each term's postings once for all of them."""
        held: dict[int, set[str]] = {docnum: set() for docnum in docnums}
        for field, term in dict.fromkeys(pairs):
            if not self._frequency(field, term):
                continue
            postings = self._reader.postings(field, term)
            for docnum in sorted(docnums):
                if not postings.is_active():
                    break
                postings.skip_to(docnum)
                if postings.is_active() and postings.id() == docnum:
                    held[docnum].add(term)
        return {docnum: tuple(sorted(terms)) for docnum, terms in held.items()}

    def plain_search(self, text: str, limit: int, field: str = "body") -> list[Hit]:
        """The naive peer: every distinct word of `text` OR-ed over one field, no term selection."""
        terms = {token.text for token in _ENGLISH(text)}
        return self.search([(field, term) for term in sorted(terms)], limit)

    def term_statistics(self) -> dict[str, Any]:
        """What BM25F needs to score any query offline: per field and term the posting weights by runbook id
        (field boosts included), each document's field lengths, and the averages (the site's paste box)."""
        reader = self._reader
        ids = {docnum: fields["id"] for docnum, fields in reader.iter_docs()}
        fields: dict[str, Any] = {}
        for field in FIELD_BOOSTS:
            postings: dict[str, dict[str, float]] = {}
            for term in sorted(_text(term) for term in reader.lexicon(field)):
                matcher = reader.postings(field, term)
                weights = {}
                while matcher.is_active():
                    weights[ids[matcher.id()]] = float(matcher.weight())
                    matcher.next()
                postings[term] = weights
            lengths = {ids[docnum]: int(reader.doc_field_length(docnum, field, 0)) for docnum in sorted(ids)}
            average = float(reader.field_length(field)) / max(reader.doc_count_all(), 1)
            fields[field] = {"postings": postings, "lengths": lengths, "average": average or 1.0}
        return {"documents": int(reader.doc_count_all()), "fields": fields}

    def _frequency(self, field: str, term: str) -> int:
        key = (field, term)
        found = self._frequencies.get(key)
        if found is None:
            if len(self._frequencies) > MAX_REMEMBERED:
                self._frequencies.clear()
            found = self._frequencies[key] = int(self._reader.doc_frequency(field, term))
        return found

    def _english_terms(self, text: str) -> dict[str, str]:
        """The rarest stems of `text`'s words, each with the word it came from as written (most frequent form)."""
        written = Counter(_WORD.findall(text))
        counts: Counter[str] = Counter()
        forms: dict[str, str] = {}
        for word, count in written.most_common():
            counts[word.lower()] += count
            forms.setdefault(word.lower(), word)
        if _CJK.search(text):
            # A Chinese question also searches the English text with the words the runbooks use (kb.glossary).
            for zh, en in ZH_TO_EN.items():
                if zh in text:
                    for word in en.split():
                        counts[word] += 1
                        forms.setdefault(word, zh)
        for short in [word for word in counts if word in ABBREVIATIONS]:
            for word in ABBREVIATIONS[short].split():
                counts[word] += counts[short]
                forms.setdefault(word, forms[short])
        stems: dict[str, int] = {}
        shown: dict[str, str] = {}
        for word, count in counts.most_common():
            if word in BOILERPLATE or _NOISE.match(word):
                continue
            for token in _ENGLISH(word):
                stems[token.text] = stems.get(token.text, 0) + count
                shown.setdefault(token.text, forms[word])
        total = max(len(self), 1)
        scored = []
        for stem in stems:
            frequency = sum(self._frequency(field, stem) for field in ENGLISH_FIELDS)
            if frequency:
                scored.append((math.log(1 + total / frequency), stem))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return {stem: shown[stem] for _, stem in scored[:ENGLISH_TERMS]}

    def _chinese_terms(self, text: str) -> list[str]:
        runs = _CJK.findall(text)
        if not runs:
            return []
        words = self._zh_lexicon()
        # Every indexed word inside the query's Chinese runs, the way jieba's search mode would emit them.
        found = Counter(
            run[start:end]
            for run in runs
            for start in range(len(run))
            for end in range(start + 1, min(len(run), start + MAX_ZH_WORD) + 1)
            if run[start:end] in words
        )
        # Single characters are mostly particles; of the words, the longest (most specific) come first.
        words_found = [word for word in found if len(word) > 1]
        ranked = sorted(words_found, key=lambda word: (-len(word), self._frequency("zh", word), word))
        return ranked[:ZH_TERMS]

    def _zh_lexicon(self) -> frozenset[str]:
        if self._zh_words is None:
            self._zh_words = frozenset(term.decode("utf-8") if isinstance(term, bytes) else term
                                       for term in self._reader.lexicon("zh"))  # fmt: skip
        return self._zh_words

"""The facade: ``QABot`` builds or loads an index and answers questions over it.

Thread-safety: ``retrieve``, ``ask`` and ``chat`` may be called from many threads at once.
``reload`` swaps the whole index in one assignment, so every answer comes entirely from the old
or entirely from the new index.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from qa_bot.answering.answer import AnswerSettings, compose_answer, read_hits
from qa_bot.answering.article_facts import fact_answer, fact_question
from qa_bot.answering.collection import (
    CollectionQuestion,
    collection_answer,
    collection_question,
)
from qa_bot.answering.comparison import compare_answers, comparison_queries
from qa_bot.answering.compound import combine_answers, compound_parts
from qa_bot.answering.question_type import compared, topic_request
from qa_bot.answering.reading import ReaderSettings
from qa_bot.answering.retrieval import RetrievalSettings, Retriever
from qa_bot.answering.small_talk import small_talk_reply
from qa_bot.answering.spelling import Speller
from qa_bot.errors import QuestionError
from qa_bot.index.build import BuildReport, build_index
from qa_bot.index.embedding import Embedder, load_embedders, load_query_embedder
from qa_bot.index.ray_build import RaySettings
from qa_bot.index.settings import IndexSettings
from qa_bot.index.store import (
    Article,
    DocumentInfo,
    IndexStore,
    check_model,
    current_version,
    load_index,
    read_manifest,
)
from qa_bot.models import Answer, Hit, Passage, Turn
from qa_bot.reader.model import Reader

if TYPE_CHECKING:
    import numpy as np

    from qa_bot.answering.answer import Candidate
    from qa_bot.llm.generation import OpenAIGenerator

DEFAULT_INDEX_DIR = "embeddings"
MAX_QUESTION_CHARS = 1000
MAX_HISTORY_TURNS = 6
# Only an earlier answer's first sentence is read for whom it names (followup.py).
_MAX_ANSWER_CHARS = 2000


@dataclass(frozen=True)
class _State:
    store: IndexStore
    retriever: Retriever

    @cached_property
    def speller(self) -> Speller:
        # Built on the first question, not on load: it reads every passage's words once.
        return Speller(
            [p.text for p in self.store.passages] + [p.title for p in self.store.passages]
        )


_SURROGATES = re.compile("[\ud800-\udfff]")


def check_question(question: str, *, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """The question stripped; ``QuestionError`` when it is empty or too long.

    Lone surrogates (what Python makes of undecodable bytes from a non-UTF-8 terminal) are
    repaired where they spell a legacy encoding ("caf\udce9" -> "café") and replaced otherwise:
    the tokenizer and a UTF-8 stdout both reject them.
    """
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    if _SURROGATES.search(question):
        # surrogateescape only maps \udc80-\udcff back to bytes; other surrogates are junk.
        raw = re.sub("[\ud800-\udc7f\udd00-\udfff]", "\ufffd", question).encode(
            "utf-8", "surrogateescape"
        )
        try:
            question = raw.decode("utf-8")
        except UnicodeDecodeError:
            # Too short for charset detection; cp1252 is what such terminals most often send.
            question = raw.decode("cp1252", "replace")
        question = _SURROGATES.sub("\ufffd", question)
    stripped = question.strip()
    if not stripped:
        raise QuestionError("the question is empty")
    if len(stripped) > max_chars:
        raise QuestionError(
            f"the question is {len(stripped)} characters long; the limit is {max_chars}"
        )
    return stripped


def _check_k(k: int) -> int:
    if not isinstance(k, int) or k <= 0:
        raise QuestionError(f"k must be greater than 0. Currently, k is {k}")
    return k


class QABot:
    """Question answering over an indexed corpus of articles.

    Use ``QABot.from_corpus(corpus_dir)`` to build (or reuse) an index, or ``QABot.load(index_dir)``
    to open one. ``retrieve`` returns ranked passages, ``ask`` an extractive, cited ``Answer``,
    and ``chat`` the same for a question that may lean on earlier turns.
    """

    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        *,
        index_dir: str | Path | None = None,
        retrieval: RetrievalSettings | None = None,
        answering: AnswerSettings | None = None,
        max_question_chars: int = MAX_QUESTION_CHARS,
        generator: OpenAIGenerator | None = None,
        reader: Reader | None = None,
        reader_settings: ReaderSettings | None = None,
    ) -> None:
        self.embedder = embedder
        # The reader model (qa_bot/reader/) reads the top passages' sentences with the question:
        # it orders the answer's sentences, reranks passages and can abstain. The shipped model
        # by default (loaded on the first question); set ``bot.reader = None`` to answer from
        # the bi-encoder alone.
        self.reader: Reader | None = reader if reader is not None else Reader()
        self.reader_settings = reader_settings or ReaderSettings()
        # Optional LLM: answers are generated from the passages, then claim-checked; without
        # one (the default) answers are extractive.
        self.generator = generator
        self.index_dir = Path(index_dir) if index_dir is not None else store.path.parent
        self.retrieval_settings = retrieval or RetrievalSettings()
        self.answer_settings = answering or AnswerSettings()
        self.max_question_chars = max_question_chars
        # Misspelt question words are corrected to the articles' words (spelling.py); the
        # answer's ``query`` shows what was searched. Set to False to search questions as typed.
        self.correct_spelling = True
        self.build_report: BuildReport | None = None
        self._state = _State(store, Retriever(store, embedder, self.retrieval_settings))

    # ------------------------------------------------------------ construction

    @classmethod
    def from_corpus(
        cls,
        corpus_dir: str | Path,
        index_dir: str | Path = DEFAULT_INDEX_DIR,
        *,
        model: str | None = None,
        embedder: Embedder | None = None,
        settings: IndexSettings | None = None,
        force: bool = False,
        replace_corpus: bool = False,
        show_progress: bool = False,
        retrieval: RetrievalSettings | None = None,
        answering: AnswerSettings | None = None,
        generator: OpenAIGenerator | None = None,
        reader: Reader | None = None,
        reader_settings: ReaderSettings | None = None,
        ray: RaySettings | None = None,
    ) -> QABot:
        """Build the index of ``corpus_dir`` (reused when unchanged) and open it.

        ``model`` names the embedders as ``load_embedders`` does: the bundled model (the default)
        builds with sentence-transformers, loaded only when something must be embedded, and
        answers on ONNX Runtime (``load_query_embedder``). An ``embedder`` given does both.
        An index built from another folder is an error (``CorpusMismatchError``) unless
        ``replace_corpus`` (see ``build_index``). With ``ray``, the build's reading, chunking
        and embedding run on that Ray cluster (``RaySettings(address="auto")``, ...); the index
        is the same.
        """
        builder, embedder = (embedder, embedder) if embedder is not None else load_embedders(model)
        report = build_index(
            corpus_dir,
            index_dir,
            builder,
            settings=settings,
            force=force,
            replace_corpus=replace_corpus,
            show_progress=show_progress,
            ray=ray,
        )
        if report.store is not None:  # reused: verified by the build, only the model to check
            check_model(report.store.path, report.store.manifest, embedder)
            bot = cls(
                report.store, embedder, index_dir=index_dir, retrieval=retrieval,
                answering=answering, generator=generator, reader=reader,
                reader_settings=reader_settings,
            )  # fmt: skip
        else:
            bot = cls.load(
                index_dir, embedder=embedder, retrieval=retrieval, answering=answering,
                generator=generator, reader=reader, reader_settings=reader_settings,
            )  # fmt: skip
        bot.build_report = report
        return bot

    @classmethod
    def load(
        cls,
        index_dir: str | Path = DEFAULT_INDEX_DIR,
        *,
        model: str | None = None,
        embedder: Embedder | None = None,
        retrieval: RetrievalSettings | None = None,
        answering: AnswerSettings | None = None,
        generator: OpenAIGenerator | None = None,
        reader: Reader | None = None,
        reader_settings: ReaderSettings | None = None,
    ) -> QABot:
        """Open a built index. The embedding model is the one the index records, unless given
        (``model`` as a name for ``load_query_embedder``: the bundled model runs on ONNX
        Runtime, without torch; ``"torch"`` runs it on sentence-transformers).

        Raises:
            IndexNotFoundError, IndexCorruptError, IndexVersionError, ModelMismatchError,
            ModelLoadError.
        """
        if embedder is None:
            if model is None:
                model = read_manifest(index_dir)["model"]["id"]
            embedder = load_query_embedder(model)
        store = load_index(index_dir, embedder)
        return cls(
            store, embedder, index_dir=index_dir, retrieval=retrieval, answering=answering,
            generator=generator, reader=reader, reader_settings=reader_settings,
        )  # fmt: skip

    def reload(self) -> bool:
        """Switch to the index's live version if it changed since loading. True if it did."""
        version = current_version(self.index_dir)
        if version is None or version == self._state.store.path:
            return False
        store = load_index(self.index_dir, self.embedder)
        self._state = _State(store, Retriever(store, self.embedder, self.retrieval_settings))
        return True

    # ------------------------------------------------------------ reading

    @property
    def passages(self) -> tuple[Passage, ...]:
        """Every indexed passage, in corpus order."""
        return self._state.store.passages

    @property
    def documents(self) -> dict[str, DocumentInfo]:
        """What the index keeps of each document (title, source, metadata) by ``doc_id``."""
        return self._state.store.documents

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    def article(self, doc_id: str) -> Article | None:
        """The whole cleaned article ``doc_id`` as the index holds it (for the chat's "read the
        article" view); ``None`` for an unknown id."""
        return self._state.store.article(doc_id)

    def retrieve(self, question: str, k: int = 5) -> list[Hit]:
        """The ``k`` passages that best match ``question``, best first."""
        query = self._spelled(check_question(question, max_chars=self.max_question_chars))
        k = _check_k(k)
        state = self._state
        vector = state.retriever.embed(query)
        hits, _ = self._search(state, query, vector, k)
        return hits

    def _search(
        self, state: _State, query: str, vector: np.ndarray, k: int
    ) -> tuple[list[Hit], list[Candidate] | None]:
        """The ``k`` best hits, reranked by the reader when there is one, and its candidates."""
        if self.reader is None:
            return state.retriever.search_vector(query, vector, k), None
        pool = max(k, self.reader_settings.passages)
        hits = state.retriever.search_vector(query, vector, pool, keyword_best=True)
        hits, read = read_hits(
            query, vector, hits, state.retriever, self.reader, self.answer_settings,
            self.reader_settings,
        )  # fmt: skip
        return hits[:k], read

    def ask(self, question: str, k: int = 5) -> Answer:
        """An answer with ``[n]`` citations, or an abstention when evidence is weak.

        Extractive by default; with a ``generator``, generated and claim-checked (falling back to
        the extractive answer when the LLM fails or its reply is not supported).
        """
        return self._final(self.stream(question, k=k))

    def chat(self, question: str, history: Sequence[str | Turn] = (), k: int = 5) -> Answer:
        """Like ``ask``, for a follow-up; ``history`` holds earlier turns, oldest first: plain
        questions, or ``Turn(question, answered)`` so that a turn that found nothing does not
        lend its subject to a topic switch.

        A short or pronoun-led follow-up is searched together with the subject of earlier turns;
        ``answer.query`` says what was actually searched.
        """
        return self._final(self.stream(question, history, k=k))

    def stream(
        self, question: str, history: Sequence[str | Turn] = (), k: int = 5
    ) -> Iterator[str | Answer]:
        """Text chunks of a generated reply as they arrive (none without a generator), then
        the final ``Answer`` — always last, and the one to show."""
        question = check_question(question, max_chars=self.max_question_chars)
        k = _check_k(k)
        reply = small_talk_reply(question, len(self._state.store.documents))
        if reply is not None:
            # "Hello", "Thanks!", "What can you do?": a reply of its own, nothing searched.
            yield Answer(
                question=question, text=reply, citations=(), hits=(), abstained=False,
                confidence=1.0, timings={"total": 0.0}, query=question,
            )  # fmt: skip
            return
        query = question
        seen: tuple[str, ...] = ()
        if history:
            from qa_bot.answering.followup import contextualize, wants_new_quotes

            # Only recent turns can carry a subject, and each is bounded like a question.
            recent = [
                Turn(t[: self.max_question_chars])
                if isinstance(t, str)
                else replace(
                    t,
                    question=t.question[: self.max_question_chars],
                    answer=t.answer[:_MAX_ANSWER_CHARS],
                )
                for t in list(history)[-MAX_HISTORY_TURNS:]
                # "ok", "thanks": small talk lends no subject to the question after it.
                if small_talk_reply(t if isinstance(t, str) else t.question, 0) is None
            ]
            query = contextualize(question, recent)[: 2 * self.max_question_chars]
            if wants_new_quotes(question):
                # "Tell me more": not again what the earlier answers quoted.
                seen = tuple(t.answer for t in recent if t.answer)
        query = self._spelled(query)
        extractive = self._with_copies(self._answer(question, query, k, seen))
        if self.generator is None:
            yield extractive
            return
        from qa_bot.llm.generation import stream_answer

        for item in stream_answer(
            query, list(extractive.hits), generator=self.generator, embedder=self.embedder,
            fallback=extractive,
        ):  # fmt: skip
            yield self._with_copies(item) if isinstance(item, Answer) else item

    def _with_copies(self, answer: Answer) -> Answer:
        """The answer with, on each citation, who else ran the story (collapsed duplicates)."""
        documents = self._state.store.documents
        citations = tuple(
            replace(c, also_published=info.also_published)
            if (info := documents.get(c.doc_id)) is not None and info.copies
            else c
            for c in answer.citations
        )
        return replace(answer, citations=citations) if citations != answer.citations else answer

    def _spelled(self, query: str) -> str:
        return self._state.speller.correct(query) if self.correct_spelling else query

    @staticmethod
    def _final(items: Iterator[str | Answer]) -> Answer:
        answer = None
        for item in items:
            if isinstance(item, Answer):
                answer = item
        assert answer is not None  # stream() always ends with an Answer
        return answer

    def _answer(self, question: str, query: str, k: int, seen: Sequence[str] = ()) -> Answer:
        # A topic request is what the user typed ("Tell me more about his finances" is a
        # question about the earlier subject, though its rewriting names him).
        topic = topic_request(query) if topic_request(question) is not None else None
        if topic is not None:
            # "What do the articles say about China?": the sentences that mention China.
            return self._extract(question, topic, k, topic=topic, seen=seen)
        pair = compared(query)
        if pair is not None:
            # "How do Markov and Suslov differ on Ukraine?": each one's words, side by side.
            answers = [
                (person, self._extract(question, asked, k, topic=subject))
                for person, asked, subject in comparison_queries(*pair)
            ]
            return compare_answers(question, query, answers)
        parts = compound_parts(query)
        if parts is not None:
            # "Where is Ignatov based, and who does he work for?": each part answered on its own.
            answers = [(asked, self._answer(asked, searched, k, seen)) for asked, searched in parts]
            return combine_answers(question, query, answers)
        listing = collection_question(query)
        if listing is not None and listing.kind != "who":
            # "What articles do you have?", "What has Mark Galeotti written?": the collection's
            # own list (answering/collection.py), when it names an author or outlet it knows.
            t0 = time.perf_counter()
            listed = self._listed(question, listing, query)
            if listed is not None:
                return replace(listed, timings={"total": time.perf_counter() - t0})
        asked = fact_question(query)
        if asked is not None:
            # A question about an article (who wrote it, when, where, a summary): find the
            # article by its topic, then answer from its own facts (answering/article_facts.py).
            about = self._extract(question, asked.topic, k)
            store = self._state.store
            return fact_answer(question, asked, about, store.documents, store.first_passage)
        answer = self._extract(question, query, k, seen=seen)
        if listing is not None and answer.abstained:
            # "Who is Mark Galeotti?" that the text does not answer: what the collection knows
            # of him, that he wrote one of the articles.
            known = self._listed(question, listing, query)
            return replace(known, timings=answer.timings) if known is not None else answer
        return answer

    def _listed(self, question: str, listing: CollectionQuestion, query: str) -> Answer | None:
        store = self._state.store
        return collection_answer(
            question, listing, store.documents, store.document_passages, query=query
        )

    def _extract(
        self,
        question: str,
        query: str,
        k: int,
        topic: str | None = None,
        seen: Sequence[str] = (),
    ) -> Answer:
        state = self._state  # one snapshot for the whole answer
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        vector = state.retriever.embed(query)
        t1 = time.perf_counter()
        hits, read = self._search(state, query, vector, k)
        t2 = time.perf_counter()
        answer = compose_answer(
            question, vector, hits, state.retriever, self.answer_settings, query=query,
            read=read, reader_settings=self.reader_settings, topic=topic, seen=seen,
        )  # fmt: skip
        t3 = time.perf_counter()
        timings.update(embed=t1 - t0, retrieve=t2 - t1, answer=t3 - t2, total=t3 - t0)
        return replace(answer, timings=timings)

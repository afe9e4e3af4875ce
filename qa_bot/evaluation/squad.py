"""SQuAD 2.0 JSON as a question set: the contexts become the corpus, the answers the evidence.

SQuAD's format (``{"data": [{"title", "paragraphs": [{"context", "qas": [...]}]}]}``) is the
one most QA annotation tools write. Read as a question set:

- each article becomes one corpus file (its title, then its paragraphs, blank-line separated);
- an answerable question's evidence is the sentence holding its answer (so "answer evidence
  rate" reads as "the right sentence was quoted"), its ``answers`` are the gold answer texts
  ("the answer contains the gold answer");
- an unanswerable question (``is_impossible``) is an abstention test;
- every question is grouped by its article, for the per-article breakdown.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from qa_bot.evaluation.question_set import Question, QuestionSetError
from qa_bot.index.checksums import sha256_file
from qa_bot.reader.pairs import load_squad

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class SquadSet:
    """Questions and the articles they are asked about (title -> text)."""

    questions: tuple[Question, ...]
    articles: dict[str, str]


def is_squad(path: str | Path) -> bool:
    """Whether ``path`` looks like SQuAD JSON (a ``.json`` file with a ``data`` list)."""
    if Path(path).suffix.lower() != ".json":
        return False
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and isinstance(data.get("data"), list)


def load_squad_set(path: str | Path) -> SquadSet:
    """Read SQuAD 2.0 (or 1.1) JSON as questions plus articles.

    Raises:
        QuestionSetError: the file cannot be read or is not SQuAD JSON.
    """
    try:
        paragraphs = load_squad(path)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise QuestionSetError(f"{path}: not a readable SQuAD JSON file: {exc}") from exc
    articles: dict[str, list[str]] = {}
    questions: list[Question] = []
    seen: set[str] = set()
    for para in paragraphs:
        articles.setdefault(para.article, []).append(para.context.strip())
        for q in para.questions:
            if q.qid in seen or not q.question:
                continue
            seen.add(q.qid)
            gold = para.answer_sentence(q)
            if q.impossible or gold is None:
                if not q.impossible:
                    continue  # an answer outside every sentence: not a fair test
                questions.append(Question(q.qid, q.question, (), False, group=para.article))
            else:
                questions.append(
                    Question(
                        q.qid,
                        q.question,
                        (para.sentence(gold),),
                        True,
                        answers=tuple(dict.fromkeys(a for a in q.answers if a.strip())),
                        group=para.article,
                    )
                )
    if not questions:
        raise QuestionSetError(f"{path}: no questions in file")
    texts = {title: f"{title}\n\n" + "\n\n".join(parts) for title, parts in articles.items()}
    return SquadSet(tuple(questions), texts)


def squad_dirs(path: str | Path) -> tuple[Path, Path]:
    """Where a SQuAD file's index and corpus go by default: a folder per file content under
    ``$QA_BOT_CACHE/squad`` or ``~/.cache/qa_bot/squad``."""
    base = os.environ.get("QA_BOT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "qa_bot"
    )
    digest = sha256_file(Path(path))[:16]
    folder = Path(base) / "squad" / digest
    return folder / "index", folder / "corpus"


def write_corpus(squad: SquadSet, folder: str | Path) -> Path:
    """Write one ``.txt`` file per article into ``folder`` (created; same files are kept)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for title, text in squad.articles.items():
        name = f"{_UNSAFE.sub('_', title).strip('_') or 'article'}.txt"
        wanted.add(name)
        path = out / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for stale in out.glob("*.txt"):
        if stale.name not in wanted:
            stale.unlink()
    return out

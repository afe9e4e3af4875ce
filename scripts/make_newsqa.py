"""Compile the writers' folders into the news question sets of tests/data/newsqa/.

Each writer's folder holds ``<ID>.txt`` (an article) and ``<ID>.json`` (its questions; the
format is the writers' brief, tests/data/newsqa/WRITER_BRIEF.md) and, once checked, ``CHECK.md``.
Usage: ``python scripts/make_newsqa.py SOURCE [--test-writers w7,w8]``.

Articles are split by article: the test writers' folders (written last, after the method's
development started) are the test split; of the others, per writer, the four articles with the
smallest SHA-1 of their id are dev and the rest train. Each split gets ``articles/`` (the
corpus) and ``questions.jsonl`` (qa-bot eval's format, with ``group``: answerable, lookalike,
offtopic or followup, and ``kind``/``article`` kept for analysis). A conversation's later turns
become follow-up questions with the earlier turns' questions as ``history``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "newsqa"
DEV_PER_WRITER = 4


def _lines(article: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i, q in enumerate(data["answerable"], start=1):
        rows.append({
            "id": f"{article}-a{i}", "question": q["question"], "evidence": q["evidence"],
            "answerable": True, "answers": [q["answer"]] if q.get("answer") else [],
            "group": "answerable", "kind": "answerable", "article": article,
        })  # fmt: skip
    for i, q in enumerate(data["lookalike"], start=1):
        rows.append({
            "id": f"{article}-l{i}", "question": q["question"], "evidence": [],
            "answerable": False, "group": "lookalike", "kind": q.get("kind", ""),
            "article": article,
        })  # fmt: skip
    for i, q in enumerate(data["offtopic"], start=1):
        rows.append({
            "id": f"{article}-o{i}", "question": q, "evidence": [], "answerable": False,
            "group": "offtopic", "kind": "offtopic", "article": article,
        })  # fmt: skip
    for c, conv in enumerate(data["conversations"], start=1):
        turns = conv["turns"]
        for t in range(1, len(turns)):
            turn = turns[t]
            answerable = bool(turn["answerable"])
            rows.append({
                "id": f"{article}-c{c}t{t + 1}", "question": turn["question"],
                "evidence": turn["evidence"] if answerable else [], "answerable": answerable,
                "answers": [turn["answer"]] if answerable and turn.get("answer") else [],
                "history": [x["question"] for x in turns[:t]], "group": "followup",
                "kind": conv.get("kind", ""), "article": article,
            })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("--test-writers", default="")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--writers", default="", help="only these folders (comma-separated)")
    args = parser.parse_args()
    out: Path = args.out
    only = {w for w in args.writers.split(",") if w}
    test_writers = {w for w in args.test_writers.split(",") if w}
    splits: dict[str, list[tuple[str, Path]]] = {"train": [], "dev": [], "test": []}
    for folder in sorted(p for p in args.source.iterdir() if p.is_dir()):
        if only and folder.name not in only:
            continue
        ids = sorted(p.stem for p in folder.glob("*.txt"))
        if folder.name in test_writers:
            splits["test"] += [(i, folder) for i in ids]
            continue
        dev = set(sorted(ids, key=lambda i: hashlib.sha1(i.encode()).hexdigest())[:DEV_PER_WRITER])
        for i in ids:
            splits["dev" if i in dev else "train"].append((i, folder))
    for split, items in splits.items():
        if not items:
            continue
        target = out / split
        if target.exists():
            shutil.rmtree(target)
        (target / "articles").mkdir(parents=True)
        rows: list[dict[str, Any]] = []
        for article, folder in items:
            text = (folder / f"{article}.txt").read_text(encoding="utf-8")
            data = json.loads((folder / f"{article}.json").read_text(encoding="utf-8"))
            new = _lines(article, data)
            for row in new:
                for e in row["evidence"]:
                    if e not in text:
                        raise SystemExit(f"{article}: evidence not in the article: {e!r}")
            (target / "articles" / f"{article}.txt").write_text(text, encoding="utf-8")
            rows += new
        with (target / "questions.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(split, len(items), "articles", len(rows), "questions")
    checks = out / "checks"
    checks.mkdir(exist_ok=True)
    for folder in sorted(p for p in args.source.iterdir() if p.is_dir()):
        if (folder / "CHECK.md").is_file():
            shutil.copy(folder / "CHECK.md", checks / f"{folder.name}.md")


if __name__ == "__main__":
    main()

"""A thousand articles (issue 14): the seed articles hidden among generated ones.

``python -m benchmarks.bench --archive 1000`` (or ``python -m benchmarks.bench_archive 1000``)
writes ``benchmarks.news_archive.generate_archive(N)`` plus the five seed articles into a
temporary folder and measures:

- the build: ``qa-bot index FOLDER --index-dir IDX`` in a new process, wall time and peak RSS
  (the process and its children, from ``RUSAGE_CHILDREN`` of a small launcher); its counts,
  the near-duplicate groups found against the ones planted, and junk lines left in passages;
- a no-change rebuild: ``build_index`` on the same folder (in this process, the embedder
  loaded; median of 3) and ``qa-bot index --index-dir IDX`` in a new process;
- questions: ``ask`` p50/p95 over ``tests/data/questions.jsonl`` (every question, ``rounds``
  rounds) on the archive index and on the five-article index, interleaved; a cold
  ``qa-bot ask`` on the archive;
- quality: ``qa_bot.evaluation.metrics.evaluate`` (what ``qa-bot eval`` runs, k=10, the reader
  on) on the four committed question sets, on the five-article index and on the archive, with
  every question whose hit@1, answer evidence or abstention changed and the article whose
  passage came first instead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_cold import _qa_bot_command, run_process
from benchmarks.bench_scale import _median, _ms, _timed
from benchmarks.news_archive import JUNK_LINES, RUSSIA_SHARE, generate_archive, leaks

ROOT = Path(__file__).resolve().parent.parent
QUESTION_SETS = ("questions", "questions_heldout", "followups", "lookalikes")
GATED = ("hit@1", "answer_evidence_rate")  # may not drop by more than MAX_DROP
MAX_DROP = 0.03
REPORTED = (
    "hit@1", "hit@5", "mrr@10", "answer_evidence_rate", "abstention_accuracy",
    "false_abstention_rate", "citation_validity",
)  # fmt: skip


def _dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def _junk_passages(passages: Any) -> int:
    markers = (*JUNK_LINES, "Read more:")
    return sum(any(m in p.text for m in markers) for p in passages)


def _changes(
    name: str,
    questions: list[Any],
    before: Any,
    after: Any,
    archive_bot: Any,
    seed_ids: set[str],
) -> list[dict[str, Any]]:
    """Every question whose hit@1, answer evidence or abstention differs, and what came first."""
    out = []
    for old, new in zip(before.results, after.results, strict=True):
        fields = ("hit_at_1", "answer_has_evidence", "abstained")
        if all(getattr(old, f) == getattr(new, f) for f in fields):
            continue
        question = old.question
        history = next((q.history for q in questions if q.id == old.id), ())
        hits = (
            archive_bot.chat(question, history, k=1).hits
            if history
            else archive_bot.retrieve(question, k=1)
        )
        top = hits[0].passage if hits else None
        out.append({
            "set": name, "id": old.id, "question": question,
            **{f"{f}_before": getattr(old, f) for f in fields},
            **{f"{f}_after": getattr(new, f) for f in fields},
            "first_rank_before": old.first_hit_rank, "first_rank_after": new.first_hit_rank,
            "top_doc": top.doc_id if top else None,
            "top_is_seed": bool(top and top.doc_id in seed_ids),
            "top_title": top.title if top else None,
            "answer_after": new.answer_text[:300],
        })  # fmt: skip
    return out


def _load(name: str) -> list[Any]:
    from qa_bot.evaluation.question_set import load_questions

    return load_questions(ROOT / "tests" / "data" / f"{name}.jsonl")


def _evidence() -> list[str]:
    return [e for name in QUESTION_SETS for q in _load(name) for e in q.evidence]


def bench_archive(
    corpus: Path,
    embedder: Any,
    articles: int,
    *,
    rounds: int = 2,
    seed: int = 14,
    on_topic: float = RUSSIA_SHARE,
) -> dict[str, Any]:
    """Metrics (flat, ``archive_*``) and the question-level changes (``archive_changes``).

    ``on_topic``: the share of generated articles on the seed articles' subjects and names.
    """
    from qa_bot.bot import QABot
    from qa_bot.evaluation.metrics import evaluate
    from qa_bot.index.build import build_index
    from qa_bot.index.store import load_index

    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    metrics: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="qa_bot_bench_archive_") as tmp:
        work = Path(tmp)
        folder, index_dir, five_dir = work / "archive", work / "index", work / "index-five"
        seconds, info = _timed(
            generate_archive, folder, articles, seed=seed, seed_corpus=corpus, russia_share=on_topic
        )
        leaked = leaks(folder, info.generated, _evidence())
        metrics.update({
            "archive_articles": float(articles), "archive_on_topic": on_topic,
            "archive_generate_s": seconds,
            "archive_words_median": float(statistics.median(info.words)),
            "archive_words_min": float(min(info.words)),
            "archive_words_max": float(max(info.words)),
            "archive_evidence_leaks": float(len(leaked)),
            "archive_planted_duplicates": float(len(info.duplicates)),
        })  # fmt: skip
        if leaked:
            raise RuntimeError(f"generated articles hold evidence strings: {leaked[:5]}")
        print(f"archive: {articles} articles generated; building…", file=sys.stderr)
        qa_bot = _qa_bot_command()
        build_s, build_rss = run_process(
            [*qa_bot, "index", str(folder), "--index-dir", str(index_dir), "-q"], env
        )
        store = load_index(index_dir)
        seed_ids = set(info.seeds.values())
        planted = {tuple(sorted(pair)) for pair in info.duplicates}
        report_noop = build_index(folder, index_dir, embedder)
        groups = report_noop.duplicates
        found = {tuple(sorted((kept, *copies))) for kept, copies in groups}
        seed_passages = sum(p.doc_id in seed_ids for p in store.passages)
        metrics.update({
            "archive_build_s": build_s,
            "archive_build_peak_rss_mb": build_rss,
            "archive_documents": float(report_noop.documents),
            "archive_passages": float(len(store.passages)),
            "archive_sentences": float(report_noop.sentences),
            "archive_index_mb": _dir_mb(index_dir),
            "archive_duplicate_groups": float(len(groups)),
            "archive_planted_groups_found": float(len(planted & found)),
            "archive_unplanted_groups": float(len(found - planted)),
            "archive_skipped_files": float(len(report_noop.skipped)),
            "archive_junk_passages": float(_junk_passages(store.passages)),
            "archive_seed_passages": float(seed_passages),
        })  # fmt: skip
        noop = [_timed(build_index, folder, index_dir, embedder)[0] for _ in range(3)]
        metrics["archive_noop_rebuild_s"] = _median(noop)
        metrics["archive_noop_cli_s"], _ = run_process(
            [*qa_bot, "index", "--index-dir", str(index_dir), "-q"], env
        )
        five = build_index(corpus, five_dir, embedder, force=True)
        metrics["archive_five_passages"] = float(five.passages)
        bots = {"five": QABot.load(five_dir), "archive": QABot.load(index_dir)}
        questions = [q.question for q in _load("questions")]
        for question in questions[:3]:  # warm-up
            for bot in bots.values():
                bot.ask(question)
        samples: dict[str, list[float]] = {"five": [], "archive": []}
        for turn in range(rounds * len(questions)):
            question = questions[turn % len(questions)]
            order = ["five", "archive"][:: 1 if turn % 2 else -1]
            for name in order:
                samples[name].append(_timed(bots[name].ask, question)[0])
        for name, values in samples.items():
            metrics[f"archive_{name}_ask_p50_ms"] = _ms(values, 50)
            metrics[f"archive_{name}_ask_p95_ms"] = _ms(values, 95)
        metrics["archive_ask_samples"] = float(len(samples["archive"]))
        question = questions[0]
        run_process([*qa_bot, "ask", question, "--index-dir", str(index_dir), "-q"], env)  # warm
        cold = [
            run_process([*qa_bot, "ask", question, "--index-dir", str(index_dir), "-q"], env)
            for _ in range(3)
        ]
        metrics["archive_cold_ask_s"] = _median([c[0] for c in cold])
        metrics["archive_cold_ask_peak_rss_mb"] = max(c[1] for c in cold)
        changes: list[dict[str, Any]] = []
        worst = 0.0
        for name in QUESTION_SETS:
            question_set = _load(name)
            before = evaluate(bots["five"], question_set, k=10)
            after = evaluate(bots["archive"], question_set, k=10)
            for metric in REPORTED:
                if metric in before.totals:
                    old, new = before.totals[metric], after.totals[metric]
                    metrics[f"archive_{name}_{metric}_five"] = old
                    metrics[f"archive_{name}_{metric}"] = new
                    if metric in GATED:
                        worst = max(worst, old - new)
            changes += _changes(name, question_set, before, after, bots["archive"], seed_ids)
        metrics["archive_worst_drop"] = worst
        metrics["archive_quality_ok"] = float(worst <= MAX_DROP)
        metrics["archive_changes"] = changes
    return metrics


def format_archive(metrics: dict[str, Any]) -> str:
    """The quality table (five articles against the archive) and the changed questions."""
    lines = ["| set | metric | 5 articles | archive | change |", "|---|---|---|---|---|"]
    for name in QUESTION_SETS:
        for metric in REPORTED:
            key = f"archive_{name}_{metric}"
            if key in metrics:
                old, new = metrics[f"{key}_five"], metrics[key]
                lines.append(f"| {name} | {metric} | {old:.3f} | {new:.3f} | {new - old:+.3f} |")
    lines += ["", "| set | id | hit@1 | evidence | abstained | first article now | question |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for c in metrics.get("archive_changes", []):

        def pair(field: str, c: dict[str, Any] = c) -> str:
            return f"{int(c[field + '_before'])}→{int(c[field + '_after'])}"

        top = "seed" if c["top_is_seed"] else f"distractor “{c['top_title']}”"
        lines.append(f"| {c['set']} | {c['id']} | {pair('hit_at_1')} | "
                     f"{pair('answer_has_evidence')} | {pair('abstained')} | {top} | "
                     f"{c['question']} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the archive benchmark alone: ``python -m benchmarks.bench_archive [N] [--json OUT]``."""
    from qa_bot.index.embedding import load_embedder

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_archive")
    parser.add_argument("articles", nargs="?", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of questions.jsonl asked")
    parser.add_argument("--json", dest="json_out", help="write the metrics as JSON here")
    parser.add_argument("--corpus", default=str(ROOT / "corpus"), help="the seed articles")
    parser.add_argument(
        "--on-topic",
        type=float,
        default=RUSSIA_SHARE,
        help="share of generated articles on the seed articles' subjects (default %(default)s)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    embedder = load_embedder(None)
    started = time.perf_counter()
    metrics = bench_archive(
        Path(args.corpus), embedder, args.articles, rounds=args.rounds, on_topic=args.on_topic
    )
    metrics["archive_total_s"] = time.perf_counter() - started
    print(format_archive(metrics))
    flat = {k: v for k, v in metrics.items() if k != "archive_changes"}
    print("\n".join(f"| {k} | {v:.4g} |" for k, v in flat.items()))
    text = json.dumps(metrics, indent=1, ensure_ascii=False, default=float)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

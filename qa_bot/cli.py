"""The ``qa-bot`` command line: index, ask, chat, eval.

Only ``click`` is imported at start-up; the engine (numpy, FAISS, torch) is imported inside the
commands that need it, so ``qa-bot --help`` and argument errors stay instant. Every error a user
can cause becomes one line on stderr and exit code 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from qa_bot.bot import QABot
    from qa_bot.models import Answer

DEFAULT_CORPUS = "corpus"
DEFAULT_INDEX = "embeddings"
RAY_LOCAL = "local"  # `--ray` without an address (Ray's own name for a new local instance)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into one-line click errors (exit code 1)."""
    from qa_bot.errors import QABotError

    try:
        yield
    except QABotError as exc:
        raise click.ClickException(
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        ) from None
    except OSError as exc:
        raise click.ClickException(f"{exc.strerror or exc}: {exc.filename or ''}".strip()) from None


def _index_dir_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--index-dir",
        default=DEFAULT_INDEX,
        show_default=True,
        type=click.Path(file_okay=False),
        help="Folder of the index.",
    )(func)


def _corpus_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--force",
        is_flag=True,
        help="With --corpus: rebuild the index from that folder even though it was built from "
        "another one.",
    )(func)
    return click.option(
        "--corpus",
        "corpus_dir",
        default=None,
        type=click.Path(),
        help="The index's corpus folder: the index is built or updated from it first. Default: "
        "the folder the index was built from (updated from it when it changed). Another folder "
        "than that one is an error unless --force.",
    )(func)


def _model_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--model",
        default=None,
        help="Embedding model (path or sentence-transformers name); default: the bundled "
        "all-MiniLM-L6-v2, or the model the index was built with.",
    )(func)


def _llm_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--llm-model", default=None, help="Model name to request from the LLM server."
    )(func)
    return click.option(
        "--llm-url",
        default=None,
        help="An OpenAI-compatible server (llama.cpp, Ollama, vLLM, ...) to generate fluent, "
        "claim-checked answers; the API key, if any, is read from OPENAI_API_KEY.",
    )(func)


def _generator(llm_url: str | None, llm_model: str | None) -> Any:
    if not llm_url:
        if llm_model:
            raise click.ClickException("--llm-model needs --llm-url")
        return None
    from qa_bot.llm.generation import OpenAIGenerator

    try:
        return OpenAIGenerator(llm_url, llm_model or "default")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qa_bot")
def cli() -> None:
    """qa_bot: ask questions about a folder of news articles, get cited answers."""


@cli.command()
@click.argument("corpus_dir", required=False, default=None, type=click.Path())
@_index_dir_option
@_model_option
@click.option(
    "--force",
    is_flag=True,
    help="Rebuild even if the index is up to date, or was built from another folder.",
)
@click.option(
    "--ann",
    type=click.Choice(["flat", "hnsw"]),
    default="flat",
    show_default=True,
    help="Vector index: exact (flat) or approximate (hnsw).",
)
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value=RAY_LOCAL,
    default=None,
    metavar="[ADDRESS]",
    help="Read, chunk and embed on a Ray cluster (needs qa_bot[ray]): ADDRESS is HOST:PORT or "
    "ray://HOST:PORT of its head, or 'auto' for the cluster this machine belongs to; without "
    "ADDRESS a local Ray instance is started for the build. Put it after CORPUS_DIR.",
)
@click.option(
    "--ray-workers",
    type=click.IntRange(min=1),
    default=None,
    help="With --ray: embedding actors (default: one per CPU of the cluster).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def index(
    corpus_dir: str | None,
    index_dir: str,
    model: str | None,
    force: bool,
    ann: str,
    ray_address: str | None,
    ray_workers: int | None,
    quiet: bool,
) -> None:
    """Build (or update) the index of CORPUS_DIR.

    CORPUS_DIR defaults to the folder the index was built from, or ./corpus for a new index.
    An index belongs to its folder: building it from another one needs --force.
    """
    if ray_workers is not None and ray_address is None:
        raise click.ClickException("--ray-workers needs --ray")
    with _user_errors():
        from qa_bot.index.build import build_index
        from qa_bot.index.embedding import load_embedder
        from qa_bot.index.ray_build import RaySettings
        from qa_bot.index.settings import IndexSettings

        if corpus_dir is None:
            corpus_dir = _default_corpus(index_dir)
        ray = None
        if ray_address is not None:
            address = None if ray_address == RAY_LOCAL else ray_address
            ray = RaySettings(address=address, workers=ray_workers)
        report = build_index(
            corpus_dir,
            index_dir,
            load_embedder(model),
            settings=IndexSettings(ann=ann),
            force=force,
            show_progress=not quiet,
            ray=ray,
        )
    for skipped in report.skipped:
        click.echo(f"skipped {skipped.path}: {skipped.reason}", err=True)
    for kept, copies in report.duplicates:
        click.echo(f"one story: indexed {kept}; collapsed {', '.join(copies)}")
    click.echo(
        f"{report.status} index in {report.index_dir}: {report.documents} documents, "
        f"{report.passages} passages, {report.sentences} sentences "
        f"({report.embedded_passages} passages and {report.embedded_sentences} sentences, "
        f"sentence windows and headlines embedded) in {report.seconds:.1f}s"
    )


def _default_corpus(index_dir: str) -> str:
    """The folder ``qa-bot index`` builds when none is named: the index's own, else ./corpus."""
    from qa_bot.errors import IndexNotFoundError, QABotError
    from qa_bot.index.store import read_manifest, recorded_corpus

    try:
        manifest = read_manifest(index_dir)
    except IndexNotFoundError:
        return DEFAULT_CORPUS
    except QABotError as exc:
        raise click.ClickException(
            f"{exc}; name its corpus folder to rebuild it: qa-bot index CORPUS_DIR --index-dir "
            f"{index_dir}"
        ) from None
    folder = recorded_corpus(manifest)
    if folder is None:
        raise click.ClickException(
            f"the index in {index_dir} does not record its corpus folder (built by an older "
            f"qa_bot); name it once: qa-bot index CORPUS_DIR --index-dir {index_dir}"
        )
    return str(folder)


def _open_bot(
    index_dir: str,
    corpus_dir: str | None,
    *,
    force: bool,
    model: str | None,
    generator: Any = None,
    retrieval: Any = None,
    show_progress: bool = False,
) -> QABot:
    """The bot over the index in ``index_dir``; what happened to the index goes to stderr.

    With ``corpus_dir``, the index is built or updated from that folder (another folder than
    the one the index was built from is an error unless ``force``). Without it, the index is
    served as built; when the folder it was built from still exists and changed, the index is
    updated from that folder first. No other folder is ever read.
    """
    from qa_bot.bot import QABot
    from qa_bot.errors import QABotError
    from qa_bot.index.build import check_corpus_folder, update_from_recorded_corpus
    from qa_bot.index.store import read_manifest, recorded_corpus

    if corpus_dir is not None:
        if not force:
            check_corpus_folder(index_dir, corpus_dir)  # before loading any model
        if model is None:
            try:  # keep the model the index was built with
                model = str(read_manifest(index_dir)["model"]["id"])
            except (QABotError, KeyError, TypeError):
                model = None
        bot = QABot.from_corpus(
            corpus_dir, index_dir, model=model, replace_corpus=force, generator=generator,
            retrieval=retrieval, show_progress=show_progress,
        )  # fmt: skip
        report = bot.build_report
        if report is not None and report.status != "reused":
            click.echo(
                f"{report.status} index in {index_dir} from {corpus_dir}: {report.documents} "
                f"documents, {report.passages} passages",
                err=True,
            )
        return bot
    bot = QABot.load(index_dir, model=model, generator=generator, retrieval=retrieval)
    folder = recorded_corpus(read_manifest(index_dir))
    report = update_from_recorded_corpus(index_dir, bot.embedder, show_progress=show_progress)
    if folder is not None and report is None:
        click.echo(
            f"note: {folder}, the corpus folder of the index, no longer exists; serving the "
            "index as built",
            err=True,
        )
    elif report is not None and report.status != "reused":
        bot.reload()
        click.echo(
            f"{folder} changed since the index was built: updated the index in {index_dir} "
            f"({report.documents} documents, {report.passages} passages)",
            err=True,
        )
    bot.build_report = report
    return bot


def format_answer(answer: Answer, documents: dict[str, Any]) -> str:
    """The answer and its numbered sources as terminal text."""
    lines = [answer.text, ""]
    if answer.rewritten_query:
        lines.insert(0, f"(searched: {answer.rewritten_query})")
    if answer.abstained:
        lines.append("Nearest passages:")
        for hit in answer.hits[:3]:
            lines.append(f"- {hit.passage.title} (score {hit.score:.2f})")
            lines.append(
                f"    {hit.passage.text[:200]}{'…' if len(hit.passage.text) > 200 else ''}"
            )
        return "\n".join(lines)
    lines.append("Sources:")
    seen: set[int] = set()
    for citation in answer.citations:
        if citation.number not in seen:
            seen.add(citation.number)
            info = documents.get(citation.doc_id)
            meta = info.metadata if info is not None else {}
            facts = " · ".join(meta[k] for k in ("outlet", "author", "date") if meta.get(k))
            source = f"{citation.title} — {facts}" if facts else citation.title
            lines.append(f"[{citation.number}] {source} ({citation.doc_id})")
            if citation.also_published:
                lines.append(f"    also published by {', '.join(citation.also_published)}")
        lines.append(f"    “{citation.quote}”")
    return "\n".join(lines)


@cli.command()
@click.argument("question")
@_index_dir_option
@_model_option
@click.option(
    "--k", default=5, show_default=True, type=click.IntRange(min=1), help="Passages to retrieve."
)
@click.option("--json", "as_json", is_flag=True, help="Print the Answer as JSON.")
@_corpus_options
@_llm_options
def ask(
    question: str, index_dir: str, model: str | None, k: int, as_json: bool,
    corpus_dir: str | None, force: bool, llm_url: str | None, llm_model: str | None,
) -> None:  # fmt: skip
    """Answer QUESTION from the indexed articles, with [n] citations."""
    generator = _generator(llm_url, llm_model)
    with _user_errors():
        from qa_bot.bot import check_question

        check_question(question)  # fail fast, before loading the model
        bot = _open_bot(index_dir, corpus_dir, force=force, model=model, generator=generator)
        answer = bot.ask(question, k=k)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_answer(answer, bot.documents))


@cli.command()
@_corpus_options
@_index_dir_option
@_model_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535))
@_llm_options
def chat(
    corpus_dir: str | None, force: bool, index_dir: str, model: str | None, host: str,
    port: int, llm_url: str | None, llm_model: str | None,
) -> None:  # fmt: skip
    """Serve the browser chat over the index (with --corpus, built or updated from it first)."""
    generator = _generator(llm_url, llm_model)
    with _user_errors():
        bot = _open_bot(
            index_dir, corpus_dir, force=force, model=model, generator=generator,
            show_progress=True,
        )  # fmt: skip
        click.echo(
            f"Serving the index in {index_dir}: {len(bot.documents)} documents, "
            f"{len(bot.passages)} passages.",
            err=True,
        )
        from qa_bot.ui.app import launch

        launch(bot, host=host, port=port)


@cli.command(name="eval")
@click.argument("questions", type=click.Path())
@_corpus_options
@_index_dir_option
@_model_option
@click.option("--k", default=10, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the report as JSON here.")
@click.option(
    "--compare", type=click.Path(dir_okay=False), help="An earlier report (JSON) to compare with."
)
@click.option(
    "--dense-only", is_flag=True, help="Baseline: dense passage retrieval only, no MMR, no reader."
)
@click.option(
    "--no-reader", is_flag=True, help="Baseline: answer from the bi-encoder alone, no reader model."
)
def eval_(
    questions: str,
    corpus_dir: str | None,
    force: bool,
    index_dir: str,
    model: str | None,
    k: int,
    as_json: bool,
    out: str | None,
    compare: str | None,
    dense_only: bool,
    no_reader: bool,
) -> None:
    """Evaluate retrieval and answers on a question set: JSONL, or SQuAD 2.0 JSON.

    A SQuAD file's articles become the corpus (written beside the index, which defaults to a
    folder under ~/.cache/qa_bot/squad/ instead of ./embeddings); the report adds "answer
    contains the gold answer" and a row per article.
    """
    with _user_errors():
        from qa_bot.evaluation import metrics as evaluation
        from qa_bot.evaluation import report as eval_report
        from qa_bot.evaluation.question_set import load_questions
        from qa_bot.evaluation.squad import is_squad, load_squad_set, squad_dirs, write_corpus

        targets = evaluation.TARGETS
        if is_squad(questions):
            squad = load_squad_set(questions)
            question_set = list(squad.questions)
            default_index, squad_corpus = squad_dirs(questions)
            if index_dir == DEFAULT_INDEX:
                index_dir = str(default_index)
            corpus_dir = corpus_dir or str(write_corpus(squad, squad_corpus))
            targets = evaluation.SQUAD_TARGETS
        else:
            question_set = load_questions(questions)
        old = None
        if compare:
            try:
                with open(compare, encoding="utf-8") as handle:
                    old = evaluation.report_from_json(json.load(handle))
            except (ValueError, KeyError, TypeError) as exc:
                raise click.ClickException(
                    f"{compare} is not a qa-bot eval report: {exc}"
                ) from None
        from qa_bot.answering.retrieval import DENSE_ONLY

        retrieval = DENSE_ONLY if dense_only else None
        bot = _open_bot(index_dir, corpus_dir, force=force, model=model, retrieval=retrieval)
        if no_reader or dense_only:
            bot.reader = None
        report = evaluation.evaluate(bot, question_set, k=k)
        report = replace(
            report,
            config={**report.config, "dense_only": dense_only, "reader": not no_reader, "k": k},
        )
        if out:
            with open(out, "w", encoding="utf-8") as handle:
                json.dump(evaluation.report_to_json(report), handle, ensure_ascii=False, indent=1)
    if as_json:
        click.echo(json.dumps(evaluation.report_to_json(report), ensure_ascii=False, indent=1))
    else:
        click.echo(eval_report.format_report(report, targets))
    if old is not None:
        click.echo("")
        click.echo(eval_report.format_comparison(eval_report.compare(old, report)))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: every user error is one line on stderr and exit code 1."""
    try:
        code = cli.main(args=argv, prog_name="qa-bot", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        # Usage errors too (click's default is exit 2 with the usage text above the message).
        click.echo(f"Error: {exc.format_message()}".splitlines()[0], err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()

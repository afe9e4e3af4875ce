"""The ``qa-bot`` command line: index, ask, chat, eval.

Only ``click`` is imported at start-up; the engine (numpy, FAISS, ONNX Runtime) is imported
inside the commands that need it, so ``qa-bot --help`` and argument errors stay instant; torch
only when an index is built (or with ``--model torch``). Every error a user can cause becomes
one line on stderr and exit code 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from qa_bot.bot import QABot
    from qa_bot.models import Answer

DEFAULT_CORPUS = "corpus"
DEFAULT_INDEX = "embeddings"
RAY_LOCAL = "local"  # `--ray` without an address (Ray's own name for a new local instance)


@contextmanager
def _user_errors(index_dir: str | None = None) -> Iterator[None]:
    """Turn the errors a user can cause into one-line click errors (exit code 1), each naming
    the next step."""
    from qa_bot.errors import QABotError

    try:
        yield
    except QABotError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        hint = _next_step(exc, index_dir)
        raise click.ClickException(f"{message}; {hint}" if hint else message) from None
    except OSError as exc:
        where = f"{exc.strerror or exc}: {exc.filename or ''}".strip().rstrip(":")
        raise click.ClickException(f"{where}; check the path and its permissions") from None


def _next_step(exc: Exception, index_dir: str | None) -> str:
    """What to do about an error, for the errors whose message does not say it already."""
    from qa_bot.errors import (
        CorpusError,
        CorpusMismatchError,
        GeneratorError,
        IndexCorruptError,
        IndexVersionError,
        ModelLoadError,
        ModelMismatchError,
        QuestionError,
    )
    from qa_bot.evaluation.metrics import ReportError
    from qa_bot.evaluation.question_set import QuestionSetError

    where = f" --index-dir {index_dir}" if index_dir else ""
    rebuild = f"rebuild it with `qa-bot index CORPUS_DIR{where} --force`"
    message = str(exc)
    if isinstance(exc, CorpusMismatchError):
        return ""
    if isinstance(exc, CorpusError):
        about_folder = message.startswith(("corpus ", "no supported", "no text"))
        if "metadata.json" in message and not about_folder:
            return "fix that file (a JSON object: file name -> title, outlet, author, date, url)"
        return "name a folder that holds the articles as .txt, .md or .html files"
    if isinstance(exc, IndexVersionError | IndexCorruptError | ModelMismatchError):
        if "rebuild" in message:  # the message says it already
            return ""
        if isinstance(exc, ModelMismatchError):
            return f"leave out --model to use the index's own model, or {rebuild}"
        return rebuild
    if isinstance(exc, ModelLoadError):
        return "leave out --model for the bundled model, or name an installed one (or 'onnx')"
    if isinstance(exc, QuestionError):
        if "limit" in message:
            return "shorten it"
        return 'ask again with the question in quotes: qa-bot ask "Who …?"'
    if isinstance(exc, GeneratorError):
        return "check that the server at --llm-url runs, or leave out --llm-url"
    if isinstance(exc, QuestionSetError):
        if "cannot read" in message or "not a readable" in message:
            return "check the path of the question file"
        return (
            'a question set is JSONL (one {"id", "question", "evidence", '
            '"answerable"} a line) or SQuAD 2.0 JSON'
        )
    if isinstance(exc, ReportError):
        return "--compare takes a report written by `qa-bot eval --out FILE`"
    return ""


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
        help="Embedding model; default: the bundled all-MiniLM-L6-v2 (or the model the index "
        "was built with), built with sentence-transformers and answering on ONNX Runtime "
        "without torch. 'torch': the bundled model on sentence-transformers for questions too; "
        "'onnx': on ONNX Runtime for builds too; or a sentence-transformers path or name.",
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
            raise click.ClickException(
                "--llm-model needs --llm-url: add the URL of an OpenAI-compatible server, or "
                "leave out --llm-model"
            )
        return None
    from qa_bot.llm.generation import OpenAIGenerator

    try:
        return OpenAIGenerator(llm_url, llm_model or "default")
    except ValueError as exc:
        raise click.ClickException(
            f"{exc}; pass the server's address, e.g. --llm-url http://127.0.0.1:8080 "
            "(a key goes in OPENAI_API_KEY)"
        ) from None


def _quiet_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--quiet", "-q", is_flag=True, help="Only the result: no progress bars, no notes."
    )(func)


def _progress(quiet: bool) -> bool:
    """Whether to show progress bars: not with --quiet, and only on a terminal."""
    return not quiet and sys.stderr.isatty()


def _note(quiet: bool, text: str) -> None:
    """A note about what happened on the way (stderr; silenced by --quiet)."""
    if not quiet:
        click.echo(text, err=True)


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
    "--vector-store",
    type=click.Choice(["faiss", "milvus"]),
    default=None,
    help="Where the vectors are searched: embedded FAISS files, or Milvus (needs "
    "qa_bot[milvus]; exact search unless --ann hnsw). Recorded in the index: questions use it. "
    "Default: the index's own store (with its --milvus-uri), faiss for a new index.",
)
@click.option(
    "--milvus-uri",
    default=None,
    metavar="URI",
    help="With --vector-store milvus: a Milvus server (http://HOST:19530) or a Milvus Lite "
    "file (PATH.db). Default: a Milvus Lite file inside each index version.",
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
@_quiet_option
def index(
    corpus_dir: str | None,
    index_dir: str,
    model: str | None,
    force: bool,
    ann: str,
    vector_store: str | None,
    milvus_uri: str | None,
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
    if milvus_uri is not None and vector_store == "faiss":
        raise click.ClickException("--milvus-uri needs --vector-store milvus")
    with _user_errors(index_dir):
        from qa_bot.index.build import build_index
        from qa_bot.index.embedding import load_embedder
        from qa_bot.index.ray_build import RaySettings
        from qa_bot.index.settings import IndexSettings

        if corpus_dir is None:
            corpus_dir = _default_corpus(index_dir)
        # An update keeps the index's own model and store (one read of its manifest).
        recorded = _readable_manifest(index_dir) if None in (model, vector_store) else None
        if model is None:
            model = _recorded_model(recorded)
        if vector_store is None:  # keep the index's store; a URI alone means Milvus
            vector_store, recorded_uri = _recorded_store(recorded)
            vector_store = "milvus" if milvus_uri is not None else vector_store
            if vector_store == "milvus" and milvus_uri is None:
                milvus_uri = recorded_uri
        ray = None
        if ray_address is not None:
            address = None if ray_address == RAY_LOCAL else ray_address
            ray = RaySettings(address=address, workers=ray_workers)
        report = build_index(
            corpus_dir,
            index_dir,
            load_embedder(model),
            settings=IndexSettings(ann=ann, vector_store=vector_store, milvus_uri=milvus_uri),
            force=force,
            show_progress=_progress(quiet),
            ray=ray,
        )
    for skipped in report.skipped:  # a warning, shown even with --quiet
        click.echo(f"skipped {skipped.path}: {skipped.reason}", err=True)
    for kept, copies in report.duplicates:
        click.echo(f"one story: indexed {kept}; collapsed {', '.join(copies)}")
    if report.exported_query_model is not None:
        _note(
            quiet,
            f"exported the embedding model to ONNX for answering: {report.exported_query_model}",
        )
    click.echo(report.summary())


def _readable_manifest(index_dir: str) -> dict[str, Any] | None:
    """The manifest of the index in ``index_dir``; None when there is no readable index."""
    from qa_bot.errors import QABotError
    from qa_bot.index.store import read_manifest

    try:
        return read_manifest(index_dir)
    except QABotError:
        return None


def _recorded_model(manifest: dict[str, Any] | None) -> str | None:
    """The embedding model an existing index was built with (None: no readable index), so an
    update keeps it instead of re-embedding everything with the bundled model."""
    try:
        return str(manifest["model"]["id"]) if manifest is not None else None
    except (KeyError, TypeError):
        return None


def _recorded_store(manifest: dict[str, Any] | None) -> tuple[str, str | None]:
    """The vector store (and Milvus URI) an existing index was built with; FAISS otherwise."""
    settings = manifest.get("settings") if manifest is not None else None
    if not isinstance(settings, dict) or settings.get("vector_store") != "milvus":
        return "faiss", None
    uri = settings.get("milvus_uri")
    return "milvus", uri if isinstance(uri, str) else None


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
    quiet: bool = False,
) -> QABot:
    """The bot over the index in ``index_dir``; what happened to the index goes to stderr
    (unless ``quiet``).

    With ``corpus_dir``, the index is built or updated from that folder (another folder than
    the one the index was built from is an error unless ``force``). Without it, the index is
    served as built; when the folder it was built from still exists and changed, the index is
    updated from that folder first. No other folder is ever read.
    """
    from qa_bot.bot import QABot
    from qa_bot.index.build import check_corpus_folder, update_from_recorded_corpus
    from qa_bot.index.embedding import load_embedders
    from qa_bot.index.store import read_manifest, recorded_corpus
    from qa_bot.ingest.corpus import check_corpus_dir

    show_progress = _progress(quiet)
    if corpus_dir is not None:
        check_corpus_dir(corpus_dir)  # a missing folder is the first thing to say
        if not force:
            check_corpus_folder(index_dir, corpus_dir)  # before loading any model
        if model is None:  # keep the model the index was built with
            model = _recorded_model(_readable_manifest(index_dir))
        bot = QABot.from_corpus(
            corpus_dir, index_dir, model=model, replace_corpus=force, generator=generator,
            retrieval=retrieval, show_progress=show_progress,
        )  # fmt: skip
        report = bot.build_report
        if report is not None and report.exported_query_model is not None:
            _note(
                quiet,
                f"exported the embedding model to ONNX for answering: "
                f"{report.exported_query_model}",
            )
        if report is not None and report.status != "reused":
            _note(quiet, report.summary())
        return bot
    manifest = read_manifest(index_dir)
    # Questions are embedded on ONNX Runtime for the bundled model (no torch); an update from
    # the corpus folder builds with sentence-transformers, loaded only if something changed.
    recorded = manifest["model"].get("id")
    builder, embedder = load_embedders(model or (str(recorded) if recorded else None))
    bot = QABot.load(index_dir, embedder=embedder, generator=generator, retrieval=retrieval)
    folder = recorded_corpus(manifest)
    report = update_from_recorded_corpus(index_dir, builder, show_progress=show_progress)
    if folder is not None and report is None:
        _note(
            quiet,
            f"note: {folder}, the corpus folder of the index, no longer exists; serving the "
            "index as built",
        )
    elif report is not None and report.status != "reused":
        bot.reload()
        summary = report.summary()
        _note(
            quiet, f"{folder} changed since the index was built: {summary[0].lower()}{summary[1:]}"
        )
    bot.build_report = report
    return bot


_EXCERPT_CHARS = 240
_WIDTH = 88


def _facts(documents: dict[str, Any], doc_id: str) -> str:
    """Outlet · author · date of a document, each only when known."""
    info = documents.get(doc_id)
    meta = info.metadata if info is not None else {}
    return " · ".join(meta[k] for k in ("outlet", "author", "date") if meta.get(k))


def _excerpt(text: str, limit: int = _EXCERPT_CHARS) -> str:
    """The start of a passage as one paragraph: whitespace and line breaks folded, cut at a
    word with "…" when longer than ``limit``."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def format_answer(answer: Answer, documents: dict[str, Any]) -> str:
    """The answer and its numbered sources as terminal text."""
    import textwrap

    lines = [answer.text, ""]
    if answer.rewritten_query:
        lines.insert(0, f"(searched: {answer.rewritten_query})")
    if not answer.citations and not answer.hits:
        return answer.text  # small talk, or "None of the articles mentions …": nothing to list
    if answer.abstained:
        lines.append("Nearest passages (not an answer):")
        for number, hit in enumerate(answer.hits[:3], 1):
            facts = _facts(documents, hit.passage.doc_id)
            head = f"{number}. {hit.passage.title}" + (f" — {facts}" if facts else "")
            lines.append(f"{head} (score {hit.score:.2f})")
            lines.extend(
                textwrap.wrap(
                    _excerpt(hit.passage.text), _WIDTH, initial_indent="   ",
                    subsequent_indent="   ", break_on_hyphens=False,
                )
            )  # fmt: skip
        return "\n".join(lines)
    lines.append("Sources:")
    seen: set[int] = set()
    for citation in answer.citations:
        if citation.number not in seen:
            seen.add(citation.number)
            facts = _facts(documents, citation.doc_id)
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
@_quiet_option
def ask(
    question: str, index_dir: str, model: str | None, k: int, as_json: bool,
    corpus_dir: str | None, force: bool, llm_url: str | None, llm_model: str | None,
    quiet: bool,
) -> None:  # fmt: skip
    """Answer QUESTION from the indexed articles, with [n] citations."""
    generator = _generator(llm_url, llm_model)
    with _user_errors(index_dir):
        from qa_bot.bot import check_question

        check_question(question)  # fail fast, before loading the model
        bot = _open_bot(
            index_dir, corpus_dir, force=force, model=model, generator=generator, quiet=quiet
        )
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
@_quiet_option
def chat(
    corpus_dir: str | None, force: bool, index_dir: str, model: str | None, host: str,
    port: int, llm_url: str | None, llm_model: str | None, quiet: bool,
) -> None:  # fmt: skip
    """Serve the browser chat over the index (with --corpus, built or updated from it first)."""
    generator = _generator(llm_url, llm_model)
    with _user_errors(index_dir):
        bot = _open_bot(
            index_dir, corpus_dir, force=force, model=model, generator=generator, quiet=quiet
        )
        from qa_bot.ui.app import launch

        def ready(url: str) -> None:
            click.echo(
                f"Chat ready at {url} over the index in {Path(index_dir).resolve()} "
                f"({len(bot.documents)} articles, {len(bot.passages)} passages). Ctrl+C stops it."
            )

        launch(bot, host=host, port=port, on_ready=ready)


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
@click.option(
    "--fail-under",
    "fail_under",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Exit 1 when METRIC (a name of the report, e.g. hit@1) is below VALUE. Repeatable.",
)
@click.option(
    "--fail-over",
    "fail_over",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Exit 1 when METRIC (e.g. false_abstention_rate) is above VALUE. Repeatable.",
)
@_quiet_option
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
    fail_under: tuple[str, ...],
    fail_over: tuple[str, ...],
    quiet: bool,
) -> None:
    """Evaluate retrieval and answers on a question set: JSONL, or SQuAD 2.0 JSON.

    A SQuAD file's articles become the corpus (written beside the index, which defaults to a
    folder under ~/.cache/qa_bot/squad/ instead of ./embeddings); the report adds "answer
    contains the gold answer" and a row per article.

    The report marks each target (ok / FAIL) for information; the exit code follows only the
    gates given with --fail-under and --fail-over (exit 1 when one is missed, each miss named
    on stderr), so CI states its own floors.
    """
    gates = _gates(fail_under, ">=") | _gates(fail_over, "<=")
    with _user_errors(index_dir):
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
                    f"{compare} is not a qa-bot eval report: {exc}; --compare takes a report "
                    "written by `qa-bot eval --out FILE`"
                ) from None
        from qa_bot.answering.retrieval import DENSE_ONLY

        retrieval = DENSE_ONLY if dense_only else None
        bot = _open_bot(
            index_dir, corpus_dir, force=force, model=model, retrieval=retrieval, quiet=quiet
        )
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
    missed = evaluation.check_targets(report, gates)
    for line in missed:
        click.echo(f"FAIL {line}", err=True)
    if missed:
        sys.exit(1)
    if gates:
        _note(quiet, f"all {len(gates)} quality gates met")


def _gates(specs: tuple[str, ...], op: str) -> dict[str, tuple[str, float]]:
    """``METRIC=VALUE`` options as targets ``{metric: (op, value)}``."""
    option = "--fail-under" if op == ">=" else "--fail-over"
    gates: dict[str, tuple[str, float]] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        try:
            if not (sep and name.strip()):
                raise ValueError(spec)
            gates[name.strip()] = (op, float(value))
        except ValueError:
            raise click.ClickException(
                f"{option} {spec!r} is not METRIC=VALUE; write it like {option} hit@1=0.8"
            ) from None
    from qa_bot.evaluation.metrics import METRICS

    unknown = sorted(set(gates) - set(METRICS))
    if unknown:
        raise click.ClickException(
            f"{option}: no metric named {', '.join(unknown)}; the metrics are {', '.join(METRICS)}"
        )
    return gates


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: every user error is one line on stderr and exit code 1."""
    try:
        code = cli.main(args=argv, prog_name="qa-bot", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        # Usage errors too (click's default is exit 2 with the usage text above the message).
        line = f"Error: {exc.format_message()}".splitlines()[0]
        if isinstance(exc, click.UsageError):
            command = exc.ctx.command_path if exc.ctx is not None else "qa-bot"
            line = f"{line.rstrip('.')}; see `{command} --help`"
        click.echo(line, err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()

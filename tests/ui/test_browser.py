"""End to end: ``qa-bot chat`` in a subprocess, driven in headless Chromium with Playwright.

Needs Debian's Chromium (``apt-get install -y chromium``); skipped when it is missing.
Screenshots and ``timings.json`` go to ``tests/artifacts/``.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_TIMEOUT = 300.0
ANSWER_TIMEOUT_MS = 60_000

sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _record_timing(name: str, seconds: float) -> None:
    print(f"[timing] {name}: {seconds:.2f} s")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "timings.json"
    try:
        timings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        timings = {}
    timings[name] = round(seconds, 3)
    path.write_text(json.dumps(timings, indent=1, sort_keys=True), encoding="utf-8")


class ChatServer:
    """``qa-bot chat`` on a free port; ``started`` is when the process was launched."""

    def __init__(self, corpus: Path, index_dir: Path, log_path: Path) -> None:
        self.corpus = corpus
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_path
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               "GRADIO_ANALYTICS_ENABLED": "False", "TOKENIZERS_PARALLELISM": "false"}  # fmt: skip
        self._log = log_path.open("wb")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qa_bot.cli", "chat", "--corpus", str(corpus),
             "--index-dir", str(index_dir), "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_until_serving(self) -> float:
        """Seconds from process start until the page answers over HTTP."""
        deadline = self.started + START_TIMEOUT
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"qa-bot chat exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - self.started
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.5)
        pytest.fail(f"qa-bot chat did not serve within {START_TIMEOUT:.0f} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]

    def log_once_it_says(self, text: str, timeout: float = 20.0) -> str:
        """The log, once it holds ``text`` (the page can answer a moment before the command
        prints its ready line), or as it is after ``timeout`` seconds."""
        deadline = time.perf_counter() + timeout
        while text not in self.log() and time.perf_counter() < deadline:
            time.sleep(0.2)
        return self.log()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self._log.close()


def _start(tmp: Path, corpus: Path) -> ChatServer:
    return ChatServer(corpus, tmp / "index", tmp / "server.log")


@pytest.fixture(scope="module", autouse=True)
def _fresh_timings() -> None:
    (ARTIFACTS / "timings.json").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def seed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    tmp = tmp_path_factory.mktemp("seed")
    corpus = tmp / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    server = _start(tmp, corpus)
    try:
        yield server
    finally:
        server.stop()


def _open(browser: Any, server: ChatServer) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(server.url, timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_selector("#qa-question textarea", timeout=ANSWER_TIMEOUT_MS)
    return page


def _count(page: Any, selector: str) -> int:
    return int(page.evaluate(f"() => document.querySelectorAll({json.dumps(selector)}).length"))


def _ask(page: Any, question: str, name: str, *, example: bool = False) -> str:
    """Ask (by typing, or by clicking the example), time it, return the chat's last reply."""
    replies = "#qa-chat .qa-answer, #qa-chat .qa-error"
    done = "#qa-chat .qa-time, #qa-chat .qa-error"
    replies_before, done_before = _count(page, replies), _count(page, done)
    if example:
        click = page.locator("#qa-chat").get_by_text(question, exact=True)
    else:
        page.fill("#qa-question textarea", question)
        click = page.locator("#qa-send")
    t0 = time.perf_counter()
    click.click()
    wait = "([sel, n]) => document.querySelectorAll(sel).length > n"
    page.wait_for_function(wait, arg=[replies, replies_before], timeout=ANSWER_TIMEOUT_MS)
    _record_timing(f"send_to_first_answer.{name}", time.perf_counter() - t0)
    page.wait_for_function(wait, arg=[done, done_before], timeout=ANSWER_TIMEOUT_MS)
    _record_timing(f"send_to_full_answer.{name}", time.perf_counter() - t0)
    errors = page.locator("#qa-chat .qa-error")
    assert errors.count() == 0, errors.last.inner_text()
    return str(page.locator("#qa-chat .qa-answer").last.inner_text())


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_chat_answers_cites_follows_up_and_abstains(browser: Any, seed_server: ChatServer) -> None:
    _record_timing("start_to_http", seed_server.wait_until_serving())
    page = _open(browser, seed_server)
    _record_timing("start_to_usable_page", time.perf_counter() - seed_server.started)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "01_first_screen.png"), full_page=True)

    reply = _ask(page, "Why is Moscow wary of Trump?", "moscow", example=True)
    assert "[1]" in reply
    assert _count(page, "#qa-chat a.qa-cite[title]") >= 1
    mark = page.locator("#qa-sources mark").first
    assert mark.is_visible() and len(mark.inner_text()) > 20
    titles = page.locator("#qa-sources .qa-source-head b").all_inner_texts()
    assert any("Trump" in title or "Russia" in title for title in titles), titles
    page.locator("#qa-chat a.qa-cite").first.click()
    assert page.evaluate("location.hash") == "#src-1-1"
    assert page.locator("#src-1-1").is_visible()
    page.screenshot(path=str(ARTIFACTS / "02_answer.png"), full_page=True)

    reply = _ask(page, "What did he do in 2017?", "followup")
    assert "Syria" in reply
    assert "Searched for:" in reply
    page.screenshot(path=str(ARTIFACTS / "03_followup.png"), full_page=True)

    reply = _ask(page, "What is the population of Brazil?", "no_evidence")
    assert "The articles hold no answer" in reply
    assert "[1]" not in reply
    assert "Nearest passages (not an answer)" in page.locator("#qa-sources").inner_text()
    newest = page.locator("#qa-sources .qa-turn-q").first  # on top, even after the jump above
    assert newest.inner_text() == "What is the population of Brazil?"
    assert newest.evaluate("el => el.getBoundingClientRect().top") > 0
    page.screenshot(path=str(ARTIFACTS / "04_no_evidence.png"), full_page=True)
    page.set_viewport_size({"width": 420, "height": 900})  # a phone: sources go under the chat
    page.screenshot(path=str(ARTIFACTS / "06_narrow.png"), full_page=True)
    page.close()


def test_source_cards_article_view_and_why_table(browser: Any, seed_server: ChatServer) -> None:
    """The sources of an answer at desktop width: outlet · author · date on each card, the whole
    article with the quoted sentences marked, the score table without sideways scrolling."""
    seed_server.wait_until_serving()
    log = seed_server.log_once_it_says("Chat ready at ")
    assert "Chat ready at " + seed_server.url in log and "share=True" not in log, log
    page = _open(browser, seed_server)  # 1280 px wide
    _ask(page, "Why is Moscow wary of Trump?", "sources")
    metas = page.locator("#qa-sources .qa-source-meta").all_inner_texts()
    assert metas and any(m in " ".join(metas) for m in ("Mark Galeotti", "TRT World")), metas
    page.screenshot(path=str(ARTIFACTS / "issue15_source_cards.png"))

    card = page.locator("#qa-sources .qa-source").first
    passage = card.locator(".qa-passage").inner_text()
    card.locator(".qa-article summary").click()
    article = card.locator(".qa-article-text")
    article.wait_for(state="visible")
    text = article.inner_text()
    assert len(text) > 2 * len(passage) and passage.strip()[:60] in " ".join(text.split())
    mark = article.locator("mark").first
    page.wait_for_function(
        "el => { const box = el.closest('.qa-article-text').getBoundingClientRect();"
        " const r = el.getBoundingClientRect(); return r.top >= box.top && r.top < box.bottom; }",
        arg=mark.element_handle(),
    )  # opened at the first quoted sentence
    article.evaluate("el => el.scrollIntoView({block: 'end'})")
    page.screenshot(path=str(ARTIFACTS / "issue15_article_view.png"))

    answer = page.locator("#qa-chat .qa-answer").last
    answer.locator(".qa-why summary").click()
    table = answer.locator(".qa-why table")
    table.wait_for(state="visible")
    articles = table.locator("td.title").all_inner_texts()
    assert articles[0].startswith("[1] "), articles
    numbers = [int(a[1 : a.index("]")]) for a in articles if a.startswith("[")]
    assert numbers == list(range(1, len(numbers) + 1)), articles  # cited rows first, in order
    # Nothing scrolls sideways: the table fits its message, the message fits the chat.
    widths = page.evaluate(
        """() => [...document.querySelectorAll('#qa-chat .qa-why table')].map(t => {
             let box = t.parentElement;
             while (box && getComputedStyle(box).overflowX === 'visible') box = box.parentElement;
             return [t.getBoundingClientRect().right, t.parentElement.getBoundingClientRect().right,
                     box ? box.scrollWidth - box.clientWidth : 0];
           })"""
    )
    for table_right, parent_right, overflow in widths:
        assert table_right <= parent_right + 1 and overflow <= 0, widths
    answer.locator(".qa-why").evaluate("el => el.scrollIntoView({block: 'end'})")
    page.screenshot(path=str(ARTIFACTS / "issue15_why_view.png"))

    _ask(page, "What is the population of Brazil?", "nearest")
    nearest = page.locator("#qa-sources .qa-turn").first
    for text in nearest.locator(".qa-nearest .qa-passage").all_inner_texts():
        assert "\n" not in text.strip(), text
    page.screenshot(path=str(ARTIFACTS / "issue15_nearest.png"))
    page.close()


def test_topic_switch_after_no_answer_and_a_question_about_an_article(
    browser: Any, seed_server: ChatServer
) -> None:
    seed_server.wait_until_serving()
    page = _open(browser, seed_server)
    reply = _ask(page, "Who is Olaf Scholz?", "scholz")
    assert "[1]" not in reply
    # The turn that found nothing lends no subject: the misspelt question is searched alone.
    reply = _ask(page, "wat dose putn want from trmp", "topic_switch")
    assert "[1]" in reply and "Scholz" not in reply
    reply = _ask(page, "Who wrote the piece about Putin riding a tiger?", "article_fact")
    assert "was written by Mark Galeotti" in reply and "[1]" in reply
    # "he" is the writer the answer named (the chat sends its answers with the history).
    reply = _ask(page, "Has he written any books?", "answer_pronoun")
    assert "Searched for: Has Mark Galeotti written any books?" in reply
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "issue15_conversation.png"), full_page=True)
    page.close()


def test_answers_that_search_nothing_complete_in_the_page(
    browser: Any, seed_server: ChatServer
) -> None:
    """Small talk, the list of the articles and "Tell me more" finish like any answer (a reply
    without retrieval timings once left the page waiting) and read as they should."""
    seed_server.wait_until_serving()
    page = _open(browser, seed_server)
    reply = _ask(page, "Hello", "small_talk")
    assert reply.startswith("Hello! Ask me about the 5 articles") and "[1]" not in reply
    reply = _ask(page, "What articles do you have?", "collection")
    assert "The index holds 5 articles:" in reply and "[5]" in reply
    assert "Why these passages" not in reply  # nothing was retrieved: no score table
    first = _ask(page, "What does Putin think of Trump?", "before_more")
    more = _ask(page, "Tell me more", "more")
    assert "Searched for: Tell me more" in more and "[1]" in more
    quoted = [q.strip() for q in first.split("[1]")[0].split("Searched for")[0].split(". ")]
    assert quoted[0] and quoted[0] not in more  # not the same answer again
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "collection_and_more.png"), full_page=True)
    page.close()


def test_corpus_files_are_not_served(seed_server: ChatServer) -> None:
    seed_server.wait_until_serving()
    article = next(seed_server.corpus.glob("*.txt"))
    secret = article.read_bytes()[:60]
    for target in (str(article.resolve()), "/etc/passwd"):
        for prefix in ("gradio_api/file=", "file="):
            status, body = _get(seed_server.url + prefix + urllib.parse.quote(target))
            assert status != 200 or (secret not in body and b"root:" not in body), (prefix, target)


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[int, list[str]]]:
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1]), _Recorder.requests
    finally:
        server.shutdown()
        server.server_close()


def test_hostile_article_is_shown_as_text(
    browser: Any, tmp_path: Path, recorder: tuple[int, list[str]]
) -> None:
    port, requests = recorder
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    script = "<script>window.__pwned=1</script>"
    title = "Lantern festival <script>window.__pwned=3</script> in Vardo"
    image = f'<img src=http://127.0.0.1:{port}/x.png onerror="window.__pwned=2">'
    outlet = f"Harbour ![o](http://127.0.0.1:{port}/o.png) Gazette"
    # The corpus cleaner drops Markdown images from article bodies, so the Markdown payloads
    # travel in the front matter and in the question, which reach the page unchanged.
    (corpus / "lanterns.md").write_text(
        f"---\ntitle: {title}\noutlet: {outlet}\n---\n"
        "The lighthouse keepers of Vardo hold a lantern festival every January, when the town "
        "lights lanterns along the harbour for three nights.\n\n"
        f"Visitors to the Vardo lantern festival found a notice on the harbour board that read "
        f"{script} in plain letters, next to a card printed with {image} that nobody could "
        "explain.\n\n"
        "The festival ends with a lantern parade to the old lighthouse.\n",
        encoding="utf-8",
    )
    question = (
        f"What was on the harbour board at the Vardo festival? ![q](http://127.0.0.1:{port}/q.png)"
    )
    server = _start(tmp_path, corpus)
    try:
        server.wait_until_serving()
        page = _open(browser, server)
        _ask(page, question, "hostile")
        page.wait_for_timeout(1500)  # give any smuggled image or script time to fire
        assert page.evaluate("() => window.__pwned") is None
        sources = page.evaluate("() => [...document.images].map(img => img.src)")
        assert not [src for src in sources if src.startswith("http") and server.url not in src]
        assert requests == []
        shown = page.locator("body").inner_text()
        for text in (script, image, title, outlet, question):
            assert text in shown, text
        page.screenshot(path=str(ARTIFACTS / "05_hostile_article.png"), full_page=True)
        page.close()
    finally:
        server.stop()

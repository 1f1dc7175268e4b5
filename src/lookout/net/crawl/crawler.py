"""One crawler for broken links, mixed content and sitemaps.

It walks a site's pages breadth first from a start URL over the checks' HTTP client (so
every hop's address passes the target guard), and answers "what does this URL answer?"
for any URL, fetching each normalised URL at most once per run. Redirects are not
followed by the client: each hop is its own URL with its own answer, which is how a
redirect loop is seen (a chain that comes back to a URL it passed) and how a URL reached
both directly and through a redirect is still fetched once.

Bounded everywhere: pages (the count of pages scheduled, so an endless calendar stops at
exactly `max_pages`), depth, bytes kept per response (the body is streamed and the
download stopped at the bound, so a 50 MB page is never read whole), total time. Polite:
per host at most `concurrency` requests at once, their starts `delay_s` apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lookout.net.crawl.extract import Ref, extract
from lookout.net.crawl.robots import MAX_ROBOTS_BYTES, Robots
from lookout.net.crawl.speed import SPEEDS, Politeness
from lookout.net.crawl.urls import UrlPatterns, normalise, same_site, site_of
from lookout.net.http import ErrorKind, HttpClient, HttpRequest, HttpResponse, TransportError

log = logging.getLogger(__name__)

MAX_HOPS = 10
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Probes fall back from HEAD to GET for these answers: servers that do not implement HEAD.
_HEAD_NOT_SUPPORTED = frozenset({405, 501})
# ... and for failures other than these: a name that does not resolve, a refused target or
# a server that let HEAD time out will not answer a GET either.
_NO_RETRY = frozenset({ErrorKind.DNS.value, ErrorKind.BLOCKED.value, ErrorKind.TIMEOUT.value})


@dataclass(frozen=True, slots=True)
class CrawlConfig:
    start_url: str
    politeness: Politeness = SPEEDS["default"]
    headers: Sequence[tuple[str, str]] = ()
    respect_robots: bool = True
    force_urls: Sequence[str] = ()
    skip: UrlPatterns = field(default_factory=lambda: UrlPatterns(()))
    max_pages: int = 5000
    max_depth: int = 50
    max_page_bytes: int = 2 << 20
    max_seconds: float = 1800.0
    request_timeout_s: float = 10.0
    probe_concurrency: int = 32
    """Requests at once over all hosts while checking URLs that are not pages."""


@dataclass(slots=True)
class Fetched:
    """What one URL answered: a status (and where a redirect points), or an error."""

    url: str
    status: int | None = None
    error: str | None = None
    error_kind: str | None = None
    redirect_to: str | None = None
    content_type: str = ""
    bytes_read: int = 0
    elapsed_ms: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400 and self.error is None


@dataclass(frozen=True, slots=True)
class Page:
    """A crawled page: what it answered and what it refers to (empty unless it is HTML)."""

    url: str
    depth: int
    fetched: Fetched
    refs: list[Ref]


@dataclass(slots=True)
class CrawlStats:
    pages: int = 0
    requests: int = 0
    bytes_read: int = 0
    skipped_by_robots: int = 0
    max_bytes_of_one_response: int = 0
    stopped_by: str | None = None
    """"max_pages" or "time" when a bound cut the crawl short, else None."""


class HostGate:
    """Per host: at most `concurrency` requests in flight, their starts `delay_s` apart."""

    def __init__(self, politeness: Politeness) -> None:
        self._slots = asyncio.Semaphore(politeness.concurrency)
        self._delay = politeness.delay_s
        self._next_start = 0.0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            if self._delay > 0:
                now = asyncio.get_running_loop().time()
                start = max(now, self._next_start)
                self._next_start = start + self._delay
                if start > now:
                    await asyncio.sleep(start - now)
            yield


class Crawler:
    """Build one per run; `crawl` walks the site, `final` answers for any URL."""

    def __init__(
        self,
        client: HttpClient,
        config: CrawlConfig,
        *,
        on_page: Callable[[Page], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        start = normalise(config.start_url)
        if start is None:
            raise ValueError(f"not an http(s) URL: {config.start_url!r}")
        self.start_url = start
        self.site = site_of(start)
        self.config = config
        self.stats = CrawlStats()
        self.results: dict[str, Fetched] = {}
        self._client = client
        self._on_page = on_page
        self._clock = clock
        self._deadline = clock() + config.max_seconds
        self._politeness = config.politeness
        self._gates: dict[str, HostGate] = {}
        self._inflight: dict[str, asyncio.Future[Fetched]] = {}
        self._scheduled: set[str] = set()
        self._pages_scheduled = 0
        self._robots = Robots(None)
        self._queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()

    # -- walking the site -------------------------------------------------------------

    async def crawl(self) -> CrawlStats:
        if self.config.respect_robots:
            await self._load_robots()
        self._schedule(self.start_url, 0, forced=True)
        for url in self.config.force_urls:
            forced = normalise(url, self.start_url)
            if forced is not None:
                self._schedule(forced, 0, forced=True)
        workers = [asyncio.create_task(self._worker()) for _ in range(max(1, self._politeness.concurrency))]
        try:
            await self._queue.join()
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        return self.stats

    def _schedule(self, url: str, depth: int, *, forced: bool = False) -> None:
        if url in self._scheduled or not same_site(url, self.site) or self.config.skip.matches(url):
            return
        if depth > self.config.max_depth:
            return
        if not forced and not self._robots.allows(url):
            self.stats.skipped_by_robots += 1
            self._scheduled.add(url)  # counted once
            return
        if self._pages_scheduled >= self.config.max_pages:
            self.stats.stopped_by = "max_pages"
            return
        self._pages_scheduled += 1
        self._scheduled.add(url)
        self._queue.put_nowait((url, depth))

    async def _worker(self) -> None:
        while True:
            url, depth = await self._queue.get()
            try:
                await self._visit(url, depth)
            except Exception:  # a bug must not stop the crawl; the page is left out
                log.exception("crawling %s failed", url)
            finally:
                self._queue.task_done()

    async def _visit(self, url: str, depth: int) -> None:
        if self._remaining() <= 0:
            self.stats.stopped_by = "time"
            return
        if url in self.results or url in self._inflight:  # already answered as a resource
            return
        body = bytearray()
        fetched = await self._once(url, lambda: self._get_page(url, body))
        self.stats.pages += 1
        if fetched.redirect_to is not None:
            self._schedule(fetched.redirect_to, depth)
        refs: list[Ref] = []
        if body and fetched.status is not None and 200 <= fetched.status < 300:
            refs = extract(bytes(body), url)
            del body[:]
            for ref in refs:
                if ref.kind == "link":
                    self._schedule(ref.url, depth + 1)
        if self._on_page is not None:
            self._on_page(Page(url, depth, fetched, refs))

    async def _get_page(self, url: str, body: bytearray) -> Fetched:
        limit = self.config.max_page_bytes

        def keep(chunk: bytes) -> bool:
            if not body and b"\0" in chunk[:1024]:
                return False  # binary (an image behind a link): its status is all we need
            body.extend(chunk)
            return len(body) < limit

        fetched = await self._request(url, "GET", on_chunk=keep, body_limit=limit)
        fetched.bytes_read = len(body)
        self.stats.bytes_read += len(body)
        self.stats.max_bytes_of_one_response = max(self.stats.max_bytes_of_one_response, len(body))
        if not fetched.content_type.startswith(_HTML_TYPES):
            del body[:]
        return fetched

    async def _load_robots(self) -> None:
        url = urljoin(self.start_url, "/robots.txt")
        chunks = bytearray()

        def keep(chunk: bytes) -> bool:
            chunks.extend(chunk)
            return True

        fetched = await self._once(
            url, lambda: self._request(url, "GET", on_chunk=keep, body_limit=MAX_ROBOTS_BYTES)
        )
        if fetched.status == 200:
            self._robots = Robots(chunks.decode("utf-8", errors="replace"))
            delay = self._robots.crawl_delay
            if delay is not None and self._politeness.delay_s > 0:
                self._politeness = Politeness(
                    self._politeness.concurrency, max(self._politeness.delay_s, min(delay, 5.0))
                )

    def may_visit(self, url: str) -> bool:
        """False for a URL of the site the crawl must leave alone: it matches a skip pattern
        or robots.txt disallows it (a link there is not fetched to check it either)."""
        if not same_site(url, self.site):
            return True
        if self.config.skip.matches(url):
            return False
        return not self.config.respect_robots or self._robots.allows(url)

    # -- answers for any URL ----------------------------------------------------------

    async def final(self, url: str, may_fetch: Callable[[str], bool] = lambda url: True) -> Fetched | None:
        """Where `url` ends up after redirects: the last answer, or an error for a redirect
        loop or chain too long. URLs not fetched yet are probed (HEAD, then GET) when
        `may_fetch` says so; None when the first URL may not be fetched or time ran out.
        A chain leaving for a URL that may not be fetched ends at its last redirect."""
        passed: list[str] = []
        current = url
        answer: Fetched | None = None
        for _ in range(MAX_HOPS + 1):
            known = self.results.get(current)
            if known is None:
                if not may_fetch(current) or self._remaining() <= 0:
                    return answer
                known = await self.probe(current)
            answer = known
            if known.redirect_to is None:
                return known
            passed.append(current)
            if known.redirect_to in passed:
                return Fetched(url, status=known.status, error=f"redirect loop ({len(passed)} hops)")
            current = known.redirect_to
        assert answer is not None
        return Fetched(url, status=answer.status, error=f"too many redirects (more than {MAX_HOPS})")

    async def final_all(
        self, urls: Iterable[str], may_fetch: Callable[[str], bool] = lambda url: True
    ) -> dict[str, Fetched | None]:
        """`final` for each URL, `probe_concurrency` at a time (hosts' gates still apply)."""
        pending = list(dict.fromkeys(urls))
        answers: dict[str, Fetched | None] = {}

        async def work() -> None:
            while pending:
                url = pending.pop()
                answers[url] = await self.final(url, may_fetch)

        await asyncio.gather(*(work() for _ in range(max(1, self.config.probe_concurrency))))
        return answers

    async def probe(self, url: str) -> Fetched:
        """What `url` answers to HEAD (GET where HEAD is not supported or failed), once."""
        return await self._once(url, lambda: self._probe(url))

    async def _probe(self, url: str) -> Fetched:
        head = await self._request(url, "HEAD")
        if head.status in _HEAD_NOT_SUPPORTED or (head.status is None and head.error_kind not in _NO_RETRY):
            return await self._request(url, "GET", on_chunk=lambda chunk: False, body_limit=1)
        return head

    # -- one request ------------------------------------------------------------------

    async def _once(self, url: str, fetch: Callable[[], Awaitable[Fetched]]) -> Fetched:
        """`fetch` for `url` unless it was fetched (or is being fetched) in this run."""
        known = self.results.get(url)
        if known is not None:
            return known
        waiting = self._inflight.get(url)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[Fetched] = asyncio.get_running_loop().create_future()
        self._inflight[url] = future
        try:
            fetched = await fetch()
        except BaseException:
            future.cancel()  # whoever waits on it fails too; the crawl goes on
            raise
        finally:
            self._inflight.pop(url, None)
        self.results[url] = fetched
        future.set_result(fetched)
        return fetched

    async def _request(
        self,
        url: str,
        method: str,
        *,
        on_chunk: Callable[[bytes], bool] | None = None,
        body_limit: int = 1,
    ) -> Fetched:
        host = urlsplit(url).netloc
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = HostGate(self._politeness)
        async with gate.slot():
            timeout = min(self.config.request_timeout_s, self._remaining())
            if timeout <= 0:
                return Fetched(url, error="not fetched: the crawl ran out of time", error_kind="time")
            request = HttpRequest(
                url=url,
                method=method,
                headers=self.config.headers,
                timeout_s=timeout,
                max_redirects=0,
                body_limit=body_limit,
                on_chunk=on_chunk,
            )
            self.stats.requests += 1
            try:
                response = await self._client.fetch(request)
            except TransportError as exc:
                return Fetched(
                    url, error=exc.message, error_kind=exc.kind.value, elapsed_ms=exc.timings.total_ms
                )
        return self._answer(url, response)

    def _answer(self, url: str, response: HttpResponse) -> Fetched:
        location = response.headers.get("location") if 300 <= response.status < 400 else None
        redirect_to = normalise(location, url) if location else None
        size = len(response.body)
        self.stats.bytes_read += size
        return Fetched(
            url,
            status=response.status,
            redirect_to=redirect_to,
            content_type=response.headers.get("content-type", "").split(";", 1)[0].strip().lower(),
            bytes_read=size,
            elapsed_ms=response.timings.total_ms,
        )

    def _remaining(self) -> float:
        return self._deadline - self._clock()

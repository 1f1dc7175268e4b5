"""Composition root: the only place that knows which store, queue and clients run."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lookout import __version__
from lookout.api.dnspod.router import build_dnspod_router
from lookout.api.docs import install_docs
from lookout.api.engine_link import EngineLink
from lookout.api.flat import include_flat
from lookout.api.internal import build_internal_router
from lookout.api.ohdear import errors as ohdear_errors
from lookout.api.ohdear.bodylimit import BodyLimitMiddleware
from lookout.api.ohdear.gate import ApiGate
from lookout.api.ohdear.ratelimit import MemoryWindows, RateLimiter, WindowStore
from lookout.api.ohdear.ratelimit_redis import RedisWindows
from lookout.api.ohdear.responses import FastJSONResponse
from lookout.api.ohdear.router import build_api_router
from lookout.api.ops import build_ops_router
from lookout.api.ping import PingReceiver, build_ping_router
from lookout.check_context import build_check_context
from lookout.checks.registry import CHECKS
from lookout.engine.check_processes import CheckProcesses, portable_types
from lookout.engine.facade import Engine as CheckEngine
from lookout.engine.facade import EngineSettings
from lookout.engine.heartbeats import HeartbeatSweep, with_cron_tasks
from lookout.engine.monitor_options import with_monitor_options
from lookout.engine.queue import MemoryQueue, Queue
from lookout.failover.consumer import build_failover_consumer
from lookout.logs import configure_logging
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.resolve import Resolver
from lookout.notify.channels.mail import SmtpConfig
from lookout.notify.dispatch import Dispatcher, build_dispatcher
from lookout.notify.outbox import Outbox, OutboxTuning
from lookout.notify.policy import PolicyConfig
from lookout.services.app_health import AppHealthService, with_health_snoozes
from lookout.services.certificates import CertificateService
from lookout.services.checks import CheckService
from lookout.services.container import Services
from lookout.services.cron import CronService
from lookout.services.dns.container import dns_services_from_settings
from lookout.services.domain_registrations import DomainRegistrationService
from lookout.services.health import HealthService
from lookout.services.history import HistoryService
from lookout.services.maintenance import MaintenanceService
from lookout.services.monitors import MonitorService
from lookout.services.network_history import NetworkHistoryService
from lookout.services.notifications import NotificationService
from lookout.services.pings import PingRecorder
from lookout.services.site_health import SiteHealthService
from lookout.services.tags import TagService
from lookout.services.tokens import TokenService
from lookout.settings import Settings
from lookout.store.db import create_db_engine, make_session_factory
from lookout.store.migrate import upgrade_to_head

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Store:
    engine: Engine
    sessions: sessionmaker[Session]


def open_store(settings: Settings) -> Store:
    """Connect to the configured database and apply pending migrations."""
    engine = create_db_engine(settings.effective_database_url)
    upgrade_to_head(engine)
    return Store(engine, make_session_factory(engine))


def build_services(store: Store, settings: Settings | None = None) -> Services:
    limit = settings.max_monitors_per_team if settings is not None else None
    return Services(
        tokens=TokenService(store.sessions),
        monitors=MonitorService(store.sessions, max_monitors_per_team=limit),
        checks=CheckService(store.sessions),
        history=HistoryService(store.sessions),
        network_history=NetworkHistoryService(store.sessions),
        maintenance=MaintenanceService(store.sessions),
        tags=TagService(store.sessions),
        certificates=CertificateService(store.sessions),
        domain_registrations=DomainRegistrationService(store.sessions),
        app_health=AppHealthService(store.sessions),
        cron=CronService(store.sessions),
        pings=PingRecorder(store.sessions),
        site_health=SiteHealthService(store.sessions),
        notifications=build_notification_service(store, settings or Settings()),
    )


def build_notification_dispatcher(settings: Settings) -> tuple[TargetGuard, Dispatcher]:
    """The senders of every notification channel; each webhook goes through the guard."""
    resolver = Resolver.from_setting(settings.dns_resolvers)
    guard = TargetGuard(resolver, allow_private=settings.allow_private_targets)
    extra_roots = str(settings.ca_bundle) if settings.ca_bundle else None
    smtp = SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        user=settings.smtp_user,
        password=settings.smtp_password,
        sender=settings.smtp_from,
        tls=settings.smtp_tls,
        ca_file=extra_roots,
    )
    dispatcher = build_dispatcher(
        guard=guard, http_client=lambda: HttpClient(guard), smtp=smtp, public_url=settings.public_url
    )
    return guard, dispatcher


def build_notification_service(store: Store, settings: Settings) -> NotificationService:
    guard, dispatcher = build_notification_dispatcher(settings)
    return NotificationService(store.sessions, guard, dispatcher)


def build_outbox(settings: Settings, store: Store) -> Outbox:
    hours = settings.notification_reminder_hours
    policy = PolicyConfig(
        rate_per_minute=settings.notification_rate_per_minute,
        reminder_every=timedelta(hours=hours) if hours > 0 else None,
    )
    tuning = OutboxTuning(policy=policy, lease=timedelta(seconds=settings.notification_claim_seconds))
    return Outbox(store.sessions, build_notification_dispatcher(settings)[1], tuning)


def build_queue(settings: Settings, visibility_timeout: float) -> Queue:
    if settings.queue == "redis" and settings.redis_url:
        from lookout.engine.queue.redis_streams import RedisStreamsQueue

        return RedisStreamsQueue(settings.redis_url, visibility_timeout=visibility_timeout)
    return MemoryQueue(visibility_timeout=visibility_timeout)


def build_engine(settings: Settings, store: Store, *, schedule: bool = True) -> CheckEngine:
    """The engine of `lookout serve` (schedule=True) or of `lookout worker` (it only runs
    checks, from the shared queue)."""
    tuning = EngineSettings(
        concurrency=settings.engine_concurrency,
        crawl_concurrency=settings.engine_crawl_concurrency,
        browser_concurrency=settings.engine_browser_concurrency,
        retention_days=settings.run_retention_days,
        hourly_rollup_days=settings.hourly_rollup_days,
        runs_kept_per_check=settings.runs_kept_per_check,
        team_share=settings.engine_team_share,
        other_locations=settings.other_locations,
        dmonitor_points=settings.dmonitor_points,
    )
    ctx = with_monitor_options(with_cron_tasks(build_check_context(settings), store.sessions), store.sessions)
    ctx = with_health_snoozes(ctx, store.sessions)
    processes = None
    # "auto" is resolved by `lookout serve` (workers.check_processes_for); unresolved, none.
    if settings.check_processes != "auto" and settings.check_processes > 0:
        processes = CheckProcesses(
            settings.check_processes,
            partial(build_check_context, settings),
            portable_types(CHECKS),
            setup_logging=partial(configure_logging, settings.log_level, settings.log_format),
        )
    return CheckEngine(
        store.sessions,
        ctx,
        tuning,
        queue=build_queue(settings, tuning.claim_ttl),
        check_processes=processes,
        schedule=schedule,
        run_checks=settings.run_checks,
    )


def background_lifespan(
    settings: Settings, store: Store, engine_link: EngineLink | None = None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start and stop what this process runs beside its HTTP server: the engine, the outbox
    and failover, as its settings say. An API worker runs none of them and reaches the
    engine's process through `engine_link` instead."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything built so far lives as long as the process: moving it out of the
        # collector's view keeps full collections short (they showed as 100+ ms p99 spikes
        # on 200-monitor listings).
        gc.freeze()
        engine = build_engine(settings, store) if settings.run_engine else None
        app.state.engine = engine if engine is not None else engine_link
        if engine is not None:
            await engine.start()
            heartbeats = HeartbeatSweep.for_engine(engine)
            await heartbeats.start()
            log.info(
                "engine started: location=%s queue=%s runs checks=%s pools=%s per_team_share=%s",
                settings.location,
                settings.queue,
                settings.run_checks,
                engine.settings.pools(),
                settings.engine_team_share,
            )
        outbox = build_outbox(settings, store) if settings.run_outbox else None
        app.state.outbox = outbox
        if outbox is not None:
            await outbox.start()
            log.info(
                "outbox started: reminders every %s h, at most %s messages per destination and minute",
                settings.notification_reminder_hours,
                settings.notification_rate_per_minute,
            )
        # DNS failover: another consumer of state changes, with its own claims.
        failover = build_failover_consumer(store.sessions, settings) if settings.run_failover else None
        app.state.failover = failover
        if failover is not None:
            await failover.start()
            log.info(
                "failover started: publishing to %s",
                settings.dns_update_server or "Lookout's own record table",
            )
        try:
            yield
        finally:
            if failover is not None:
                await failover.stop()
                log.info("failover stopped")
            if outbox is not None:
                await outbox.stop()
                log.info("outbox stopped")
            if engine is not None:
                await heartbeats.stop()
                await engine.stop()
                log.info("engine stopped")
            if engine_link is not None:
                await engine_link.aclose()
            windows = getattr(app.state, "rate_windows", None)
            if windows is not None:
                await windows.aclose()

    return lifespan


def create_engine_app(settings: Settings, store: Store, on_stop: Callable[[], None] | None = None) -> FastAPI:
    """The engine's process when API workers answer the API (`workers.py`): the engine,
    outbox and failover, and on its private socket only the operations endpoints and what
    the workers ask of the engine. `on_stop` runs (in a thread) before they stop."""
    background = background_lifespan(settings, store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with background(app):
            try:
                yield
            finally:
                if on_stop is not None:
                    await asyncio.to_thread(on_stop)

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.store = store
    app.include_router(build_ops_router(HealthService(store.engine), metrics_token=None))
    app.include_router(build_internal_router())
    return app


def create_app(
    settings: Settings,
    store: Store | None = None,
    engine_link: EngineLink | None = None,
    windows: WindowStore | None = None,
) -> FastAPI:
    """The public app. An API worker passes the link to the engine's process and the rate
    windows it shares with the other workers (Redis, when set, is shared by everyone)."""
    store = store or open_store(settings)
    services = build_services(store, settings)
    if settings.redis_url:
        windows = RedisWindows(settings.redis_url)
    elif windows is None:
        windows = MemoryWindows()
    lifespan = background_lifespan(settings, store, engine_link)

    app = FastAPI(
        title="Lookout",
        version=__version__,
        description="Uptime and site-health monitoring with an Oh Dear-compatible API.",
        lifespan=lifespan,
        default_response_class=FastJSONResponse,
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    app.state.settings = settings
    app.state.store = store
    app.state.services = services
    app.state.rate_windows = windows
    ohdear_errors.install(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Added last, so outermost: the caller is known and counted before anything else, and an
    # anonymous request is answered 401 even when its body is also too large (both unread):
    # it learns nothing of the server's limits, and every refusal of it counts on one budget.
    limiter = RateLimiter(
        settings.rate_limit_per_minute, settings.rate_limit_unauthenticated_per_minute, windows
    )
    app.add_middleware(ApiGate, tokens=services.tokens, limiter=limiter)
    # Cron pings are answered before routing: no token, and the fast path under load.
    app.add_middleware(PingReceiver)
    include_flat(app.router, build_api_router())
    dns = dns_services_from_settings(store.sessions, settings)
    include_flat(app.router, build_dnspod_router(services.tokens, dns, settings.location))
    include_flat(app.router, build_ops_router(HealthService(store.engine), settings.metrics_token))
    include_flat(app.router, build_ping_router())

    @app.get("/", include_in_schema=False)
    def index() -> dict[str, str]:
        return {"name": "Lookout", "version": __version__, "api": "/api", "docs": "/docs"}

    return app

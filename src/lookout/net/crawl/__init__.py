"""The site crawler shared by broken links, mixed content and sitemap checks."""

from lookout.net.crawl.crawler import CrawlConfig, Crawler, CrawlStats, Fetched, Page
from lookout.net.crawl.extract import Ref, extract
from lookout.net.crawl.speed import SPEEDS, Politeness, politeness
from lookout.net.crawl.urls import UrlPatterns, normalise, same_site, site_of

__all__ = [
    "SPEEDS",
    "CrawlConfig",
    "CrawlStats",
    "Crawler",
    "Fetched",
    "Page",
    "Politeness",
    "Ref",
    "UrlPatterns",
    "extract",
    "normalise",
    "politeness",
    "same_site",
    "site_of",
]

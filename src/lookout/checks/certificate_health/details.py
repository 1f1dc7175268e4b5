"""The shapes a certificate health run records in `CheckResult.details` and its findings.

Dates are ISO-8601 UTC strings; the API turns them into its own format.
"""

from __future__ import annotations

from typing import TypedDict


class CertificateCheckItem(TypedDict):
    type: str
    label: str
    passed: bool


class CertificateFacts(TypedDict):
    """What the leaf certificate says about itself: the payload of its finding, so nothing
    here may change from one run to the next while the certificate stays the same."""

    issuer: str
    domain: str
    additional_domains: list[str]
    valid_from: str
    valid_until: str
    signature_algorithm: str
    fingerprint: str
    """SHA-1 of the DER, lower-case hex: the key of the certificate's finding."""
    fingerprint_sha256: str
    serial_number: str
    chain_issuers: list[str]
    """"C, O, CN" of each presented certificate's issuer, leaf first."""
    chains_to_root: bool
    covers_domain: bool


class CertificateHealthDetails(TypedDict):
    host: str
    port: int
    address: str | None
    protocol: str | None
    cipher: str | None
    # The leaf's fingerprint (None when no certificate was seen). Its facts are the payload
    # of the run's finding, which the check keeps under this key: a stored run does not
    # repeat them (they were about half of an hourly run's bytes, kept a hundred times).
    certificate_fingerprint: str | None
    certificate_checks: list[CertificateCheckItem]
    verify_error: str | None
    error: str | None

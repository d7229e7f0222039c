"""Inspecting an incoming PDF: what it is, who signed it and whether that holds, and what page 1 says.

This is the PDF service the composition root hands to the intake flow. It works offline: trust roots and CRLs
are files the administrator supplies (``TrustSettings``), read once by ``load_trust``; nothing is fetched.

``inspect_pdf`` never raises for bad input. Every way a file can fail — too big, not a PDF, encrypted,
unparseable — is an ``outcome`` of the ``PdfReport``; every signature gets a ``SignatureCheck`` whose
``problem`` says in one word what is wrong with it, or None. Signatures pyHanko cannot validate (unsupported
SubFilters, which it silently drops) show up as ``unsupported_signatures``, because the signature fields are
counted here, independently of pyHanko.

The text is that of the first ``text_pages`` pages in NFC; for a signed PDF it is the text of the revision the
first signature covers, so what is registered is what was signed, not what was added after.

Measured on a loaded 2-core machine (pyHanko 0.38, pypdf 7.1), one-page decision of ~78 kB: unsigned 12 ms,
one signature 35–55 ms, two signatures ~75 ms, encrypted 6 ms, not a PDF < 1 ms; a 25 MiB file is refused in
~80 ms (hashing only). Sizes above ``max_bytes`` are refused before any parsing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from asn1crypto import crl as asn1_crl
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as crypto_x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.crypt.api import AuthStatus, PdfKeyNotAvailableError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader as PypdfReader
from pypdf import errors as pypdf_errors

from vanthu.models.clock import SystemClock

log = logging.getLogger(__name__)

Outcome = Literal["ok", "not-pdf", "encrypted", "too-large", "unreadable"]
"""What became of a file: ``ok`` means it was parsed and its signatures (if any) were checked."""

Problem = Literal["broken", "modified", "weak-hash", "revoked", "expired", "revocation-unknown", "untrusted", "invalid"]
"""What is wrong with one signature, most serious first:

- ``broken``: the signed bytes or the signature value do not verify (tampered or corrupt);
- ``modified``: the signature verifies, but the file was changed after signing beyond what is allowed
  (or the changes could not be analysed);
- ``weak-hash``: a refused algorithm (SHA-1, MD5) was used;
- ``revoked``, ``expired``: the signer's certificate (or a CA above it) is revoked or out of its validity;
- ``revocation-unknown``: a configured CRL that covers the signer is past its nextUpdate, so nothing can be
  said (pyHanko's TRY_LATER): the office's CRL files need refreshing, the sender is not at fault;
- ``untrusted``: no path to a configured trust root (or another certificate-path failure);
- ``invalid``: anything else pyHanko's bottom line rejects (seed values, a bad embedded timestamp).
"""

_WEAK_HASHES = frozenset({"md2", "md5", "sha1"})  # pyhanko-certvalidator's default
_BROKEN_HASHES = frozenset({"md2", "md5"})  # still refused when SHA-1 is allowed
# What async_validate_pdf_signature accepts for /Sig signatures; others are reported as unsupported.
_SUPPORTED_SUB_FILTERS = frozenset({"/adbe.pkcs7.detached", "/ETSI.CAdES.detached", "/PBAD.PAdES"})
_PDF_MAGIC = b"%PDF-"
_HEADER_WINDOW = 1024  # readers accept the header anywhere in the first KiB

# pyHanko and pypdf errors on malformed or hostile input; asn1crypto raises ValueError/TypeError on bad DER.
_READ_ERRORS: tuple[type[Exception], ...] = (
    misc.PdfError,  # PdfReadError, PdfStrictReadError, IndirectObjectExpected, PdfStreamError, PdfKeyNotAvailable…
    pypdf_errors.PyPdfError,  # PdfReadError, EmptyFileError, PdfStreamError, ParseError…
    ValueError,  # includes UnicodeDecodeError and pyHanko's SignatureValidationError
    TypeError,
    LookupError,  # KeyError, IndexError
    AttributeError,
    NotImplementedError,
    RecursionError,
    ArithmeticError,  # decimal.InvalidOperation on a mangled real number, OverflowError
    EOFError,
)
_ENCRYPTED_ERRORS: tuple[type[Exception], ...] = (
    PdfKeyNotAvailableError,  # pyHanko: an encrypted object read without the key
    pypdf_errors.FileNotDecryptedError,  # includes WrongPasswordError
)


class TrustConfigError(ValueError):
    """A trust-root or CRL file is missing, unreadable or holds nothing usable; the message names the file."""


@dataclass(frozen=True)
class TrustSettings:
    """Where trust comes from, and the limits of an inspection.

    ``roots``: PEM, DER or PKCS#7 (.p7b, PEM or DER) files, each possibly holding several certificates.
    Self-issued certificates are trust anchors; a CA certificate whose issuer is also supplied is used as an
    intermediate, not an anchor (see ``load_trust``). ``crls``: DER or PEM CRL files (a PEM file may hold several).
    ``allow_sha1``: accept SHA-1 (a policy decision; refused by default). ``max_bytes``: larger files are not
    parsed. ``text_pages``: how many pages of text to extract.
    """

    roots: tuple[Path, ...]
    crls: tuple[Path, ...] = ()
    allow_sha1: bool = False
    max_bytes: int = 25 * 1024 * 1024
    text_pages: int = 2


@dataclass(frozen=True)
class TrustMaterial:
    """The parsed contents of ``TrustSettings``; build it with ``load_trust``, share it freely (read-only)."""

    settings: TrustSettings
    roots: tuple[asn1_x509.Certificate, ...]
    intermediates: tuple[asn1_x509.Certificate, ...]
    crls: tuple[asn1_crl.CertificateList, ...]
    crls_fresh_until: dt.datetime | None
    """The earliest nextUpdate of the CRLs (None without CRLs): reload the trust (with refreshed CRL files)
    before then, or signatures under that CA come out ``revocation-unknown``."""

    @property
    def weak_hashes(self) -> frozenset[str]:
        """Digest algorithms refused in signatures and certificates: MD2 and MD5, and SHA-1 unless allowed."""
        return _BROKEN_HASHES if self.settings.allow_sha1 else _WEAK_HASHES

    def validation_context(self) -> ValidationContext:
        """A fresh, offline validation context (contexts accumulate state, so one per signature).

        Never fetches. Revocation is soft-fail: a certificate is checked against the configured CRLs only if it
        names a CRL distribution point (real CA certificates do), a certificate no CRL covers passes, and a CRL
        past its nextUpdate fails what it covers. ``weak_hashes`` are refused. An empty ``roots`` trusts
        nothing (never the operating system's list).
        """
        return ValidationContext(
            trust_roots=list(self.roots),
            other_certs=list(self.intermediates),
            crls=list(self.crls),
            allow_fetching=False,
            revocation_mode="soft-fail",
            weak_hash_algos=set(self.weak_hashes),
        )


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on one signature (one filled /Sig field with a supported SubFilter).

    ``intact``: the signed bytes hash to the signed digest; ``valid``: the signature value verifies;
    ``trusted``: the signer's certificate chains to a configured root with no problem. ``coverage`` and
    ``modification_level`` are pyHanko's enum names (``ENTIRE_FILE``, ``ENTIRE_REVISION``…; ``NONE`` …
    ``OTHER``, or ``UNKNOWN`` when the changes after signing could not be analysed). ``problem`` is None
    exactly when the signature is acceptable. ``summary`` is pyHanko's one-line summary, with
    ``; diff analysis failed: …`` appended when that part failed, or ``ERROR: …`` when pyHanko could not
    evaluate the signature at all (then ``problem`` is ``broken`` and the signer fields may be empty).
    """

    field_name: str
    signer_name: str
    signer_org: str | None
    signer_email: str | None
    signing_time: dt.datetime | None
    intact: bool
    valid: bool
    trusted: bool
    revoked: bool
    expired: bool
    coverage: str
    modification_level: str
    sub_filter: str
    problem: Problem | None
    summary: str


@dataclass(frozen=True)
class PdfReport:
    """Everything the intake flow needs to know about one attachment.

    ``signature_fields`` counts the filled /Sig fields of the AcroForm (document timestamps excluded);
    ``signatures`` holds one check per signature pyHanko validated, in signing order;
    ``unsupported_signatures`` = fields − checks. ``page_count`` is that of the whole file.
    ``first_pages_text`` is NFC text of the first ``text_pages`` pages of the revision the first signature
    covers (of the whole file if unsigned). ``error`` explains a non-``ok`` outcome, or a text-extraction
    failure on an ``ok`` file.
    """

    sha256: str
    size: int
    outcome: Outcome
    error: str | None = None
    signature_fields: int = 0
    signatures: tuple[SignatureCheck, ...] = ()
    unsupported_signatures: int = 0
    page_count: int | None = None
    first_pages_text: str = ""

    @property
    def all_signatures_ok(self) -> bool:
        """True when the file is ``ok``, signed, and every signature field was validated without a problem."""
        return (
            self.outcome == "ok"
            and self.signature_fields > 0
            and self.unsupported_signatures == 0
            and all(s.problem is None for s in self.signatures)
        )


# --- trust material ----------------------------------------------------------------------------------------


def load_trust(settings: TrustSettings) -> TrustMaterial:
    """Read every root and CRL file once; raise ``TrustConfigError`` naming the first bad file.

    Every file must exist and hold at least one well-formed certificate (roots) or CRL (crls).

    Anchors are the self-issued certificates, plus any certificate whose issuer is not among those supplied
    (an intermediate the administrator chose to trust on its own). The other certificates — intermediates
    shipped in the same bundle as their root — help build paths but are not anchors: with an intermediate as
    anchor, pyhanko-certvalidator cannot check a CRL that intermediate issued and fails every signer under it.

    A CRL past its nextUpdate is accepted but logged: validation then answers ``revocation-unknown`` for every
    signer it covers, until the file is refreshed and the trust reloaded.
    """
    certs: dict[bytes, asn1_x509.Certificate] = {}
    for path in settings.roots:
        for cert in _read_certificates(path):
            certs.setdefault(cert.sha256, cert)
    subjects = {cert.subject.dump() for cert in certs.values()}
    roots = [c for c in certs.values() if c.self_issued or c.issuer.dump() not in subjects]
    intermediates = [c for c in certs.values() if not (c.self_issued or c.issuer.dump() not in subjects)]
    crls: list[asn1_crl.CertificateList] = []
    fresh_until: dt.datetime | None = None
    now = SystemClock().now()
    for path in settings.crls:
        for der in _read_crls(path):
            next_update = crypto_x509.load_der_x509_crl(der).next_update_utc
            if next_update is not None:
                fresh_until = next_update if fresh_until is None else min(fresh_until, next_update)
                if next_update < now:
                    log.warning("CRL %s is out of date (next update %s): refresh it", path, next_update.isoformat())
            crls.append(asn1_crl.CertificateList.load(der))
    if not roots:
        log.warning("no PDF trust roots configured: no signature will be trusted")
    return TrustMaterial(
        settings=settings,
        roots=tuple(roots),
        intermediates=tuple(intermediates),
        crls=tuple(crls),
        crls_fresh_until=fresh_until,
    )


def _read_file(path: Path, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TrustConfigError(f"{what} file {path}: cannot read it ({exc.strerror or exc})") from exc
    if not data.strip():
        raise TrustConfigError(f"{what} file {path}: empty")
    return data


def _pem_blocks(path: Path, data: bytes, what: str) -> Iterator[tuple[str, bytes]]:
    try:
        for type_name, _headers, der in asn1_pem.unarmor(data, multiple=True):
            yield type_name, der
    except ValueError as exc:
        raise TrustConfigError(f"{what} file {path}: malformed PEM ({exc})") from exc


def _p7b_certificates(der: bytes) -> list[bytes]:
    return [c.public_bytes(Encoding.DER) for c in pkcs7.load_der_pkcs7_certificates(der)]


def _read_certificates(path: Path) -> list[asn1_x509.Certificate]:
    data = _read_file(path, "trust root")
    ders: list[bytes] = []
    try:
        if asn1_pem.detect(data):
            for type_name, der in _pem_blocks(path, data, "trust root"):
                if type_name in ("CERTIFICATE", "X509 CERTIFICATE"):
                    ders.append(der)
                elif type_name in ("PKCS7", "CMS"):
                    ders.extend(_p7b_certificates(der))
                else:
                    raise TrustConfigError(f"trust root file {path}: unexpected PEM block {type_name!r}")
        else:
            try:
                crypto_x509.load_der_x509_certificate(data)
                ders.append(data)
            except ValueError:
                ders.extend(_p7b_certificates(data))
        for der in ders:
            crypto_x509.load_der_x509_certificate(der)  # well-formed, or ValueError
    except ValueError as exc:
        if isinstance(exc, TrustConfigError):
            raise
        raise TrustConfigError(f"trust root file {path}: not a certificate, bundle or PKCS#7 ({exc})") from exc
    if not ders:
        raise TrustConfigError(f"trust root file {path}: holds no certificate")
    return [asn1_x509.Certificate.load(der) for der in ders]


def _read_crls(path: Path) -> list[bytes]:
    data = _read_file(path, "CRL")
    ders: list[bytes] = []
    try:
        if asn1_pem.detect(data):
            for type_name, der in _pem_blocks(path, data, "CRL"):
                if type_name != "X509 CRL":
                    raise TrustConfigError(f"CRL file {path}: unexpected PEM block {type_name!r}")
                ders.append(der)
        else:
            ders.append(data)
        for der in ders:
            crypto_x509.load_der_x509_crl(der)  # well-formed, or ValueError
    except ValueError as exc:
        if isinstance(exc, TrustConfigError):
            raise
        raise TrustConfigError(f"CRL file {path}: not a DER or PEM CRL ({exc})") from exc
    if not ders:
        raise TrustConfigError(f"CRL file {path}: holds no CRL")
    return ders


# --- inspection --------------------------------------------------------------------------------------------


async def inspect_pdf(data: bytes, trust: TrustMaterial) -> PdfReport:
    """Inspect ``data`` (an attachment's bytes) and report; never raises for bad input.

    Order: size (nothing above ``max_bytes`` is parsed, only hashed), the ``%PDF-`` header (else
    ``not-pdf``), the structure (pyHanko, strict; ``unreadable`` on failure), encryption (an empty user
    password is tried, else ``encrypted``), the signatures (offline, one fresh validation context each), then
    the text of the first pages (pypdf).
    """
    sha256 = hashlib.sha256(data).hexdigest()
    size = len(data)
    settings = trust.settings
    if size > settings.max_bytes:
        return PdfReport(sha256, size, "too-large", f"{size} bytes; the limit is {settings.max_bytes}")
    if _PDF_MAGIC not in data[:_HEADER_WINDOW]:
        what = "empty file" if not data.strip() else "no %PDF- header in the first KiB"
        return PdfReport(sha256, size, "not-pdf", what)
    try:
        return await _inspect_pdf(data, trust, sha256)
    except _ENCRYPTED_ERRORS as exc:
        return PdfReport(sha256, size, "encrypted", _describe(exc))
    except _READ_ERRORS as exc:
        return PdfReport(sha256, size, "unreadable", _describe(exc))
    except Exception as exc:  # hostile input may raise anything; the caller must get a report (logged)
        log.exception("unexpected error inspecting PDF %s", sha256)
        return PdfReport(sha256, size, "unreadable", f"internal error: {_describe(exc)}")


async def _inspect_pdf(data: bytes, trust: TrustMaterial, sha256: str) -> PdfReport:
    size = len(data)
    reader = PdfFileReader(io.BytesIO(data))
    if reader.encrypted:
        try:
            auth = reader.decrypt("")
        except misc.PdfReadError as exc:  # not the standard (password) security handler
            return PdfReport(sha256, size, "encrypted", _describe(exc))
        if auth.status == AuthStatus.FAILED:
            return PdfReport(sha256, size, "encrypted", "a password is needed to open it")
    fields = list(_signature_fields(reader))
    embedded_signatures, unparseable = _embedded_signatures(reader)
    checks = [await _check_signature(embedded, trust) for embedded in embedded_signatures] + unparseable
    try:
        text, page_count = _first_pages_text(data, fields, trust.settings.text_pages)
        text_error = None
    except _ENCRYPTED_ERRORS:
        raise
    except _READ_ERRORS as exc:
        # pyHanko read the structure, so the file is registered; only its text is missing.
        text, page_count, text_error = "", None, f"text extraction failed: {_describe(exc)}"
    return PdfReport(
        sha256=sha256,
        size=size,
        outcome="ok",
        error=text_error,
        signature_fields=len(fields),
        signatures=tuple(checks),
        unsupported_signatures=max(0, len(fields) - len(checks)),
        page_count=page_count,
        first_pages_text=text,
    )


def _describe(exc: BaseException) -> str:
    message = str(getattr(exc, "msg", "") or exc).strip().splitlines()
    first = message[0][:200] if message else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


# --- signature fields, counted independently of pyHanko ------------------------------------------------------


@dataclass(frozen=True)
class _SigField:
    name: str
    sub_filter: str
    byte_range: tuple[int, int, int, int] | None


def _signature_fields(reader: PdfFileReader) -> Iterator[_SigField]:
    """The filled /Sig fields of the AcroForm tree (``/FT`` inherited, ``/Kids`` followed, cycles cut).

    Document timestamps (/Type /DocTimeStamp) are not signatures of a person and are skipped; so are empty
    signature fields (placeholders).
    """
    try:
        top = reader.root["/AcroForm"]["/Fields"]
    except (KeyError, TypeError):
        return
    if not isinstance(top, generic.ArrayObject):
        return
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Any, str, Any]] = [(item, "", None) for item in reversed(top)]
    while stack:
        item, parent_name, inherited_type = stack.pop()
        if isinstance(item, generic.IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
        node = item.get_object() if isinstance(item, generic.IndirectObject) else item
        if not isinstance(node, generic.DictionaryObject):
            continue
        partial = _get(node, "/T")
        name = parent_name if partial is None else (f"{parent_name}.{partial}" if parent_name else str(partial))
        field_type = _get(node, "/FT") or inherited_type
        kids = _get(node, "/Kids")
        if isinstance(kids, generic.ArrayObject):
            stack.extend((kid, name, field_type) for kid in reversed(kids))
        if partial is None or field_type != "/Sig":
            continue
        try:
            value = _get(node, "/V")
        except _READ_ERRORS:  # a signature dictionary that cannot be parsed is still a signature
            yield _SigField(name=name, sub_filter="", byte_range=None)
            continue
        if not isinstance(value, generic.DictionaryObject):
            continue
        if _get(value, "/Type") == "/DocTimeStamp":
            continue
        yield _SigField(name=name, sub_filter=str(_get(value, "/SubFilter") or ""), byte_range=_byte_range(value))


def _get(node: generic.DictionaryObject, key: str) -> Any:
    """``node[key]`` dereferenced, or None when absent or null."""
    try:
        return node[key]
    except KeyError:
        return None


def _byte_range(sig: generic.DictionaryObject) -> tuple[int, int, int, int] | None:
    raw = _get(sig, "/ByteRange")
    if not isinstance(raw, generic.ArrayObject) or len(raw) != 4:
        return None
    values = [v.get_object() if isinstance(v, generic.IndirectObject) else v for v in raw]
    if not all(isinstance(v, int) and v >= 0 for v in values):
        return None
    a, b, c, d = (int(v) for v in values)
    if a != 0 or b > c:
        return None
    return a, b, c, d


# --- one signature ---------------------------------------------------------------------------------------


def _embedded_signatures(reader: PdfFileReader) -> tuple[list[EmbeddedPdfSignature], list[SignatureCheck]]:
    """pyHanko's signatures (supported SubFilters, /Sig only) in signing order, built one at a time.

    ``reader.embedded_signatures`` builds them all at once, so one mangled /Contents would make the whole file
    unreadable; here it becomes a ``broken`` check of its own (returned second, to be listed after the
    validated ones) and the others are validated.
    """
    good: list[tuple[int, EmbeddedPdfSignature]] = []
    broken: list[SignatureCheck] = []
    for field_name, sig_ref, field_ref in enumerate_sig_fields(reader, filled_status=True):
        try:
            sig = sig_ref.get_object()
        except _READ_ERRORS as exc:
            broken.append(_broken(field_name, "", None, exc))
            continue
        if not isinstance(sig, generic.DictionaryObject) or _get(sig, "/Type") == "/DocTimeStamp":
            continue
        sub_filter = str(_get(sig, "/SubFilter") or "")
        if sub_filter not in _SUPPORTED_SUB_FILTERS:
            continue  # counted among unsupported_signatures
        try:
            embedded = EmbeddedPdfSignature(reader, field_ref, field_name)
            good.append((embedded.signed_revision, embedded))
        except _READ_ERRORS as exc:
            broken.append(_broken(field_name, sub_filter.lstrip("/"), None, exc))
    good.sort(key=lambda pair: pair[0])
    return [embedded for _, embedded in good], broken


async def _check_signature(embedded: EmbeddedPdfSignature, trust: TrustMaterial) -> SignatureCheck:
    """Validate one signature; failures of the difference analysis fall back to a check without it."""
    note = ""
    try:
        status = await async_validate_pdf_signature(embedded, trust.validation_context())
    except _READ_ERRORS as exc:
        # e.g. IndirectObjectExpected from the diff analysis (pyHanko #719): the signature may still verify.
        note = f"; diff analysis failed: {_describe(exc)}"
        try:
            status = await async_validate_pdf_signature(embedded, trust.validation_context(), skip_diff=True)
        except _READ_ERRORS as exc2:
            return _broken(embedded.field_name, _sub_filter(embedded), embedded, exc2)
    return _to_check(embedded, status, trust, note)


def _to_check(
    embedded: EmbeddedPdfSignature, status: PdfSignatureStatus, trust: TrustMaterial, note: str
) -> SignatureCheck:
    cert = status.signing_cert
    indic = status.trust_problem_indic
    now = status.validation_time or SystemClock().now()
    not_after = cert["tbs_certificate"]["validity"]["not_after"].native
    revoked = bool(status.revoked) or indic in (
        AdESIndeterminate.REVOKED_NO_POE,
        AdESIndeterminate.REVOKED_CA_NO_POE,
        AdESFailure.REVOKED,
    )
    expired = not_after < now or indic in (AdESIndeterminate.EXPIRED, AdESIndeterminate.OUT_OF_BOUNDS_NO_POE)
    coverage = status.coverage.name if status.coverage is not None else "UNKNOWN"
    level = status.modification_level
    modification_level = level.name if level is not None and not note else "UNKNOWN"
    weak = indic in (AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE, AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE)
    weak = weak or status.md_algorithm.lower() in trust.weak_hashes

    problem: Problem | None
    if not (status.intact and status.valid):
        problem = "broken"
    elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE and (
        modification_level == "UNKNOWN" or not status.docmdp_ok
    ):
        problem = "modified"
    elif weak:
        problem = "weak-hash"
    elif revoked:
        problem = "revoked"
    elif expired:
        problem = "expired"
    elif indic == AdESIndeterminate.TRY_LATER:
        problem = "revocation-unknown"
    elif not status.trusted:
        problem = "untrusted"
    elif not status.bottom_line:
        problem = "invalid"
    else:
        problem = None

    subject = cert.subject
    return SignatureCheck(
        field_name=embedded.field_name,
        signer_name=_name_attribute(subject, "common_name") or subject.human_friendly,
        signer_org=_name_attribute(subject, "organization_name"),
        signer_email=_email(cert),
        signing_time=_signing_time(status),
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        revoked=revoked,
        expired=expired,
        coverage=coverage,
        modification_level=modification_level,
        sub_filter=_sub_filter(embedded),
        problem=problem,
        summary=status.summary() + note,
    )


def _broken(
    field_name: str, sub_filter: str, embedded: EmbeddedPdfSignature | None, exc: BaseException
) -> SignatureCheck:
    """A check for a signature pyHanko could not evaluate at all (malformed CMS, unreadable revision…)."""
    name, org, email = "", None, None
    try:
        if embedded is not None:
            cert = embedded.signer_cert
            name = _name_attribute(cert.subject, "common_name") or ""
            org = _name_attribute(cert.subject, "organization_name")
            email = _email(cert)
    except _READ_ERRORS:
        pass
    return SignatureCheck(
        field_name=field_name,
        signer_name=name,
        signer_org=org,
        signer_email=email,
        signing_time=None,
        intact=False,
        valid=False,
        trusted=False,
        revoked=False,
        expired=False,
        coverage="UNKNOWN",
        modification_level="UNKNOWN",
        sub_filter=sub_filter,
        problem="broken",
        summary=f"ERROR: {_describe(exc)}",
    )


def _sub_filter(embedded: EmbeddedPdfSignature) -> str:
    return str(_get(embedded.sig_object, "/SubFilter") or "").lstrip("/")


def _name_attribute(name: asn1_x509.Name, attribute: str) -> str | None:
    value = name.native.get(attribute)
    if value is None:
        return None
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text or None


def _email(cert: asn1_x509.Certificate) -> str | None:
    email = _name_attribute(cert.subject, "email_address")
    if email:
        return email
    alt_names = cert.subject_alt_name_value
    if alt_names is not None:
        for general_name in alt_names:
            if general_name.name == "rfc822_name":
                return str(general_name.native)
    return None


def _signing_time(status: PdfSignatureStatus) -> dt.datetime | None:
    """A trusted timestamp's time if there is one, else the time the signer claims (CMS attribute or /M)."""
    ts = status.timestamp_validity
    when = ts.timestamp if ts is not None and ts.valid and ts.intact and ts.trusted else status.signer_reported_dt
    if when is None or when.utcoffset() is None:
        return None
    return when


# --- text --------------------------------------------------------------------------------------------------


def _first_pages_text(data: bytes, fields: list[_SigField], pages: int) -> tuple[str, int]:
    """NFC text of the first ``pages`` pages of the first signed revision (or the whole file), and the page count
    of the whole file."""
    whole = _pypdf_reader(data)
    page_count = len(whole.pages)
    ends = [f.byte_range[2] + f.byte_range[3] for f in fields if f.byte_range is not None]
    ends = [end for end in ends if 0 < end <= len(data)]
    reader = whole
    if ends and min(ends) < len(data):
        reader = _pypdf_reader(data[: min(ends)])
    texts = [reader.pages[i].extract_text() for i in range(min(pages, len(reader.pages)))]
    return unicodedata.normalize("NFC", "\n".join(texts)), page_count


def _pypdf_reader(data: bytes) -> PypdfReader:
    reader = PypdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt("")  # pyHanko already established the empty user password works
    return reader


# --- the synchronous face for mail-watcher threads ----------------------------------------------------------


class PdfInspector:
    """Runs ``inspect_pdf`` on a private event loop: for threads without one (the mail watchers).

    Each thread should own its inspector; calls on one inspector are serialised by a lock. Do not call
    ``inspect`` from inside a running event loop — await ``inspect_pdf`` there instead.
    """

    def __init__(self, trust: TrustMaterial) -> None:
        self.trust = trust
        self._loop = asyncio.new_event_loop()
        self._lock = threading.Lock()

    def inspect(self, data: bytes) -> PdfReport:
        """The report on ``data``; never raises for bad input (see ``inspect_pdf``)."""
        with self._lock:
            if self._loop.is_closed():
                raise RuntimeError("PdfInspector is closed")
            return self._loop.run_until_complete(inspect_pdf(data, self.trust))

    def close(self) -> None:
        """Close the private event loop; idempotent."""
        with self._lock:
            if not self._loop.is_closed():
                self._loop.close()

    def __enter__(self) -> PdfInspector:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

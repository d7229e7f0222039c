"""The PDF inspection service against every kind of PDF an incoming-documents office receives.

Each test asserts the whole verdict on one kind of file: outcome, the signature fields counted, and for each
signature intact/valid/trusted/revoked/expired/problem (plus coverage, modification level and pyHanko's
summary). The PKI and the PDFs are made at test time by ``tests.pdfkit``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import random
import socket
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from vanthu.demo import pki as pdfkit
from vanthu.demo.pki import DocText, TestPki
from vanthu.worker import pdf_inspect
from vanthu.worker.pdf_inspect import (
    PdfInspector,
    PdfReport,
    SignatureCheck,
    TrustConfigError,
    TrustMaterial,
    inspect_pdf,
    load_trust,
)

NUMBER = "Số: 123/QĐ-CSĐT"
DATE = "ngày 05 tháng 4 năm 2026"
AN = "Nguyễn Văn An"
INVESTIGATORS = "Cơ quan Cảnh sát điều tra Công an tỉnh Quảng Ninh"


# --- fixtures (the ``pki`` fixture may move to conftest.py later) -----------------------------------------


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """The test PKI, built once per session into a temporary directory."""
    return pdfkit.make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def trust(pki: TestPki) -> TrustMaterial:
    """Trust in the PKI's root, with its CRL; SHA-1 refused."""
    return load_trust(pki.trust_settings())


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Validation is offline: any attempt to resolve or connect fails the test loudly."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


def inspect(data: bytes, trust: TrustMaterial) -> PdfReport:
    return asyncio.run(inspect_pdf(data, trust))


def verdict(check: SignatureCheck) -> dict[str, object]:
    """The parts of a check that are the same on every run (no signing time)."""
    return {
        "field": check.field_name,
        "signer": check.signer_name,
        "intact": check.intact,
        "valid": check.valid,
        "trusted": check.trusted,
        "revoked": check.revoked,
        "expired": check.expired,
        "coverage": check.coverage,
        "modification": check.modification_level,
        "sub_filter": check.sub_filter,
        "problem": check.problem,
        "summary": check.summary,
    }


def sig(
    signer: str = AN,
    *,
    field: str = "Signature1",
    intact: bool = True,
    valid: bool = True,
    trusted: bool = True,
    revoked: bool = False,
    expired: bool = False,
    coverage: str = "ENTIRE_FILE",
    modification: str = "NONE",
    sub_filter: str = "ETSI.CAdES.detached",
    problem: str | None = None,
    summary: str = "INTACT:TRUSTED,UNTOUCHED",
) -> dict[str, object]:
    return {
        "field": field,
        "signer": signer,
        "intact": intact,
        "valid": valid,
        "trusted": trusted,
        "revoked": revoked,
        "expired": expired,
        "coverage": coverage,
        "modification": modification,
        "sub_filter": sub_filter,
        "problem": problem,
        "summary": summary,
    }


def assert_report(
    report: PdfReport,
    data: bytes,
    *,
    outcome: str,
    fields: int,
    signatures: list[dict[str, object]],
    pages: int | None,
    error: str | None = None,
) -> None:
    assert report.sha256 == hashlib.sha256(data).hexdigest()
    assert report.size == len(data)
    assert report.outcome == outcome
    assert report.error == error
    assert report.signature_fields == fields
    assert [verdict(s) for s in report.signatures] == signatures
    assert report.unsupported_signatures == fields - len(signatures)
    assert report.page_count == pages
    if outcome == "ok":
        assert NUMBER in report.first_pages_text
        assert DATE in report.first_pages_text
        assert unicodedata.is_normalized("NFC", report.first_pages_text)
    else:
        assert report.first_pages_text == ""


# --- one test per kind -------------------------------------------------------------------------------------


def test_valid(pki: TestPki, trust: TrustMaterial) -> None:
    when = dt.datetime(2026, 4, 5, 9, 30, tzinfo=pdfkit.VN)
    data = pdfkit.valid(pki, signing_time=when)
    report = inspect(data, trust)
    assert_report(report, data, outcome="ok", fields=1, signatures=[sig()], pages=1)
    (check,) = report.signatures
    assert check.signer_org == INVESTIGATORS
    assert check.signer_email == "nguyenvanan@congan.quangninh.gov.vn"
    assert check.signing_time == when
    assert report.all_signatures_ok
    lines = report.first_pages_text.splitlines()
    assert lines[:8] == [
        "CÔNG AN TỈNH QUẢNG NINH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "CƠ QUAN CẢNH SÁT ĐIỀU TRA",
        "Độc lập - Tự do - Hạnh phúc",
        NUMBER,
        f"Quảng Ninh, {DATE}",
        "QUYẾT ĐỊNH",
        "Về việc khởi tố bị can",
    ]
    assert "12/2026/HS" in report.first_pages_text


def test_untrusted(pki: TestPki, trust: TrustMaterial) -> None:
    """Same name, same organisation, but a root nobody configured."""
    data = pdfkit.untrusted(pki)
    report = inspect(data, trust)
    expected = sig(trusted=False, problem="untrusted", summary="INTACT:UNTRUSTED,UNTOUCHED")
    assert_report(report, data, outcome="ok", fields=1, signatures=[expected], pages=1)
    assert report.signatures[0].signer_org == INVESTIGATORS
    assert not report.all_signatures_ok


def test_expired(pki: TestPki, trust: TrustMaterial) -> None:
    data = pdfkit.expired(pki)
    report = inspect(data, trust)
    expected = sig("Lê Văn Cường", trusted=False, expired=True, problem="expired", summary="INTACT:UNTRUSTED,UNTOUCHED")
    assert_report(report, data, outcome="ok", fields=1, signatures=[expected], pages=1)
    assert report.signatures[0].signing_time == pki.now - dt.timedelta(days=60)


def test_revoked(pki: TestPki, trust: TrustMaterial) -> None:
    data = pdfkit.revoked(pki)
    report = inspect(data, trust)
    expected = sig("Phạm Thị Dung", trusted=False, revoked=True, problem="revoked", summary="INTACT:REVOKED,UNTOUCHED")
    assert_report(report, data, outcome="ok", fields=1, signatures=[expected], pages=1)


def test_modified_after_signing(pki: TestPki, trust: TrustMaterial) -> None:
    """The signature still verifies for its revision; the later change to the page content is not allowed."""
    data = pdfkit.modified_after_signing(pki)
    report = inspect(data, trust)
    expected = sig(
        coverage="ENTIRE_REVISION",
        modification="OTHER",
        problem="modified",
        summary="INTACT:TRUSTED,EXTENDED_WITH_OTHER,ILLEGAL_MODIFICATIONS",
    )
    assert_report(report, data, outcome="ok", fields=1, signatures=[expected], pages=1)
    # The text is that of the signed revision, not of the stamp added afterwards.
    assert "999" not in report.first_pages_text
    full = inspect(pdfkit.unsigned(), trust).first_pages_text
    assert report.first_pages_text == full


def test_tampered(pki: TestPki, trust: TrustMaterial) -> None:
    """One byte flipped inside the signed range."""
    data = pdfkit.tampered(pki)
    report = inspect(data, trust)
    expected = sig(intact=False, trusted=False, problem="broken", summary="INVALID")
    assert_report(report, data, outcome="ok", fields=1, signatures=[expected], pages=1)


def test_unsigned(trust: TrustMaterial) -> None:
    data = pdfkit.unsigned()
    report = inspect(data, trust)
    assert_report(report, data, outcome="ok", fields=0, signatures=[], pages=1)
    assert not report.all_signatures_ok


def test_two_signatures(pki: TestPki, trust: TrustMaterial) -> None:
    """The first signature covers its revision; the countersignature is an allowed (form-filling) change."""
    data = pdfkit.two_signatures(pki)
    report = inspect(data, trust)
    first = sig(
        coverage="ENTIRE_REVISION",
        modification="FORM_FILLING",
        summary="INTACT:TRUSTED,EXTENDED_WITH_FORM_FILLING,ACCEPTABLE_MODIFICATIONS",
    )
    second = sig("Trần Thị Bình", field="Signature2", sub_filter="adbe.pkcs7.detached")
    assert_report(report, data, outcome="ok", fields=2, signatures=[first, second], pages=1)
    assert report.all_signatures_ok


def test_encrypted(trust: TrustMaterial) -> None:
    data = pdfkit.encrypted()
    report = inspect(data, trust)
    assert_report(
        report, data, outcome="encrypted", fields=0, signatures=[], pages=None, error="a password is needed to open it"
    )


def test_owner_password_only_is_readable(trust: TrustMaterial) -> None:
    """Encrypted with an empty user password ("permissions" only): anyone can open it, so can we."""
    data = pdfkit.owner_password_only()
    report = inspect(data, trust)
    assert_report(report, data, outcome="ok", fields=0, signatures=[], pages=1)


def test_truncated(pki: TestPki, trust: TrustMaterial) -> None:
    data = pdfkit.truncated(pki)
    report = inspect(data, trust)
    assert_report(
        report,
        data,
        outcome="unreadable",
        fields=0,
        signatures=[],
        pages=None,
        error="PdfReadError: EOF marker not found",
    )


def test_not_a_pdf(trust: TrustMaterial) -> None:
    data = pdfkit.not_a_pdf()
    report = inspect(data, trust)
    assert_report(
        report, data, outcome="not-pdf", fields=0, signatures=[], pages=None, error="no %PDF- header in the first KiB"
    )


def test_secret_marked(pki: TestPki, trust: TrustMaterial) -> None:
    """The service reports; the flow decides. "MẬT" stands alone on the first line of the text."""
    data = pdfkit.secret_marked(pki)
    report = inspect(data, trust)
    assert_report(report, data, outcome="ok", fields=1, signatures=[sig()], pages=1)
    assert report.first_pages_text.splitlines()[0] == "MẬT"


def test_sha1_signed_is_refused_by_default(pki: TestPki, trust: TrustMaterial) -> None:
    data = pdfkit.sha1_signed(pki)
    report = inspect(data, trust)
    expected = sig(
        "Hoàng Văn Em",
        trusted=False,
        sub_filter="adbe.pkcs7.detached",
        problem="weak-hash",
        summary="INTACT:UNTRUSTED,UNTOUCHED",
    )
    assert_report(report, data, outcome="ok", fields=1, signatures=[expected], pages=1)


def test_sha1_signed_is_accepted_when_allowed(pki: TestPki) -> None:
    data = pdfkit.sha1_signed(pki)
    report = inspect(data, load_trust(pki.trust_settings(allow_sha1=True)))
    expected = sig("Hoàng Văn Em", sub_filter="adbe.pkcs7.detached")
    assert_report(report, data, outcome="ok", fields=1, signatures=[expected], pages=1)


def test_unsupported_subfilter_is_counted(pki: TestPki, trust: TrustMaterial) -> None:
    """pyHanko drops a signature with SubFilter adbe.pkcs7.sha1 without a word; the field count shows it."""
    data = pdfkit.unsupported_subfilter(pki)
    report = inspect(data, trust)
    assert_report(report, data, outcome="ok", fields=1, signatures=[], pages=1)
    assert report.unsupported_signatures == 1
    assert not report.all_signatures_ok


def test_mangled_signature_contents_is_one_broken_signature(pki: TestPki, trust: TrustMaterial) -> None:
    """A /Contents that does not even parse is one broken signature, not an unreadable file.

    The first signature still verifies, but the revision after it cannot be analysed, so it is ``modified``.
    """
    data = bytearray(pdfkit.two_signatures(pki))
    second = data.rindex(b"/Contents <")
    data[second + len(b"/Contents <") + 10] = ord("G")
    report = inspect(bytes(data), trust)
    assert report.outcome == "ok"
    assert (report.signature_fields, report.unsupported_signatures) == (2, 0)
    first, broken = report.signatures
    assert (first.field_name, first.intact, first.trusted, first.problem) == ("Signature1", True, True, "modified")
    assert (first.coverage, first.modification_level) == ("ENTIRE_REVISION", "UNKNOWN")
    assert "; diff analysis failed: PdfStreamError" in first.summary
    assert verdict(broken) == sig(
        "",
        field="Signature2",
        intact=False,
        valid=False,
        trusted=False,
        coverage="UNKNOWN",
        modification="UNKNOWN",
        sub_filter="",
        problem="broken",
        summary="ERROR: PdfStreamError: Unexpected token in hex string: b'G'",
    )
    assert NUMBER in report.first_pages_text


# --- size, garbage, limits ---------------------------------------------------------------------------------


def test_too_large_is_not_parsed(pki: TestPki, trust: TrustMaterial, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_parsing(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parsed a file above max_bytes")

    monkeypatch.setattr(pdf_inspect, "PdfFileReader", no_parsing)
    monkeypatch.setattr(pdf_inspect, "PypdfReader", no_parsing)
    limit = trust.settings.max_bytes
    assert limit == 25 * 1024 * 1024
    data = pdfkit.valid(pki) + b"\n%" + b"x" * limit
    report = inspect(data, trust)
    assert (report.outcome, report.size, report.sha256) == ("too-large", len(data), hashlib.sha256(data).hexdigest())
    assert report.error == f"{len(data)} bytes; the limit is {limit}"
    assert (report.signature_fields, report.signatures, report.page_count, report.first_pages_text) == (0, (), None, "")


def test_exactly_max_bytes_is_parsed(pki: TestPki) -> None:
    data = pdfkit.valid(pki)
    trust = load_trust(pki.trust_settings(max_bytes=len(data)))
    assert inspect(data, trust).outcome == "ok"
    assert inspect(data + b"\n", trust).outcome == "too-large"


@pytest.mark.parametrize(
    ("data", "outcome"),
    [
        (b"", "not-pdf"),
        (b"   \r\n", "not-pdf"),
        (b"PK\x03\x04 a zip named .pdf", "not-pdf"),
        (b"%PDF-1.7\n", "unreadable"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 40, "unreadable"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\nstartxref\n999999\n%%EOF\n", "unreadable"),
    ],
)
def test_garbage_becomes_an_outcome(data: bytes, outcome: str, trust: TrustMaterial) -> None:
    report = inspect(data, trust)
    assert report.outcome == outcome
    assert report.error
    assert report.signatures == ()


def test_every_prefix_of_a_signed_pdf_gets_a_report(pki: TestPki, trust: TrustMaterial) -> None:
    """Cut anywhere, a signed PDF never makes the service raise."""
    data = pdfkit.valid(pki)
    outcomes = {inspect(data[:cut], trust).outcome for cut in range(0, len(data), max(1, len(data) // 60))}
    assert outcomes <= {"not-pdf", "unreadable", "ok"}
    assert "unreadable" in outcomes


def test_text_follows_the_document(trust: TrustMaterial) -> None:
    doc = DocText(
        number="45/QĐ-CSĐT",
        date=dt.date(2026, 1, 9),
        doc_type="LỆNH",
        title="Về việc bắt người bị giữ trong trường hợp khẩn cấp",
        urgency="KHẨN",
        case_code="31/2026/HS",
    )
    text = inspect(pdfkit.unsigned(doc), trust).first_pages_text
    for expected in ("Số: 45/QĐ-CSĐT", "Quảng Ninh, ngày 09 tháng 01 năm 2026", "KHẨN", "LỆNH", "31/2026/HS"):
        assert expected in text
    assert "Về việc bắt người bị giữ trong trường hợp khẩn cấp" in text.splitlines()


def test_only_the_first_pages_are_read(pki: TestPki) -> None:
    data = pdfkit.unsigned(DocText(pages=3))
    report = inspect(data, load_trust(pki.trust_settings(text_pages=2)))
    assert report.page_count == 3
    assert "Trang 2:" in report.first_pages_text
    assert "Trang 3:" not in report.first_pages_text
    one = inspect(data, load_trust(pki.trust_settings(text_pages=1)))
    assert "Trang 2:" not in one.first_pages_text and NUMBER in one.first_pages_text


# --- revocation data ---------------------------------------------------------------------------------------


def test_stale_crl_makes_revocation_unknown(pki: TestPki, tmp_path: Path) -> None:
    """A CRL past its nextUpdate fails every signer it covers (pyHanko: TRY_LATER), valid or not."""
    stale = pdfkit.make_crl(
        pki.issuing_ca,
        [(pki.revoked_signer, pki.revocation_time)],
        this_update=pki.now - dt.timedelta(days=9),
        next_update=pki.now - dt.timedelta(days=2),
    )
    path = tmp_path / "stale.crl"
    path.write_bytes(stale.public_bytes(serialization.Encoding.DER))
    trust = load_trust(pki.trust_settings(crls=(path,)))
    assert trust.crls_fresh_until == pki.now - dt.timedelta(days=2)
    for data in (pdfkit.valid(pki), pdfkit.revoked(pki)):
        (check,) = inspect(data, trust).signatures
        assert (check.trusted, check.revoked, check.problem) == (False, False, "revocation-unknown")


def test_without_crls_a_revoked_signer_passes(pki: TestPki) -> None:
    """Soft-fail, offline: revocation is only as good as the CRL files the administrator supplies."""
    (check,) = inspect(pdfkit.revoked(pki), load_trust(pki.trust_settings(crls=()))).signatures
    assert (check.trusted, check.revoked, check.problem) == (True, False, None)


# --- trust files -------------------------------------------------------------------------------------------


def test_trust_files_in_every_format(pki: TestPki) -> None:
    pem = load_trust(pki.trust_settings())
    der = load_trust(pki.trust_settings(roots=(pki.root_der,), crls=(pki.crl_pem,)))
    assert [c.sha256 for c in pem.roots] == [c.sha256 for c in der.roots]
    assert len(pem.crls) == len(der.crls) == 1
    assert pem.crls_fresh_until == pki.now + dt.timedelta(days=6)
    assert (len(pem.roots), len(pem.intermediates)) == (1, 0)


def test_intermediates_in_a_bundle_are_not_anchors(pki: TestPki) -> None:
    """root + intermediate in one .p7b: the intermediate helps build paths; the CRL it issued still works."""
    trust = load_trust(pki.trust_settings(roots=(pki.roots_p7b,)))
    assert (len(trust.roots), len(trust.intermediates)) == (1, 1)
    assert trust.roots[0].self_issued
    assert inspect(pdfkit.valid(pki), trust).signatures[0].problem is None
    assert inspect(pdfkit.revoked(pki), trust).signatures[0].problem == "revoked"
    also = load_trust(pki.trust_settings(roots=(pki.root_pem, pki.intermediate_pem, pki.root_der)))
    assert (len(also.roots), len(also.intermediates)) == (1, 1)


def test_an_intermediate_alone_is_an_anchor(pki: TestPki) -> None:
    trust = load_trust(pki.trust_settings(roots=(pki.intermediate_pem,), crls=()))
    assert (len(trust.roots), len(trust.intermediates)) == (1, 0)
    assert inspect(pdfkit.valid(pki), trust).signatures[0].problem is None


def test_no_roots_trusts_nothing(pki: TestPki) -> None:
    """Never the operating system's list."""
    trust = load_trust(pki.trust_settings(roots=(), crls=()))
    assert inspect(pdfkit.valid(pki), trust).signatures[0].problem == "untrusted"


@pytest.mark.parametrize(
    ("content", "kind", "message"),
    [
        (None, "roots", "cannot read it"),
        (b"", "roots", "empty"),
        (b"not a certificate", "roots", "not a certificate, bundle or PKCS#7"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "roots", "unexpected PEM block"),
        (b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n", "roots", "trust root file"),
        (None, "crls", "cannot read it"),
        (b"garbage", "crls", "not a DER or PEM CRL"),
    ],
)
def test_bad_trust_file_is_named(pki: TestPki, tmp_path: Path, content: bytes | None, kind: str, message: str) -> None:
    bad = tmp_path / "bad-file.pem"
    if content is not None:
        bad.write_bytes(content)
    with pytest.raises(TrustConfigError) as raised:
        load_trust(pki.trust_settings(**{kind: (pki.root_pem if kind == "roots" else pki.crl_der, bad)}))
    assert str(bad) in str(raised.value)
    assert message in str(raised.value)


def test_pki_files(pki: TestPki) -> None:
    """The artefacts other tests (signing, issuing) can use: a PKCS#12 of the trusted signer, the roots."""
    from pyhanko.sign import signers

    loaded = signers.SimpleSigner.load_pkcs12(str(pki.signer_p12), passphrase=pdfkit.P12_PASSPHRASE)
    assert loaded is not None
    assert loaded.signing_cert.subject.native["common_name"] == AN
    assert pki.untrusted_root_pem.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert sorted(p.name for p in pki.directory.iterdir()) == [
        "intermediate-crl.pem",
        "intermediate.crl",
        "intermediate.pem",
        "root.cer",
        "root.pem",
        "roots.p7b",
        "signer.p12",
        "untrusted-root.pem",
    ]


def test_a_crl_is_not_a_root(pki: TestPki) -> None:
    with pytest.raises(TrustConfigError, match=r"intermediate\.crl"):
        load_trust(pki.trust_settings(roots=(pki.crl_der,)))


# --- the synchronous inspector -----------------------------------------------------------------------------


def test_inspector_from_plain_threads(pki: TestPki, trust: TrustMaterial) -> None:
    """Each mail-watcher thread owns an inspector with its own event loop; they run side by side."""
    documents = {"valid": pdfkit.valid(pki), "revoked": pdfkit.revoked(pki), "unsigned": pdfkit.unsigned()}
    results: dict[str, list[PdfReport]] = {}
    errors: list[BaseException] = []

    def watcher(name: str) -> None:
        try:
            with PdfInspector(trust) as inspector:
                results[name] = [inspector.inspect(documents[name]) for _ in range(3)]
        except BaseException as exc:
            errors.append(exc)  # asserted in the main thread
            raise

    threads = [threading.Thread(target=watcher, args=(name,)) for name in documents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert [r.signatures[0].problem for r in results["valid"]] == [None, None, None]
    assert [r.signatures[0].problem for r in results["revoked"]] == ["revoked"] * 3
    assert [r.signature_fields for r in results["unsigned"]] == [0, 0, 0]


def test_inspector_close(pki: TestPki, trust: TrustMaterial) -> None:
    inspector = PdfInspector(trust)
    assert inspector.inspect(pdfkit.not_a_pdf()).outcome == "not-pdf"
    inspector.close()
    inspector.close()
    with pytest.raises(RuntimeError, match="closed"):
        inspector.inspect(pdfkit.unsigned())


def test_inspect_pdf_runs_inside_a_running_loop(pki: TestPki, trust: TrustMaterial) -> None:
    """The async API is the one to use from async code (pyHanko's sync validator would refuse)."""
    data = [pdfkit.valid(pki), pdfkit.two_signatures(pki)]

    async def both() -> list[PdfReport]:
        return list(await asyncio.gather(*(inspect_pdf(d, trust) for d in data)))

    assert [len(r.signatures) for r in asyncio.run(both())] == [1, 2]


def test_random_damage_never_raises(pki: TestPki, trust: TrustMaterial) -> None:
    """Bytes overwritten at random places (fixed seed): always a report, never an exception."""
    rng = random.Random(20260405)
    data = pdfkit.two_signatures(pki)
    outcomes = set()
    for _ in range(24):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        report = inspect(bytes(damaged), trust)
        outcomes.add(report.outcome)
        assert report.outcome != "ok" or report.signature_fields >= len(report.signatures)
    assert outcomes <= {"ok", "unreadable", "not-pdf"}

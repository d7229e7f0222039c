"""A throwaway test PKI and sample PDFs, made when needed — for the tests, the benchmarks and ``vanthu demo``.

Nothing here is for production: the keys live only as long as the directory they are written to, and no key
is ever committed. It needs the development extras (reportlab draws the pages).

The PKI (``make_pki``) mirrors what an incoming-document office meets: a trusted root (standing in for the
government or NEAC root the administrator supplies) with an intermediate CA issuing the signers of an
investigation body; a second, untrusted root whose signer carries the same name (an impostor); an expired
signer; a revoked signer listed in a DER CRL; and a signer whose key is used with SHA-1.

The PDF builders return bytes. Page 1 of every readable PDF is a realistic incoming decision of an
investigation body (``DocText``), drawn with DejaVu Serif so that the Vietnamese text extracts back intact.
Signing uses pyHanko's ``PdfSigner`` with a signing time the caller controls.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.stamp import TextStamp, TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from worker.pdf_inspect import TrustSettings

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
P12_PASSPHRASE = b"vanthu-test"

INVESTIGATION_BODY = "Cơ quan Cảnh sát điều tra Công an tỉnh Quảng Ninh"
# Never fetched (validation is offline); .invalid cannot resolve even by mistake.
ROOT_CRL_URL = "http://crl.vanthu-test.invalid/root.crl"
SUB_CA_CRL_URL = "http://crl.vanthu-test.invalid/subca.crl"


# --- the PKI ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestSigner:
    """A signer certificate with its private key and the chain above it (issuer first, root last)."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    name: str
    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...]

    def pyhanko_signer(self) -> signers.SimpleSigner:
        """A pyHanko in-memory signer (RSA PKCS#1 v1.5) that embeds the whole chain in its signatures."""
        key_der = self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return _LoadedKeySigner(
            self.key,
            signing_cert=_asn1(self.cert),
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in self.chain]),
        )


class _LoadedKeySigner(signers.SimpleSigner):
    """SimpleSigner signing with an already loaded key: pyHanko re-parses (and re-checks) an RSA key for every
    raw signature, ~80 ms each, twice per PDF signature."""

    def __init__(self, key: rsa.RSAPrivateKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._loaded_key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        return self._loaded_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


@dataclass(frozen=True)
class TestPki:
    """Everything ``make_pki`` wrote into ``directory``, and the signers to sign test PDFs with.

    ``now`` is the moment the PKI was made (UTC); validity periods, the revocation and the CRL are relative
    to it, so the PKI is correct whenever the tests run.
    """

    __test__: ClassVar[bool] = False  # not a pytest test class

    directory: Path
    now: dt.datetime
    root_pem: Path  # the trusted root, PEM
    root_der: Path  # the same root, DER
    roots_p7b: Path  # the trusted root and the intermediate, as a DER PKCS#7 bundle
    intermediate_pem: Path
    crl_der: Path  # the intermediate's CRL, listing revoked_signer
    crl_pem: Path  # the same CRL, PEM
    untrusted_root_pem: Path
    signer_p12: Path  # signer's key and chain as PKCS#12, passphrase P12_PASSPHRASE
    signer: TestSigner  # Nguyễn Văn An, trusted
    second_signer: TestSigner  # Trần Thị Bình, trusted
    untrusted_signer: TestSigner  # also "Nguyễn Văn An", under the untrusted root
    expired_signer: TestSigner
    revoked_signer: TestSigner
    sha1_signer: TestSigner  # trusted chain; its PDFs are signed with SHA-1
    issuing_ca: TestSigner  # the intermediate, with its key, to make other CRLs (``make_crl``)
    revocation_time: dt.datetime  # when revoked_signer was revoked

    def trust_settings(self, **overrides: object) -> TrustSettings:
        """TrustSettings trusting this PKI's root, with its CRL; keyword arguments override fields."""
        values: dict[str, object] = {"roots": (self.root_pem,), "crls": (self.crl_der,)}
        values.update(overrides)
        return TrustSettings(**values)  # type: ignore[arg-type]


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _name(common_name: str, organisation: str, email: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Quảng Ninh"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if email:
        attributes.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attributes)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    ca: bool,
    email: str | None = None,
    crl_url: str | None = None,
) -> x509.Certificate:
    issuer_name = issuer[0].subject if issuer else subject
    issuer_key = issuer[1] if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    else:
        # digital_signature + content_commitment (non-repudiation), as on Vietnamese token certificates
        usage = x509.KeyUsage(True, True, True, False, False, False, False, False, False)
        if email:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
    if crl_url:
        # pyhanko-certvalidator consults CRLs (even the ones given to it) only for certificates that name a
        # distribution point, as real CA certificates do.
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    builder = builder.add_extension(usage, critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(directory: Path) -> TestPki:
    """Build the test PKI into ``directory`` (created if needed) and return it; about half a second."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    long_ago = min(now - dt.timedelta(days=400), dt.datetime(2025, 1, 1, tzinfo=dt.UTC))

    root_key = _new_key()
    root = _certificate(
        _name("vanthu TEST Root CA", "Ban Cơ yếu Chính phủ (thử nghiệm)"),
        root_key,
        None,
        not_before=long_ago,
        not_after=now + dt.timedelta(days=3650),
        ca=True,
    )
    inter_key = _new_key()
    inter = _certificate(
        _name("vanthu TEST Sub CA Bộ Công an", "Ban Cơ yếu Chính phủ (thử nghiệm)"),
        inter_key,
        (root, root_key),
        not_before=long_ago,
        not_after=now + dt.timedelta(days=1825),
        ca=True,
        crl_url=ROOT_CRL_URL,
    )

    def leaf(
        common_name: str,
        email: str,
        *,
        issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] = (inter, inter_key),
        chain: tuple[x509.Certificate, ...] = (inter, root),
        crl_url: str | None = SUB_CA_CRL_URL,
        not_before: dt.datetime = long_ago,
        not_after: dt.datetime = now + dt.timedelta(days=730),
    ) -> TestSigner:
        key = _new_key()
        cert = _certificate(
            _name(common_name, INVESTIGATION_BODY, email),
            key,
            issuer,
            not_before=not_before,
            not_after=not_after,
            ca=False,
            email=email,
            crl_url=crl_url,
        )
        return TestSigner(common_name, cert, key, chain)

    signer = leaf("Nguyễn Văn An", "nguyenvanan@congan.quangninh.gov.vn")
    second = leaf("Trần Thị Bình", "tranthibinh@congan.quangninh.gov.vn")
    expired = leaf(
        "Lê Văn Cường",
        "levancuong@congan.quangninh.gov.vn",
        not_before=now - dt.timedelta(days=400),
        not_after=now - dt.timedelta(days=30),
    )
    revoked = leaf("Phạm Thị Dung", "phamthidung@congan.quangninh.gov.vn")
    sha1 = leaf("Hoàng Văn Em", "hoangvanem@congan.quangninh.gov.vn")

    fake_root_key = _new_key()
    fake_root = _certificate(
        _name("Ban Cơ yếu Chính phủ Root CA", "Ban Cơ yếu Chính phủ"),
        fake_root_key,
        None,
        not_before=long_ago,
        not_after=now + dt.timedelta(days=3650),
        ca=True,
    )
    impostor = leaf(
        "Nguyễn Văn An",
        "nguyenvanan@congan.quangninh.gov.vn",
        issuer=(fake_root, fake_root_key),
        chain=(fake_root,),
        crl_url="http://crl.fake-ca.invalid/root.crl",
    )

    revocation_time = now - dt.timedelta(days=10)
    issuing_ca = TestSigner("vanthu TEST Sub CA Bộ Công an", inter, inter_key, (root,))
    crl = make_crl(issuing_ca, [(revoked, revocation_time)], this_update=now - dt.timedelta(days=1))

    def write(name: str, data: bytes) -> Path:
        path = directory / name
        path.write_bytes(data)
        return path

    pem, der = serialization.Encoding.PEM, serialization.Encoding.DER
    p12 = pkcs12.serialize_key_and_certificates(
        b"signer",
        signer.key,
        signer.cert,
        list(signer.chain),
        serialization.BestAvailableEncryption(P12_PASSPHRASE),
    )
    return TestPki(
        directory=directory,
        now=now,
        root_pem=write("root.pem", root.public_bytes(pem)),
        root_der=write("root.cer", root.public_bytes(der)),
        roots_p7b=write("roots.p7b", pkcs7.serialize_certificates([root, inter], der)),
        intermediate_pem=write("intermediate.pem", inter.public_bytes(pem)),
        crl_der=write("intermediate.crl", crl.public_bytes(der)),
        crl_pem=write("intermediate-crl.pem", crl.public_bytes(pem)),
        untrusted_root_pem=write("untrusted-root.pem", fake_root.public_bytes(pem)),
        signer_p12=write("signer.p12", p12),
        signer=signer,
        second_signer=second,
        untrusted_signer=impostor,
        expired_signer=expired,
        revoked_signer=revoked,
        sha1_signer=sha1,
        issuing_ca=issuing_ca,
        revocation_time=revocation_time,
    )


def make_crl(
    ca: TestSigner,
    revoked: Sequence[tuple[TestSigner, dt.datetime]],
    *,
    this_update: dt.datetime,
    next_update: dt.datetime | None = None,
) -> x509.CertificateRevocationList:
    """A CRL of ``ca`` listing each (signer, revocation time) for key compromise; next update a week later."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(this_update)
        .next_update(next_update or this_update + dt.timedelta(days=7))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    )
    for signer, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(signer.cert.serial_number)
            .revocation_date(when)
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
    return builder.sign(ca.key, hashes.SHA256())


# --- the document ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocText:
    """What page 1 of an incoming decision says; every field can be changed.

    ``urgency`` is "", "KHẨN", "THƯỢNG KHẨN" or "HỎA TỐC"; ``secrecy`` is "", "MẬT", "TỐI MẬT" or
    "TUYỆT MẬT" and is stamped at the top of page 1. ``pages`` > 1 adds continuation pages.
    """

    authority: str = "CÔNG AN TỈNH QUẢNG NINH"
    issuer: str = "CƠ QUAN CẢNH SÁT ĐIỀU TRA"
    number: str = "123/QĐ-CSĐT"
    place: str = "Quảng Ninh"
    date: dt.date = dt.date(2026, 4, 5)
    doc_type: str = "QUYẾT ĐỊNH"
    title: str = "Về việc khởi tố bị can"
    urgency: str = ""
    secrecy: str = ""
    case_code: str = "12/2026/HS"
    accused: str = "Trần Văn Bình"
    signer_title: str = "THỦ TRƯỞNG"
    signer_name: str = "Nguyễn Văn An"
    pages: int = 1


def vn_date(day: dt.date, place: str = "") -> str:
    """The date line of Nghị định 30: a zero before days below 10 and months below 3.

    ``vn_date(date(2026, 4, 5), "Quảng Ninh")`` → ``Quảng Ninh, ngày 05 tháng 4 năm 2026``.
    """
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    text = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {text}" if place else text


_fonts_registered = False


def _register_fonts() -> None:
    global _fonts_registered
    if _fonts_registered:
        return
    for name in ("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic"):
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))
    _fonts_registered = True


def document(doc: DocText | None = None) -> bytes:
    """An unsigned PDF of ``doc`` (A4, DejaVu Serif, deterministic bytes; cached per ``DocText``)."""
    return _document(doc or DocText())


@functools.lru_cache(maxsize=32)
def _document(doc: DocText) -> bytes:
    _register_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    c.setTitle(f"{doc.doc_type.capitalize()} {doc.number}")
    c.setAuthor(f"{doc.issuer.capitalize()} {doc.authority.lower()}")
    width, height = A4
    left, right = 150.0, 410.0
    y = height - 50
    if doc.secrecy:
        c.setFont("DejaVuSerif-Bold", 14)
        c.drawString(60, y, doc.secrecy)
        c.rect(52, y - 6, c.stringWidth(doc.secrecy, "DejaVuSerif-Bold", 14) + 16, 24)
        y -= 32
    c.setFont("DejaVuSerif", 12)
    c.drawCentredString(left, y, doc.authority)
    c.setFont("DejaVuSerif-Bold", 12)
    c.drawCentredString(right, y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    y -= 16
    c.drawCentredString(left, y, doc.issuer)
    c.setFont("DejaVuSerif-Bold", 13)
    c.drawCentredString(right, y, "Độc lập - Tự do - Hạnh phúc")
    y -= 26
    c.setFont("DejaVuSerif", 12)
    c.drawCentredString(left, y, f"Số: {doc.number}")
    c.setFont("DejaVuSerif-Italic", 12)
    c.drawCentredString(right, y, vn_date(doc.date, doc.place))
    y -= 24
    if doc.urgency:
        c.setFont("DejaVuSerif-Bold", 13)
        c.drawCentredString(left, y, doc.urgency)
        y -= 24
    y -= 16
    c.setFont("DejaVuSerif-Bold", 14)
    c.drawCentredString(width / 2, y, doc.doc_type)
    y -= 18
    c.setFont("DejaVuSerif-Bold", 12)
    c.drawCentredString(width / 2, y, doc.title)
    y -= 30
    body = [
        ("DejaVuSerif-Bold", f"{doc.signer_title} {doc.issuer} {doc.authority}"),
        ("DejaVuSerif", "Căn cứ các điều 36, 179 và 180 Bộ luật Tố tụng hình sự năm 2015;"),
        ("DejaVuSerif", f"Căn cứ Quyết định khởi tố vụ án hình sự, vụ án số {doc.case_code};"),
        ("DejaVuSerif", "Xét thấy có đủ căn cứ xác định bị can đã thực hiện hành vi phạm tội,"),
        ("DejaVuSerif-Bold", f"{doc.doc_type}:"),
        ("DejaVuSerif", f"Điều 1. Khởi tố bị can đối với {doc.accused}, sinh năm 1990,"),
        ("DejaVuSerif", "trú tại phường Hồng Gai, tỉnh Quảng Ninh, về tội “Trộm cắp tài sản”"),
        ("DejaVuSerif", "quy định tại khoản 1 Điều 173 Bộ luật Hình sự."),
        ("DejaVuSerif", "Điều 2. Quyết định này được gửi đến Viện kiểm sát nhân dân tỉnh Quảng Ninh"),
        ("DejaVuSerif", "để xét phê chuẩn trong thời hạn 03 ngày kể từ ngày nhận được."),
    ]
    for font, line in body:
        c.setFont(font, 12)
        c.drawString(70, y, line)
        y -= 18
    y -= 20
    c.setFont("DejaVuSerif-Bold", 11)
    c.drawString(70, y, "Nơi nhận:")
    c.setFont("DejaVuSerif-Bold", 12)
    c.drawCentredString(right, y, doc.signer_title)
    y -= 15
    c.setFont("DejaVuSerif", 10)
    c.drawString(70, y, "- VKSND tỉnh Quảng Ninh (để phê chuẩn);")
    y -= 13
    c.drawString(70, y, "- Lưu: HSVA, CSĐT.")
    y -= 60
    c.setFont("DejaVuSerif-Bold", 12)
    c.drawCentredString(right, y, doc.signer_name)
    for page in range(2, doc.pages + 1):
        c.showPage()
        c.setFont("DejaVuSerif", 12)
        c.drawString(70, height - 70, f"Trang {page}: Điều {page + 1}. Nội dung tiếp theo của quyết định.")
    c.showPage()
    c.save()
    return buf.getvalue()


def text_page(lines: tuple[str, ...], title: str = "") -> bytes:
    """An unsigned one-page PDF with ``lines`` one below the other (a petition, a letter without a header
    block …), deterministic bytes; a line starting ``# `` is drawn bold and centred."""
    _register_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    if title:
        c.setTitle(title)
    width, height = A4
    y = height - 60
    for line in lines:
        if line.startswith("# "):
            c.setFont("DejaVuSerif-Bold", 13)
            c.drawCentredString(width / 2, y, line[2:])
        else:
            c.setFont("DejaVuSerif", 12)
            c.drawString(70, y, line)
        y -= 18
    c.showPage()
    c.save()
    return buf.getvalue()


# --- signing -----------------------------------------------------------------------------------------------


class _TimedPdfSigner(signers.PdfSigner):
    """A PdfSigner whose signing time (/M, and the CMS signing-time attribute) is given, not read off the clock."""

    def __init__(self, meta: signers.PdfSignatureMetadata, signer: signers.Signer, signing_time: dt.datetime):
        super().__init__(meta, signer)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._signing_time
        return session


def sign(
    pdf: bytes,
    signer: TestSigner,
    *,
    field_name: str = "Signature1",
    signing_time: dt.datetime | None = None,
    md_algorithm: str = "sha256",
    pades: bool = True,
) -> bytes:
    """``pdf`` with one more approval signature by ``signer`` (an incremental update).

    ``pades`` selects SubFilter ETSI.CAdES.detached (else adbe.pkcs7.detached); ``signing_time`` defaults to
    an hour before now. pyHanko's ``sign_pdf`` runs its own event loop: call this outside a running loop.
    """
    when = signing_time or dt.datetime.now(VN).replace(microsecond=0) - dt.timedelta(hours=1)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=md_algorithm,
        subfilter=fields.SigSeedSubFilter.PADES if pades else fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED,
        reason="Ký duyệt văn bản",
        location="Quảng Ninh",
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = _TimedPdfSigner(meta, signer.pyhanko_signer(), when).sign_pdf(writer)
    return bytes(out.getvalue())


# --- the PDF kinds -----------------------------------------------------------------------------------------


def unsigned(doc: DocText | None = None) -> bytes:
    """A readable PDF without any signature."""
    return document(doc)


def valid(pki: TestPki, doc: DocText | None = None, *, signing_time: dt.datetime | None = None) -> bytes:
    """Signed (PAdES) by the trusted signer Nguyễn Văn An."""
    return sign(document(doc), pki.signer, signing_time=signing_time)


def untrusted(pki: TestPki, doc: DocText | None = None) -> bytes:
    """Signed by a signer of the same name under a root nobody trusts."""
    return sign(document(doc), pki.untrusted_signer)


def expired(pki: TestPki, doc: DocText | None = None) -> bytes:
    """Signed while the signer's certificate was valid; it has expired since (no timestamp proves when)."""
    return sign(document(doc), pki.expired_signer, signing_time=pki.now - dt.timedelta(days=60))


def revoked(pki: TestPki, doc: DocText | None = None) -> bytes:
    """Signed by the signer whose certificate the CRL revokes (revoked after signing; no timestamp)."""
    return sign(document(doc), pki.revoked_signer, signing_time=pki.now - dt.timedelta(days=20))


def modified_after_signing(pki: TestPki, doc: DocText | None = None) -> bytes:
    """Validly signed, then changed by an incremental update that stamps a different number on page 1."""
    signed = valid(pki, doc)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    style = TextStampStyle(stamp_text="So: 999/QD-CSDT")
    TextStamp(writer, style).apply(0, 60, 700)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def tampered(pki: TestPki, doc: DocText | None = None) -> bytes:
    """Validly signed, then one byte inside the signed range flipped (in a comment: the file still parses)."""
    signed = bytearray(valid(pki, doc))
    at = signed.index(b"ReportLab Generated")
    signed[at] = ord("r")
    return bytes(signed)


def two_signatures(pki: TestPki, doc: DocText | None = None) -> bytes:
    """Signed by Nguyễn Văn An (PAdES), then countersigned by Trần Thị Bình (adbe.pkcs7.detached)."""
    first = valid(pki, doc)
    return sign(first, pki.second_signer, field_name="Signature2", pades=False)


def encrypted(doc: DocText | None = None, password: str = "matkhau") -> bytes:
    """An unsigned PDF that needs a user password to open (AES-256)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(document(doc))))
    writer.encrypt(user_password=password, owner_password="chu-so-huu", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def owner_password_only(doc: DocText | None = None) -> bytes:
    """An unsigned PDF encrypted with an empty user password (only "permissions" locked): anyone can open it."""
    return encrypted(doc, password="")


def truncated(pki: TestPki, doc: DocText | None = None) -> bytes:
    """The first half of a validly signed PDF (an attachment cut off in transit)."""
    signed = valid(pki, doc)
    return signed[: len(signed) // 2]


def not_a_pdf() -> bytes:
    """A webmail "session expired" HTML page saved as quyet-dinh.pdf."""
    return (
        '<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8"><title>Phiên làm việc đã hết hạn</title>'
        "</head><body><h1>Phiên đăng nhập đã hết hạn</h1><p>Vui lòng đăng nhập lại để tải tệp đính kèm"
        " quyet-dinh.pdf.</p></body></html>\n"
    ).encode()


def secret_marked(pki: TestPki, doc: DocText | None = None) -> bytes:
    """Validly signed; page 1 is stamped "MẬT" at the top (the flow must quarantine it)."""
    base = doc or DocText()
    return valid(pki, replace(base, secrecy=base.secrecy or "MẬT"))


def sha1_signed(pki: TestPki, doc: DocText | None = None) -> bytes:
    """Signed by a trusted signer with SHA-1 as the message digest (adbe.pkcs7.detached, as old tools do)."""
    return sign(document(doc), pki.sha1_signer, md_algorithm="sha1", pades=False)


def unsupported_subfilter(pki: TestPki, doc: DocText | None = None) -> bytes:
    """Signed, with the SubFilter renamed to adbe.pkcs7.sha1, which pyHanko does not validate (and drops)."""
    signed = sign(document(doc), pki.signer, pades=False)
    old = b"/adbe.pkcs7.detached"
    new = b"/adbe.pkcs7.sha1"
    assert signed.count(old) == 1
    return signed.replace(old, new + b" " * (len(old) - len(new)))


def all_kinds(pki: TestPki) -> dict[str, bytes]:
    """Every kind above by name, with default text."""
    return {
        "valid": valid(pki),
        "untrusted": untrusted(pki),
        "expired": expired(pki),
        "revoked": revoked(pki),
        "modified_after_signing": modified_after_signing(pki),
        "tampered": tampered(pki),
        "unsigned": unsigned(),
        "two_signatures": two_signatures(pki),
        "encrypted": encrypted(),
        "owner_password_only": owner_password_only(),
        "truncated": truncated(pki),
        "not_a_pdf": not_a_pdf(),
        "secret_marked": secret_marked(pki),
        "sha1_signed": sha1_signed(pki),
        "unsupported_subfilter": unsupported_subfilter(pki),
    }

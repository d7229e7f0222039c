"""Files are found wherever mail programs put them, and only there."""

from __future__ import annotations

from email.message import EmailMessage

from mailflows.hygiene import machine_generated
from mailflows.message import MAX_ATTACHMENT_DEPTH, parse

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _base(subject: str = "Gửi quyết định") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "thuky@toaan.example.vn"
    msg["To"] = "vanthu@vksquangninh.gov.vn"
    msg["Subject"] = subject
    msg["Message-ID"] = "<a@toaan.example.vn>"
    return msg


def test_a_pdf_inside_an_smime_signed_part_is_found() -> None:
    inner = EmailMessage()
    inner.set_content("Kính gửi Viện kiểm sát")
    inner.add_attachment(PDF, maintype="application", subtype="pdf", filename="qd.pdf")
    msg = _base()
    msg.make_mixed()
    msg.set_payload([inner])
    msg.replace_header("Content-Type", 'multipart/signed; protocol="application/pkcs7-signature"; boundary="s1"')
    signature = EmailMessage()
    signature.set_content(b"\x30\x80", maintype="application", subtype="pkcs7-signature", filename="smime.p7s")
    msg.attach(signature)
    parsed = parse(msg.as_bytes())
    assert [(a.filename, a.data) for a in parsed.attachments if a.filename == "qd.pdf"] == [("qd.pdf", PDF)]


def test_a_pdf_inside_an_attached_message_is_not_taken_as_this_messages_file() -> None:
    returned = _base("Quyết định đã phát hành")
    returned.set_content("Văn bản kèm theo")
    returned.add_attachment(PDF, maintype="application", subtype="pdf", filename="qd.pdf")
    bounce = _base("Undelivered Mail Returned to Sender")
    bounce.set_content("This is the mail system at host mx.example.")
    bounce.add_attachment(returned)
    parsed = parse(bounce.as_bytes())
    assert parsed.attachments == ()


def test_nesting_deeper_than_the_limit_is_not_followed() -> None:
    leaf = EmailMessage()
    leaf.add_attachment(PDF, maintype="application", subtype="pdf", filename="sau.pdf")
    part = leaf
    for _ in range(MAX_ATTACHMENT_DEPTH + 2):
        outer = EmailMessage()
        outer.make_mixed()
        outer.attach(part)
        part = outer
    msg = _base()
    msg.make_mixed()
    msg.attach(part)
    assert parse(msg.as_bytes()).attachments == ()


def test_a_lotus_notes_auto_reply_is_machine_generated() -> None:
    msg = _base("AUTO: Hoang Van Khanh is out of the office (returning 07/12/2026)")
    msg.set_content("I will be out of the office.")
    assert machine_generated(parse(msg.as_bytes()), "vksquangninh.gov.vn") is not None

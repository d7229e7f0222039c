"""``vanthu demo``: the main job on the embedded default, start to finish, in one command.

It sets up ``<dir>`` with SQLite and local MH mailboxes (no mail server needed) and a throwaway test
PKI (made now, trusted only by this demo), drops a handful of realistic requests into the records
office's inbox — with and without diacritics, one from a stranger, one ambiguous, one auto-reply —
and two documents from the police (one signed, one encrypted), runs the worker once, and prints
what each message got and where the replies are.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from vanthu.models import audit
from vanthu.models.tables import MailLedger, OutboxMessage
from vanthu.worker.app import build_app
from vanthu.worker.cli import prepare_database
from vanthu.worker.config import load
from vanthu.worker.local_source import deliver_local
from vanthu.worker.runner import run_once

EXAMPLES = resources.files("vanthu.examples")  # shipped in the wheel as package data
OFFICE = "vanthu@vksquangninh.gov.vn"

REQUESTS: list[tuple[str, str, str, dict[str, str]]] = [
    (
        "ksv.lan@vksquangninh.gov.vn",
        "Lấy số: Quyết định phê chuẩn quyết định khởi tố bị can",
        "Loại: QĐ\nVụ án: 12/2026/HS\nNgười ký: Nguyễn Văn Minh\n",
        {},
    ),
    ("ksv.binh@vksquangninh.gov.vn", "LAY SO: bao cao tong ket cong tac nam 2026", "Loai: BC\n", {}),
    (
        "chanhvp@vksquangninh.gov.vn",
        "Lấy số: Công văn về việc phối hợp xác minh nguồn tin",
        "Loại: Công văn\nNgười ký: Lương Văn Sơn\n",
        {},
    ),
    ("ksv.lan@vksquangninh.gov.vn", "lay so: Quyet dinh", "", {}),
    ("nguoidan@gmail.com", "Lấy số: Đơn đề nghị", "Xin cấp số.\n", {}),
    (
        "ksv.binh@vksquangninh.gov.vn",
        "Hủy số 01/BC-VKSQN",
        "Lý do: Báo cáo được gộp vào kế hoạch năm sau.\n",
        {},
    ),
    (
        "ksv.binh@vksquangninh.gov.vn",
        "Trả lời tự động: Vắng mặt đến 25/11",
        "Tôi đang đi công tác.\n",
        {"Auto-Submitted": "auto-replied"},
    ),
    ("vanthu.hoa@vksquangninh.gov.vn", "Trợ giúp", "", {}),
]


def _request(sender: str, subject: str, body: str, extra: dict[str, str]) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = OFFICE
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain="demo.invalid")
    for k, v in extra.items():
        msg[k] = v
    msg.set_content(body or "\n")
    return msg.as_bytes()


def _reply_file(mail_root: Path, to: str, message_id: str) -> str:
    folder = mail_root / to / "INBOX"
    if folder.is_dir():
        for f in sorted(folder.iterdir()):
            if f.name.isdigit() and message_id.encode() in f.read_bytes()[:4000]:
                return str(f)
    return "-"


def _police_documents(pki_dir: Path) -> tuple[Path, list[bytes]]:
    """A throwaway PKI and two incoming documents from an investigation body (test material, made now)."""
    from vanthu.demo import pki as pdfkit  # throwaway keys, made now; needs the development extras

    pki = pdfkit.make_pki(pki_dir)
    urgent = pdfkit.DocText(
        number="45/CSĐT",
        doc_type="CÔNG VĂN",
        title="V/v đề nghị phê chuẩn lệnh bắt người bị giữ trong trường hợp khẩn cấp",
        urgency="HỎA TỐC",
    )
    docs = []
    for data, subject in (
        (pdfkit.valid(pki, urgent), "Gửi công văn 45/CSĐT"),
        (pdfkit.encrypted(), "Gửi quyết định (bản có mật khẩu)"),
    ):
        msg = EmailMessage()
        msg["From"] = "Cơ quan CSĐT Công an tỉnh Quảng Ninh <pc01@congan.quangninh.gov.vn>"
        msg["To"] = OFFICE
        msg["Subject"] = subject
        msg["Date"] = format_datetime(dt.datetime.now().astimezone())
        msg["Message-ID"] = make_msgid(domain="congan.quangninh.gov.vn")
        msg.set_content("Kính gửi Viện kiểm sát nhân dân tỉnh Quảng Ninh, xin gửi văn bản đính kèm.")
        msg.add_attachment(data, maintype="application", subtype="pdf", filename="van-ban.pdf")
        docs.append(msg.as_bytes())
    return pki.root_pem, docs


def run_demo(target: Path) -> int:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    root_pem, police = _police_documents(target / "test-pki")
    config_text = (EXAMPLES / "demo.toml").read_text(encoding="utf-8")
    config_text += f'\n[trust]\nroots = ["{root_pem.relative_to(target)}"]\n'
    (target / "vanthu.toml").write_text(config_text, encoding="utf-8")
    (target / "people.csv").write_bytes((EXAMPLES / "people.csv").read_bytes())
    cfg = load(target / "vanthu.toml")
    inbox_root = cfg.data_path / "mailboxes" / "vksqn"
    for sender, subject, body, extra in REQUESTS:
        deliver_local(inbox_root, _request(sender, subject, body, extra))
    for raw in police:
        deliver_local(inbox_root, raw)
    prepare_database(cfg)
    app = build_app(cfg)
    try:
        handled = asyncio.run(run_once(app))
        with app.uow() as uow:
            rows = uow.session.execute(select(MailLedger).order_by(MailLedger.uid)).scalars().all()
            replies: dict[int | None, list[OutboxMessage]] = {}
            for r in uow.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars():
                replies.setdefault(r.ledger_id, []).append(r)
            count, problem = audit.verify(uow.session)
    finally:
        app.close()
    mail_root = cfg.data_path / "mail"
    print()
    print(f"vanthu demo — {handled} thư đã xử lý trong {target}/")
    print()
    for row in rows:
        sent = replies.get(row.id, [])
        print(f"#{row.uid} {row.sender}")
        print(f"   thư     : {row.subject or '(không lưu: tài liệu mật)'}")
        print(f"   kết quả : {row.outcome}")
        if not sent:
            print(
                "   gửi đi  : (không trả lời — thư tự động)" if row.outcome.startswith("ignored") else "   gửi đi  : -"
            )
        for reply in sent:
            print(f"   gửi đi  : {reply.to_addr}")
            print(f"             {reply.subject}")
            print(f"             {_reply_file(mail_root, reply.to_addr, reply.message_id)}")
        print()
    print(f"Nhật ký kiểm toán: {count} mục, " + ("nguyên vẹn." if problem is None else f"HỎNG tại mục {problem.seq}"))
    print(f"Cơ sở dữ liệu: {cfg.service.database_url}")
    print(f"Thư gửi đi: {mail_root}/<địa chỉ>/INBOX/   Bản gốc thư đến: {cfg.data_path / 'raw'}/")
    return 0 if problem is None else 1

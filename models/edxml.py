"""edXML status messages (QCVN 102:2016/BTTTT, amended by Thông tư 01/2022/TT-BTTTT).

A small machine-readable part attached to receipts and status updates, so that a sender's document
system can read the status without parsing Vietnamese text. The element names follow the standard's
Status message (From, ResponseFor, StaffInfo, StatusCode, Description, Timestamp); the namespace URI is
configuration-free here and marked unverified in the README.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from zoneinfo import ZoneInfo

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

RECEIVED = "01"
REFUSED = "02"
REGISTERED = "03"
ASSIGNED = "04"
IN_PROGRESS = "05"
DONE = "06"
RECALL_REQUESTED = "13"

DESCRIPTIONS = {
    RECEIVED: "Đã đến",
    REFUSED: "Từ chối tiếp nhận",
    REGISTERED: "Đã tiếp nhận (vào sổ)",
    ASSIGNED: "Phân công",
    IN_PROGRESS: "Đang xử lý",
    DONE: "Hoàn thành",
    RECALL_REQUESTED: "Yêu cầu lấy lại",
}


@dataclass(frozen=True)
class StatusMessage:
    organ_id: str
    organ_name: str
    organ_email: str
    response_code: str  # the sender's number and symbol (CodeNumber/CodeNotation), as written
    promulgation_date: dt.date | None
    document_id: str  # our tag, e.g. VT-2026-000123
    status_code: str
    description: str
    at: dt.datetime


def status_xml(msg: StatusMessage, tz: ZoneInfo) -> str:
    """The status message as an XML document (UTF-8 text, with declaration)."""
    ET.register_namespace("edXML", NS)

    def sub(parent: ET.Element, name: str, text: str = "") -> ET.Element:
        el = ET.SubElement(parent, f"{{{NS}}}{name}")
        if text:
            el.text = text
        return el

    root = ET.Element(f"{{{NS}}}Status")
    header = sub(root, "Header")
    frm = sub(header, "From")
    sub(frm, "OrganId", msg.organ_id)
    sub(frm, "OrganName", msg.organ_name)
    sub(frm, "Email", msg.organ_email)
    resp = sub(header, "ResponseFor")
    sub(resp, "Code", msg.response_code)
    sub(resp, "PromulgationDate", msg.promulgation_date.strftime("%Y/%m/%d") if msg.promulgation_date else "")
    sub(resp, "DocumentId", msg.document_id)
    sub(header, "StatusCode", msg.status_code)
    sub(header, "Description", msg.description)
    sub(header, "Timestamp", msg.at.astimezone(tz).strftime("%Y/%m/%d %H:%M:%S"))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")

"""Benchmark: how many incoming signed PDFs per second vanthu registers, and what a 30 MB attachment costs in memory.

What is measured
----------------
Throughput: N distinct, validly signed PDFs (a throw-away test PKI, ``demo.pki``) are mailed over
SMTP from an outside sender (not in the directory) to the office mailbox of an SQLite deployment on the real
test mail stack (Dovecot + aiosmtpd, ``tests.harness``). Delivery happens before the clock starts. The timed
part is one ``Processor.drain`` of the inbox through a real ``ImapSource``, in this process, with the real
clock: IMAP fetch, raw-message store, MIME parse, PDF validation (pyHanko) and text extraction, registration
with its number, files and audit entries, routing, queued receipt and notifications (the outbox is not
sent), commit, and the IMAP move to ``Processed``. Result: registered documents per second, checked against
the number of incoming documents in the database. One extra message is processed first, untimed, so that
one-off costs (templates compiled, SQL statements cached: ~0.3 s) do not count; a running worker pays them
once.

The baseline is the least any such service can cost: bare validation of the same N PDFs through
``worker.pdf_inspect.PdfInspector`` — the very service the flow calls — without mail, parsing or database,
after one untimed warm-up validation. It runs in the same invocation, on the same machine, moments apart from
the vanthu phase, because on shared, noisy 2-core machines (CI runners, VMs) absolute rates drift between
runs by more than the effects we care about; the ratio of two rates measured moments apart is the stable
figure. For the same reason the baseline runs in two halves, one before and one after the vanthu phase, so
that load that comes or goes during the run weighs on both rates alike.

Memory: one message carrying a ~30 MB signed PDF (a text page 1 plus pages of incompressible image data, as
a scan would be) goes through the same ``Processor`` path, in a fresh child process and a fresh deployment
per measurement, so that nothing earlier in the run inflates the figures. Two configurations: (a) the
defaults (``intake.max_attachment_mb = 25``, ``max_message_mb = 40``), where the ~41 MB message is quarantined
on the server from its reported size, before it is downloaded, and (b) ``max_attachment_mb = 40`` with
``max_message_mb = 60``, where it is downloaded, parsed, validated and registered. For each, one run reports the peak of
``tracemalloc``'s traced memory (and what is still traced after the drain: in a fresh process that includes
one-off caches), and another run, without tracing
(tracemalloc's own bookkeeping would count in RSS), reports the growth of the process's max RSS
(``getrusage``) over the processing. The children are forked from a fork server started while this process
is small, because a child's ``ru_maxrss`` starts at its parent's high-water mark. The message is ~41 MB once
base64-encoded, above the test SMTP front end's 32 MiB limit, so it is handed to Dovecot over LMTP directly
(which is what the SMTP front end does with smaller messages).

Usage: ``.venv/bin/python -m bench.ingest [--count N]`` (default 100). The last line printed is::

    ingest: <rate> docs/s; ratio <x.xx> vs bare pyHanko validation
"""

from __future__ import annotations

# A stray ``tests`` package lives in site-packages: the repository's own must win.
import argparse
import collections
import contextlib
import gc
import io
import multiprocessing as mp
import os
import resource
import smtplib
import tempfile
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject
from sqlalchemy import func, select

from tests.e2ekit import Deployment, deploy
from tests.harness.mailstack import MailStack, ensure_dovecot
from tests.support import incoming, prepared_app, trust_section
from vanthu.demo import pki as testpki
from vanthu.demo.pki import DocText, TestPki
from vanthu.models.tables import Document
from vanthu.worker.app import App
from vanthu.worker.imap_source import ImapSource
from vanthu.worker.pdf_inspect import PdfInspector
from vanthu.worker.processor import Processor, Result

MB = 1024 * 1024
BIG_PDF_BYTES = 30 * MB
RAISED_LIMIT_MB = 40
BIG_NUMBER = 900_000  # the big document's number (no clash with the N small ones)
IMAGE_SIDE = 1024  # pixels; one RGB page of random data is 3 MiB
REGISTERED = "intake.registered"
PASSWORD_ENV = "VANTHU_TEST_IMAP_PASSWORD"  # the deployment's password_env (tests.support.write_config)
# The big message is encoded once with these addresses, then readdressed for each deployment (deploy() makes
# addresses with an 8-character token; base64 never contains "@", so only the headers are touched).
PLACEHOLDER_SENDER = "pc01.00000000@congan.quangninh.gov.vn"
PLACEHOLDER_OFFICE = "vanthu.00000000@vksquangninh.gov.vn"


# --- the documents -----------------------------------------------------------------------------------------


def doc_text(i: int) -> DocText:
    """Page 1 of document ``i``: its own number and case, so no two documents are duplicates."""
    return DocText(number=f"{i}/QĐ-CSĐT", case_code=f"{i}/2026/HS", title=f"Về việc khởi tố bị can (hồ sơ {i})")


def signed_pdfs(pki: TestPki, count: int, first: int = 1) -> list[bytes]:
    return [testpki.valid(pki, doc_text(i)) for i in range(first, first + count)]


def big_signed_pdf(pki: TestPki, size: int = BIG_PDF_BYTES) -> bytes:
    """A validly signed PDF of about ``size`` bytes: the usual page 1, then pages of random RGB image data
    stored without compression (a scan's worth of incompressible bytes), signed over the whole file."""
    writer = IncrementalPdfFileWriter(io.BytesIO(testpki.document(doc_text(BIG_NUMBER))))
    per_page = IMAGE_SIDE * IMAGE_SIDE * 3
    for _ in range(-(-size // per_page)):
        image = generic.StreamObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Image"),
                generic.pdf_name("/Width"): generic.NumberObject(IMAGE_SIDE),
                generic.pdf_name("/Height"): generic.NumberObject(IMAGE_SIDE),
                generic.pdf_name("/ColorSpace"): generic.pdf_name("/DeviceRGB"),
                generic.pdf_name("/BitsPerComponent"): generic.NumberObject(8),
            },
            stream_data=os.urandom(per_page),
        )
        contents = writer.add_object(generic.StreamObject(stream_data=b"q 595 0 0 842 0 0 cm /Im0 Do Q"))
        resources = generic.DictionaryObject(
            {
                generic.pdf_name("/XObject"): generic.DictionaryObject(
                    {generic.pdf_name("/Im0"): writer.add_object(image)}
                )
            }
        )
        writer.insert_page(PageObject(contents, (0, 0, 595, 842), resources))
    out = io.BytesIO()
    writer.write(out)
    return testpki.sign(out.getvalue(), pki.signer)


def outside_sender(d: Deployment) -> str:
    """An investigation body's address, unique to the deployment and not in its directory."""
    return f"pc01.{d.token}@congan.quangninh.gov.vn"


def mail(sender: str, office: str, number: int, pdf: bytes) -> EmailMessage:
    return incoming(sender, f"Gửi văn bản số {number}/QĐ-CSĐT", [(f"qd-{number}.pdf", pdf)], to=office)


def readdressed(raw: bytes, sender: str, office: str) -> bytes:
    """The message ``raw`` (made with the placeholder addresses) from ``sender`` to ``office``."""
    for old in (PLACEHOLDER_SENDER, PLACEHOLDER_OFFICE):
        if raw.count(old.encode()) != 1:
            raise RuntimeError(f"placeholder {old} not found exactly once in the message")
    return raw.replace(PLACEHOLDER_SENDER.encode(), sender.encode()).replace(
        PLACEHOLDER_OFFICE.encode(), office.encode()
    )


def deliver_lmtp(stack: MailStack, rcpt: str, raw: bytes) -> None:
    """Hand ``raw`` to Dovecot over LMTP (as the SMTP front end does), bypassing its 32 MiB size limit."""
    with smtplib.LMTP(stack.imap_host, stack.lmtp_port, local_hostname="localhost", timeout=120) as lmtp:
        lmtp.sendmail("sender@congan.quangninh.gov.vn", [rcpt], raw)


# --- one drain of the office mailbox -----------------------------------------------------------------------


def imap_source(app: App, password: str) -> ImapSource:
    """The office mailbox as ``worker.watcher.open_source`` would open it."""
    mb = app.config.mailboxes[0]
    return ImapSource(
        mb.name,
        host=mb.host,
        port=mb.port,
        tls=mb.tls,
        user=mb.user,
        password=password,
        inbox=mb.inbox,
        folders=(mb.processed, mb.quarantine),
    )


def incoming_documents(app: App) -> int:
    with app.uow() as uow:
        return int(
            uow.session.execute(
                select(func.count()).select_from(Document).where(Document.direction == "in")
            ).scalar_one()
        )


def outcomes(results: list[Result]) -> str:
    return ", ".join(f"{k} × {v}" for k, v in sorted(collections.Counter(r.outcome for r in results).items()))


# --- the baseline ------------------------------------------------------------------------------------------


def validate_all(inspector: PdfInspector, pdfs: list[bytes]) -> float:
    """Seconds to validate ``pdfs`` one after another; every one must come out valid and trusted."""
    started = time.perf_counter()
    reports = [inspector.inspect(pdf) for pdf in pdfs]
    elapsed = time.perf_counter() - started
    bad = [r for r in reports if not r.all_signatures_ok]
    if bad:
        raise RuntimeError(f"baseline: {len(bad)} PDF(s) not valid: {bad[0].outcome} {bad[0].error or ''}")
    return elapsed


# --- memory for one big message, in a fresh child process ----------------------------------------------------


@dataclass(frozen=True)
class MemoryRun:
    outcome: str
    registered: int
    seconds: float
    traced_peak_mb: float | None  # None when run without tracemalloc
    traced_after_mb: float | None  # still traced after the drain returned (processor and app still open)
    rss_before_mb: float  # current RSS just before processing
    max_rss_before_mb: float
    max_rss_after_mb: float

    @property
    def max_rss_delta_mb(self) -> float:
        return self.max_rss_after_mb - self.max_rss_before_mb


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _current_rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB


def measure_one_message(config: str, password: str, trace: bool) -> MemoryRun:
    """Run in a fresh child: prepare the deployment, then process the one waiting message, measuring memory."""
    os.environ[PASSWORD_ENV] = password
    app = prepared_app(Path(config))
    source = imap_source(app, password)
    processor = Processor(app, app.config.mailboxes[0])
    try:
        source.connect()
        gc.collect()
        rss_before, max_before = _current_rss_mb(), _max_rss_mb()
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        results = processor.drain(source)
        seconds = time.perf_counter() - started
        max_after = _max_rss_mb()
        peak: float | None = None
        retained: float | None = None
        if trace:
            peak = tracemalloc.get_traced_memory()[1] / MB
            gc.collect()
            retained = tracemalloc.get_traced_memory()[0] / MB
            tracemalloc.stop()
        registered = incoming_documents(app)
    finally:
        if tracemalloc.is_tracing():
            tracemalloc.stop()
        processor.close()
        source.close()
        app.close()
    if len(results) != 1:
        raise RuntimeError(f"expected one message, processed {len(results)}: {outcomes(results)}")
    return MemoryRun(results[0].outcome, registered, seconds, peak, retained, rss_before, max_before, max_after)


@dataclass(frozen=True)
class MemoryCase:
    name: str
    limit_mb: float  # intake.max_attachment_mb
    expected: str
    traced: MemoryRun
    untraced: MemoryRun


def fresh_children() -> ProcessPoolExecutor:
    """An executor that runs every task in a new process, forked from a fork server started now.

    Start it while this process is still small: on Linux a child's ``ru_maxrss`` starts at the high-water mark
    of the process it was forked (or spawned) from, so children of a parent that has grown would report that
    growth as their own. The fork server is started by the probe task submitted here.
    """
    pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("forkserver"), max_tasks_per_child=1)
    pool.submit(_max_rss_mb).result()
    return pool


def memory_case(
    name: str,
    limit_mb: float,
    tmp: Path,
    stack: MailStack,
    children: ProcessPoolExecutor,
    raw: bytes,
    *,
    extra: str,
    expected: str,
) -> MemoryCase:
    """Both measurements (traced, untraced) of one configuration, each on a fresh deployment in a fresh process;
    ``raw`` is the big message with the placeholder addresses."""
    runs: dict[bool, MemoryRun] = {}
    for trace in (True, False):
        label = f"mem-{name}-{'traced' if trace else 'rss'}"
        d = deploy(tmp / label, f"sqlite:///{tmp / label}.db", stack, extra=extra)
        deliver_lmtp(stack, d.office, readdressed(raw, outside_sender(d), d.office))
        run = children.submit(measure_one_message, str(d.config), stack.password, trace).result()
        wanted_docs = 1 if expected == REGISTERED else 0
        if run.outcome != expected or run.registered != wanted_docs:
            raise RuntimeError(
                f"30 MB case {name}: outcome {run.outcome} with {run.registered} document(s); "
                f"expected {expected} with {wanted_docs}"
            )
        runs[trace] = run
    return MemoryCase(name, limit_mb, expected, traced=runs[True], untraced=runs[False])


# --- the run -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Throughput:
    count: int
    seconds: float
    baseline_seconds: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @property
    def baseline_rate(self) -> float:
        return self.count / self.baseline_seconds


def timed_ingest(tmp: Path, stack: MailStack, pdfs: list[bytes], warmup_pdf: bytes, trust_extra: str) -> Throughput:
    """Deliver ``warmup_pdf`` and ``pdfs``, process the first untimed, time the drain of the rest, check it."""
    count = len(pdfs)
    d = deploy(tmp / "ingest", f"sqlite:///{tmp / 'ingest.db'}", stack, extra=trust_extra)
    sender = outside_sender(d)
    started = time.perf_counter()
    stack.send(mail(sender, d.office, count + 1, warmup_pdf))
    for i, pdf in enumerate(pdfs, start=1):
        stack.send(mail(sender, d.office, i, pdf))
    waiting = len(stack.folder_uids(d.office, "INBOX"))
    if waiting != count + 1:
        raise RuntimeError(f"{waiting} message(s) in the office inbox, expected {count + 1}")
    print(f"delivered {count} + 1 messages over SMTP in {time.perf_counter() - started:.1f} s (not timed)", flush=True)

    app = prepared_app(d.config)
    try:
        inspector = PdfInspector(app.trust)
        source = imap_source(app, stack.password)
        processor = Processor(app, app.config.mailboxes[0])
        try:
            validate_all(inspector, [warmup_pdf])  # warm-up, not timed
            source.connect()
            warmup = processor.process(source, source.uids()[0])  # warm-up, not timed
            if warmup is None or warmup.outcome != REGISTERED:
                raise RuntimeError(f"the warm-up message was not registered: {warmup}")
            half = count // 2
            baseline = validate_all(inspector, pdfs[:half])
            started = time.perf_counter()
            results = processor.drain(source)
            elapsed = time.perf_counter() - started
            baseline += validate_all(inspector, pdfs[half:])
        finally:
            processor.close()
            source.close()
            inspector.close()
        registered = incoming_documents(app) - 1  # not the warm-up document
    finally:
        app.close()
    good = sum(r.outcome == REGISTERED for r in results)
    if registered != count or good != count or len(results) != count:
        raise RuntimeError(
            f"expected {count} registered documents; the database holds {registered} incoming (+1 warm-up), "
            f"the drain reported {len(results)} message(s): {outcomes(results)}"
        )
    left = len(stack.folder_uids(d.office, "INBOX"))
    if left:
        raise RuntimeError(f"{left} message(s) left in the office inbox after the drain")
    return Throughput(count, elapsed, baseline)


def report(t: Throughput, big_size: int, cases: list[MemoryCase]) -> None:
    per_doc = t.seconds / t.count * 1000
    per_validation = t.baseline_seconds / t.count * 1000
    print()
    print(f"N = {t.count} distinct signed PDFs, one message each, SQLite; +1 warm-up per side, not timed")
    print(
        f"vanthu drain (IMAP fetch → validate → register → move): {t.seconds:7.2f} s  {t.rate:6.1f} docs/s  "
        f"{per_doc:6.1f} ms/doc"
    )
    print(
        f"bare PdfInspector.inspect (two halves, before/after):   {t.baseline_seconds:7.2f} s  "
        f"{t.baseline_rate:6.1f} validations/s  {per_validation:6.1f} ms/validation"
    )
    print(f"vanthu beyond validation: {per_doc - per_validation:.1f} ms/doc")
    print()
    print(f"one message with a {big_size / MB:.1f} MiB signed PDF, end to end (fresh process and deployment each):")
    for case in cases:
        traced, plain = case.traced, case.untraced
        print(
            f"  ({case.name}) max_attachment_mb = {case.limit_mb:g} → {traced.outcome}: "
            f"tracemalloc peak {traced.traced_peak_mb:.1f} MiB; {traced.traced_after_mb:.1f} MiB still traced after"
            f" ({traced.seconds:.2f} s traced)"
        )
        print(
            f"      max RSS delta +{plain.max_rss_delta_mb:.1f} MiB ({plain.max_rss_before_mb:.0f} → "
            f"{plain.max_rss_after_mb:.0f} MiB; current RSS before {plain.rss_before_mb:.0f} MiB)"
            f" ({plain.seconds:.2f} s untraced)"
        )


def run(count: int) -> None:
    reason = ensure_dovecot()
    if reason is not None:
        raise SystemExit(f"no mail stack: {reason}")
    with contextlib.ExitStack() as cleanup:
        stack = cleanup.enter_context(MailStack())
        tmp = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="vanthu-bench-ingest-")))
        children = cleanup.enter_context(fresh_children())
        os.environ[PASSWORD_ENV] = stack.password  # loading the configuration checks that it is set
        started = time.perf_counter()
        pki = testpki.make_pki(tmp / "pki")
        pdfs = signed_pdfs(pki, count + 1)
        print(
            f"built the test PKI and {count} + 1 signed PDFs ({sum(map(len, pdfs)) / len(pdfs) / 1024:.0f} KiB each)"
            f" in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        trust_extra = trust_section(pki.root_pem, pki.crl_der)
        throughput = timed_ingest(tmp, stack, pdfs[:count], pdfs[count], trust_extra)

        started = time.perf_counter()
        big = big_signed_pdf(pki)
        raw = mail(PLACEHOLDER_SENDER, PLACEHOLDER_OFFICE, BIG_NUMBER, big).as_bytes()
        print(
            f"built a {len(big) / MB:.1f} MiB signed PDF ({len(raw) / MB:.1f} MiB as a message)"
            f" in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        # The message (base64 adds a third) must also fit under max_message_mb to be downloaded at all.
        raised = (
            trust_extra + f"[intake]\nmax_attachment_mb = {RAISED_LIMIT_MB}\nmax_message_mb = {RAISED_LIMIT_MB * 1.5}\n"
        )
        cases = [
            memory_case("a", 25, tmp, stack, children, raw, extra=trust_extra, expected="quarantined.too-large"),
            memory_case("b", RAISED_LIMIT_MB, tmp, stack, children, raw, extra=raised, expected=REGISTERED),
        ]
    report(throughput, len(big), cases)
    ratio = throughput.rate / throughput.baseline_rate
    print(f"ingest: {throughput.rate:.1f} docs/s; ratio {ratio:.2f} vs bare pyHanko validation", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100, help="number of documents (default 100)")
    args = parser.parse_args()
    if args.count < 2:
        parser.error("--count must be at least 2")
    run(args.count)


if __name__ == "__main__":
    main()

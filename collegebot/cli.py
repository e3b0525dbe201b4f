"""The `collegebot` command: run the bot, manage its knowledge base, and talk to it like Twilio."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from collegebot.settings import WEBHOOK_PATH, RuntimeSettings, ServiceAddresses, StoreSettings, load

SERVICES = ("rag", "llm", "gateway", "dashboard")


def cmd_migrate(args: argparse.Namespace) -> int:
    from collegebot.store import migrate

    settings = load(StoreSettings)
    migrate(settings.url, statement_cache=settings.database_statement_cache)
    print("store schema is up to date")
    return 0


MAX_DAYS = 36_500  # a century: more is a typo (and past what a date can go back)


def _days(value: str) -> float:
    try:
        days = float(value)
    except ValueError:
        days = -1.0
    if not 0 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days (0 to {MAX_DAYS})")
    return days


def _count(value: str) -> int:
    """--k: a whole number of passages, 1 or more."""
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of passages (1 or more)")
    return int(value)


def _file(value: str) -> Path:
    if not Path(value).is_file():
        raise argparse.ArgumentTypeError(f"{value}: no such file")
    return Path(value)


def _qa_file(value: str) -> Path:
    """--qa: a file of QA lines, each checked before anything is indexed."""
    from services.rag.evaluation import load_qa

    try:
        load_qa(_file(value))
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return Path(value)


def _folder(value: str) -> Path:
    if not Path(value).is_dir():
        raise argparse.ArgumentTypeError(f"{value}: no such folder")
    return Path(value)


def cmd_purge(args: argparse.Namespace) -> int:
    """Delete every record older than --older-than days (conversations, escalations, logs…)."""
    import asyncio
    from datetime import timedelta

    from collegebot.store import Store

    async def purge() -> int:
        settings = load(StoreSettings)
        store = Store(settings.url, settings.database_statement_cache)
        try:
            return await store.purge(timedelta(days=args.older_than))
        finally:
            await store.close()

    print(f"purged {asyncio.run(purge())} records older than {args.older_than:g} days")
    return 0


def _staff_engine():
    from collegebot.store import sync_engine

    settings = load(StoreSettings)
    return sync_engine(settings.url, settings.database_statement_cache)


def _new_password(args: argparse.Namespace) -> str:
    """From stdin (--password-stdin, one line) or asked twice at a prompt; never from argv."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(f"password for {args.username}: ")
    if getpass.getpass("again: ") != password:
        raise SystemExit("error: the two passwords differ")
    return password


MIN_PASSWORD_CHARS = 10


def cmd_staff(args: argparse.Namespace) -> int:
    """Staff accounts of the dashboard: add, disable, list; and the numbers' key rotation."""
    from collegebot.settings import DashboardSettings
    from collegebot.store import staff_queries

    first = load(DashboardSettings).dashboard_username
    engine = _staff_engine()
    try:
        if args.action == "add":
            if args.username == first:
                print(f"error: {first} is DASHBOARD_USERNAME's account already", file=sys.stderr)
                return 1
            password = _new_password(args)
            if len(password) < MIN_PASSWORD_CHARS:
                print(f"error: use at least {MIN_PASSWORD_CHARS} characters", file=sys.stderr)
                return 1
            from argon2 import PasswordHasher

            try:
                staff_queries.add_staff_account(
                    engine,
                    args.username,
                    args.name or args.username,
                    PasswordHasher().hash(password),
                )
            except staff_queries.AccountExists:
                print(f"error: {args.username} exists already", file=sys.stderr)
                return 1
            print(f"added {args.username}")
        elif args.action == "disable":
            own_row = args.username == first and first
            if not staff_queries.disable_staff_account(engine, args.username, own_row or ""):
                print(f"error: no account {args.username}", file=sys.stderr)
                return 1
            print(f"disabled {args.username}: it can no longer sign in")
        elif args.action == "list":
            rows = {a.username: a for a in staff_queries.staff_accounts(engine)}
            if first not in rows:
                print(f"{first:<20} {first:<30} active    (DASHBOARD_USERNAME)")
            for a in rows.values():
                state = "disabled" if a.disabled else "active"
                print(f"{a.username:<20} {a.display_name:<30} {state:<9} {a.created_at:%Y-%m-%d}")
        elif args.action == "rotate-numbers":
            from collegebot.privacy import NumberCipher
            from collegebot.settings import NumberEncryptionSettings

            cipher = NumberCipher.from_settings(load(NumberEncryptionSettings))
            count = staff_queries.rotate_numbers(engine, cipher.rotate)
            print(f"re-encrypted {count} stored numbers under the first key")
        elif args.action == "new-number-key":
            from cryptography.fernet import Fernet

            print(Fernet.generate_key().decode())
    finally:
        engine.dispose()
    return 0


def _positive(what: str, most: float):
    """An argparse type: a number above 0 and up to `most` of `what`."""

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not 0 < number <= most:
            raise argparse.ArgumentTypeError(
                f"{value!r} is not a number of {what} (up to {most:g})"
            )
        return number

    return parse


def cmd_demo_data(args: argparse.Namespace) -> int:
    """Fill a store with synthetic history (marked as demo data) for demos, tests and benches."""
    from zoneinfo import ZoneInfo

    from collegebot.store import migrate, sync_engine
    from collegebot.store.demo import AlreadyThere, generate

    settings = load(StoreSettings)
    url = args.database_url or settings.url
    migrate(url, statement_cache=settings.database_statement_cache)
    engine = sync_engine(url, settings.database_statement_cache)
    zone = os.environ.get("COLLEGE_TIMEZONE") or "UTC"
    try:
        summary = generate(engine, args.weeks, args.seed, args.per_day, tz=ZoneInfo(zone))
    except AlreadyThere as e:
        print(f"error: {e}; choose another --seed", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(
        f"demo data: {summary.conversations:,} conversations from {summary.students:,} students, "
        f"{summary.escalations:,} escalations ({summary.open_escalations:,} open), "
        f"{summary.logs:,} log lines, {summary.documents:,} documents; "
        f"{summary.start:%Y-%m-%d} to {summary.end:%Y-%m-%d %H:%M} UTC"
    )
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    """Bring the store and index up to date, then run the four services until Ctrl-C."""
    from honcho.manager import Manager

    runtime, addresses = load(RuntimeSettings), load(ServiceAddresses)
    env = dict(os.environ)
    # The index is written by exactly one process at a time: ingest first, then start rag.
    for step in (["migrate"], ["ingest", "--local"]):
        if subprocess.run([sys.executable, "-m", "collegebot.cli", *step], env=env).returncode:
            return 1
    host = addresses.bind_host
    print(
        f"\ncollegebot ({runtime.collegebot_env.value}) starting:\n"
        f"  gateway    http://{host}:{addresses.gateway_port}{WEBHOOK_PATH}\n"
        f"  dashboard  http://{host}:{addresses.dashboard_port}/\n"
        f"  rag        grpc://{host}:{addresses.rag_port}  metrics :{addresses.rag_metrics_port}\n"
        f"  llm        grpc://{host}:{addresses.llm_port}  metrics :{addresses.llm_metrics_port}\n"
        "Ctrl-C stops all four.\n",
        flush=True,
    )
    manager = Manager()
    for name in SERVICES:
        # exec: the service itself, not a shell around it, receives the stop signal.
        manager.add_process(name, f"exec {sys.executable} -u -m services.{name}", env=env)
    manager.loop()  # forwards SIGINT/SIGTERM to every service and waits for them
    return manager.returncode or 0


def _rag_serving(address: str) -> bool:
    from collegebot.grpc_client import health

    return health(address)[0]


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ask the running rag service to ingest; open the index directly only when it is down."""
    addresses = load(ServiceAddresses)
    paths = [str(Path(p).resolve()) for p in args.paths]
    if not args.local and _rag_serving(addresses.rag_address):
        import grpc

        from collegebot.v1 import rag_pb2, rag_pb2_grpc

        print(f"asking the rag service at {addresses.rag_address} to ingest")
        with grpc.insecure_channel(addresses.rag_address) as channel:
            try:
                request = rag_pb2.IngestRequest(paths=paths)
                response = rag_pb2_grpc.RagStub(channel).Ingest(request)
            except grpc.RpcError as e:  # a grpc.Call: its code and the server's message
                reason = (e.details() or "").partition("\n")[0]  # type: ignore[attr-defined]
                print(f"error: the rag service did not ingest: {reason}", file=sys.stderr)
                return 1
        from services.rag.ingest import DocumentOutcome, report_line, summary

        outcomes = [
            DocumentOutcome(d.path, d.status, d.pages, d.chunks, d.error)
            for d in response.documents
        ]
        for outcome in outcomes:
            print(report_line(outcome))
        print(summary(outcomes, response.index_chunks))
        return 0

    from services.rag.ingest import NothingToIngest, summary
    from services.rag.knowledge_base import KnowledgeBase

    kb = KnowledgeBase.from_settings()
    try:
        outcomes = kb.ingest([Path(p) for p in paths] or None, progress=print)
    except NothingToIngest as e:
        print(f"error: nothing ingested: {e}", file=sys.stderr)
        return 1
    print(summary(outcomes, kb.chunk_count()))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from services.rag.knowledge_base import KnowledgeBase

    kb = KnowledgeBase.from_settings()
    result = kb.retriever.retrieve(args.question, args.k or kb.default_k)
    if args.json:
        print(
            json.dumps(
                {
                    "relevant": result.relevant,
                    "passages": [
                        {
                            "text": p.text,
                            "source": p.source,
                            "page": p.page,
                            "section": p.section,
                            "score": round(p.score, 4),
                        }
                        for p in result.passages
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    if not result.relevant:
        print("(nothing relevant above the threshold; best matches follow)")
    for i, p in enumerate(result.passages, 1):
        where = f" p. {p.page}" if p.page else ""
        print(f"{i}. [{p.score:.3f}] {p.source}{where} — {p.section}\n   {p.text[:300]}\n")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from collegebot.asker import Asker

    asker = Asker.from_settings(args.gateway, args.sender)
    answer = asker.ask(args.question, details=args.json)
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        print(answer["reply"] or f"(HTTP {answer['status']}) {answer['error']}")
    return 0 if answer["status"] == 200 else 1


def cmd_chat(args: argparse.Namespace) -> int:
    from collegebot.asker import Asker

    asker = Asker.from_settings(args.gateway, args.sender)
    print("Type a question (Ctrl-D to quit).")
    while True:
        try:
            question = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if question:
            answer = asker.ask(question)
            print(f"bot> {answer['reply'] or answer['error']}\n")


def cmd_eval_retrieval(args: argparse.Namespace) -> int:
    from services.rag.evaluation import run

    report = run(
        Path(args.qa),
        Path(args.kb),
        args.k,
        args.mode,
        progress=lambda line: print(line, file=sys.stderr),
    )
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    print(f"{report['n']} questions, k={report['k']}")
    print(f"{'mode':<9} {'recall@k':>9} {'MRR':>7}   by split (recall@k)")
    for mode, m in report["modes"].items():
        splits = "  ".join(
            f"{name} {s['recall_at_k']:.3f} (n={s['n']})" for name, s in m["splits"].items()
        )
        print(f"{mode:<9} {m['recall_at_k']:>9.3f} {m['mrr']:>7.3f}   {splits}")
    return 0


def cmd_eval_answers(args: argparse.Namespace) -> int:
    from services.llm.evaluation import run

    report = run(
        Path(args.qa),
        Path(args.kb) if args.kb else None,
        progress=lambda line: print(line, file=sys.stderr),
    )
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0

    def share(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    print(f"{report['n']} questions")
    print(f"fact accuracy        {share(report['fact_accuracy'])}  (answer contains expected_text)")
    print(f"abstention accuracy  {share(report['abstention_accuracy'])}  (I don't know + contact)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="collegebot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("up", help="ingest data/ and run the four services").set_defaults(func=cmd_up)
    sub.add_parser("migrate", help="create or upgrade the store's schema").set_defaults(
        func=cmd_migrate
    )

    p = sub.add_parser("purge", help="delete stored records older than a number of days")
    p.add_argument("--older-than", type=_days, required=True, metavar="DAYS")
    p.set_defaults(func=cmd_purge)

    staff = sub.add_parser("staff", help="dashboard staff accounts").add_subparsers(
        dest="action", required=True
    )
    p = staff.add_parser("add", help="add an account (the password from a prompt or stdin)")
    p.add_argument("username")
    p.add_argument("--name", help="the name staff see (claimed by, handled by)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(func=cmd_staff)
    p = staff.add_parser("disable", help="stop an account signing in (its sessions end)")
    p.add_argument("username")
    p.set_defaults(func=cmd_staff)
    staff.add_parser("list", help="every account").set_defaults(func=cmd_staff)
    staff.add_parser(
        "rotate-numbers", help="re-encrypt stored numbers under NUMBER_ENCRYPTION_KEYS' first key"
    ).set_defaults(func=cmd_staff)
    staff.add_parser("new-number-key", help="print a new Fernet key").set_defaults(func=cmd_staff)

    p = sub.add_parser("demo-data", help="fill the store with synthetic history for demos")
    p.add_argument(
        "--weeks", type=_positive("weeks", 520), required=True, help="how many weeks, ending now"
    )
    p.add_argument("--database-url", help="the store to fill (default: DATABASE_URL)")
    p.add_argument("--seed", type=int, default=7, help="the same seed gives the same history")
    p.add_argument(
        "--per-day",
        type=_positive("turns a day", 100_000),
        default=150.0,
        help="turns a day on average",
    )
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser("ingest", help="bring the index up to date with documents")
    p.add_argument("paths", nargs="*", help="files or folders (default: COLLEGEBOT_DATA_DIR)")
    p.add_argument("--local", action="store_true", help="open the index directly, not via rag")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="show the passages retrieved for a question")
    p.add_argument("question")
    p.add_argument("--k", type=_count, help="how many passages (default: RETRIEVE_K, as the bot)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    evaluation = sub.add_parser("eval", help="measure the bot").add_subparsers(
        dest="suite", required=True
    )
    p = evaluation.add_parser("retrieval", help="recall@k and MRR over a throwaway index of --kb")
    p.add_argument("--qa", type=_qa_file, required=True, help="JSONL of QA lines")
    p.add_argument("--kb", type=_folder, required=True, help="folder of documents to index")
    p.add_argument("--k", type=_count, default=5)
    p.add_argument("--mode", choices=["hybrid", "dense", "lexical", "all"], default="all")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_retrieval)
    p = evaluation.add_parser(
        "answers", help="fact and abstention accuracy of the whole answer path"
    )
    p.add_argument(
        "--qa", type=_qa_file, required=True, help="JSONL of expected_text / unanswerable"
    )
    p.add_argument(
        "--kb", type=_folder, help="folder to index in a throwaway place (default: the index)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_answers)

    default_sender = "+15550100001"
    for name, func, text in (
        ("ask", cmd_ask, "ask the running bot one question"),
        ("chat", cmd_chat, "talk to the running bot"),
    ):
        p = sub.add_parser(name, help=text)
        if name == "ask":
            p.add_argument("question")
            p.add_argument("--json", action="store_true", help="also print sources and timings")
        p.add_argument("--gateway", help="gateway base URL (default: this machine's gateway)")
        p.add_argument("--sender", default=default_sender, help="the student's E.164 number")
        p.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    code = args.func(args)
    if args.command == "ingest":
        print(f"({time.perf_counter() - started:.1f} s)")
    return code


if __name__ == "__main__":
    sys.exit(main())

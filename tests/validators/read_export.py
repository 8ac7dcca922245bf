"""Reads a Saldo export with the external tool for its format and prints what
that tool saw, as JSON, for the Rust tests to compare with the store:

    {"accounts": [{"key": ..., "count": N, "sum": "exact", "balance": "exact" | null}, ...],
     "texts": [every payee / memo / narration text, as the tool parsed it]}

Accounts come in file order. `count` and `sum` cover the bank's transactions
only (not opening-balance or assertion entries); `balance` is the account's
final balance where the format carries one (beancount, ledger: opening +
transactions; OFX: LEDGERBAL). Any parse or validation problem exits non-zero
with the tool's message. Run with `python -W error` so warnings fail too.

usage: read_export.py FORMAT FILE
"""

import csv
import io
import json
import re
import subprocess
import sys
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path

OTHER_ACCOUNTS = "Assets:Other-Accounts"
SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "schema" / "saldo-export.schema.json"


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


class Tally:
    def __init__(self):
        self.accounts = OrderedDict()
        self.texts = set()

    def add(self, key, amount):
        a = self.accounts.setdefault(key, {"key": key, "count": 0, "sum": Decimal(0), "balance": None})
        a["count"] += 1
        a["sum"] += amount

    def ensure(self, key):
        return self.accounts.setdefault(key, {"key": key, "count": 0, "sum": Decimal(0), "balance": None})

    def text(self, *values):
        for v in values:
            if v:
                self.texts.add(v)

    def dump(self):
        out = []
        for a in self.accounts.values():
            out.append({
                "key": a["key"],
                "count": a["count"],
                "sum": str(a["sum"]),
                "balance": None if a["balance"] is None else str(a["balance"]),
            })
        json.dump({"accounts": out, "texts": sorted(self.texts)}, sys.stdout, ensure_ascii=False)


def validator(defs_ref):
    import jsonschema
    schema = json.loads(SCHEMA.read_text())
    wrapper = {"$schema": schema["$schema"], "$ref": defs_ref, "$defs": schema["$defs"]}
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    return cls(wrapper, format_checker=cls.FORMAT_CHECKER)


def read_json(path, t):
    doc = json.loads(Path(path).read_text(encoding="utf-8"), parse_float=Decimal)
    errors = sorted(validator("#/$defs/document").iter_errors(doc), key=str)
    if errors:
        fail("schema: " + "; ".join(e.message for e in errors[:5]))
    for acc in doc["accounts"]:
        key = str(acc["id"])
        t.ensure(key)
        for tx in acc["transactions"]:
            t.add(key, Decimal(tx["amount"]))
            t.text(tx.get("description"), tx.get("remittance"), tx.get("counterparty_name"))


def read_jsonl(path, t):
    v = validator("#/$defs/line")
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines:
        fail("empty file: the header line is missing")
    for n, line in enumerate(lines, 1):
        rec = json.loads(line, parse_float=Decimal)
        errors = list(v.iter_errors(rec))
        if errors:
            fail(f"line {n}: {errors[0].message}")
        if n == 1 and rec["type"] != "export":
            fail("the first line is not the export header")
        if rec["type"] == "account":
            t.ensure(str(rec["id"]))
        elif rec["type"] == "transaction":
            t.add(str(rec["account_id"]), Decimal(rec["amount"]))
            t.text(rec.get("description"), rec.get("remittance"), rec.get("counterparty_name"))


CSV_HEADER = ["date", "value_date", "amount", "currency", "counterparty", "counterparty_account", "description",
              "remittance", "bank_id", "bank_transaction_code", "account_iban", "account_name", "bank", "transaction_id",
              "category", "counterparty_clean", "transfer_id"]


def read_csv(path, t):
    raw = Path(path).read_bytes()
    text = raw.decode("utf-8")
    if not text.startswith(",".join(CSV_HEADER) + "\r\n"):
        fail("the header row is not the documented one")
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = next(rows)
    for row in rows:
        if len(row) != len(header):
            fail(f"row with {len(row)} cells: {row!r}")
        r = dict(zip(header, row))
        if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", r["amount"]):
            fail(f"amount {r['amount']!r} is not a plain decimal")
        t.add(r["account_iban"] + "|" + r["account_name"], Decimal(r["amount"]))
        t.text(r["description"], r["remittance"], r["counterparty"])


def read_ofx(path, t):
    from ofxtools.Parser import OFXTree
    tree = OFXTree()
    tree.parse(path)
    ofx = tree.convert()
    for stmt in ofx.statements:
        key = stmt.account.acctid
        acc = t.ensure(key)
        for tx in stmt.transactions:
            t.add(key, tx.trnamt)
            t.text(tx.name, tx.memo)
        acc["balance"] = stmt.ledgerbal.balamt


def read_qif(path, t):
    import quiffen
    qif = quiffen.Qif.parse(path, day_first=False)
    for name, acc in qif.accounts.items():
        t.ensure(name)
        for kind, txs in acc.transactions.items():
            for tx in txs:
                t.add(name, Decimal(str(tx.amount)))
                t.text(tx.payee, tx.memo)


def read_beancount(path, t):
    check = subprocess.run(["bean-check", path], capture_output=True, text=True)
    if check.returncode != 0:
        fail("bean-check: " + (check.stderr or check.stdout)[:2000])
    from beancount import loader
    from beancount.core import data
    entries, errors, _ = loader.load_file(path)
    if errors:
        fail("beancount: " + "; ".join(str(e.message) for e in errors[:5]))
    # Saldo's accounts; `Assets:Other-Accounts` is the far end of transfers
    # to accounts the export does not hold, not an exported account.
    assets = [e.account for e in entries if isinstance(e, data.Open) and e.account.startswith("Assets:")
              and e.account != OTHER_ACCOUNTS]
    for a in assets:
        t.ensure(a)["balance"] = Decimal(0)
    for e in entries:
        if not isinstance(e, data.Transaction):
            continue
        bank = "saldo_id" in e.meta
        if bank:
            t.text(e.payee, e.narration)
        for p in e.postings:
            if p.account in t.accounts:
                t.accounts[p.account]["balance"] += p.units.number
                if bank:
                    t.add(p.account, p.units.number)


def hledger_amount(a):
    q = a["aquantity"]
    return Decimal(q["decimalMantissa"]).scaleb(-q["decimalPlaces"])


def read_ledger(path, t):
    check = subprocess.run(["hledger", "-f", path, "check", "--strict"], capture_output=True, text=True)
    if check.returncode != 0:
        fail("hledger check --strict: " + (check.stderr or check.stdout)[:2000])
    out = subprocess.run(["hledger", "-f", path, "print", "-O", "json"], capture_output=True, text=True, check=True)
    # Declaration order, for stable output; hledger itself checked the declarations.
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("account Assets:") and line.split(None, 1)[1].strip() != OTHER_ACCOUNTS:
            t.ensure(line.split(None, 1)[1].strip())["balance"] = Decimal(0)
    for tx in json.loads(out.stdout):
        tags = dict(tx.get("ttags", []))
        bank = "saldo_id" in tags
        if bank:
            t.text(tx["tdescription"])
        for p in tx["tpostings"]:
            if p["paccount"] in t.accounts:
                amount = sum((hledger_amount(a) for a in p["pamount"]), Decimal(0))
                t.accounts[p["paccount"]]["balance"] += amount
                if bank:
                    t.add(p["paccount"], amount)


READERS = {
    "json": read_json, "jsonl": read_jsonl, "csv": read_csv, "ofx": read_ofx,
    "qif": read_qif, "beancount": read_beancount, "ledger": read_ledger,
}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in READERS:
        fail(__doc__)
    tally = Tally()
    try:
        READERS[sys.argv[1]](sys.argv[2], tally)
    except SystemExit:
        raise
    except Exception as e:  # the tool refused the file
        fail(f"{sys.argv[1]}: {type(e).__name__}: {e}")
    tally.dump()

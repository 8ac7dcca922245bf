"""Reads a bank statement file with a tool independent of Saldo and prints
what it saw, as JSON, for the Rust tests to compare with Saldo's readers
(tests/core/statements_crosscheck.rs, issue 17):

    {"statements": [{"account": "as the file writes it", "id": "the statement's" | null,
                     "count": N, "sum": "exact",
                     "opening": {"amount": "exact", "date": "YYYY-MM-DD"} | null,
                     "closing": {"amount": "exact", "date": "YYYY-MM-DD"} | null,
                     ...}, ...],
     "notes": ["what was skipped"]}

Statements come in file order; `count` and `sum` cover booked entries only,
amounts signed (negative: money out of the account). Decimal throughout,
never float.

- camt (052/053/054, any version): the namespaced XML through
  xml.etree.ElementTree path queries. One statement per `Stmt`/`Rpt`/`Ntfctn`;
  account `Acct/Id/IBAN`, else `Othr/Id`, `PrtryAcct/Id`, `BBAN`. A `Ntry`
  is booked when its `Sts` (version 2-7) or `Sts/Cd` (version 8+) is BOOK;
  its amount is `Amt` signed by `CdtDbtInd`. Opening balance: `Bal` of type
  OPBD, else PRCD; closing: CLBD (`Tp/CdOrPrtry/Cd`); the balance date is
  `Dt/Dt` or the date part of `Dt/DtTm` as written. `ntry` is the number of
  booked `Ntry` elements; `count` counts a batch entry as its transactions
  when each `TxDtls` has an amount (`AmtDtls/TxAmt/Amt`, else `Amt`) in the
  entry's currency and their signed sum is exactly the entry's (Saldo's
  documented rule: then each payment is its own entry; the sum is the same).
- mt940 (MT940/MT942): the `mt940` package (PyPI `mt-940`),
  `parse_statements` with every fix of `Options.all()` (RC signed as a debit,
  a byte-order mark stripped, ...). One statement per `:20:`; account `:25:`
  as written; opening `:60F:`/`:60M:`, closing `:62F:`/`:62M:`; every
  `:61:` is booked.
- ofx (OFX 1.x/2.x, QFX): `ofxtools`' parser, each `STMTRS`/`CCSTMTRS`
  converted to ofxtools' validating models. Account `ACCTID`; every
  `STMTTRN` is booked (`TRNAMT`); no opening balance; closing `LEDGERBAL`
  with the calendar date of `DTASOF` as written (ofxtools' model converts
  it to UTC, which can move the day). Investment statements are noted and
  skipped: they are not bank accounts.

A file the tool cannot read, or with no statement, exits non-zero with the
tool's message on stderr.

usage: read_statement.py KIND FILE      (KIND: camt, mt940 or ofx)
"""

import json
import re
import sys
import types
from decimal import Decimal


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def balance(amount, date):
    return {"amount": str(amount), "date": date}


# camt ----------------------------------------------------------------------

MESSAGES = {"BkToCstmrStmt": "Stmt", "BkToCstmrAcctRpt": "Rpt", "BkToCstmrDbtCdtNtfctn": "Ntfctn"}


def read_camt(path):
    import xml.etree.ElementTree as ET
    root = ET.parse(path).getroot()
    m = re.match(r"\{([^}]*)\}", root.tag)
    if not m or ":camt.05" not in m.group(1):
        fail(f"not a camt.052/053/054 document: root element {root.tag}")
    uri = m.group(1)

    def q(path):
        # "Acct/Id/IBAN" -> "{uri}Acct/{uri}Id/{uri}IBAN": an ElementTree path in the document's namespace
        return "/".join("{%s}%s" % (uri, p) for p in path.split("/"))

    def text(el, path):
        found = el.find(path)
        return None if found is None or found.text is None else found.text.strip()

    def signed(el, what):
        amt = text(el, q("Amt"))
        ind = text(el, q("CdtDbtInd"))
        if amt is None or ind not in ("CRDT", "DBIT"):
            fail(f"{what} without Amt or CdtDbtInd")
        value = Decimal(amt)
        return -value if ind == "DBIT" else value

    out = []
    for message in root:
        local = message.tag.split("}")[-1]
        # Version 1 names the message with its version (BkToCstmrAcctRptV01).
        base = re.sub(r"V\d+$", "", local)
        if base not in MESSAGES:
            continue
        for stmt in message.findall(q(MESSAGES[base])):
            account = None
            for p in ("Acct/Id/IBAN", "Acct/Id/Othr/Id", "Acct/Id/PrtryAcct/Id", "Acct/Id/BBAN"):
                account = account or text(stmt, q(p))
            opening = prcd = closing = None
            for bal in stmt.findall(q("Bal")):
                code = text(bal, q("Tp/CdOrPrtry/Cd"))
                if code not in ("OPBD", "PRCD", "CLBD"):
                    continue
                date = text(bal, q("Dt/Dt")) or (text(bal, q("Dt/DtTm")) or "")[:10] or None
                b = balance(signed(bal, f"Bal {code}"), date)
                if code == "OPBD" and opening is None:
                    opening = b
                elif code == "PRCD" and prcd is None:
                    prcd = b
                elif code == "CLBD" and closing is None:
                    closing = b
            ntry = count = 0
            total = Decimal(0)
            for entry in stmt.findall(q("Ntry")):
                status = text(entry, q("Sts/Cd")) or text(entry, q("Sts"))
                if status != "BOOK":
                    continue
                amount = signed(entry, "Ntry")
                ntry += 1
                total += amount
                count += batch_size(entry, amount, text, q)
            out.append({
                "account": account,
                "id": text(stmt, q("Id")),
                "ntry": ntry,
                "count": count,
                "sum": str(total),
                "opening": opening or prcd,
                "closing": closing,
            })
    if not out:
        fail("no Stmt, Rpt or Ntfctn in the document")
    return {"statements": out, "notes": []}


def batch_size(entry, amount, text, q):
    """How many payments a booked Ntry is: its TxDtls when there are several,
    each with an amount in the entry's currency, adding up to it exactly."""
    txs = entry.findall(q("NtryDtls/TxDtls"))
    if len(txs) < 2:
        return 1
    ccy = entry.find(q("Amt")).get("Ccy")
    ind = text(entry, q("CdtDbtInd"))
    total = Decimal(0)
    for tx in txs:
        amt = tx.find(q("AmtDtls/TxAmt/Amt"))
        if amt is None:
            amt = tx.find(q("Amt"))
        if amt is None or amt.text is None:
            return 1
        if amt.get("Ccy") and ccy and amt.get("Ccy") != ccy:
            return 1
        value = Decimal(amt.text.strip())
        total += -value if (text(tx, q("CdtDbtInd")) or ind) == "DBIT" else value
    return len(txs) if total == amount else 1


# MT940 ---------------------------------------------------------------------

def read_mt940(path):
    import mt940
    opts = mt940.Options.all()
    blocks = mt940.parse_statements(path, options=opts)
    out = []

    def bal(data, *keys):
        for k in keys:
            b = data.get(k)
            if b is not None and b.amount not in (None, ""):
                return balance(b.amount.amount, b.date.isoformat() if b.date else None)
        return None

    for block in blocks:
        data = block.data
        total = Decimal(0)
        for t in block.transactions:
            total += t.data["amount"].amount
        out.append({
            "account": (data.get("account_identification") or "").strip() or None,
            "id": data.get("statement_number") or data.get("transaction_reference"),
            "count": len(block.transactions),
            "sum": str(total),
            "opening": bal(data, "final_opening_balance", "intermediate_opening_balance", "opening_balance"),
            "closing": bal(data, "final_closing_balance", "intermediate_closing_balance", "closing_balance"),
        })
    if not out:
        fail("mt940: no statement (:20:) in the file")
    return {"statements": out, "notes": []}


# OFX -----------------------------------------------------------------------

def read_ofx(path):
    from ofxtools.Parser import OFXTree, TreeBuilder
    from ofxtools.header import OFXHeaderError
    from ofxtools.models.base import Aggregate
    notes = []
    try:
        tree = OFXTree()
        tree.parse(path)
        root = tree.getroot()
    except OFXHeaderError as e:
        # Files seen in the wild without a header (or with blank lines before
        # it): ofxtools' own parser on the body, from <OFX> on.
        raw = open(path, "rb").read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        at = text.find("<OFX>")
        if at < 0:
            raise
        notes.append(f"ofxtools refused the header ({str(e).splitlines()[0]}); its parser read the body from <OFX>")
        builder = TreeBuilder()
        builder.feed(text[at:])
        root = builder.close()
    out = []
    for el in root.iter():
        if el.tag == "INVSTMTRS":
            notes.append(f"investment account {el.findtext('INVACCTFROM/ACCTID')} skipped")
            continue
        if el.tag not in ("STMTRS", "CCSTMTRS"):
            continue
        acct = el.find("BANKACCTFROM") if el.tag == "STMTRS" else el.find("CCACCTFROM")
        try:
            stmt = Aggregate.from_etree(el)
            account = stmt.account.acctid
            ledger = stmt.ledgerbal
            txs = list(stmt.banktranlist) if stmt.banktranlist is not None else []
        except Exception as e:
            # ofxtools' models refuse a whole statement for one nonconforming
            # field (a 10-character BANKID): convert what is compared one by one.
            notes.append(f"ofxtools refused {el.tag} as a whole ({type(e).__name__}: {e}); "
                         "its STMTTRN and LEDGERBAL converted one by one, ACCTID as parsed")
            account = acct.findtext("ACCTID").strip() or None if acct is not None else None
            bal = el.find("LEDGERBAL")
            ledger = None
            if bal is not None and (bal.findtext("BALAMT") or "").strip():
                ledger = Aggregate.from_etree(bal)
            elif bal is not None:
                notes.append("LEDGERBAL without BALAMT: no balance")
            tranlist = el.find("BANKTRANLIST")
            txs = [stmttrn(t, notes) for t in tranlist.findall("STMTTRN")] if tranlist is not None else []
        closing = None
        if ledger is not None and ledger.balamt is not None:
            # The calendar date as written: ofxtools' model converts DTASOF to UTC.
            asof = el.find("LEDGERBAL/DTASOF").text.strip()
            closing = balance(ledger.balamt, f"{asof[0:4]}-{asof[4:6]}-{asof[6:8]}")
        out.append({
            "account": account,
            "id": None,
            "count": len(txs),
            "sum": str(sum((t.trnamt for t in txs), Decimal(0))),
            "opening": None,
            "closing": closing,
        })
    if not out:
        fail("ofxtools: no bank or credit-card statement (STMTRS, CCSTMTRS) in the file"
             + (f" ({'; '.join(notes)})" if notes else ""))
    return {"statements": out, "notes": notes}


def stmttrn(el, notes):
    """One STMTTRN through ofxtools' model; when the model refuses it for its
    form (elements out of the spec's order, say), its DTPOSTED and TRNAMT
    through the model's own validators (both required, as in the model)."""
    from ofxtools import Types
    from ofxtools.models import STMTTRN, base
    try:
        return base.Aggregate.from_etree(el)
    except (Types.OFXSpecError, base.OFXSpecError) as e:
        fields = vars(STMTTRN)
        fields["dtposted"].convert(el.findtext("DTPOSTED"))
        trnamt = fields["trnamt"].convert(el.findtext("TRNAMT"))
        notes.append(f"ofxtools refused a STMTTRN ({e}); its DTPOSTED and TRNAMT converted alone")
        return types.SimpleNamespace(trnamt=trnamt)


READERS = {"camt": read_camt, "mt940": read_mt940, "ofx": read_ofx}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in READERS:
        fail(__doc__.strip().splitlines()[-1])
    kind, path = sys.argv[1], sys.argv[2]
    try:
        result = READERS[kind](path)
    except SystemExit:
        raise
    except Exception as e:  # the tool refused the file: say how, exit non-zero
        fail(f"{kind}: {type(e).__name__}: {e}")
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()

//! Statement files for the sandbox's own accounts (issue 17): what a bank's
//! e-banking offers as a download, an ISO 20022 camt.053.001.02 of an
//! account's booked rows over a period, with its opening and closing booked
//! balances. The same rows the API serves (booked versions: a card payment
//! still settling in the API is in the file as booked), with the bank's
//! own statement references — not the API's transaction ids, as real banks
//! number them differently — so an import must match them by content.
//!
//! `GET /sandbox/statements/{account_id}?from=YYYY-MM-DD&to=YYYY-MM-DD`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, Query, State as AxState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_gateway::Transaction;

use crate::{data, household, App};

fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&apos;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// The camt.053 of `account_id` from `from` to `to` (inclusive), as the
/// sandbox's clock stands; `None` for an unknown account.
pub fn camt053(app: &App, account_id: &str, from: NaiveDate, to: NaiveDate) -> Option<String> {
    let (c, spec) =
        app.connectors.iter().find_map(|c| c.accounts.iter().find(|a| a.id == account_id).map(|a| (c, a)))?;
    let st = app.state();
    let (seed, epoch, today) = (st.seed, st.epoch, st.now().date_naive());
    drop(st);
    let to = to.min(today);
    let household = household::is_household(c.id);
    let balance_at = |day: NaiveDate| -> Decimal {
        if household {
            household::booked_balance(seed, epoch, spec.id, day)
        } else {
            data::booked_balance(seed, c, spec, data::visible_count(epoch, spec, day))
        }
    };
    let rows: Vec<Transaction> = if household {
        household::rows(seed, epoch, spec.id, to)
    } else {
        (0..data::visible_count(epoch, spec, to)).map(|i| data::transaction(seed, epoch, c, spec, i)).collect()
    };
    let day_of = |t: &Transaction| t.execution_date.as_ref().or(t.value_date.as_ref()).map(|d| d.date());
    let entries: Vec<&Transaction> = rows.iter().filter(|t| day_of(t).is_some_and(|d| d >= from && d <= to)).collect();
    let opening = balance_at(from.pred_opt().unwrap_or(from));
    let closing = balance_at(to);
    let ccy = spec.currency;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt>
<GrpHdr><MsgId>SANDBOX-{account_id}-{from}-{to}</MsgId><CreDtTm>{today}T06:00:00</CreDtTm></GrpHdr>
<Stmt>
<Id>{account_id}-{from}-{to}</Id>
<CreDtTm>{today}T06:00:00</CreDtTm>
<FrToDt><FrDtTm>{from}T00:00:00</FrDtTm><ToDtTm>{to}T23:59:59</ToDtTm></FrToDt>
<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{ccy}</Ccy>{owner}{bic}</Acct>
"#,
        iban = xml(spec.iban),
        owner = spec.owner.map(|o| format!("<Ownr><Nm>{}</Nm></Ownr>", xml(o))).unwrap_or_default(),
        bic = spec
            .bic
            .map(|b| format!("<Svcr><FinInstnId><BIC>{}</BIC></FinInstnId></Svcr>", xml(b)))
            .unwrap_or_default(),
    );
    let balance = |out: &mut String, code: &str, amount: Decimal, day: NaiveDate| {
        let _ = writeln!(
            out,
            "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{ccy}\">{}</Amt><CdtDbtInd>{}</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>",
            amount.abs(),
            if amount.is_sign_negative() { "DBIT" } else { "CRDT" }
        );
    };
    balance(&mut out, "OPBD", opening, from);
    balance(&mut out, "CLBD", closing, to);
    let mut per_day: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    for t in entries {
        let Some(day) = day_of(t) else { continue };
        let n = per_day.entry(day).or_default();
        *n += 1;
        let amount = t.amount.0;
        let credit = !amount.is_sign_negative();
        let party = t.counterpart_name.as_deref().map(|name| {
            let account = t
                .counterpart_reference
                .as_deref()
                .map(|r| {
                    format!(
                        "<{0}Acct><Id><IBAN>{1}</IBAN></Id></{0}Acct>",
                        if credit { "Dbtr" } else { "Cdtr" },
                        xml(r)
                    )
                })
                .unwrap_or_default();
            let who = if credit { "Dbtr" } else { "Cdtr" };
            format!("<RltdPties><{who}><Nm>{}</Nm></{who}>{account}</RltdPties>", xml(name))
        });
        let remittance = t
            .remittance_information
            .as_ref()
            .and_then(|r| r.unstructured.as_deref())
            .map(|u| format!("<RmtInf><Ustrd>{}</Ustrd></RmtInf>", xml(u)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<Ntry><NtryRef>{n}</NtryRef><Amt Ccy=\"{ccy}\">{}</Amt><CdtDbtInd>{}</CdtDbtInd><Sts>BOOK</Sts>\
             <BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{}</Dt></ValDt><AcctSvcrRef>STMT-{}-{n:04}</AcctSvcrRef>\
             <NtryDtls><TxDtls>{}{remittance}<AddtlTxInf>{}</AddtlTxInf></TxDtls></NtryDtls></Ntry>",
            amount.abs(),
            if credit { "CRDT" } else { "DBIT" },
            t.value_date.as_ref().map_or(day, |d| d.date()),
            day.format("%Y%m%d"),
            party.unwrap_or_default(),
            xml(t.description.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</Stmt>\n</BkToCstmrStmt>\n</Document>\n");
    Some(out)
}

/// `GET /sandbox/statements/{account_id}?from=&to=` (default: the last 30 days).
pub async fn statement(
    AxState(app): AxState<Arc<App>>,
    Path(account_id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let today = app.state().now().date_naive();
    // The first parameter that is not a date, else both dates.
    let date = |k: &str, default: NaiveDate| -> Result<NaiveDate, String> {
        match q.get(k) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("{k}={v:?} is not a date (YYYY-MM-DD)")),
        }
    };
    let (from, to) = match (date("from", today - chrono::Days::new(30)), date("to", today)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    match camt053(&app, &account_id, from, to) {
        Some(body) => ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], body).into_response(),
        None => (StatusCode::NOT_FOUND, format!("there is no account {account_id}")).into_response(),
    }
}

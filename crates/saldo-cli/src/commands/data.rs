//! Reading and exporting: `connections`, `accounts`, `balances`,
//! `transactions`, `export`. None of them starts a gateway.

use std::path::Path;

use chrono::Utc;
use saldo_core::export::ExportOptions;
use saldo_core::insights;
use saldo_core::CoreError;
use saldo_store::queries::TxQuery;

use super::Ctx;
use crate::cli::AccountAction;
use crate::exit::Fail;
use crate::output::{inert, print_json, AccountOut, BalanceOut, ConnectionOut, TransactionOut};

/// `saldo connections`.
pub fn connections(ctx: &Ctx) -> Result<(), Fail> {
    let list = insights::connections(&ctx.session.store, false, Utc::now())?;
    if ctx.json {
        print_json(&list.into_iter().map(ConnectionOut::from).collect::<Vec<_>>());
        return Ok(());
    }
    for c in list {
        let c = c.connection;
        let last = c.last_sync_at.as_deref().unwrap_or("never");
        println!("{:>4}  {}  {}  last sync {last}", c.id, inert(&c.bank_name, false), c.status);
    }
    Ok(())
}

/// `saldo accounts [enable|disable ID]`.
pub fn accounts(ctx: &Ctx, action: Option<AccountAction>, id: Option<i64>, all: bool) -> Result<(), Fail> {
    if let (Some(action), Some(id)) = (action, id) {
        let enable = matches!(action, AccountAction::Enable);
        if !ctx.session.store.set_account_enabled(id, enable, Utc::now())? {
            return Err(CoreError::NotFound(format!("there is no account {id}")).into());
        }
        let done = if enable { "enabled" } else { "disabled" };
        if ctx.json {
            print_json(&serde_json::json!({ "id": id, "enabled": enable }));
        } else {
            println!("Account {id} {done}.");
        }
        return Ok(());
    }
    let list = ctx.session.store.accounts(None, all)?;
    let gaps = ctx.session.store.gaps(None)?;
    if ctx.json {
        print_json(&list.into_iter().map(|a| AccountOut::with_gaps(a, &gaps)).collect::<Vec<_>>());
        return Ok(());
    }
    for a in list {
        println!(
            "{:>4}  {:<34} {}  {}{}",
            a.id,
            // An offline account (statement files only) by the name it was given.
            inert(
                a.iban
                    .as_deref()
                    .or(a.description.as_deref().filter(|_| a.gateway_id.starts_with("file:")))
                    .unwrap_or(&a.gateway_id),
                false
            ),
            inert(&a.currency, false),
            if a.enabled { "enabled" } else { "disabled" },
            if a.disappeared_at.is_some() { "  (gone at the bank)" } else { "" }
        );
        for g in gaps.iter().filter(|g| g.account_id == a.id) {
            let from = g.after.map_or_else(|| "an unknown day".to_owned(), |d| d.to_string());
            println!(
                "      possibly missing transactions between {from} and {} (saldo sync {} fetches them again while the consent allows)",
                g.before, a.connection_id
            );
        }
    }
    Ok(())
}

/// `saldo balances`.
pub fn balances(ctx: &Ctx) -> Result<(), Fail> {
    let list: Vec<BalanceOut> = ctx.session.store.accounts_overview(false)?.iter().flat_map(BalanceOut::of).collect();
    if ctx.json {
        print_json(&list);
        return Ok(());
    }
    let ibans: std::collections::BTreeMap<i64, String> =
        ctx.session.store.accounts(None, false)?.into_iter().map(|a| (a.id, a.iban.unwrap_or_default())).collect();
    for b in list {
        let iban = ibans.get(&b.account_id).map_or("", String::as_str);
        let mark = if b.headline { "*" } else { " " };
        println!(
            "{:>4}  {:<34} {:>6}{mark} {:>14} {}",
            b.account_id,
            inert(iban, false),
            inert(&b.balance_type, false),
            b.amount,
            inert(&b.currency, false)
        );
    }
    Ok(())
}

/// `saldo transactions`.
pub fn transactions(ctx: &Ctx, q: TxQuery) -> Result<(), Fail> {
    let page = ctx.session.store.transactions_page(&q)?;
    if ctx.json {
        let mut rows = Vec::with_capacity(page.rows.len());
        for t in page.rows {
            let from = ctx.session.store.provenance(t.id)?;
            rows.push(TransactionOut { imported_from: from, ..TransactionOut::from(t) });
        }
        print_json(&rows);
        return Ok(());
    }
    for t in page.rows {
        let text: String = inert(&t.description.unwrap_or_default(), false).chars().take(40).collect();
        let party = t.counterparty_clean.or(t.counterparty_name).unwrap_or_default();
        let category = match (t.transfer_id, t.category) {
            (Some(_), Some(c)) => format!("{c} (transfer)"),
            (_, Some(c)) => c,
            (_, None) => "-".into(),
        };
        println!(
            "{}  {:>12} {}  {:<24} {:<22} {text}",
            t.booking_date,
            t.amount.to_string(),
            inert(&t.currency, false),
            inert(&party, false).chars().take(24).collect::<String>(),
            inert(&category, false).chars().take(22).collect::<String>(),
        );
    }
    Ok(())
}

/// `saldo export`: to a file (atomically, see `export_to_file`) or to
/// standard output.
pub fn export(ctx: &Ctx, opts: &ExportOptions, output: &Path) -> Result<(), Fail> {
    use std::io::Write;
    let store = &ctx.session.store;
    if output.as_os_str() == "-" {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        return match saldo_core::export::export(store, opts, &mut out) {
            Ok(_) => Ok(()),
            // `saldo export … | head`: the reader has what it wanted.
            Err(CoreError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(e.into()),
        };
    }
    match saldo_core::export::export_to_file(store, opts, output) {
        Ok(s) => {
            if ctx.json {
                print_json(&serde_json::json!({
                    "path": output.display().to_string(),
                    "format": opts.format.as_str(),
                    "accounts": s.accounts,
                    "transactions": s.transactions,
                }));
            }
            eprintln!(
                "Exported {} transaction(s) of {} account(s) as {} to {}",
                s.transactions,
                s.accounts,
                opts.format.as_str(),
                output.display()
            );
            std::io::stderr().flush().ok();
            Ok(())
        }
        Err(e) => {
            let fail = Fail::from(e);
            Err(Fail::new(fail.exit, format!("the export to {} failed: {}", output.display(), fail.message)))
        }
    }
}

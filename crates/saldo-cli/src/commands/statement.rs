//! `saldo statement FILE`: what a bank statement file holds and whether its
//! balances add up, before anything is imported (issue 17). Reads only the
//! file: no database, no key, no gateway.

use std::path::Path;

use saldo_core::statements::{self, Check, Kind, Match};
use saldo_statements::Statement;
use serde::Serialize;

use crate::cli::Cli;
use crate::exit::Fail;
use crate::output::{inert, print_json};

#[derive(Serialize)]
struct Out<'a> {
    profile: Option<&'a str>,
    notes: &'a [String],
    statements: Vec<OutStatement<'a>>,
}

#[derive(Serialize)]
struct OutStatement<'a> {
    #[serde(flatten)]
    statement: &'a Statement,
    check: &'a Check,
    /// The account compared with, when asked to compare.
    #[serde(skip_serializing_if = "Option::is_none")]
    compared_with: Option<i64>,
    /// Each entry against what is stored, in the entries' order.
    #[serde(skip_serializing_if = "Option::is_none")]
    matches: Option<Vec<Match>>,
}

/// A CSV profile by name: a saved one (`FILE.json`) or a built-in bank's.
pub fn csv_profile(profile: Option<&str>) -> Result<Option<statements::CsvProfile>, Fail> {
    Ok(match profile {
        None => None,
        Some(p) if p.ends_with(".json") => {
            let text =
                std::fs::read_to_string(p).map_err(|e| Fail::usage(format!("cannot read the profile {p}: {e}")))?;
            Some(
                serde_json::from_str(&text)
                    .map_err(|e| Fail::usage(format!("the profile {p} is not a CSV profile: {e}")))?,
            )
        }
        Some(name) => Some(statements::builtin_profile(name)?),
    })
}

/// Reads `file` and prints its statements and their balance checks; with
/// `store`, each entry against what is stored (read only).
pub fn statement(
    cli: &Cli,
    store: Option<&saldo_store::Store>,
    file: &Path,
    format: Option<&str>,
    profile: Option<&str>,
    account: Option<i64>,
) -> Result<(), Fail> {
    let kind = format.map(str::parse::<Kind>).transpose()?;
    let profile = csv_profile(profile)?;
    let read = statements::read_file(file, kind, profile)?;
    let checks = statements::check(&read.statements);
    let mut compared: Vec<(Option<i64>, Option<Vec<Match>>)> = Vec::new();
    for s in &read.statements {
        compared.push(match store {
            None => (None, None),
            Some(store) => match statements::account_for(store, s, account)? {
                Some(id) => (Some(id), Some(statements::preview(store, id, s)?)),
                None => (None, None),
            },
        });
    }
    if cli.json {
        print_json(&Out {
            profile: read.profile.as_deref(),
            notes: &read.notes,
            statements: read
                .statements
                .iter()
                .zip(&checks)
                .zip(&compared)
                .map(|((statement, check), (compared_with, matches))| OutStatement {
                    statement,
                    check,
                    compared_with: *compared_with,
                    matches: matches.clone(),
                })
                .collect(),
        });
        return Ok(());
    }
    if let Some(p) = &read.profile {
        println!("Read as CSV with the profile {}.", inert(p, false));
    }
    if read.statements.is_empty() {
        println!("The file holds no statement.");
    }
    for ((s, c), (compared_with, matches)) in read.statements.iter().zip(&checks).zip(&compared) {
        let account = s
            .account
            .iban
            .as_deref()
            .or(s.account.number.as_deref())
            .or(s.account.name.as_deref())
            .unwrap_or("an unnamed account");
        let currency = s.account.currency.as_deref().map(|c| format!(" {}", inert(c, false))).unwrap_or_default();
        println!(
            "{:?} · {}{}{}",
            s.format,
            inert(account, false),
            currency,
            s.id.as_deref().map(|id| format!(" · statement {}", inert(id, false))).unwrap_or_default()
        );
        let balance = |b: &Option<saldo_statements::Balance>| {
            b.as_ref().map_or_else(|| "not given".to_owned(), |b| format!("{} on {}", b.amount, b.date))
        };
        println!("  opening {} · closing {}", balance(&s.opening), balance(&s.closing));
        let pending = if c.pending > 0 { format!(" and {} pending", c.pending) } else { String::new() };
        println!(
            "  {} booked entr{}{pending}, summing to {}",
            c.entries,
            if c.entries == 1 { "y" } else { "ies" },
            c.sum
        );
        if let (Some(first), Some(last)) = (s.entries.first(), s.entries.last()) {
            println!(
                "  from {} to {}",
                first.booking_date.min(last.booking_date),
                first.booking_date.max(last.booking_date)
            );
        }
        match c.difference {
            Some(d) if d.is_zero() => println!("  The balances add up: opening + entries = closing."),
            Some(d) => println!("  The balances do NOT add up: opening + entries − closing = {d}."),
            None => println!("  No opening and closing balance to check."),
        }
        match (store, compared_with, matches) {
            (Some(_), Some(id), Some(m)) => {
                let known = m.iter().filter(|x| matches!(x, Match::Known { .. })).count();
                let new = m.iter().filter(|x| matches!(x, Match::New)).count();
                println!("  Against account {id}: {new} new, {known} already here, {} to check", m.len() - new - known);
                for (e, x) in s.entries.iter().zip(m) {
                    if let Match::Conflict { id, why } = x {
                        println!(
                            "    {} {} {}: like row {id}, but {}",
                            e.booking_date,
                            e.amount,
                            inert(e.counterparty_name.as_deref().unwrap_or(""), false),
                            inert(why, false)
                        );
                    }
                }
            }
            (Some(_), _, _) => println!("  No account here has this statement's IBAN: name one with --account ID."),
            _ => {}
        }
        match c.gap_before {
            Some(g) if !g.is_zero() => println!(
                "  Gap: this statement opens {g} away from where the previous one of this account closed (a missing statement, or a wrong sign)."
            ),
            _ => {}
        }
    }
    for n in &read.notes {
        println!("Note: {}", inert(n, false));
    }
    Ok(())
}

//! `saldo categories`, `rules`, `categorize`, `undo`, `transfers`, `report`:
//! where the money goes.

use std::io::Read;

use chrono::Utc;
use saldo_classify::rules::{Conditions, Direction, RuleDef};
use saldo_core::money;
use saldo_store::reports::{GroupBy, ReportLine, ReportQuery};
use saldo_store::states::CategoryKind;
use serde::Serialize;

use super::Ctx;
use crate::cli::{ByArg, CategoryAction, DirectionArg, KindArg, ReportKind, RuleAction, RuleArgs, TransferAction};
use crate::exit::Fail;
use crate::output::{inert, print_json};

/// A category as listed.
#[derive(Serialize)]
struct CategoryOut {
    id: i64,
    path: String,
    kind: CategoryKind,
}

/// `saldo categories [add PATH --kind K]`.
pub fn categories(ctx: &mut Ctx, action: Option<CategoryAction>) -> Result<(), Fail> {
    let store = &mut ctx.session.store;
    if let Some(CategoryAction::Add { path, kind }) = action {
        let kind = match kind {
            KindArg::Income => CategoryKind::Income,
            KindArg::Expense => CategoryKind::Expense,
            KindArg::Transfer => CategoryKind::Transfer,
            KindArg::Ignore => CategoryKind::Ignore,
        };
        if saldo_store::categories::clean_path(&path).is_empty() {
            return Err(Fail::usage("a category needs a name"));
        }
        let id = store.ensure_category(&path, kind)?;
        if ctx.json {
            print_json(&serde_json::json!({ "id": id }));
        } else {
            println!("Category {} ({id})", inert(&saldo_store::categories::clean_path(&path), false));
        }
        return Ok(());
    }
    let list: Vec<CategoryOut> =
        store.categories()?.into_iter().map(|c| CategoryOut { id: c.id, path: c.path, kind: c.kind }).collect();
    if ctx.json {
        print_json(&list);
    } else {
        for c in list {
            println!("{:>4}  {:<36} {}", c.id, inert(&c.path, false), c.kind);
        }
    }
    Ok(())
}

fn rule_of(args: RuleArgs) -> RuleDef {
    let when = Conditions {
        counterparty: args.counterparty,
        iban: args.iban,
        text: args.text,
        reference: args.reference,
        bank_code: args.bank_code,
        mandate: args.mandate,
        min: args.min.map(|d| d.abs()),
        max: args.max.map(|d| d.abs()),
        direction: args.direction.map(|d| match d {
            DirectionArg::In => Direction::In,
            DirectionArg::Out => Direction::Out,
        }),
        account: args.account,
        from: args.from,
        to: args.to,
    };
    let name = args.name.unwrap_or_else(|| {
        when.counterparty.clone().or_else(|| when.text.clone()).unwrap_or_else(|| args.category.clone())
    });
    RuleDef { name, category: args.category, when }
}

/// A rule as listed.
#[derive(Serialize)]
struct RuleOut {
    id: i64,
    position: i64,
    name: String,
    category: String,
    when: Conditions,
}

/// `saldo rules …`.
pub fn rules(ctx: &mut Ctx, action: RuleAction) -> Result<(), Fail> {
    let now = Utc::now();
    let json = ctx.json;
    let store = &mut ctx.session.store;
    match action {
        RuleAction::List => {
            let list: Vec<RuleOut> = store
                .rules()?
                .into_iter()
                .map(|r| RuleOut { id: r.id, position: r.position, name: r.name, category: r.category, when: r.when })
                .collect();
            if json {
                print_json(&list);
            } else {
                for r in list {
                    let when = serde_json::to_string(&r.when).unwrap_or_default();
                    println!(
                        "{:>4}  {:<32} → {:<28} {}",
                        r.id,
                        inert(&r.name, false),
                        inert(&r.category, false),
                        inert(&when, false)
                    );
                }
            }
        }
        RuleAction::Add { rule, position } => {
            let rule = rule_of(rule);
            let id = money::add_rule(store, &rule, position, now)?;
            let p = money::preview(store, &rule)?;
            if json {
                print_json(&serde_json::json!({ "id": id, "matches": p.matches, "changes": p.changes }));
            } else {
                println!(
                    "Rule {id} added. It matches {} stored transaction(s), {} of which would change category: `saldo rules apply` applies it to them.",
                    p.matches, p.changes
                );
            }
        }
        RuleAction::Test { rule } => {
            let p = money::preview(store, &rule_of(rule))?;
            if json {
                print_json(&serde_json::json!({ "matches": p.matches, "changes": p.changes }));
            } else {
                println!("Matches {} stored transaction(s); {} would change category.", p.matches, p.changes);
            }
        }
        RuleAction::Apply { dry_run } => {
            let a = money::apply(store, dry_run, now)?;
            if json {
                print_json(
                    &serde_json::json!({ "examined": a.examined, "changed": a.changed, "step": a.batch, "dry_run": dry_run }),
                );
            } else if dry_run {
                println!("{} of {} transaction(s) would change category.", a.changed, a.examined);
            } else {
                match a.batch {
                    Some(b) => {
                        println!("{} transaction(s) changed category (step {b}; `saldo undo` reverts it).", a.changed)
                    }
                    None => println!("Nothing to change."),
                }
            }
        }
        RuleAction::Delete { id } => {
            if !store.delete_rule(id)? {
                return Err(Fail::from(saldo_core::CoreError::NotFound(format!("there is no rule {id}"))));
            }
            if json {
                print_json(&serde_json::json!({ "deleted": id }));
            } else {
                println!("Rule {id} deleted (rows it categorised keep their category until `saldo rules apply`).");
            }
        }
        RuleAction::Export { output } => {
            let text = store.rule_file()?.to_text();
            if output.as_os_str() == "-" {
                print!("{text}");
            } else {
                saldo_core::export::write_file_atomically(&output, text.as_bytes())?;
                eprintln!("Wrote your categories and rules to {}", output.display());
            }
        }
        RuleAction::Import { file, replace } => {
            let mut text = String::new();
            let read = if file.as_os_str() == "-" {
                std::io::stdin().read_to_string(&mut text).map(|_| ())
            } else {
                std::fs::read_to_string(&file).map(|t| text = t)
            };
            read.map_err(|e| Fail::failure(format!("could not read {}: {e}", file.display())))?;
            let i = money::import_rules(store, &text, replace, now)?;
            if json {
                print_json(&serde_json::json!({ "categories": i.categories, "rules": i.rules }));
            } else {
                println!("Imported {} rule(s) and {} new categor(ies); `saldo rules apply` applies them to stored transactions.", i.rules, i.categories);
            }
        }
        RuleAction::Proposals => {
            let list = store.rule_proposals()?;
            if json {
                let out: Vec<_> = list
                    .iter()
                    .map(|(p, changes)| {
                        serde_json::json!({ "rule": { "name": p.rule.name, "category": p.rule.category, "when": p.rule.when },
                            "evidence": p.evidence, "changes": changes })
                    })
                    .collect();
                print_json(&out);
            } else if list.is_empty() {
                println!(
                    "No proposals: categorise a few transactions of one counterparty alike and Saldo proposes a rule."
                );
            } else {
                for (p, changes) in list {
                    println!(
                        "{} → {}: you chose this {} time(s); it would change {changes} more. Add it with:\n  saldo rules add --counterparty {:?} --category {:?}",
                        inert(&p.rule.name, false),
                        inert(&p.rule.category, false),
                        p.evidence,
                        inert(p.rule.when.counterparty.as_deref().unwrap_or_default(), false),
                        inert(&p.rule.category, false),
                    );
                }
            }
        }
    }
    Ok(())
}

/// `saldo categorize IDS --category PATH | --none`.
pub fn categorize(ctx: &mut Ctx, ids: &[i64], category: Option<&str>) -> Result<(), Fail> {
    let (batch, changed) = money::categorize(&mut ctx.session.store, ids, category, Utc::now())?;
    if ctx.json {
        print_json(&serde_json::json!({ "step": batch, "changed": changed }));
    } else {
        println!("{changed} transaction(s) categorised (step {batch}; `saldo undo` reverts it).");
    }
    Ok(())
}

/// `saldo undo [STEP]`.
pub fn undo(ctx: &mut Ctx, step: Option<i64>) -> Result<(), Fail> {
    match ctx.session.store.undo_labels(step, Utc::now())? {
        Some(b) => {
            if ctx.json {
                print_json(&serde_json::json!({ "step": b.id, "what": b.what, "rows": b.rows }));
            } else {
                println!("Undone: {} ({} row(s)).", inert(&b.what, false), b.rows);
            }
            Ok(())
        }
        None => Err(Fail::from(saldo_core::CoreError::NotFound("there is no step to undo".into()))),
    }
}

/// `saldo counterparty NAME [--rename NEW [--iban IBAN]]`.
pub fn counterparty(ctx: &mut Ctx, name: &str, rename: Option<&str>, iban: Option<&str>) -> Result<(), Fail> {
    let store = &mut ctx.session.store;
    let name = match rename {
        Some(to) => {
            let rows = store.rename_counterparty(name, iban, to).map_err(|e| Fail::usage(e.to_string()))?;
            if !ctx.json {
                println!("{} transaction(s) now show {}.", rows, inert(to, false));
            }
            to
        }
        None => name,
    };
    let Some(c) = store.counterparty(name)? else {
        return Err(Fail::from(saldo_core::CoreError::NotFound(format!("no counterparty is called {name:?}"))));
    };
    if ctx.json {
        let months: Vec<_> = c
            .months
            .iter()
            .map(|(m, cur, i, o)| serde_json::json!({ "month": m, "currency": cur, "income": i.to_string(), "spending": o.to_string() }))
            .collect();
        print_json(
            &serde_json::json!({ "name": c.name, "bank_names": c.raw_names, "ibans": c.ibans, "transactions": c.rows,
            "first_seen": c.first_seen, "last_seen": c.last_seen, "months": months }),
        );
    } else {
        println!("{}", inert(&c.name, false));
        println!("  at the banks: {}", inert(&c.raw_names.join(" · "), false));
        if !c.ibans.is_empty() {
            println!("  accounts: {}", inert(&c.ibans.join(", "), false));
        }
        println!(
            "  {} transaction(s), first {} last {} (saldo transactions --counterparty {:?})",
            c.rows,
            c.first_seen.unwrap_or_default(),
            c.last_seen.unwrap_or_default(),
            inert(&c.name, false)
        );
        for (m, cur, i, o) in &c.months {
            println!("  {m}  in {i:>12}  out {o:>12} {}", inert(cur, false));
        }
    }
    Ok(())
}

/// `saldo transfers …`.
pub fn transfers(ctx: &mut Ctx, action: TransferAction) -> Result<(), Fail> {
    let json = ctx.json;
    let store = &mut ctx.session.store;
    match action {
        TransferAction::List => {
            let list = store.transfers()?;
            if json {
                let out: Vec<_> = list
                    .iter()
                    .map(|t| serde_json::json!({ "id": t.id, "out": t.out_row, "in": t.in_row, "how": t.how }))
                    .collect();
                print_json(&out);
            } else {
                for t in list {
                    let leg = |r: Option<i64>| r.map_or_else(|| "(not synced)".to_owned(), |r| r.to_string());
                    println!("{:>6}  {:>12} → {:<12} {}", t.id, leg(t.out_row), leg(t.in_row), t.how);
                }
            }
        }
        TransferAction::Review => {
            let groups = store.transfer_review()?;
            if json {
                print_json(&groups);
            } else if groups.is_empty() {
                println!("Nothing to review.");
            } else {
                for g in groups {
                    let ids: Vec<String> = g.iter().map(ToString::to_string).collect();
                    println!(
                        "May be one transfer: {} (saldo transfers pair A B, or saldo transfers not ID)",
                        ids.join(", ")
                    );
                }
            }
        }
        TransferAction::Not { id } => {
            store.not_a_transfer(id).map_err(|e| missing(e, id))?;
            if !json {
                println!("Transaction {id} is not a transfer; Saldo will leave it alone.");
            }
        }
        TransferAction::Pair { a, b } => {
            let id = store.pair_transfer(a, b, Utc::now()).map_err(|e| Fail::usage(e.to_string()))?;
            if json {
                print_json(&serde_json::json!({ "transfer_id": id }));
            } else {
                println!("Transfer {id}: {a} and {b}.");
            }
        }
        TransferAction::Own { iban, name } => {
            let iban = store.add_own_iban(&iban, name.as_deref()).map_err(|e| Fail::usage(e.to_string()))?;
            let d = store.detect_transfers(None, Utc::now())?;
            if json {
                print_json(&serde_json::json!({ "iban": iban, "transfers_found": d.transfers }));
            } else {
                println!("{iban} is one of your accounts; {} more transfer(s) found.", d.transfers);
            }
        }
        TransferAction::Forget { iban } => {
            if !store.remove_own_iban(&iban)? {
                return Err(Fail::from(saldo_core::CoreError::NotFound(format!(
                    "{iban} is not one of your other accounts"
                ))));
            }
        }
    }
    Ok(())
}

fn missing(e: saldo_store::StoreError, id: i64) -> Fail {
    match e {
        saldo_store::StoreError::Corrupt(_) => {
            Fail::from(saldo_core::CoreError::NotFound(format!("there is no transaction {id}")))
        }
        e => Fail::from(saldo_core::CoreError::from(e)),
    }
}

/// A report line as written.
#[derive(Serialize)]
struct LineOut {
    group: Option<String>,
    currency: String,
    income: String,
    spending: String,
    net: String,
    rows: u64,
}

impl From<&ReportLine> for LineOut {
    fn from(l: &ReportLine) -> Self {
        Self {
            group: l.group.clone(),
            currency: l.currency.clone(),
            income: l.income.to_string(),
            spending: l.spending.to_string(),
            net: (l.income - l.spending).to_string(),
            rows: l.rows,
        }
    }
}

fn csv_field(s: &str) -> String {
    let s = crate::output::inert(s, false);
    // A leading formula character is neutralised for spreadsheets.
    let s = if s.starts_with(['=', '+', '-', '@', '\t']) { format!("'{s}") } else { s };
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// `saldo report KIND`.
pub fn report(ctx: &Ctx, kind: ReportKind, by: ByArg, q: &ReportQuery, csv: bool) -> Result<(), Fail> {
    let store = &ctx.session.store;
    if let ReportKind::Networth = kind {
        let to = q.to.unwrap_or_else(|| Utc::now().date_naive());
        let points = money::networth(store, q.from, to)?;
        if ctx.json {
            let out: Vec<_> = points
                .iter()
                .map(|p| {
                    let accounts: std::collections::BTreeMap<String, String> =
                        p.accounts.iter().map(|(a, v)| (a.to_string(), v.to_string())).collect();
                    serde_json::json!({ "month": p.month, "currency": p.currency, "total": p.total.to_string(), "accounts": accounts })
                })
                .collect();
            print_json(&out);
        } else if csv {
            println!("month,currency,total");
            for p in points {
                println!("{},{},{}", p.month, csv_field(&p.currency), p.total);
            }
        } else {
            for p in points {
                println!("{}  {:>16} {}", p.month, p.total.to_string(), inert(&p.currency, false));
            }
        }
        return Ok(());
    }
    let group = match (kind, by) {
        (ReportKind::Monthly, _) => GroupBy::Month,
        (_, ByArg::Category) => GroupBy::Category,
        (_, ByArg::Counterparty) => GroupBy::Counterparty,
    };
    let mut lines = money::report(store, group, q)?;
    match kind {
        ReportKind::Spending => lines.retain(|l| !l.spending.is_zero()),
        ReportKind::Income => {
            lines.retain(|l| !l.income.is_zero());
            lines.sort_by(|a, b| b.income.cmp(&a.income).then(a.group.cmp(&b.group)));
        }
        _ => {}
    }
    let out: Vec<LineOut> = lines.iter().map(LineOut::from).collect();
    if ctx.json {
        print_json(&out);
    } else if csv {
        println!("group,currency,income,spending,net,rows");
        for l in &out {
            println!(
                "{},{},{},{},{},{}",
                csv_field(l.group.as_deref().unwrap_or("")),
                csv_field(&l.currency),
                l.income,
                l.spending,
                l.net,
                l.rows
            );
        }
    } else {
        let label = |g: &Option<String>| g.clone().unwrap_or_else(|| "(none)".into());
        for l in &out {
            let figure = match kind {
                ReportKind::Spending => l.spending.clone(),
                ReportKind::Income => l.income.clone(),
                _ => format!("in {:>12}  out {:>12}  net {:>12}", l.income, l.spending, l.net),
            };
            println!(
                "{:<32} {:>14} {}",
                inert(&label(&l.group), false).chars().take(32).collect::<String>(),
                figure,
                inert(&l.currency, false)
            );
        }
        // Totals per currency, the same exact decimals as the lines.
        let mut totals: std::collections::BTreeMap<&str, (rust_decimal::Decimal, rust_decimal::Decimal)> =
            std::collections::BTreeMap::new();
        for l in &lines {
            let e = totals.entry(&l.currency).or_default();
            e.0 += l.income;
            e.1 += l.spending;
        }
        for (currency, (income, spending)) in totals {
            println!("Total {}: in {income}, out {spending}, net {}", inert(currency, false), income - spending);
        }
    }
    Ok(())
}

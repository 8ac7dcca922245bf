//! `saldo import FILE...`: bank statement files into their accounts (issue
//! 17), or Saldo's own JSON export into an empty install. The matching, the
//! checks and the one-transaction write are the core's
//! (`saldo_core::statement_import`, `saldo_core::import`).

use std::path::{Path, PathBuf};

use chrono::Utc;
use rust_decimal::Decimal;
use saldo_core::import::{self, ImportFormat};
use saldo_core::statement_import::{self, FileInput, ImportReport, Options, RowStatus, Target};
use saldo_core::statements::Kind;

use super::Ctx;
use crate::exit::Fail;
use crate::output::{inert, print_json};

/// The flags of `saldo import`.
#[derive(Debug)]
pub struct Flags {
    /// `auto`, a statement format, or `saldo-json`.
    pub format: String,
    /// `--account`.
    pub account: Option<i64>,
    /// `--new-account`.
    pub new_account: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--currency`.
    pub currency: Option<String>,
    /// `--opening-balance`.
    pub opening_balance: Option<String>,
    /// `--include-conflicts`.
    pub include_conflicts: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--rows`.
    pub rows: bool,
}

/// Whether a file is Saldo's own JSON export (its first character is `{`:
/// no statement format starts so).
fn is_saldo_json(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    head[..n].iter().find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF) == Some(&b'{')
}

/// Imports the files and prints what was (or, with `--dry-run`, would be) added.
pub fn import(ctx: &mut Ctx, files: &[PathBuf], flags: &Flags) -> Result<(), Fail> {
    let format = flags.format.to_ascii_lowercase();
    let saldo_json = format == "saldo-json"
        || (format == "auto" && files.len() == 1 && files[0] != Path::new("-") && is_saldo_json(&files[0]));
    if saldo_json || files.iter().any(|f| f == Path::new("-")) {
        if !saldo_json {
            return Err(Fail::usage("standard input (`-`) is read only for --format saldo-json"));
        }
        let [file] = files else {
            return Err(Fail::usage("--format saldo-json imports one file"));
        };
        return restore_export(ctx, ImportFormat::SaldoJson, file);
    }
    let kind = match format.as_str() {
        "auto" => None,
        other => Some(other.parse::<Kind>()?),
    };
    let opening_balance = flags
        .opening_balance
        .as_deref()
        .map(|a| {
            a.trim().parse::<Decimal>().map_err(|_| Fail::usage(format!("--opening-balance {a:?} is not an amount")))
        })
        .transpose()?;
    let mut inputs = Vec::with_capacity(files.len());
    for path in files {
        // Read as a stream by the import; a file that cannot be opened is
        // named before anything starts.
        std::fs::File::open(path).map_err(|e| Fail::usage(format!("cannot read {}: {e}", path.display())))?;
        inputs.push(FileInput::from_path(path));
    }
    let opts = Options {
        kind,
        profile: super::statement::csv_profile(flags.profile.as_deref())?,
        target: match (flags.account, &flags.new_account) {
            (Some(id), _) => Target::Account(id),
            (None, Some(name)) => Target::NewAccount(name.clone()),
            (None, None) => Target::Auto,
        },
        currency: flags.currency.clone(),
        opening_balance,
        import_conflicts: flags.include_conflicts,
        dry_run: flags.dry_run,
        rows: flags.rows || (flags.dry_run && !ctx.json),
        // `--rows` lists every entry; a dry run without it lists the
        // conflicts, which are kept whatever the limit.
        rows_limit: if flags.rows { None } else { Some(0) },
    };
    let report = statement_import::import(&mut ctx.session.store, &inputs, &opts, Utc::now())?;
    if ctx.json {
        print_json(&report);
        return Ok(());
    }
    print_report(&report, flags.rows);
    Ok(())
}

fn print_report(r: &ImportReport, all_rows: bool) {
    for f in &r.files {
        let before = f
            .imported_before
            .as_deref()
            .map(|at| format!(" — imported before, on {}", at.get(..10).unwrap_or(at)))
            .unwrap_or_default();
        println!("{} ({}){before}", inert(&f.name, false), f.format);
        for n in &f.notes {
            println!("  note: {}", inert(n, false));
        }
        for s in &f.statements {
            let into = if s.new_account {
                format!("a new offline account {} ({})", inert(&s.account, false), s.account_id)
            } else {
                format!("account {} ({})", s.account_id, inert(&s.account, false))
            };
            let period = match (s.from, s.to) {
                (Some(a), Some(b)) => format!(" · {a} to {b}"),
                _ => String::new(),
            };
            println!(
                "  {}{period} → {into}",
                s.id.as_deref().map_or("statement".to_owned(), |id| format!("statement {}", inert(id, false)))
            );
            println!(
                "    {} new, {} already here, {} conflict{}{}",
                s.new,
                s.known,
                s.conflicts,
                if s.conflicts == 1 { "" } else { "s" },
                if s.pending > 0 { format!(", {} pending (not imported)", s.pending) } else { String::new() }
            );
            match s.check.difference {
                Some(d) if !d.is_zero() => {
                    println!("    Its balances do NOT add up: opening + entries − closing = {d} {}.", s.currency)
                }
                _ => {}
            }
            if let Some(g) = s.check.gap_before.filter(|g| !g.is_zero()) {
                println!("    It does not follow the previous statement: its opening differs by {g} {} (a statement missing?).", s.currency);
            }
            if let (Some(d), Some(at)) = (s.history_difference.filter(|d| !d.is_zero()), s.history_anchor) {
                println!(
                    "    Its closing balance differs from Saldo's history (from the balance of {at}) by {d} {}: rows are missing here or in the file.",
                    s.currency
                );
            }
            for row in &s.rows {
                if row.status == RowStatus::Conflict || all_rows {
                    println!(
                        "    {:<8} entry {:>4}  {}  {:>12}  {}{}",
                        match row.status {
                            RowStatus::New => "new",
                            RowStatus::Known => "here",
                            RowStatus::Conflict => "conflict",
                            RowStatus::Pending => "pending",
                        },
                        row.entry,
                        row.booking_date,
                        row.amount,
                        inert(row.counterparty.as_deref().or(row.description.as_deref()).unwrap_or(""), false),
                        row.why.as_deref().map(|w| format!(" — {}", inert(w, false))).unwrap_or_default()
                    );
                }
            }
        }
    }
    let created = if r.accounts_created.is_empty() {
        String::new()
    } else {
        format!(
            ", {} new offline account{}",
            r.accounts_created.len(),
            if r.accounts_created.len() == 1 { "" } else { "s" }
        )
    };
    if r.dry_run {
        println!(
            "Nothing was written (--dry-run). An import would add {} transaction{} ({} already here, {} conflict{} left out){created}.",
            r.new,
            if r.new == 1 { "" } else { "s" },
            r.known,
            r.conflicts,
            if r.conflicts == 1 { "" } else { "s" }
        );
    } else {
        println!(
            "Imported {} transaction{} ({} already here, {} conflict{} left out){created}; {} balance point{}.",
            r.new,
            if r.new == 1 { "" } else { "s" },
            r.known,
            r.conflicts,
            if r.conflicts == 1 { "" } else { "s" },
            r.balance_points,
            if r.balance_points == 1 { "" } else { "s" }
        );
    }
    if r.conflicts > 0 {
        println!("Conflicts look like a stored row but differ; import them too with --include-conflicts.");
    }
}

/// Imports Saldo's own export (`-`: standard input) and prints what it restored.
fn restore_export(ctx: &mut Ctx, format: ImportFormat, file: &Path) -> Result<(), Fail> {
    let s = import::import_file(&mut ctx.session.store, format, file, Utc::now()).map_err(|e| {
        let mut fail = Fail::from(e);
        if fail.message.contains("only into an empty install") {
            fail.message.push_str("; import into a new data directory with --data-dir DIR");
        }
        fail
    })?;
    if ctx.json {
        print_json(&s);
        return Ok(());
    }
    println!(
        "Imported {} connection(s), {} account(s), {} transaction(s), {} balance(s), {} transfer(s); {} new categor{}, {} counterparty name(s).",
        s.connections,
        s.accounts,
        s.transactions,
        s.balances,
        s.transfers,
        s.categories,
        if s.categories == 1 { "y" } else { "ies" },
        s.aliases,
    );
    if s.connections > 0 {
        println!(
            "An export holds no bank access: reconnect each connection to keep syncing \
             (`saldo connections`, then `saldo connect CONNECTOR --reconnect ID`)."
        );
    }
    Ok(())
}

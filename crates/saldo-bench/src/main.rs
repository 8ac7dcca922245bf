//! `saldo-bench`: measures the store on generated bank data and prints
//! `name: value` lines (or one JSON object with `--json`).
//!
//! `cargo run --release --bin saldo-bench -- --transactions 1000000 --json`

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use clap::Parser;
use saldo_core::export::{export, ExportOptions, Format};
use saldo_gateway::{PagerContext, Transaction, UserContext};
use saldo_sandbox::banks::{catalog, AccountSpec, Connector};
use saldo_store::queries::TxQuery;
use saldo_store::transactions::PageCommit;
use saldo_store::Store;
use saldo_vault::DbKey;
use serde_json::{json, Map, Value};

#[derive(Parser)]
#[command(about = "Benchmarks of Saldo's encrypted store")]
struct Args {
    /// Transactions to ingest.
    #[arg(long, default_value_t = 100_000)]
    transactions: u64,
    /// Rows per committed page (as a sync commits them).
    #[arg(long, default_value_t = 500)]
    page: u64,
    /// Print one JSON object instead of `name: value` lines.
    #[arg(long)]
    json: bool,
    /// Transactions to sync from the sandbox over loopback HTTP (0 skips the sync figures).
    #[arg(long, default_value_t = 100_000)]
    sync_transactions: u64,
    /// Entries of the statement files imported (0 skips the import figures).
    #[arg(long, default_value_t = 100_000)]
    import_entries: u64,
    /// Only the figures an import needs: the stored rows, the rules and the
    /// imports (no page, search, report, export, backup or categorising
    /// figures).
    #[arg(long)]
    import_only: bool,
    /// Where to put the benchmark databases and statement files (when not
    /// given: a new temporary folder, deleted afterwards; a given folder
    /// keeps them, about 4 GB at 1M rows)
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Instead of benchmarking: fill a Saldo data dir for the desktop app
    /// (keyring-protected, demo-bank mode) with `--transactions` rows on one
    /// enabled account and its booked balance, then exit. Used by
    /// `scripts/bench-desktop`.
    #[arg(long, value_name = "DATA_DIR")]
    seed_app: Option<PathBuf>,
    /// Entries of the smaller file of each format whose import's peak
    /// memory is measured against a file four times its size, each import
    /// in a process of its own (0 skips these figures).
    #[arg(long, default_value_t = 200_000)]
    memory_entries: usize,
    /// (How the memory figures are taken, in a child process.) Imports
    /// this file into a new offline account of a new store in `--dir`,
    /// prints the process's peak resident memory in bytes, and exits.
    #[arg(long, hide = true)]
    import_memory: Option<PathBuf>,
    /// (With `--import-memory`) the CSV profile, as JSON.
    #[arg(long, hide = true)]
    import_profile: Option<String>,
}

/// The volume bank's connection and its one account (as ids), as a sync
/// would have stored them.
fn volume_account(
    store: &mut Store,
    n: u64,
    now: chrono::DateTime<Utc>,
) -> Result<(i64, i64), Box<dyn std::error::Error>> {
    let conn = store.insert_connection(-2, "Saldo Volume Bank", "BE", &UserContext::new("bench"), now)?;
    let (_, spec) = source(n);
    let acct = saldo_gateway::Account::new(spec.id, spec.currency, Some(spec.iban.into()));
    store.apply_accounts(conn, &[acct], now)?;
    let id = store.accounts(Some(conn), false)?.first().map(|a| a.id).ok_or("the account was not stored")?;
    Ok((conn, id))
}

/// Fills a data dir the desktop app opens as it is (see `--seed-app`).
fn seed_app(dir: &Path, n: u64, page_size: u64) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let db = dir.join(saldo_store::DB_FILE_NAME);
    let keyring = saldo_vault::KeyringStore::for_database(&db);
    let (mut store, _) = saldo_core::session::open_store(dir, saldo_core::session::KeySource::Keyring, &keyring)?;
    let now = Utc::now();
    let (conn, id) = volume_account(&mut store, n, now)?;
    store.set_account_enabled(id, true, now)?;
    let run = store.start_sync_run(
        conn,
        saldo_store::states::SyncScope::Transactions,
        saldo_store::states::Trigger::User,
        now,
    )?;
    ingest(&mut store, n, page_size, run)?;
    let (c, spec) = source(n);
    let epoch = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    let last = (0..n).map(|i| saldo_sandbox::data::date_of(epoch, &spec, i)).max().unwrap_or(epoch).to_string();
    let balance: saldo_gateway::Balance = serde_json::from_value(json!({
        "balanceType": "CLBD",
        "referenceDate": last,
        "balanceAmount": { "currency": spec.currency, "amount": saldo_sandbox::data::booked_balance(42, &c, &spec, n).to_string() },
    }))?;
    store.insert_balances(id, Some(run), &[balance], now)?;
    // As a real install is: the default categories and rules, applied, and
    // transfers found (the app does this once, on first open, for data
    // stored without them — a cost a cold-start figure must not include).
    saldo_core::money::prepare(&mut store, now)?;
    // The app's settings file: set up, on the demo banks.
    std::fs::write(dir.join("app.json"), json!({ "mode": "sandbox" }).to_string())?;
    println!("seeded {} with {n} transactions", dir.display());
    Ok(())
}

fn source(n: u64) -> (Connector, AccountSpec) {
    let c = catalog(n).into_iter().find(|c| c.id == -2).expect("volume connector");
    let spec = c.accounts[0].clone();
    (c, spec)
}

fn page(c: &Connector, spec: &AccountSpec, from: u64, to: u64) -> Vec<Transaction> {
    let epoch = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    (from..to).map(|i| saldo_sandbox::data::transaction(42, epoch, c, spec, i)).collect()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

/// A statement entry for the import figures: booking date, amount in cents, counterparty.
type BenchEntry = (NaiveDate, i64, String);

/// The newest `n` rows of an account.
fn newest_rows(store: &Store, account: i64, n: u64) -> Result<Vec<BenchEntry>, Box<dyn std::error::Error>> {
    let mut q = TxQuery { account: Some(account), limit: 1000, ..TxQuery::default() };
    let mut out = Vec::new();
    while (out.len() as u64) < n {
        let page = store.transactions_page(&q)?;
        for r in &page.rows {
            let cents =
                rust_decimal::prelude::ToPrimitive::to_i64(&(r.amount * rust_decimal::Decimal::from(100)).trunc())
                    .unwrap_or(0);
            out.push((r.booking_date.parse()?, cents, r.counterparty_name.clone().unwrap_or_default()));
        }
        match page.next {
            Some(c) if !page.rows.is_empty() => q.after = Some(c),
            _ => break,
        }
    }
    out.truncate(n as usize);
    Ok(out)
}

fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A camt.053.001.02 of EUR entries (no balances).
fn camt(entries: &[BenchEntry]) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>\n<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-01-01T00:00:00</CreDtTm></GrpHdr>\n<Stmt><Id>BENCH</Id><CreDtTm>2026-01-01T00:00:00</CreDtTm><Acct><Id><Othr><Id>BENCH-1</Id></Othr></Id><Ccy>EUR</Ccy></Acct>\n",
    );
    for (day, cents, party) in entries {
        let credit = *cents >= 0;
        let _ = writeln!(
            out,
            "<Ntry><Amt Ccy=\"EUR\">{}.{:02}</Amt><CdtDbtInd>{}</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt><NtryDtls><TxDtls><RltdPties><{w}><Nm>{}</Nm></{w}></RltdPties></TxDtls></NtryDtls></Ntry>",
            cents.abs() / 100,
            cents.abs() % 100,
            if credit { "CRDT" } else { "DBIT" },
            xml_text(party),
            w = if credit { "Dbtr" } else { "Cdtr" },
        );
    }
    out.push_str("</Stmt></BkToCstmrStmt></Document>\n");
    out.into_bytes()
}

/// An MT940 of EUR entries, the counterparty in `:86:`'s `?32` sub-field.
fn mt940(entries: &[BenchEntry]) -> Vec<u8> {
    use std::fmt::Write as _;
    let first = entries.first().map_or_else(|| "260101".to_owned(), |e| e.0.format("%y%m%d").to_string());
    let mut out = format!(":20:BENCH\r\n:25:BENCH-2\r\n:28C:1\r\n:60F:C{first}EUR0,00\r\n");
    let mut balance: i64 = 0;
    for (day, cents, party) in entries {
        balance += cents;
        let _ = write!(
            out,
            ":61:{}{}{},{:02}NTRFNONREF\r\n:86:166?00GUTSCHRIFT?20BENCH?32{}\r\n",
            day.format("%y%m%d"),
            if *cents < 0 { "D" } else { "C" },
            cents.abs() / 100,
            cents.abs() % 100,
            party.chars().filter(|c| c.is_ascii_alphanumeric() || *c == ' ').take(27).collect::<String>(),
        );
    }
    let last = entries.last().map_or_else(|| first.clone(), |e| e.0.format("%y%m%d").to_string());
    let _ = write!(
        out,
        ":62F:{}{last}EUR{},{:02}\r\n-\r\n",
        if balance < 0 { "D" } else { "C" },
        balance.abs() / 100,
        balance.abs() % 100
    );
    out.into_bytes()
}

/// Cents as a signed decimal amount: `-12.34`.
fn money(cents: i64) -> String {
    format!("{}{}.{:02}", if cents < 0 { "-" } else { "" }, cents.abs() / 100, cents.abs() % 100)
}

/// An OFX 1.x (SGML) bank statement of EUR entries.
fn ofx(entries: &[BenchEntry]) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut out = String::from(
        "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nENCODING:USASCII\r\nCHARSET:1252\r\n\r\n<OFX>\r\n<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STMTRS><CURDEF>EUR\r\n<BANKACCTFROM><BANKID>1<ACCTID>BENCH-3<ACCTTYPE>CHECKING</BANKACCTFROM>\r\n<BANKTRANLIST><DTSTART>19000101<DTEND>20990101\r\n",
    );
    for (i, (day, cents, party)) in entries.iter().enumerate() {
        let _ = write!(
            out,
            "<STMTTRN><TRNTYPE>{}<DTPOSTED>{}<TRNAMT>{}<FITID>B{i}<NAME>{}</STMTTRN>\r\n",
            if *cents < 0 { "DEBIT" } else { "CREDIT" },
            day.format("%Y%m%d"),
            money(*cents),
            xml_text(party),
        );
    }
    out.push_str("</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\r\n");
    out.into_bytes()
}

/// A QIF bank register of entries.
fn qif(entries: &[BenchEntry]) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut out = String::from("!Type:Bank\n");
    for (day, cents, party) in entries {
        let _ = write!(out, "D{}\nT{}\nP{}\n^\n", day.format("%m/%d/%Y"), money(*cents), party.replace('\n', " "));
    }
    out.into_bytes()
}

/// A bank CSV export of entries, and the profile that reads it.
fn csv(entries: &[BenchEntry]) -> (Vec<u8>, saldo_core::statements::CsvProfile) {
    use std::fmt::Write as _;
    let mut out = String::from("Date;Amount;Name\r\n");
    for (day, cents, party) in entries {
        let _ = write!(out, "{};{};\"{}\"\r\n", day.format("%d.%m.%Y"), money(*cents), party.replace('"', "\"\""));
    }
    let profile = r#"{"name":"Bench","delimiter":";","date":"Date","date_format":"%d.%m.%Y","amount":{"kind":"signed","column":"Amount"},"counterparty_name":"Name"}"#;
    (out.into_bytes(), serde_json::from_str(profile).unwrap_or_else(|e| panic!("the bench's CSV profile: {e}")))
}

/// Imports a file from disk (as the app and the CLI do: read as a stream)
/// into `account`, starting from an empty write-ahead log so that it pays
/// for its own pages and not for those of the writes before it: the rows
/// it added, how long it took, and its peak memory above what the process
/// held before it.
fn measure_import(
    store: &mut Store,
    path: &Path,
    account: i64,
    now: chrono::DateTime<Utc>,
    peak_so_far: &mut u64,
) -> Result<(u64, Duration, u64), Box<dyn std::error::Error>> {
    let file = saldo_core::statement_import::FileInput::from_path(path);
    let opts = saldo_core::statement_import::Options {
        target: saldo_core::statement_import::Target::Account(account),
        ..Default::default()
    };
    store.checkpoint_wal()?;
    let rss_before = current_rss();
    *peak_so_far = (*peak_so_far).max(peak_rss());
    reset_peak_rss();
    let (r, d) = timed(|| saldo_core::statement_import::import(store, std::slice::from_ref(&file), &opts, now));
    Ok((r?.new, d, peak_rss().saturating_sub(rss_before)))
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn file_size(path: &Path) -> u64 {
    ["", "-wal"].iter().filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok()).map(|m| m.len()).sum()
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The process's peak resident memory (since the last [`reset_peak_rss`]).
fn peak_rss() -> u64 {
    status_kb("VmHWM:")
}

fn current_rss() -> u64 {
    status_kb("VmRSS:")
}

/// Starts a new peak (Linux: writing 5 to `clear_refs` resets `VmHWM`).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The same pages into two stores, alternately (which goes first alternates
/// too), each timed on its own: the two totals saw the same machine, so
/// their ratio holds on a noisy one.
fn ingest_pair(
    a: (&mut Store, i64),
    b: (&mut Store, i64),
    n: u64,
    page_size: u64,
) -> Result<(Duration, Duration), Box<dyn std::error::Error>> {
    let (c, spec) = source(n);
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).single().unwrap_or_default();
    let (mut ta, mut tb) = (Duration::ZERO, Duration::ZERO);
    let (store_a, run_a) = a;
    let (store_b, run_b) = b;
    let mut i = 0;
    let mut flip = false;
    while i < n {
        let end = (i + page_size).min(n);
        let rows = page(&c, &spec, i, end); // generation is not timed
        let pager = (end < n).then(|| PagerContext::new(end.to_string()));
        let one = |store: &mut Store, run: i64| {
            timed(|| {
                store.commit_page(&PageCommit { next_pager: pager.as_ref(), ..PageCommit::new(1, 1, run, &rows) }, now)
            })
        };
        if flip {
            let (r, d) = one(store_b, run_b);
            r?;
            tb += d;
            let (r, d) = one(store_a, run_a);
            r?;
            ta += d;
        } else {
            let (r, d) = one(store_a, run_a);
            r?;
            ta += d;
            let (r, d) = one(store_b, run_b);
            r?;
            tb += d;
        }
        flip = !flip;
        i = end;
    }
    Ok((ta, tb))
}

fn ingest(store: &mut Store, n: u64, page_size: u64, run: i64) -> Result<Duration, Box<dyn std::error::Error>> {
    let (c, spec) = source(n);
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).single().unwrap_or_default();
    let mut total = Duration::ZERO;
    let mut i = 0;
    while i < n {
        let end = (i + page_size).min(n);
        let rows = page(&c, &spec, i, end); // generation is not timed
        let pager = (end < n).then(|| PagerContext::new(end.to_string()));
        let (r, d) = timed(|| {
            store.commit_page(&PageCommit { next_pager: pager.as_ref(), ..PageCommit::new(1, 1, run, &rows) }, now)
        });
        r?;
        total += d;
        i = end;
    }
    Ok(total)
}

/// The same rows, inserted by a plain loop into an equally keyed SQLCipher file.
fn raw_insert(path: &Path, key: &DbKey, n: u64, page_size: u64) -> Result<Duration, Box<dyn std::error::Error>> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(&format!(
        "PRAGMA cipher_log_level = NONE; PRAGMA key = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
        key.sqlcipher_literal().expose()
    ))?;
    conn.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, account_id INTEGER, bank_id TEXT, booking_date TEXT, value_date TEXT, amount_minor INTEGER,
         scale INTEGER, currency TEXT, counterparty_name TEXT, counterparty_account TEXT, description TEXT, remittance TEXT, raw TEXT)",
    )?;
    let (c, spec) = source(n);
    let mut total = Duration::ZERO;
    let mut i = 0;
    while i < n {
        let end = (i + page_size).min(n);
        let rows = page(&c, &spec, i, end);
        let (r, d) = timed(|| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            {
                let mut st =
                    tx.prepare_cached("INSERT INTO t VALUES (NULL, 1, ?1, ?2, ?3, ?4, 2, ?5, ?6, ?7, ?8, ?9, ?10)")?;
                for t in &rows {
                    let minor = {
                        let mut a = t.amount.0;
                        a.rescale(2);
                        a.mantissa() as i64
                    };
                    st.execute(rusqlite::params![
                        t.id,
                        t.execution_date.as_ref().map(|d| d.date().to_string()),
                        t.value_date.as_ref().map(|d| d.date().to_string()),
                        minor,
                        t.currency,
                        t.counterpart_name,
                        t.counterpart_reference,
                        t.description,
                        t.remittance_information.as_ref().and_then(|r| r.unstructured.clone()),
                        serde_json::to_string(t).unwrap_or_default(),
                    ])?;
                }
            }
            tx.commit()
        });
        r?;
        total += d;
        i = end;
    }
    Ok(total)
}

/// Connects the sandbox's volume bank and syncs it twice; returns the
/// transactions stored and both durations.
async fn sync_bench(dir: &Path, n: u64) -> Result<(i64, Duration, Duration), Box<dyn std::error::Error>> {
    use saldo_core::connect::{self, ConnectRequest, Next, RedirectKind};
    use saldo_core::sync::{self, Outcome, Scope, SyncOptions};
    use saldo_sandbox::psu::{Browser, Decision, Outcome as Page};
    std::fs::create_dir_all(dir)?;
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig { volume_transactions: n, ..Default::default() })
        .await?;
    let client = saldo_gateway::GatewayClient::new(saldo_gateway::ClientConfig::new(url::Url::parse(sb.base_url())?))?;
    let mut store = Store::open(&dir.join("saldo.db"), &DbKey::generate()?)?;
    let req = ConnectRequest {
        connector_id: -2,
        bank_name: "Saldo Volume Bank".into(),
        country: "BE".into(),
        ibans: vec![],
        additional: Default::default(),
        redirect_url: "saldo://callback".into(),
        redirect_kind: RedirectKind::DeepLink,
        frequency_per_day: 4,
        reconnect: None,
        identity: None,
    };
    let Next::OpenBrowser { url, .. } = connect::start(&mut store, &client, &req, Utc::now()).await? else {
        return Err("no redirect".into());
    };
    let Page::Redirected(cb) = Browser::new().authorize(&url, Decision::Approve).await? else {
        return Err("no callback".into());
    };
    let Next::Connected { connection_id, .. } = connect::handle_callback(&mut store, &client, &cb, Utc::now()).await?
    else {
        return Err("not connected".into());
    };
    for a in store.accounts(Some(connection_id), false)? {
        store.set_account_enabled(a.id, true, Utc::now())?;
    }
    let opts = SyncOptions::new(&dir.join("locks"));
    let start = Instant::now();
    let (_, first) = sync::sync_connection(&mut store, &client, connection_id, Scope::Transactions, &opts).await?;
    let t_first = start.elapsed();
    let start = Instant::now();
    let (_, second) = sync::sync_connection(&mut store, &client, connection_id, Scope::Transactions, &opts).await?;
    let t_second = start.elapsed();
    match (first, second) {
        (Outcome::Completed { new_transactions, .. }, Outcome::Completed { new_transactions: 0, .. }) => {
            Ok((new_transactions, t_first, t_second))
        }
        other => Err(format!("sync did not complete as expected: {other:?}").into()),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let n = args.transactions;
    if let Some(dir) = &args.seed_app {
        return seed_app(dir, n, args.page);
    }
    if let Some(file) = &args.import_memory {
        let dir = args.dir.clone().ok_or("--import-memory needs --dir")?;
        let profile = args.import_profile.as_deref().map(serde_json::from_str).transpose()?;
        let mut store = Store::open(&dir.join("memory.db"), &DbKey::generate()?)?;
        let opts = saldo_core::statement_import::Options {
            target: saldo_core::statement_import::Target::NewAccount("Memory".into()),
            profile,
            ..Default::default()
        };
        let input = saldo_core::statement_import::FileInput::from_path(file);
        saldo_core::statement_import::import(&mut store, std::slice::from_ref(&input), &opts, Utc::now())?;
        println!("{}", peak_rss());
        return Ok(());
    }
    let dir =
        args.dir.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("saldo-bench-{}", std::process::id())));
    std::fs::create_dir_all(&dir)?;
    let key = DbKey::generate()?;
    let db = dir.join("saldo.db");
    let mut out = Map::new();
    let mut put = |k: &str, v: Value| {
        if !args.json {
            println!("{k}: {v}");
        }
        out.insert(k.to_owned(), v);
    };
    put("transactions", json!(n));

    let mut store = Store::open(&db, &key)?;
    let now = Utc::now();
    let (conn, volume) = volume_account(&mut store, n, now)?;
    let run = store.start_sync_run(
        conn,
        saldo_store::states::SyncScope::Transactions,
        saldo_store::states::Trigger::User,
        now,
    )?;
    let ingest_time = ingest(&mut store, n, args.page, run)?;
    let raw_time = raw_insert(&dir.join("raw.db"), &key, n, args.page)?;
    let ingest_rate = n as f64 / ingest_time.as_secs_f64();
    let raw_rate = n as f64 / raw_time.as_secs_f64();
    put("ingest_rows_per_s", json!(ingest_rate.round()));
    put("raw_insert_rows_per_s", json!(raw_rate.round()));
    put("ingest_ratio", json!((raw_rate / ingest_rate * 100.0).round() / 100.0));
    let run2 = store.start_sync_run(
        conn,
        saldo_store::states::SyncScope::Transactions,
        saldo_store::states::Trigger::User,
        now,
    )?;
    let reingest = ingest(&mut store, n, args.page, run2)?;
    put("reingest_s", json!((reingest.as_secs_f64() * 1000.0).round() / 1000.0));

    let first = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    if !args.import_only {
        // First history page of the account within a date range.
        let mut pages = Vec::new();
        for k in 0..200u64 {
            let from = first + chrono::Days::new(k * 3 % 700);
            let q = TxQuery {
                account: Some(1),
                from: Some(from),
                to: Some(from + chrono::Days::new(60)),
                limit: 50,
                ..TxQuery::default()
            };
            let (r, d) = timed(|| store.transactions_page(&q));
            r?;
            pages.push(d);
        }
        pages.sort();
        put("page_p50_ms", json!(percentile(&pages, 0.5)));
        put("page_p99_ms", json!(percentile(&pages, 0.99)));

        let search = |terms: &[&str]| -> Result<Vec<Duration>, Box<dyn std::error::Error>> {
            let mut v = Vec::new();
            for i in 0..60 {
                let q = TxQuery { text: Some(terms[i % terms.len()].into()), limit: 50, ..TxQuery::default() };
                let (r, d) = timed(|| store.transactions_page(&q));
                r?;
                v.push(d);
            }
            v.sort();
            Ok(v)
        };
        let common = search(&["groceries", "restaurant", "salary", "zurich"])?;
        let rare = search(&["hyperlink", "rabatt", "quarterly-does-not-exist"])?;
        put("search_p50_ms", json!(percentile(&common, 0.5).max(percentile(&rare, 0.5))));
        put("search_p99_ms", json!(percentile(&common, 0.99).max(percentile(&rare, 0.99))));
        put("search_common_p99_ms", json!(percentile(&common, 0.99)));
        put("search_rare_p99_ms", json!(percentile(&rare, 0.99)));

        let mut monthly = Vec::new();
        for _ in 0..5 {
            let (r, d) = timed(|| store.monthly(None));
            r?;
            monthly.push(d);
        }
        monthly.sort();
        put("monthly_ms", json!(percentile(&monthly, 0.5)));
    }
    // Where the money goes (issue 15), with 200 rules: Saldo's defaults and
    // more of the same shape.
    let mut rules = saldo_classify::rules::defaults();
    let mut k = 0;
    while rules.rules.len() < 200 {
        k += 1;
        rules.rules.push(saldo_classify::rules::RuleDef {
            name: format!("Shop {k}"),
            category: "Shopping".into(),
            when: saldo_classify::rules::Conditions { text: Some(format!("shop number {k}")), ..Default::default() },
        });
    }
    store.import_rules(&rules, true, now)?;
    let (applied, d) = timed(|| store.apply_rules(false, now));
    let applied = applied?;
    put("rules", json!(rules.rules.len()));
    put("rules_apply_rows_per_s", json!((applied.examined as f64 / d.as_secs_f64()).round()));
    put("rules_apply_categorised", json!(applied.changed));
    if !args.import_only {
        for (name, by) in [
            ("category", saldo_store::reports::GroupBy::Category),
            ("counterparty", saldo_store::reports::GroupBy::Counterparty),
            ("month", saldo_store::reports::GroupBy::Month),
        ] {
            let mut times = Vec::new();
            for _ in 0..10 {
                let (r, d) = timed(|| store.report(by, &saldo_store::reports::ReportQuery::default()));
                r?;
                times.push(d);
            }
            times.sort();
            put(&format!("report_{name}_p50_ms"), json!(percentile(&times, 0.5)));
            put(&format!("report_{name}_p99_ms"), json!(percentile(&times, 0.99)));
        }
        let mut flows = Vec::new();
        for _ in 0..10 {
            let (r, d) = timed(|| store.monthly_flows(None, false));
            r?;
            flows.push(d);
        }
        flows.sort();
        put("monthly_flows_p99_ms", json!(percentile(&flows, 0.99)));
        // Transfer detection around the newest 10k rows (what a sync of 10k new rows triggers).
        let newest = {
            let mut q = TxQuery { limit: 1000, ..TxQuery::default() };
            let mut last = None;
            for _ in 0..10 {
                let page = store.transactions_page(&q)?;
                last = page.rows.last().map(|r| r.booking_date.clone());
                match page.next {
                    Some(c) => q.after = Some(c),
                    None => break,
                }
            }
            last.and_then(|d| d.parse::<NaiveDate>().ok()).unwrap_or(first)
        };
        let (r, d) = timed(|| store.detect_transfers(Some((newest, now.date_naive())), now));
        r?;
        put("transfer_detect_10k_s", json!((d.as_secs_f64() * 1000.0).round() / 1000.0));

        // Exports of the whole account, one file per format. The peak RSS is reset
        // first (Linux `clear_refs`), so `export_rss_growth_bytes` is what exporting
        // needs: a streaming export stays flat however many rows there are.
    }
    let mut peak_so_far = peak_rss();
    if !args.import_only {
        let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        let rss_before = current_rss();
        for format in Format::ALL {
            let mut opts = ExportOptions::new(format, now);
            opts.accounts = vec![1];
            let path = dir.join(format!("export.{}", format.extension()));
            let (r, d) = timed(|| -> Result<u64, Box<dyn std::error::Error>> {
                let mut file = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&path)?);
                Ok(export(&store, &opts, &mut file)?.transactions)
            });
            let rows = r?;
            put(&format!("export_{}_rows_per_s", format.as_str()), json!((rows as f64 / d.as_secs_f64()).round()));
            std::fs::remove_file(&path).ok();
        }
        if reset {
            put("export_rss_growth_bytes", json!(peak_rss().saturating_sub(rss_before)));
        }
        // Nothing lost (issue 16): an online backup of the whole database (the
        // SQLite backup API, its manifest computed from the copy), and what a
        // restore does with it before switching: copy it out and verify it
        // (integrity check, counts and exact sums against the manifest).
        {
            let copy = dir.join("backup.db");
            let (manifest, d) = timed(|| store.backup_to(&copy, now));
            let manifest = manifest?;
            put("backup_s", json!((d.as_secs_f64() * 1000.0).round() / 1000.0));
            put("backup_bytes", json!(file_size(&copy)));
            let extracted = dir.join("restored.db");
            let (r, d) = timed(|| -> Result<(), Box<dyn std::error::Error>> {
                std::fs::copy(&copy, &extracted)?;
                std::fs::File::open(&extracted)?.sync_all()?;
                saldo_store::backup::verify(&extracted, &key, &manifest)?;
                Ok(())
            });
            r?;
            put("restore_s", json!((d.as_secs_f64() * 1000.0).round() / 1000.0));
            std::fs::remove_file(&copy).ok();
            std::fs::remove_file(&extracted).ok();
        }
        // Categorising as rows arrive: the same pages into a store with the 200
        // rules and one without, alternately, so that both see the same machine.
        {
            let mut plain = Store::open(&dir.join("plain.db"), &key)?;
            let mut ruled = Store::open(&dir.join("ruled.db"), &key)?;
            ruled.import_rules(&rules, true, now)?;
            let mut runs = Vec::new();
            for s in [&mut plain, &mut ruled] {
                let (conn, _) = volume_account(s, n, now)?;
                runs.push(s.start_sync_run(
                    conn,
                    saldo_store::states::SyncScope::Transactions,
                    saldo_store::states::Trigger::User,
                    now,
                )?);
            }
            let (t_plain, t_ruled) = ingest_pair((&mut plain, runs[0]), (&mut ruled, runs[1]), n, args.page)?;
            put("ingest_categorised_rows_per_s", json!((n as f64 / t_ruled.as_secs_f64()).round()));
            put(
                "ingest_categorise_cost",
                json!(((t_ruled.as_secs_f64() / t_plain.as_secs_f64() - 1.0) * 1000.0).round() / 1000.0),
            );
        }
    }
    // Importing statement files (issue 17): a camt.053 and an MT940 file
    // into the account that holds all the rows, each half rows it already
    // holds (the dedupe against stored rows included) and half new rows.
    if args.import_entries > 0 {
        let half = args.import_entries / 2;
        let known = newest_rows(&store, volume, 2 * half)?;
        // Each import is measured against the same stored rows: the store
        // as it was before the first is put back before each other one, and
        // read as it was, so that each starts from the same pages in
        // SQLite's cache. (Measured one after the other, whichever went
        // second was about 12 % slower: it paid for merging the first's
        // search index and for the first's pages in the indexes.) Each
        // format is imported `IMPORT_RUNS` times: this machine is shared,
        // and one run can be 15 % off the next.
        const IMPORT_RUNS: usize = 3;
        store.checkpoint_wal()?;
        let before = dir.join("before-imports.db");
        std::fs::copy(&db, &before)?;
        let mut first = true;
        for (i, (format, rows)) in
            [("camt", &known[..known.len() / 2]), ("mt940", &known[known.len() / 2..])].into_iter().enumerate()
        {
            // A new row pays someone the stored rows also pay (statements
            // name the same merchants, employers and landlords as the
            // bank's rows do), a cent apart from its neighbour so that it
            // matches no stored row.
            let entries: Vec<BenchEntry> = rows
                .iter()
                .enumerate()
                .flat_map(|(j, (day, cents, party))| {
                    let other = &rows[(j + 7 * (i + 1)) % rows.len()].2;
                    [(*day, *cents, party.clone()), (*day, cents + 1, other.clone())]
                })
                .collect();
            let path = dir.join(format!("bench.{format}"));
            std::fs::write(&path, if format == "camt" { camt(&entries) } else { mt940(&entries) })?;
            let mut rates = Vec::new();
            let mut growth = 0;
            let mut new = 0;
            for _ in 0..IMPORT_RUNS {
                if !std::mem::take(&mut first) {
                    drop(store);
                    for suffix in ["-wal", "-shm"] {
                        std::fs::remove_file(format!("{}{suffix}", db.display())).ok();
                    }
                    std::fs::copy(&before, &db)?;
                    store = Store::open(&db, &key)?;
                    newest_rows(&store, volume, 2 * half)?;
                }
                let (added, d, g) = measure_import(&mut store, &path, volume, now, &mut peak_so_far)?;
                rates.push((entries.len() as f64 / d.as_secs_f64()).round());
                growth = growth.max(g);
                new = added;
            }
            let mut sorted = rates.clone();
            sorted.sort_by(f64::total_cmp);
            put(&format!("import_{format}_entries"), json!(entries.len()));
            put(&format!("import_{format}_new"), json!(new));
            put(&format!("import_{format}_entries_per_s"), json!(sorted[sorted.len() / 2]));
            put(&format!("import_{format}_entries_per_s_runs"), json!(rates));
            put(&format!("import_{format}_peak_rss_growth_bytes"), json!(growth));
            put(&format!("import_{format}_file_bytes"), json!(std::fs::metadata(&path)?.len()));
        }
        std::fs::remove_file(&before).ok();
    }
    // The peak memory of an import against its file's size (issue 17: it
    // must not depend on it): in each format, a file of `memory_entries`
    // entries and one four times as long, at the same density (274 entries
    // a day, a busy business account), each imported into a new store by a
    // process of its own, so that nothing earlier in this one (the
    // allocator's free memory, SQLite's page cache) is in the figure.
    if args.memory_entries > 0 {
        let parties = newest_rows(&store, volume, 1000)?;
        let start = NaiveDate::from_ymd_opt(1990, 1, 1).ok_or("a date")?;
        for format in ["camt", "mt940", "ofx", "qif", "csv"] {
            let mut peaks = Vec::new();
            for times in [1, 4] {
                let entries: Vec<BenchEntry> = (0..times * args.memory_entries)
                    .map(|i| {
                        let (_, cents, party) = &parties[i % parties.len()];
                        (start + chrono::Days::new((i / 274) as u64), cents + (i % 7) as i64, party.clone())
                    })
                    .collect();
                let (bytes, profile) = match format {
                    "camt" => (camt(&entries), None),
                    "mt940" => (mt940(&entries), None),
                    "ofx" => (ofx(&entries), None),
                    "qif" => (qif(&entries), None),
                    _ => {
                        let (bytes, profile) = csv(&entries);
                        (bytes, Some(serde_json::to_string(&profile)?))
                    }
                };
                let child_dir = dir.join(format!("memory-{format}-{times}"));
                std::fs::create_dir_all(&child_dir)?;
                let path = child_dir.join(format!("file.{format}"));
                std::fs::write(&path, &bytes)?;
                let mut cmd = std::process::Command::new(std::env::current_exe()?);
                cmd.arg("--import-memory").arg(&path).arg("--dir").arg(&child_dir);
                if let Some(p) = &profile {
                    cmd.arg("--import-profile").arg(p);
                }
                let (out, d) = timed(|| cmd.output());
                let out = out?;
                if !out.status.success() {
                    return Err(
                        format!("the {format} memory import failed: {}", String::from_utf8_lossy(&out.stderr)).into()
                    );
                }
                let peak: u64 = String::from_utf8_lossy(&out.stdout).trim().parse()?;
                let key = format!("import_{format}_memory_{}k", times * args.memory_entries / 1000);
                put(&format!("{key}_file_bytes"), json!(bytes.len()));
                put(&format!("{key}_peak_rss_bytes"), json!(peak));
                put(&format!("{key}_entries_per_s"), json!((entries.len() as f64 / d.as_secs_f64()).round()));
                peaks.push(peak as f64);
                std::fs::remove_dir_all(&child_dir).ok();
            }
            put(&format!("import_{format}_memory_ratio_4x"), json!((peaks[1] / peaks[0] * 100.0).round() / 100.0));
        }
    }
    drop(store);
    put("db_bytes", json!(file_size(&db)));
    if args.sync_transactions > 0 {
        let (n, first, again) = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(sync_bench(&dir.join("sync"), args.sync_transactions))?;
        put("sync_transactions", json!(n));
        put("sync_rows_per_s", json!((n as f64 / first.as_secs_f64()).round()));
        put("sync_ratio", json!(((raw_rate / (n as f64 / first.as_secs_f64())) * 100.0).round() / 100.0));
        put("resync_s", json!((again.as_secs_f64() * 1000.0).round() / 1000.0));
    }
    put("peak_rss_bytes", json!(peak_rss().max(peak_so_far)));
    if args.json {
        println!("{}", Value::Object(out));
    }
    if args.dir.is_none() {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}

//! `saldo import --format saldo-json`: Saldo's own export back into an empty
//! install, over the sandbox household (two banks, transfers between own
//! accounts, categories, a renamed counterparty).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;
use std::process::{Command, Output};

use saldo_store::reports::{GroupBy, ReportQuery};

mod support;

use support::home;

fn saldo(data: &Path, pass: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_saldo"));
    c.arg("--data-dir").arg(data).arg("--passphrase-file").arg(pass);
    c.env_remove("SALDO_GATEWAY_URL").env_remove("SALDO_DATA_DIR").env_remove("SALDO_PASSPHRASE_FILE");
    c
}

fn run(c: &mut Command) -> Output {
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "command failed: {}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// `saldo connect CONNECTOR --no-browser` on the embedded sandbox, the person approving.
async fn connect(data: &Path, pass: &Path, connector: &str) {
    connect_with(data, pass, &[connector]).await;
}

/// `saldo connect ARGS… --no-browser`, the person approving at the bank.
async fn connect_with(data: &Path, pass: &Path, args: &[&str]) {
    let mut c = saldo(data, pass);
    c.arg("connect").args(args);
    drop(support::approve_connect(c).await);
}

/// The export of an install in `format`, as text.
fn export(data: &Path, pass: &Path, format: &str, dir: &Path, name: &str) -> (std::path::PathBuf, String) {
    let file = dir.join(name);
    let o = run(saldo(data, pass).args(["export", "--format", format, "-o"]).arg(&file));
    assert!(o.status.success(), "export: {}", stderr(&o));
    let text = std::fs::read_to_string(&file).unwrap();
    (file, text)
}

/// The documented normalisation: the header's `exported_at` (each export's
/// own time) is the only thing two exports of the same data may differ in.
fn normalised(export: &str) -> String {
    let at = "\"exported_at\":\"";
    let start = export.find(at).unwrap() + at.len();
    let end = start + export[start..].find('"').unwrap();
    format!("{}<exported_at>{}", &export[..start], &export[end..])
}

/// Equal texts, or a panic naming the first line that differs (not the whole file).
fn assert_same(got: &str, want: &str, why: &str) {
    if got == want {
        return;
    }
    let (n, (g, w)) = got
        .lines()
        .chain(std::iter::repeat("<end>"))
        .zip(want.lines().chain(std::iter::repeat("<end>")))
        .enumerate()
        .find(|(_, (g, w))| g != w)
        .unwrap();
    panic!("{why}: line {} differs\n got: {g}\nwant: {w}", n + 1);
}

fn is_empty_install(data: &Path, pass: &Path) -> bool {
    json(&run(saldo(data, pass).args(["connections", "--json"]))) == serde_json::json!([])
        && json(&run(saldo(data, pass).args(["accounts", "--all", "--json"]))) == serde_json::json!([])
        && json(&run(saldo(data, pass).args(["transactions", "--json"]))) == serde_json::json!([])
}

/// Opens an install's store directly (the day-sum checks read it).
fn store(data: &Path, pass: &Path) -> saldo_store::Store {
    let key = saldo_core::session::KeySource::Passphrase(saldo_vault::Passphrase::from_file(pass).unwrap());
    saldo_core::session::open_store(data, key, &saldo_vault::MemoryStore::default()).unwrap().0
}

/// R16, R17: the export's identity, exact amounts, dates, texts and overlay
/// (categories, clean counterparty names, transfers, a renamed counterparty)
/// survive export → import → export; the imported install answers every
/// listing and report like the original; the day sums are what a rebuild
/// from the rows gives. R5: the export carries no bank access, so the
/// connections need a reconnect.
#[tokio::test(flavor = "multi_thread")]
async fn an_export_imported_into_an_empty_install_exports_the_same_file_and_answers_the_same() {
    let (home_a, a, pass_a) = home();
    let original = || saldo(&a, &pass_a);
    connect(&a, &pass_a, "201").await; // the household's Belgian bank: checking and savings
    connect(&a, &pass_a, "202").await; // and her Dutch one (transfers arrive there)
    for acc in json(&run(original().args(["accounts", "--json"]))).as_array().unwrap() {
        assert!(run(original().args(["accounts", "enable", &acc["id"].to_string()])).status.success());
    }
    let sync = run(original().arg("sync"));
    assert!(sync.status.success(), "sync: {}", stderr(&sync));

    // The person's own overlay: a category of theirs, a row filed there, a renamed counterparty.
    assert!(run(original().args(["categories", "add", "Hobbies/Climbing"])).status.success());
    let rows = json(&run(original().args(["transactions", "--limit", "1000", "--json"])));
    let rows = rows.as_array().unwrap();
    let spent = rows.iter().find(|t| t["transfer_id"].is_null() && t["amount"].as_str().unwrap().starts_with('-'));
    let spent = spent.expect("a payment that is not a transfer")["id"].to_string();
    assert!(run(original().args(["categorize", &spent, "--category", "Hobbies/Climbing"])).status.success());
    let party = rows.iter().find_map(|t| t["counterparty_clean"].as_str()).expect("a clean counterparty").to_owned();
    let renamed = run(original().args(["counterparty", &party, "--rename", "The Person's Name"]));
    assert!(renamed.status.success(), "rename: {}", stderr(&renamed));
    assert!(
        !json(&run(original().args(["transfers", "--json"]))).as_array().unwrap().is_empty(),
        "the household has transfers between own accounts"
    );

    let (file, first) = export(&a, &pass_a, "json", home_a.path(), "first.json");
    let (lines_file, first_lines) = export(&a, &pass_a, "jsonl", home_a.path(), "first.jsonl");

    // Into an empty install.
    let (home_b, b, pass_b) = home();
    let imported = || saldo(&b, &pass_b);
    let summary = json(&run(imported().args(["import", "--format", "saldo-json", "--json"]).arg(&file)));
    assert_eq!(summary["connections"], 2, "{summary}");
    assert_eq!(summary["accounts"], 3, "{summary}");
    let exported = first_lines.lines().filter(|l| l.starts_with("{\"type\":\"transaction\"")).count();
    assert_eq!(summary["transactions"].as_u64().unwrap() as usize, exported, "every row: {summary}");
    assert!(summary["transfers"].as_u64().unwrap() > 0, "{summary}");
    assert_eq!(summary["aliases"], 1, "the renamed counterparty: {summary}");

    let (_, second) = export(&b, &pass_b, "json", home_b.path(), "second.json");
    assert_same(&normalised(&second), &normalised(&first), "R16, R17: export → import → export is the same file");
    let (_, second_lines) = export(&b, &pass_b, "jsonl", home_b.path(), "second.jsonl");
    assert_same(&normalised(&second_lines), &normalised(&first_lines), "and the same JSON Lines");

    // The same answers.
    let accounts: Vec<String> = json(&run(original().args(["accounts", "--json"])))
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].to_string())
        .collect();
    for account in &accounts {
        let args = ["transactions", "--account", account, "--limit", "1000", "--json"];
        let there = json(&run(original().args(args)));
        assert_eq!(json(&run(imported().args(args))), there, "account {account}'s rows list the same");
    }
    for args in [
        &["transactions", "--limit", "1000"][..],
        &["accounts"],
        &["transactions", "--search", "netflix", "--limit", "1000"],
        &["transactions", "--category", "Food", "--limit", "1000"],
        &["transactions", "--uncategorized", "--limit", "1000"],
        &["balances"],
        &["categories"],
        &["report", "spending"],
        &["report", "spending", "--by", "counterparty"],
        &["report", "income"],
        &["report", "monthly"],
        &["report", "networth"],
    ] {
        let there = json(&run(original().args(args).arg("--json")));
        let here = json(&run(imported().args(args).arg("--json")));
        assert_eq!(here, there, "`saldo {}` answers the same after the import", args.join(" "));
    }
    let search = json(&run(imported().args(["transactions", "--search", "netflix", "--json"])));
    assert!(!search.as_array().unwrap().is_empty(), "the full-text index holds the imported rows");
    let connections = json(&run(imported().args(["connections", "--json"])));
    for c in connections.as_array().unwrap() {
        assert_eq!(c["status"], "needs_reconnect", "R5: no bank access travels in an export: {c}");
    }
    assert_eq!(
        connections.as_array().unwrap().iter().map(|c| c["country"].as_str().unwrap()).collect::<Vec<_>>(),
        ["BE", "NL"],
        "the country comes from the accounts' IBANs"
    );

    // The maintained sums are what the rows say.
    {
        let there = store(&a, &pass_a);
        let s = store(&b, &pass_b);
        assert_eq!(s.monthly(None).unwrap(), there.monthly(None).unwrap(), "monthly_totals as ingest keeps them");
        for by in [GroupBy::Category, GroupBy::Counterparty, GroupBy::Month] {
            for gross in [false, true] {
                let q = ReportQuery { gross, ..ReportQuery::default() };
                let days = s.report(by, &q).unwrap();
                assert_eq!(days, s.report_scan(by, &q).unwrap(), "R17: the day sums equal a scan of the rows");
                s.rebuild_category_days().unwrap();
                assert_eq!(s.report(by, &q).unwrap(), days, "and equal the day sums rebuilt from the rows");
            }
        }
    }

    // Into an install that is no longer empty: refused, nothing changed.
    let again = run(imported().args(["import", "--format", "saldo-json"]).arg(&file));
    assert_eq!(again.status.code(), Some(2), "a second import is bad input: {}", stderr(&again));
    assert!(stderr(&again).contains("already holds data"), "says why: {}", stderr(&again));
    let (_, third) = export(&b, &pass_b, "json", home_b.path(), "third.json");
    assert_same(&normalised(&third), &normalised(&first), "the refused import changed nothing");

    // Broken files: refused with the place named, the empty install left empty.
    let (home_c, c, pass_c) = home();
    let broken = |name: &str, text: &str| -> String {
        let path = home_c.path().join(name);
        std::fs::write(&path, text).unwrap();
        let o = run(saldo(&c, &pass_c).args(["import", "--format", "saldo-json"]).arg(&path));
        assert_eq!(o.status.code(), Some(2), "{name} is bad input: {}", stderr(&o));
        assert!(is_empty_install(&c, &pass_c), "{name}: nothing was written");
        stderr(&o)
    };
    let at = first.find("\"transactions\":[").unwrap();
    let amount = at + first[at..].find("\"amount\":\"").unwrap() + "\"amount\":\"".len();
    let end = amount + first[amount..].find('"').unwrap();
    let bad_amount = format!("{}12,50{}", &first[..amount], &first[end..]);
    let line = first[..amount].lines().count();
    let msg = broken("amount.json", &bad_amount);
    assert!(
        msg.contains("amount \"12,50\" is not an exact decimal") && msg.contains(&format!("line {line}:")),
        "R17: the amount and its line are named: {msg}"
    );
    let msg = broken("cut.json", &first[..first.len() / 2]);
    assert!(msg.contains("cut short"), "a truncated file: {msg}");
    let msg = broken("currency.json", &first.replacen("\"currency\":\"EUR\"", "\"currency\":\"EURO\"", 2));
    assert!(msg.contains("currency \"EURO\" is not a currency code"), "{msg}");

    let lines: Vec<&str> = first_lines.lines().collect();
    let tx = lines.iter().position(|l| l.starts_with("{\"type\":\"transaction\"")).unwrap();
    let mut twice = lines.clone();
    twice.insert(tx + 1, lines[tx]);
    let msg = broken("twice.jsonl", &(twice.join("\n") + "\n"));
    assert!(msg.contains(&format!("line {}:", tx + 2)) && msg.contains("appears twice"), "R16: {msg}");
    let mut orphan = lines.clone();
    let moved = {
        let mut v: serde_json::Value = serde_json::from_str(lines[tx]).unwrap();
        v["account_id"] = 9999.into();
        v.to_string()
    };
    orphan[tx] = &moved;
    let msg = broken("orphan.jsonl", &(orphan.join("\n") + "\n"));
    assert!(msg.contains("account 9999 is not in the file"), "{msg}");
    let msg = broken("cut.jsonl", &first_lines[..first_lines.len() - 20]);
    assert!(msg.contains("cut short"), "a truncated last line: {msg}");

    // The imported install syncs only once its banks are reconnected (the
    // export holds no context, R5); reconnected, it continues the same
    // history: no row twice (R16).
    let before = json(&run(imported().args(["transactions", "--limit", "100000", "--json"]))).as_array().unwrap().len();
    let sync = run(imported().arg("sync"));
    assert_eq!(sync.status.code(), Some(3), "an imported bank needs a reconnect first: {}", stderr(&sync));
    let said = format!("{}{}", String::from_utf8_lossy(&sync.stdout), stderr(&sync));
    assert!(said.contains("imported") && said.contains("reconnect"), "and says why: {said}");
    let connections = json(&run(imported().args(["connections", "--json"])));
    for c in connections.as_array().unwrap() {
        let (id, connector) = (c["id"].to_string(), c["connector_id"].to_string());
        connect_with(&b, &pass_b, &[&connector, "--reconnect", &id]).await;
    }
    let sync = run(imported().arg("sync"));
    assert!(sync.status.success(), "reconnected, the banks sync: {}", stderr(&sync));
    let after = json(&run(imported().args(["transactions", "--limit", "100000", "--json"]))).as_array().unwrap().len();
    assert_eq!(after, before, "the bank's rows were already there: none added twice");

    // The same install then takes the JSON Lines export whole.
    assert!(run(saldo(&c, &pass_c).args(["import", "--format", "saldo-json"]).arg(&lines_file)).status.success());
    let (_, from_lines) = export(&c, &pass_c, "json", home_c.path(), "from-lines.json");
    assert_same(&normalised(&from_lines), &normalised(&first), "JSON Lines import the same data");
}

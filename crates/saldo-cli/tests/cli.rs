//! The `saldo` binary as a person or a script uses it.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use saldo_sandbox::psu::{Browser, Decision, Outcome};

mod support;

use support::home;

fn saldo(data: &Path, pass: &Path, gateway: Option<&str>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_saldo"));
    c.arg("--data-dir").arg(data).arg("--passphrase-file").arg(pass);
    if let Some(g) = gateway {
        c.arg("--gateway").arg(g);
    }
    c.env_remove("SALDO_GATEWAY_URL").env_remove("SALDO_DATA_DIR").env_remove("SALDO_PASSPHRASE_FILE");
    c
}

fn run(c: &mut Command) -> Output {
    c.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "command failed: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_user_connects_with_the_loopback_redirect_syncs_lists_and_disconnects() {
    let (_home, data, pass) = home();
    let terms = stdout(&run(saldo(&data, &pass, None).args(["terms", "--language", "nl"])));
    assert!(terms.contains("Algemene voorwaarden") && terms.contains("version 1"), "the gateway's terms: {terms}");
    let countries = json(&run(saldo(&data, &pass, None).args(["countries", "--json"])));
    assert!(countries.as_array().unwrap().iter().any(|c| c == "BE"), "the gateway's countries: {countries}");
    let banks = json(&run(saldo(&data, &pass, None).args(["banks", "--country", "BE", "--json"])));
    assert!(banks.as_array().unwrap().iter().any(|b| b["connector_id"] == -1), "the embedded sandbox's banks: {banks}");

    let rest = connect_loopback(&data, &pass, "-1").await;
    assert!(rest.iter().any(|l| l.starts_with("Connected: connection 1")), "{rest:?}");

    let accounts = json(&run(saldo(&data, &pass, None).args(["accounts", "--json"])));
    let accounts = accounts.as_array().unwrap();
    assert_eq!(accounts.len(), 3);
    assert!(accounts.iter().all(|a| a["enabled"] == false), "R12: disabled until enabled");
    let id = accounts[0]["id"].as_i64().unwrap().to_string();
    assert!(run(saldo(&data, &pass, None).args(["accounts", "enable", &id])).status.success());
    let sync = run(saldo(&data, &pass, None).arg("sync"));
    assert!(sync.status.success(), "sync: {}", String::from_utf8_lossy(&sync.stderr));
    assert!(stdout(&sync).contains("new transaction(s)"), "{}", stdout(&sync));
    let tx = json(&run(saldo(&data, &pass, None).args(["transactions", "--limit", "5", "--json"])));
    assert_eq!(tx.as_array().unwrap().len(), 5);
    assert!(tx[0]["amount"].is_string(), "amounts are exact strings in JSON");
    let bal = json(&run(saldo(&data, &pass, None).args(["balances", "--json"])));
    assert!(!bal.as_array().unwrap().is_empty(), "balances of the enabled account");
    let again = run(saldo(&data, &pass, None).arg("sync"));
    assert!(stdout(&again).contains(": 0 new transaction(s)"), "R16: nothing new on a re-sync: {}", stdout(&again));
    assert!(
        !String::from_utf8_lossy(&again.stderr).contains("page(s)"),
        "no progress line when stderr is not a terminal"
    );
    // On a terminal (a pseudo-terminal from `script`), a live progress line.
    let cmd = format!(
        "{} --data-dir {} --passphrase-file {} sync",
        env!("CARGO_BIN_EXE_saldo"),
        data.display(),
        pass.display()
    );
    let tty = run(Command::new("script").args(["-qec", &cmd, "/dev/null"]).env_remove("SALDO_GATEWAY_URL"));
    let shown = stdout(&tty);
    assert!(tty.status.success(), "sync on a terminal: {shown}");
    assert!(shown.contains("\x1b[2K✓ connection 1: 1 account(s)"), "progress with the run's counters: {shown:?}");
    assert!(shown.contains("Connection 1: 0 new transaction(s)"), "then the summary: {shown:?}");
    assert!(run(saldo(&data, &pass, None).args(["disconnect", "1"])).status.success());
    assert_eq!(json(&run(saldo(&data, &pass, None).args(["connections", "--json"]))), serde_json::json!([]), "R14");

    let wrong = dir_with_wrong_passphrase(&data);
    let o = run(saldo(&data, &wrong, None).arg("connections"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot be opened"),
        "a wrong passphrase is one clear sentence"
    );
}

/// `saldo connect CONNECTOR --no-browser` on the embedded sandbox, with the
/// person approving at the bank; returns what the CLI printed after the URL.
async fn connect_loopback(data: &Path, pass: &Path, connector: &str) -> Vec<String> {
    let mut c = saldo(data, pass, None);
    c.args(["connect", connector]);
    let done = support::approve_connect(c).await;
    assert!(done.location.starts_with("http://127.0.0.1:"), "loopback redirect: {}", done.location);
    assert!(done.page.contains("close this tab"));
    done.rest
}

/// Enables every account and syncs once (`gw`: a gateway, else the embedded sandbox).
fn enable_all_and_sync(data: &Path, pass: &Path, gw: Option<&str>) {
    let cli = || saldo(data, pass, gw);
    for a in json(&run(cli().args(["accounts", "--json"]))).as_array().unwrap() {
        assert!(run(cli().args(["accounts", "enable", &a["id"].to_string()])).status.success());
    }
    assert!(run(cli().arg("sync")).status.success());
}

/// Connects a sandbox bank at `gw` in deep-link mode, the person approving at the bank.
async fn connect_deeplink(data: &Path, pass: &Path, gw: &str, connector: &str) {
    let o = run(saldo(data, pass, Some(gw)).args(["connect", connector, "--redirect", "deeplink", "--no-browser"]));
    let url = stdout(&o).lines().find_map(|l| l.strip_prefix("Continue at your bank: ")).unwrap().to_owned();
    let Outcome::Redirected(cb) = Browser::new().authorize(&url, Decision::Approve).await.unwrap() else { panic!() };
    assert!(run(saldo(data, pass, Some(gw)).args(["callback", &cb])).status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn export_writes_files_atomically_streams_to_stdout_and_refuses_bad_options() {
    let (_home, data, pass) = home();
    connect_loopback(&data, &pass, "-1").await;
    enable_all_and_sync(&data, &pass, None);
    let n = json(&run(saldo(&data, &pass, None).args(["transactions", "--limit", "1000", "--json"])))
        .as_array()
        .unwrap()
        .len();
    assert_eq!(n, 1000, "enough history to export");

    let file = data.parent().unwrap().join("books.beancount");
    let o = run(saldo(&data, &pass, None)
        .args(["export", "--format", "beancount", "--counter-account", "Equity:Unsorted", "-o"])
        .arg(&file));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stderr).into_owned();
    let count: u64 =
        said.strip_prefix("Exported ").and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(
        count > 1000 && said.contains(" transaction(s) of 3 account(s) as beancount to "),
        "a one-line summary: {said}"
    );
    let books = std::fs::read_to_string(&file).unwrap();
    assert!(
        books.contains("open Equity:Unsorted") && !books.contains("Expenses:Uncategorized"),
        "the counter-account option is used"
    );

    let o =
        run(saldo(&data, &pass, None).args(["export", "--format", "csv", "--from", "2026-01-01", "--account", "1"]));
    assert!(o.status.success());
    let csv = stdout(&o);
    assert!(csv.starts_with("date,value_date,amount,currency,"), "CSV to standard output by default");
    let dates: Vec<&str> = csv
        .lines()
        .filter_map(|l| l.get(..10))
        .filter(|d| d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-')
        .collect();
    assert!(!dates.is_empty() && dates.iter().all(|d| *d >= "2026-01-01"), "--from filters by booking date: {dates:?}");

    let o = run(saldo(&data, &pass, None).args(["export", "--format", "xlsx"]));
    assert_eq!(o.status.code(), Some(2), "an unknown format is a usage error");
    assert!(String::from_utf8_lossy(&o.stderr).contains("use one of csv, json, jsonl, ofx, qif, beancount, ledger"));

    let missing = data.parent().unwrap().join("no-such-dir").join("out.ofx");
    let o = run(saldo(&data, &pass, None).args(["export", "--format", "ofx", "-o"]).arg(&missing));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        err.starts_with("error: the export to ") && err.contains("failed: could not write"),
        "one clear sentence: {err}"
    );

    // A full disk mid-export: nothing is left under the name, not half a file.
    if Path::new("/dev/full").exists() {
        let o = run(saldo(&data, &pass, None).args(["export", "--format", "json", "-o", "/dev/full"]));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "a write error is a failure: {err}");
        assert!(err.contains("No space left on device"), "the cause is named: {err}");
    }
    let before = std::fs::read_to_string(&file).unwrap();
    let o = run(saldo(&data, &pass, None)
        .args(["export", "--format", "beancount", "--counter-account", "bad name", "-o"])
        .arg(&file));
    assert_eq!(o.status.code(), Some(2), "a bad account name is a usage error");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before, "a failed export leaves the earlier file as it was");
    assert!(!data.parent().unwrap().join(".books.beancount.saldo-partial").exists(), "no partial file is left behind");
}

fn dir_with_wrong_passphrase(data: &Path) -> PathBuf {
    let p = data.parent().unwrap().join("wrong");
    std::fs::write(&p, "not the passphrase").unwrap();
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn deep_link_mode_refuses_replayed_and_forged_callbacks_and_signals_reconnect() {
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let gw = sb.base_url().to_owned();
    let (_home, data, pass) = home();
    let o = run(saldo(&data, &pass, Some(&gw)).args(["connect", "-1", "--redirect", "deeplink", "--no-browser"]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    let url = out.lines().find_map(|l| l.strip_prefix("Continue at your bank: ")).unwrap().to_owned();
    assert!(out.contains("saldo callback"), "says how to continue: {out}");
    let Outcome::Redirected(cb) = Browser::new().authorize(&url, Decision::Approve).await.unwrap() else { panic!() };
    assert!(cb.starts_with("saldo://callback?"));
    // The link (its code) through standard input, not the process list.
    let mut child = spawn_piped(saldo(&data, &pass, Some(&gw)).args(["callback", "-"]));
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), format!("{cb}\n").as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success() && stdout(&o).contains("Connected"), "{}", String::from_utf8_lossy(&o.stderr));
    for bad in [cb.as_str(), "saldo://callback?flowId=00000000-0000-0000-0000-000000000000"] {
        let o = run(saldo(&data, &pass, Some(&gw)).args(["callback", bad]));
        assert_eq!(o.status.code(), Some(1), "R19: {bad} is refused");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("callback rejected"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let accounts = json(&run(saldo(&data, &pass, Some(&gw)).args(["accounts", "--json"])));
    let id = accounts[0]["id"].as_i64().unwrap().to_string();
    run(saldo(&data, &pass, Some(&gw)).args(["accounts", "enable", &id]));
    sb.advance_clock(chrono::Duration::days(181));
    let o = run(saldo(&data, &pass, Some(&gw)).arg("sync"));
    assert_eq!(o.status.code(), Some(3), "exit code 3: reconnect needed (R11): {}", stdout(&o));
    assert!(stdout(&o).contains("--reconnect 1"), "tells how: {}", stdout(&o));
}

#[test]
fn a_card_reader_bank_is_answered_on_standard_input_and_the_code_is_never_printed() {
    use std::io::Write;
    let (_home, data, pass) = home();
    let mut child = saldo(&data, &pass, None)
        .args(["connect", "107", "--no-browser"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut asked = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut question = || loop {
        let line = asked.next().expect("the CLI asks the bank's question").unwrap();
        if let Some(q) = line.strip_prefix("Your bank asks: ") {
            break q.to_owned();
        }
    };
    assert_eq!(question(), saldo_sandbox::api::CLIENT_NUMBER_PROMPT);
    writeln!(stdin, "0123456789").unwrap();
    let code_prompt = question();
    let code = saldo_sandbox::psu::answer_card_reader(&code_prompt);
    writeln!(stdin, "{code}").unwrap();
    drop(stdin);
    let rest: Vec<String> = asked.map(Result::unwrap).collect();
    let out = child.wait_with_output().unwrap();
    let shown = stdout(&out);
    assert!(out.status.success(), "connected: {shown} {rest:?}");
    assert!(shown.contains("Connected: connection 1, 2 new account(s)"), "{shown}");
    assert!(!shown.contains(&code) && !rest.iter().any(|l| l.contains(&code)), "the code is never echoed");
}

#[test]
fn a_question_without_an_answer_ends_with_the_question_and_how_to_answer() {
    let (_home, data, pass) = home();
    let o = run(saldo(&data, &pass, None).args(["connect", "107", "--no-browser"]).stdin(Stdio::null()));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the bank asks: Enter your client number") && err.contains("standard input"), "{err}");
    assert_eq!(json(&run(saldo(&data, &pass, None).args(["connections", "--json"]))), serde_json::json!([]));
}

/// What one `saldo connect` / `saldo callback` process printed, driven to its
/// end by a simulated person.
struct Driven {
    ok: bool,
    stdout: String,
    stderr: String,
    /// A `saldo://` link the bank sent the person to (deep-link mode): the
    /// next `saldo callback`.
    deep_link: Option<String>,
}

/// The person at the other end of a `saldo` process: approves at the bank's
/// pages (the loopback callback is delivered by following the redirect; a
/// `saldo://` one is returned), presses Enter at a bank that does not send
/// them back, confirms in the simulated banking app, and answers the bank's
/// questions (client number, card reader code).
async fn drive_person(mut child: std::process::Child) -> Driven {
    use std::io::Write;
    enum Line {
        Out(String),
        Err(String),
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        BufReader::new(out).lines().map_while(Result::ok).for_each(|l| drop(tx.send(Line::Out(l))))
    });
    std::thread::spawn(move || {
        BufReader::new(err).lines().map_while(Result::ok).for_each(|l| drop(tx2.send(Line::Err(l))))
    });
    let mut stdin = child.stdin.take().unwrap();
    let (mut stdout, mut stderr, mut deep_link) = (String::new(), String::new(), None);
    while let Some(line) = rx.recv().await {
        match line {
            Line::Out(l) => {
                stdout.push_str(&l);
                stdout.push('\n');
                if let Some(url) = l.strip_prefix("Continue at your bank: ") {
                    match Browser::new().authorize(url, Decision::Approve).await.unwrap() {
                        Outcome::Redirected(to) if to.starts_with("http://127.0.0.1") => {
                            assert!(reqwest::get(&to).await.unwrap().status().is_success(), "loopback delivered");
                        }
                        Outcome::Redirected(to) => deep_link = Some(to),
                        Outcome::Page(_) => writeln!(stdin).unwrap(), // approved; the bank does not send back
                    }
                } else if let Some(at) = l.find("http://").filter(|_| l.contains("/app")) {
                    // Decoupled: confirm in the (simulated) banking app.
                    let app = &l[at..l.find("/app").unwrap() + 4];
                    let page = reqwest::get(app).await.unwrap().text().await.unwrap();
                    let flow =
                        page.split("name=\"flow\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
                    let form = [("flow", flow.as_str()), ("action", "approve")];
                    let r = reqwest::Client::new().post(app).form(&form).send().await.unwrap();
                    assert!(r.status().is_success());
                }
            }
            Line::Err(l) => {
                stderr.push_str(&l);
                stderr.push('\n');
                if let Some(q) = l.strip_prefix("Your bank asks: ") {
                    let answer = saldo_sandbox::psu::answer_card_reader(q);
                    writeln!(stdin, "{answer}").unwrap();
                }
            }
        }
    }
    drop(stdin);
    let ok = child.wait().unwrap().success();
    Driven { ok, stdout, stderr, deep_link }
}

fn spawn_piped(c: &mut Command) -> std::process::Child {
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// The "done when": every sandbox bank connects with the CLI, in
/// both redirect modes, then its accounts are enabled, synced, listed, and
/// the connections disconnected.
#[tokio::test(flavor = "multi_thread")]
async fn every_sandbox_bank_connects_with_the_cli_in_both_redirect_modes_syncs_and_disconnects() {
    let banks: [(&str, &[&str]); 9] = [
        ("973", &[]),
        ("43", &["--iban", "AT099900000000001511"]),
        ("-1", &[]),
        ("101", &["--option", "sms"]),
        ("102", &[]),
        ("103", &["--prop", "psuId=12345678"]),
        ("105", &[]),
        ("107", &[]),
        ("108", &["--option", "all"]),
    ];
    // Loopback on the embedded sandbox; deep links on a sandbox server that
    // outlives each command (the bank must still be there for `saldo callback`).
    let served = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    for (mode, gateway) in [("loopback", None), ("deeplink", Some(served.base_url().to_owned()))] {
        let (_home, data, pass) = home();
        let cli = || saldo(&data, &pass, gateway.as_deref());
        for (n, (bank, extra)) in banks.iter().enumerate() {
            let mut d = drive_person(spawn_piped(
                cli().args(["connect", bank, "--no-browser", "--redirect", mode]).args(*extra),
            ))
            .await;
            while let Some(link) = d.deep_link.take() {
                assert!(d.ok && link.starts_with("saldo://callback?"), "{mode} {bank}: {} {}", d.stdout, d.stderr);
                // A choice the bank asks after the sign-in is answered on the callback.
                let option: Vec<&str> = extra.windows(2).find(|w| w[0] == "--option").map_or(vec![], <[&str]>::to_vec);
                d = drive_person(spawn_piped(cli().args(["callback", &link]).args(&option))).await;
            }
            let want = format!("Connected: connection {}", n + 1);
            assert!(d.ok && d.stdout.contains(&want), "{mode}: bank {bank} connects: {}\n{}", d.stdout, d.stderr);
        }
        let down = run(cli().args(["connect", "106", "--no-browser", "--redirect", mode]));
        let said = String::from_utf8_lossy(&down.stderr);
        assert_eq!(down.status.code(), Some(1), "{mode}: a bank that is down fails: {said}");
        assert!(said.contains("unavailable right now; try again later"), "{mode}: one clear sentence: {said}");
        let accounts = json(&run(cli().args(["accounts", "--json"])));
        for a in accounts.as_array().unwrap() {
            assert!(run(cli().args(["accounts", "enable", &a["id"].to_string()])).status.success());
        }
        let sync = run(cli().arg("sync"));
        assert!(sync.status.success(), "{mode}: {}{}", stdout(&sync), String::from_utf8_lossy(&sync.stderr));
        if gateway.is_some() {
            // Days later, the card payments that were settling are booked:
            // the bank amends them, and the summary says so.
            served.advance_clock(chrono::Duration::days(3));
            let later = run(cli().arg("sync"));
            assert!(stdout(&later).contains("amended by the bank"), "{mode}: {}", stdout(&later));
        }
        let balances = json(&run(cli().args(["balances", "--json"])));
        let tx = json(&run(cli().args(["transactions", "--limit", "100000", "--json"])));
        for c in 1..=banks.len() {
            let of_bank: Vec<i64> = accounts
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["connection_id"] == c)
                .map(|a| a["id"].as_i64().unwrap())
                .collect();
            assert!(!of_bank.is_empty(), "{mode}: connection {c} has accounts");
            let has = |v: &serde_json::Value, key: &str| {
                v.as_array().unwrap().iter().any(|r| r[key].as_i64().is_some_and(|id| of_bank.contains(&id)))
            };
            assert!(has(&balances, "account_id"), "{mode}: connection {c} has balances: {balances}");
            assert!(has(&tx, "account_id"), "{mode}: connection {c} has transactions");
        }
        for c in 1..=banks.len() {
            assert!(run(cli().args(["disconnect", &c.to_string()])).status.success(), "{mode}: disconnect {c}");
        }
        assert_eq!(json(&run(cli().args(["connections", "--json"]))), serde_json::json!([]), "{mode}: R14");
    }
}

/// Every line of standard output as JSON (the steps of a connection).
fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    assert!(o.status.success(), "command failed: {}", String::from_utf8_lossy(&o.stderr));
    stdout(o).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_choice_question_keeps_the_flow_pending_and_saldo_choose_continues_it_with_one_sign_in() {
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let gw = sb.base_url().to_owned();
    let (_home, data, pass) = home();
    let cli = || saldo(&data, &pass, Some(&gw));
    // No --option: the bank's question is not answered here, and the flow
    // is not cancelled (it used to be, and the person started over).
    let o = run(cli().args(["connect", "101", "--redirect", "deeplink", "--no-browser"]));
    assert!(o.status.success(), "a pending choice is not a failure: {}", String::from_utf8_lossy(&o.stderr));
    let said = stdout(&o);
    let line = said.lines().find(|l| l.trim_start().starts_with("saldo choose ")).unwrap_or_else(|| panic!("{said}"));
    let flow = line.split_whitespace().nth(2).unwrap().to_owned();
    assert!(said.contains(&format!("saldo choose {flow} sms")), "every option is listed: {said}");

    let steps = json_lines(&run(cli().args(["choose", &flow, "sms", "--json"])));
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0]["step"], "browser");
    assert_eq!(steps[0]["flow_id"], flow.as_str());
    let url = steps[0]["url"].as_str().unwrap();
    let Outcome::Redirected(link) = Browser::new().authorize(url, Decision::Approve).await.unwrap() else { panic!() };
    let steps = json_lines(&run(cli().args(["callback", &link, "--json"])));
    let last = steps.last().unwrap();
    assert_eq!(last["step"], "connected", "one sign-in at the bank, and connected: {steps:?}");
    assert_eq!(last["connection_id"], 1);

    // `sync --json`: each connection's outcome, counts included.
    for a in json(&run(cli().args(["accounts", "--json"]))).as_array().unwrap() {
        assert!(run(cli().args(["accounts", "enable", &a["id"].to_string()])).status.success());
    }
    let reports = json(&run(cli().args(["sync", "--json"])));
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0]["connection_id"], 1);
    assert_eq!(reports[0]["outcome"], "completed");
    assert!(reports[0]["new_transactions"].as_i64().unwrap() > 0, "{reports:?}");
    assert_eq!(reports[0]["amended_transactions"], 0);
    let tx = json(&run(cli().args(["transactions", "--limit", "3", "--json"])));
    for key in ["account_id", "booking_date", "amount", "currency", "counterparty_name"] {
        assert!(tx[0].get(key).is_some(), "the export's field names: {key} in {}", tx[0]);
    }
    let o = run(cli().args(["choose", &flow, "sms"]));
    assert_eq!(o.status.code(), Some(1), "a finished flow cannot be chosen again (R7)");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bank_that_asks_after_the_sign_in_is_answered_with_saldo_choose_without_signing_in_again() {
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let gw = sb.base_url().to_owned();
    let (_home, data, pass) = home();
    let cli = || saldo(&data, &pass, Some(&gw));
    let o = run(cli().args(["connect", "108", "--redirect", "deeplink", "--no-browser"]));
    let url = stdout(&o).lines().find_map(|l| l.strip_prefix("Continue at your bank: ")).unwrap().to_owned();
    let Outcome::Redirected(link) = Browser::new().authorize(&url, Decision::Approve).await.unwrap() else { panic!() };
    // Signed in; the bank now asks which accounts to share.
    let o = run(cli().args(["callback", &link]));
    assert!(o.status.success(), "the question keeps the flow pending: {}", String::from_utf8_lossy(&o.stderr));
    let said = stdout(&o);
    let line =
        said.lines().find(|l| l.contains("saldo choose ") && l.contains(" all")).unwrap_or_else(|| panic!("{said}"));
    let flow = line.split_whitespace().nth(2).unwrap().to_owned();
    let steps = json_lines(&run(cli().args(["choose", &flow, "all", "--json"])));
    assert_eq!(steps.last().unwrap()["step"], "connected", "{steps:?}");
    let started = sb.stats().into_iter().filter(|(k, _)| k == "POST /ob/ais/access").map(|(_, n)| n).sum::<u64>();
    assert_eq!(started, 1, "one flow, one sign-in at the bank: the person never started over");
}

#[test]
fn a_gateway_over_plain_http_elsewhere_than_this_computer_is_refused_at_once() {
    let (_home, data, pass) = home();
    let started = std::time::Instant::now();
    for bad in ["http://gateway.example/", "ftp://gateway.example/", "--version"] {
        let o = run(saldo(&data, &pass, None).arg(format!("--gateway={bad}")).arg("banks"));
        assert_eq!(o.status.code(), Some(2), "{bad}: a usage error");
        assert!(String::from_utf8_lossy(&o.stderr).contains("https://"), "{bad}: says what is accepted");
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "no connection was attempted");
    assert!(!data.join(saldo_store::DB_FILE_NAME).exists(), "refused before the database was opened");
}

#[test]
fn offline_commands_never_start_the_embedded_sandbox() {
    let (_home, data, pass) = home();
    let state = data.join(saldo_sandbox::EMBEDDED_STATE_FILE);
    for args in [
        &["accounts", "--json"][..],
        &["connections", "--json"],
        &["balances", "--json"],
        &["transactions", "--json"],
        &["sync", "--due", "--json"],
        &["export", "--format", "csv"],
    ] {
        let o = run(saldo(&data, &pass, None).args(args));
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(!state.exists(), "{args:?} started the sandbox");
    }
    assert!(run(saldo(&data, &pass, None).arg("banks")).status.success());
    assert!(state.exists(), "a command that needs a bank starts it (so the check above can fail)");
}

/// A stub gateway on 127.0.0.1 (a named stand-in: a hostile gateway is not
/// something our sandbox or a real bank can be asked to be) whose bank sends
/// the person to `address`.
async fn hostile_gateway(address: &'static str) -> String {
    hostile_gateway_answering(serde_json::json!({"resultStatus": 2, "statusInfo": 0, "dataString": address,
        "flowContext": "flow-context"}))
    .await
}

/// The stub gateway, answering the start of a flow with `answer`.
async fn hostile_gateway_answering(answer: serde_json::Value) -> String {
    use axum::routing::{get, post};
    let router = axum::Router::new()
        .route("/ob/banks", get(|| async { axum::Json(serde_json::json!([])) }))
        .route(
            "/ob/Ais/access/options/{id}",
            get(|| async {
                axum::Json(serde_json::json!({"maxConsentDuration": 90, "accessOption": 0, "currencyOption": 0,
                    "linkingOption": 1, "accountSchemes": [], "additionalPropertiesRequested": []}))
            }),
        )
        .route("/ob/Ais/access", post(move || async move { axum::Json(answer) }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bank_address_that_is_not_a_web_address_never_reaches_a_browser() {
    let (home, data, pass) = home();
    let opened = home.path().join("browser-was-started");
    let browser = home.path().join("browser.sh");
    std::fs::write(&browser, format!("#!/bin/sh\necho \"$@\" >> '{}'\n", opened.display())).unwrap();
    std::fs::set_permissions(&browser, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    for address in
        ["file:///etc/passwd", "smb://evil/share", "javascript:alert(1)", "saldo://callback?flowId=x", "--version"]
    {
        let gw = hostile_gateway(address).await;
        let o = run(saldo(&data, &pass, Some(&gw))
            .args(["connect", "1", "--redirect", "deeplink"])
            .env("BROWSER", &browser));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{address}: the flow fails: {err}");
        assert!(err.contains("the bank's address is not a web address"), "{address}: one clear sentence: {err}");
        assert!(!stdout(&o).contains(address), "{address}: not even printed as a link");
    }
    std::thread::sleep(std::time::Duration::from_millis(500)); // a browser started by mistake would have written by now
    assert!(!opened.exists(), "no browser was started: {:?}", std::fs::read_to_string(&opened).ok());
    // The recording browser works: a real bank address does reach it.
    let gw = hostile_gateway("https://bank.example/sca").await;
    let o =
        run(saldo(&data, &pass, Some(&gw)).args(["connect", "1", "--redirect", "deeplink"]).env("BROWSER", &browser));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The browser is started, not waited for: give the script a moment to write.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !std::fs::read_to_string(&opened).unwrap_or_default().contains("https://bank.example/sca") {
        assert!(std::time::Instant::now() < deadline, "a real bank address is opened in the browser");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn what_a_bank_says_reaches_the_terminal_without_escape_sequences() {
    let (_home, data, pass) = home();
    let refusal = "Refused\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31m by the bank\r\nfake: prompt";
    let gw = hostile_gateway_answering(serde_json::json!({"resultStatus": 7, "statusInfo": 0,
        "dataString": refusal}))
    .await;
    let o = run(saldo(&data, &pass, Some(&gw)).args(["connect", "1", "--redirect", "deeplink", "--no-browser"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("Refused") && err.contains("by the bank"), "the bank's words are shown: {err:?}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}') && !err.contains('\r'), "but inert: {err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_show_the_stretches_the_gateway_says_may_be_missing() {
    let config = saldo_sandbox::SandboxConfig { possible_holes: true, ..Default::default() };
    let sb = saldo_sandbox::start_local(config).await.unwrap();
    let gw = sb.base_url().to_owned();
    let (_home, data, pass) = home();
    let cli = || saldo(&data, &pass, Some(&gw));
    connect_deeplink(&data, &pass, &gw, "-1").await;
    enable_all_and_sync(&data, &pass, Some(&gw));
    let shown = stdout(&run(cli().arg("accounts")));
    assert!(shown.contains("possibly missing transactions between "), "{shown}");
    let listed = json(&run(cli().args(["accounts", "--json"])));
    assert!(
        listed.as_array().unwrap().iter().any(|a| !a["gaps"].as_array().unwrap().is_empty()),
        "the JSON carries the gaps: {listed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consent_lost_only_through_http_206_ends_the_sync_as_reconnect_and_keeps_the_history() {
    let config = saldo_sandbox::SandboxConfig { consent_loss_as_206: true, ..Default::default() };
    let sb = saldo_sandbox::start_local(config).await.unwrap();
    let gw = sb.base_url().to_owned();
    let (home, data, pass) = home();
    let cli = || saldo(&data, &pass, Some(&gw));
    connect_deeplink(&data, &pass, &gw, "-1").await;
    enable_all_and_sync(&data, &pass, Some(&gw));
    let file = home.path().join("all.jsonl");
    let stored = || {
        let o = run(cli().args(["export", "--format", "jsonl", "-o"]).arg(&file).arg("--json"));
        json(&o)["transactions"].as_u64().unwrap()
    };
    let before = stored();
    assert!(before > 0);

    // The bank wants a new SCA before it serves transactions again; accounts
    // and balances still answer, and the transactions calls answer HTTP 206.
    assert!(sb.require_sca_renewal() > 0);
    let o = run(cli().arg("sync"));
    assert_eq!(o.status.code(), Some(3), "R11: a 206 is a lost consent, exit 3: {}", stdout(&o));
    assert!(stdout(&o).contains("--reconnect"), "says how to go on: {}", stdout(&o));
    assert!(sb.stats().keys().any(|k| k.ends_with("/transactions")), "the transactions call was made");
    assert_eq!(stored(), before, "R11: every stored transaction is kept");
    let listed = json(&run(cli().args(["connections", "--json"])));
    assert_eq!(listed[0]["status"], "needs_reconnect", "{listed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn saldo_gateway_tests_the_connection_with_a_clear_outcome() {
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let (_home, data, pass) = home();
    let o = run(saldo(&data, &pass, Some(sb.base_url())).arg("gateway"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains(": reached; ") && stdout(&o).contains(" countries"), "{}", stdout(&o));
    let facts = json(&run(saldo(&data, &pass, Some(sb.base_url())).args(["gateway", "--json"])));
    assert!(facts["banks"].as_u64().unwrap() > 5, "{facts}");
    // A gateway that is not there: one sentence, exit 1, no waiting for minutes.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let o = run(saldo(&data, &pass, Some(&format!("http://127.0.0.1:{port}/"))).arg("gateway"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("could not reach the gateway"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_for_registered_people_asks_for_terms_and_registration_before_any_flow() {
    let config = saldo_sandbox::SandboxConfig { registration_required: true, ..Default::default() };
    let sb = saldo_sandbox::start_local(config).await.unwrap();
    let gw = sb.base_url().to_owned();
    let (_home, data, pass) = home();
    let cli = || saldo(&data, &pass, Some(&gw));
    let connect = || run(cli().args(["connect", "-1", "--redirect", "deeplink", "--no-browser"]));
    let register = |version: &str| {
        run(cli()
            .args(["register", "--first-name", "Anna", "--last-name", "Peeters", "--email", "anna@example.org"])
            .args(["--date-of-birth", "1990-04-01", "--accept-terms", version]))
    };

    let o = connect();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("not registered") && err.contains("saldo terms") && err.contains("saldo register"), "{err}");
    assert!(!stdout(&o).contains("Continue at your bank"), "no flow at the bank");

    let terms = json(&run(cli().args(["terms", "--json"])));
    let version = terms["version"].to_string();
    // A script that leaves out details is told which, and nothing is sent.
    let o = run(cli().args(["register", "--first-name", "Anna", "--accept-terms", &version]).stdin(Stdio::null()));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--last-name, --email"), "names what is missing: {err}");
    let o = register(&version);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = connect();
    assert!(
        o.status.success() && stdout(&o).contains("Continue at your bank"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // New terms: accepted again before the next connection.
    let newer = sb.bump_terms();
    let o = connect();
    assert!(String::from_utf8_lossy(&o.stderr).contains("terms changed"), "{}", String::from_utf8_lossy(&o.stderr));
    // Accepted with the details registered before: the version is all it takes.
    let o = run(cli().args(["register", "--accept-terms", &newer.to_string()]).stdin(Stdio::null()));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(connect().status.success(), "connects again with the newer terms accepted");
}

#[tokio::test(flavor = "multi_thread")]
async fn where_the_money_goes_from_the_command_line_with_exact_reports_rules_undo_and_a_rule_file() {
    let (home, data, pass) = home();
    let cli = || saldo(&data, &pass, None);
    connect_loopback(&data, &pass, "201").await; // the household's Belgian bank: checking and savings
    enable_all_and_sync(&data, &pass, None);

    let cats = json(&run(cli().args(["categories", "--json"])));
    assert!(
        cats.as_array().unwrap().iter().any(|c| c["path"] == "Food/Groceries" && c["kind"] == "expense"),
        "Saldo's default categories: {cats}"
    );
    let groceries = json(&run(cli().args(["transactions", "--category", "Food", "--limit", "1000", "--json"])));
    let groceries = groceries.as_array().unwrap();
    assert!(!groceries.is_empty());
    for t in groceries {
        assert!(t["category"].as_str().unwrap().starts_with("Food/"), "a category and those under it: {t}");
        assert!(t["category_reason"].as_str().unwrap().starts_with("rule "), "the reason travels: {t}");
        assert!(
            t.get("transfer_id").is_some() && t.get("counterparty_clean").is_some(),
            "every listing carries them: {t}"
        );
    }
    let transfers = json(&run(cli().args(["transfers", "--json"])));
    assert!(!transfers.as_array().unwrap().is_empty(), "checking → savings transfers found: {transfers}");

    // A rule, tested, added, applied as one step, undone.
    let rule = ["--counterparty", "Acme Belgium", "--category", "Income/Salary", "--direction", "in"];
    let test = json(&run(cli().args(["rules", "test"]).args(rule).arg("--json")));
    let matches = test["matches"].as_u64().unwrap();
    assert!(matches >= 12, "a year of salary: {test}");
    let uncategorized = || {
        json(&run(cli().args(["transactions", "--uncategorized", "--limit", "1000", "--json"])))
            .as_array()
            .unwrap()
            .len()
    };
    let before = uncategorized();
    assert!(run(cli().args(["rules", "add", "--name", "Employer"]).args(rule)).status.success());
    let dry = json(&run(cli().args(["rules", "apply", "--dry-run", "--json"])));
    assert_eq!(dry["changed"], test["changes"], "the test's preview is what applying changes");
    assert_eq!(uncategorized(), before, "a dry run changes nothing");
    let applied = json(&run(cli().args(["rules", "apply", "--json"])));
    assert!(applied["step"].as_i64().is_some(), "{applied}");
    assert_eq!(uncategorized(), before - matches as usize, "the salary is filed");
    assert!(run(cli().arg("undo")).status.success());
    assert_eq!(uncategorized(), before, "undo puts every row back");

    // Reports: exact decimals, the text's totals the JSON's.
    let net = |args: &[&str]| -> rust_decimal::Decimal {
        json(&run(cli().arg("report").args(args).arg("--json")))
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["net"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap())
            .sum()
    };
    let monthly = net(&["monthly"]);
    let csv = stdout(&run(cli().args(["report", "spending", "--csv"])));
    assert!(csv.starts_with("group,currency,income,spending,net,rows\n"), "{csv}");
    assert!(csv.contains("Food/Groceries,EUR,"), "{csv}");
    let text = stdout(&run(cli().args(["report", "monthly"])));
    assert!(text.contains(&format!("net {monthly}")), "the text report's total is the JSON's, exactly: {text}");

    // The rule file: export, import elsewhere, the same rules.
    let file = home.path().join("rules.json");
    assert!(run(cli().args(["rules", "export", "-o"]).arg(&file)).status.success());
    let (_other_home, other, other_pass) = self::home();
    let elsewhere = || saldo(&other, &other_pass, None);
    assert!(run(elsewhere().args(["rules", "import", "--replace"]).arg(&file)).status.success());
    let names = |r: serde_json::Value| -> Vec<String> {
        r.as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(
        names(json(&run(elsewhere().args(["rules", "list", "--json"])))),
        names(json(&run(cli().args(["rules", "list", "--json"])))),
        "a rule file carries every rule, in order"
    );
    std::fs::write(&file, "{\"rules\":[{\"name\":\"x\",\"category\":\"Nope\",\"when\":{\"text\":\"a\"}}]}").unwrap();
    let o = run(elsewhere().args(["rules", "import"]).arg(&file));
    assert_eq!(o.status.code(), Some(2), "a broken rule file is a usage error");
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not exist"), "{}", String::from_utf8_lossy(&o.stderr));

    // A counterparty: its page, and a name of one's own that later rows keep.
    let page = json(&run(cli().args(["counterparty", "Acme Belgium", "--json"])));
    assert!(page["transactions"].as_u64().unwrap() >= 12 && page["first_seen"].is_string(), "{page}");
    assert!(page["bank_names"].to_string().contains("ACME Belgium NV"), "the bank's text stays: {page}");
    assert!(run(cli().args(["counterparty", "Acme Belgium", "--rename", "My employer"])).status.success());
    let listed = json(&run(cli().args(["transactions", "--counterparty", "My employer", "--json"])));
    assert_eq!(listed.as_array().unwrap().len() as u64, page["transactions"].as_u64().unwrap());
    assert!(listed.as_array().unwrap().iter().all(|t| t["counterparty_clean"] == "My employer"), "{listed}");

    // Bad input: one clear sentence, nothing changed.
    let o = run(cli().args(["categorize", "1", "--category", "Nope"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no category \"Nope\""),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

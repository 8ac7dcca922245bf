//! `saldo schedule`: the daily `saldo sync --due` as a systemd user timer
//! for people who quit the app (issue 18; R10/R18: the timer only runs
//! `sync --due`, which never exceeds a consent's allowance and never asks).
//! The units go to a temporary `XDG_CONFIG_HOME`, and `PATH` holds no
//! `systemctl`, so the test never touches this machine's systemd.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::path::Path;
use std::process::{Command, Output};

fn saldo(data: &Path, config: &Path, args: &[&str]) -> Output {
    let empty_path = config.join("no-bin");
    std::fs::create_dir_all(&empty_path).unwrap();
    Command::new(env!("CARGO_BIN_EXE_saldo"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .env("PATH", &empty_path)
        .env_remove("SALDO_PASSPHRASE_FILE")
        .output()
        .unwrap()
}

#[test]
fn the_timer_runs_sync_due_on_this_install_and_goes_away_whole() {
    let (tmp, data, pass) = support::home();
    let config = tmp.path().join("config");
    let pass_s = pass.to_str().unwrap();
    // Before there is any data, there is nothing to schedule.
    let o = saldo(&data, &config, &["--passphrase-file", pass_s, "schedule", "install"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("connect a bank first"));

    assert!(saldo(&data, &config, &["--passphrase-file", pass_s, "accounts"]).status.success(), "the install exists");
    // A passphrase install cannot be opened unattended without its file.
    let o = saldo(&data, &config, &["schedule", "install"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--passphrase-file"), "{}", String::from_utf8_lossy(&o.stderr));

    let o = saldo(&data, &config, &["--json", "--passphrase-file", pass_s, "schedule", "install"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let status: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(status["installed"], true);
    assert!(status["systemd"].as_str().unwrap().contains("no systemctl here"), "{status}");
    let units = config.join("systemd/user");
    let service = std::fs::read_to_string(units.join("saldo-sync.service")).unwrap();
    let exec = service.lines().find(|l| l.starts_with("ExecStart=")).unwrap();
    assert!(exec.contains(&format!("--data-dir \"{}\"", data.display())), "{exec}");
    assert!(exec.contains(&format!("--passphrase-file \"{}\"", pass.display())), "{exec}");
    assert!(exec.ends_with(" sync --due"), "only the due connections, never a prompt: {exec}");
    let timer = std::fs::read_to_string(units.join("saldo-sync.timer")).unwrap();
    assert!(timer.contains("OnCalendar=daily") && timer.contains("WantedBy=timers.target"), "{timer}");

    let o = saldo(&data, &config, &["--json", "schedule", "status"]);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["installed"], true);
    let o = saldo(&data, &config, &["schedule", "remove"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("not installed"));
    assert!(
        !units.join("saldo-sync.service").exists() && !units.join("saldo-sync.timer").exists(),
        "both units are gone"
    );
}

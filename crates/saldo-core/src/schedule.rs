//! The daily sync for people who quit the app (issue 18): a systemd user
//! timer that runs `saldo sync --due` once a day (Linux). The decision of
//! what is due stays `sync --due`'s (R10, R18: never more calls than a
//! consent allows, never a prompt: a bank that wants SCA is left needing a
//! reconnect). Both shells call these; the CLI as `saldo schedule`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::{CoreError, Result};

/// The unit names.
pub const SERVICE: &str = "saldo-sync.service";
/// The timer's name.
pub const TIMER: &str = "saldo-sync.timer";

/// Where the units go and what they run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// `$XDG_CONFIG_HOME/systemd/user` (else `~/.config/systemd/user`).
    pub unit_dir: PathBuf,
    /// The `saldo` command line's binary.
    pub saldo: PathBuf,
    /// The data directory it syncs.
    pub data_dir: PathBuf,
    /// A passphrase file, for a passphrase-protected install (else the keyring).
    pub passphrase_file: Option<PathBuf>,
}

/// What is installed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Whether both unit files are there.
    pub installed: bool,
    /// Where they are.
    pub unit_dir: String,
    /// What systemd said when asked to (re)load and start the timer, or why
    /// it was not asked (no `systemctl`: the files are written all the same).
    pub systemd: String,
}

/// The user's systemd unit directory.
pub fn unit_dir() -> Result<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .ok_or_else(|| CoreError::Local("there is no home directory for the systemd user units".into()))?;
    Ok(base.join("systemd/user"))
}

/// A path as systemd reads it in `ExecStart`: quoted, with `\`, `"`, `%`
/// and `$` escaped (a data directory may hold spaces or worse).
fn quoted(path: &Path) -> Result<String> {
    let s = path.to_str().ok_or_else(|| CoreError::Invalid(format!("{} is not valid UTF-8", path.display())))?;
    if s.chars().any(char::is_control) {
        return Err(CoreError::Invalid(format!("{s:?} holds a control character")));
    }
    let escaped = s.replace('\\', "\\\\").replace('"', "\\\"").replace('%', "%%").replace('$', "$$");
    Ok(format!("\"{escaped}\""))
}

/// The two unit files' text.
pub fn units(plan: &Plan) -> Result<(String, String)> {
    let mut exec = format!("{} --data-dir {}", quoted(&plan.saldo)?, quoted(&plan.data_dir)?);
    if let Some(p) = &plan.passphrase_file {
        exec.push_str(&format!(" --passphrase-file {}", quoted(p)?));
    }
    exec.push_str(" sync --due");
    let service = format!(
        "[Unit]\nDescription=Saldo: sync the banks that are due (once a day, never asks for anything)\n\
         After=network-online.target\n\n[Service]\nType=oneshot\nExecStart={exec}\n"
    );
    let timer = "[Unit]\nDescription=Saldo's daily sync\n\n[Timer]\nOnCalendar=daily\nRandomizedDelaySec=2h\nPersistent=true\n\n\
                 [Install]\nWantedBy=timers.target\n"
        .to_owned();
    Ok((service, timer))
}

fn systemctl(args: &[&str]) -> String {
    match Command::new("systemctl").arg("--user").args(args).output() {
        Ok(o) if o.status.success() => "ok".into(),
        Ok(o) => format!("systemctl --user {} failed: {}", args.join(" "), String::from_utf8_lossy(&o.stderr).trim()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "no systemctl here: enable it yourself with `systemctl --user enable --now saldo-sync.timer`".into()
        }
        Err(e) => format!("systemctl could not run: {e}"),
    }
}

/// Writes the units (replacing earlier ones) and asks systemd to load and
/// start the timer.
pub fn install(plan: &Plan) -> Result<Status> {
    let (service, timer) = units(plan)?;
    std::fs::create_dir_all(&plan.unit_dir)
        .map_err(|e| CoreError::Local(format!("cannot create {}: {e}", plan.unit_dir.display())))?;
    for (name, text) in [(SERVICE, service), (TIMER, timer)] {
        let path = plan.unit_dir.join(name);
        let tmp = plan.unit_dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| CoreError::Local(format!("cannot write {}: {e}", path.display())))?;
    }
    let mut said = systemctl(&["daemon-reload"]);
    if said == "ok" {
        said = systemctl(&["enable", "--now", TIMER]);
    }
    status_with(&plan.unit_dir, said)
}

/// Stops the timer and deletes the units.
pub fn remove(unit_dir: &Path) -> Result<Status> {
    let said = if unit_dir.join(TIMER).exists() { systemctl(&["disable", "--now", TIMER]) } else { "ok".into() };
    for name in [TIMER, SERVICE] {
        match std::fs::remove_file(unit_dir.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(CoreError::Local(format!("cannot delete {}: {e}", unit_dir.join(name).display()))),
        }
    }
    systemctl(&["daemon-reload"]);
    status_with(unit_dir, said)
}

/// What is installed.
pub fn status(unit_dir: &Path) -> Result<Status> {
    status_with(unit_dir, String::new())
}

fn status_with(unit_dir: &Path, systemd: String) -> Result<Status> {
    Ok(Status {
        installed: unit_dir.join(SERVICE).exists() && unit_dir.join(TIMER).exists(),
        unit_dir: unit_dir.display().to_string(),
        systemd,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_runs_sync_due_on_this_data_dir_and_quotes_what_systemd_would_expand() {
        let plan = Plan {
            unit_dir: PathBuf::from("/u"),
            saldo: PathBuf::from("/opt/saldo/bin/saldo"),
            data_dir: PathBuf::from("/home/ann/My $HOME \"Saldo\" 100%"),
            passphrase_file: None,
        };
        let (service, timer) = units(&plan).unwrap_or_default();
        assert!(
            service.contains(
                "ExecStart=\"/opt/saldo/bin/saldo\" --data-dir \"/home/ann/My $$HOME \\\"Saldo\\\" 100%%\" sync --due\n"
            ),
            "{service}"
        );
        assert!(timer.contains("OnCalendar=daily") && timer.contains("Persistent=true"), "{timer}");
        let bad = Plan { data_dir: PathBuf::from("/tmp/a\nExecStart=/bin/evil"), ..plan };
        assert!(units(&bad).is_err(), "a line break cannot add a directive");
    }
}

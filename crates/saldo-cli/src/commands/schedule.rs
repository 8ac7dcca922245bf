//! `saldo schedule install | remove | status`: the daily `saldo sync --due`
//! as a systemd user timer, for people who quit the app (issue 18). The
//! core writes the units; this names the binary, data dir and passphrase file.

use saldo_core::schedule::{self, Plan};

use crate::cli::{Cli, ScheduleAction};
use crate::exit::Fail;
use crate::output::{inert, print_json};

/// Runs one `schedule` action.
pub fn schedule(cli: &Cli, action: &ScheduleAction) -> Result<(), Fail> {
    let unit_dir = schedule::unit_dir()?;
    let status = match action {
        ScheduleAction::Install => {
            let absolute = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
            let data_dir = absolute(&saldo_core::session::data_dir(cli.data_dir.as_deref())?);
            if !data_dir.join(saldo_store::DB_FILE_NAME).exists() {
                return Err(Fail::usage(format!(
                    "there is no Saldo data in {} yet: connect a bank first",
                    data_dir.display()
                )));
            }
            let passphrase_file = cli.passphrase_file.as_deref().map(absolute);
            if passphrase_file.is_none() && saldo_core::session::is_passphrase_protected(&data_dir) {
                return Err(Fail::usage(
                    "this install is protected by a passphrase: give --passphrase-file so the timer can open it unattended",
                ));
            }
            let saldo = std::env::current_exe().map_err(|e| Fail::failure(format!("where is saldo itself? {e}")))?;
            schedule::install(&Plan { unit_dir, saldo, data_dir, passphrase_file })?
        }
        ScheduleAction::Remove => schedule::remove(&unit_dir)?,
        ScheduleAction::Status => schedule::status(&unit_dir)?,
    };
    if cli.json {
        print_json(&status);
        return Ok(());
    }
    let state = if status.installed { "installed" } else { "not installed" };
    println!("The daily sync timer is {state} ({}).", inert(&status.unit_dir, false));
    if !status.systemd.is_empty() && status.systemd != "ok" {
        println!("{}", inert(&status.systemd, false));
    }
    Ok(())
}

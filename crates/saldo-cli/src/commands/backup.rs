//! Nothing lost: `recovery-code`, `backup`, `restore`. The recovery code
//! and the passphrase are read from the terminal or standard input, never
//! from the command line (the process list and shell history keep argv).

use std::path::Path;

use saldo_core::backup::{self, Protect, RestoreOptions, Secret};
use saldo_core::session::{self, KeySource, Protection};
use saldo_vault::{KeyringStore, Sensitive};

use super::Ctx;
use crate::cli::Cli;
use crate::exit::Fail;
use crate::output::{inert, print_json};

/// `saldo recovery-code`: a new code, printed once.
pub async fn recovery_code(ctx: &Ctx) -> Result<(), Fail> {
    let code = backup::recovery_code(&ctx.session)?;
    if ctx.json {
        print_json(&serde_json::json!({ "recovery_code": code.expose() }));
        return Ok(());
    }
    println!("Your new recovery code (shown only this once):\n\n    {}\n", code.expose());
    println!("Write it down and keep it apart from this computer. With a backup, it unlocks your data on");
    println!("another computer (`saldo restore FILE`). The previous code no longer opens backups made from");
    println!("now on; make a backup now (`saldo backup`) so the newest one opens with this code.");
    Ok(())
}

/// `saldo backup [--to DIR]`: prints the backup's path.
pub fn backup(ctx: &Ctx, to: Option<&Path>) -> Result<(), Fail> {
    let info = backup::backup_now(&ctx.session, to).map_err(|e| {
        let mut f = Fail::from(e);
        if f.message.contains("recovery code first") {
            f.message.push_str("; run `saldo recovery-code`");
        }
        f
    })?;
    if ctx.json {
        print_json(&info);
    } else {
        println!("{}", inert(&info.path.display().to_string(), false));
    }
    Ok(())
}

/// Reads the recovery code or the passphrase: without echo on a terminal,
/// else one line of standard input.
fn read_secret() -> Result<Sensitive<String>, Fail> {
    use std::io::{IsTerminal, Write};
    let line = if std::io::stdin().is_terminal() {
        eprint!("Recovery code or passphrase: ");
        let _ = std::io::stderr().flush();
        rpassword::read_password().map_err(|e| Fail::failure(e.to_string()))?
    } else {
        crate::interact::read_line().map_err(|e| Fail::failure(e.to_string()))?.unwrap_or_default()
    };
    let line = line.trim().to_owned();
    if line.is_empty() {
        return Err(Fail::usage("no recovery code or passphrase was given (type it, or pipe it into standard input)"));
    }
    Ok(Sensitive::new(line))
}

/// `saldo restore FILE [--overwrite-newer]`: opens no session (there may be
/// no database, or no key for it, yet).
pub async fn restore(cli: &Cli, file: &Path, overwrite_newer: bool) -> Result<(), Fail> {
    use std::io::IsTerminal;
    let data_dir = session::data_dir(cli.data_dir.as_deref())?;
    let header = backup::inspect(file)?;
    let mut overwrite = overwrite_newer;
    if !overwrite
        && data_dir.join(saldo_store::DB_FILE_NAME).exists()
        && backup::install_is_newer(&data_dir, header.created_at)
    {
        let question = format!(
            "The data here changed after this backup was made ({}). Replace it (it is kept aside)? [y/N]",
            header.created_at.format("%Y-%m-%d %H:%M UTC")
        );
        if !std::io::stdin().is_terminal() {
            return Err(Fail::usage(format!(
                "the data here changed after this backup was made ({}); add --overwrite-newer to replace it (it is kept aside)",
                header.created_at.format("%Y-%m-%d %H:%M UTC")
            )));
        }
        let answer = crate::interact::ask_on_terminal(&question).map_err(|e| Fail::failure(e.to_string()))?;
        if !answer.is_some_and(|a| a.eq_ignore_ascii_case("y") || a.eq_ignore_ascii_case("yes")) {
            return Err(Fail::failure("nothing was restored"));
        }
        overwrite = true;
    }
    let secret = crate::interact::off_runtime(|| read_secret().map_err(|f| std::io::Error::other(f.message)))
        .await
        .map_err(|e| Fail::usage(e.to_string()))?;
    let protect = match KeySource::from_passphrase_file(cli.passphrase_file.as_deref())? {
        KeySource::Passphrase(p) => Protect::Passphrase(session::new_passphrase(p.expose().to_owned())?),
        KeySource::Keyring => Protect::Keyring,
    };
    let file = file.to_path_buf();
    let dir = data_dir.clone();
    // Argon2id and the copy take a moment: off the async runtime.
    let info = tokio::task::spawn_blocking(move || {
        let keyring = KeyringStore::for_database(&dir.join(saldo_store::DB_FILE_NAME));
        let options = RestoreOptions { protect, overwrite_newer: overwrite, kdf_costs: None };
        backup::restore(&dir, &file, Secret::Typed(secret), &keyring, options)
    })
    .await
    .map_err(|e| Fail::failure(e.to_string()))??;
    if cli.json {
        print_json(&serde_json::json!({
            "restored": true,
            "created_at": info.manifest.created_at,
            "schema_version": info.manifest.schema_version,
            "accounts": info.manifest.totals.accounts,
            "transactions": info.manifest.totals.transactions,
            "kept_aside": info.kept_aside,
            "protection": info.protection,
        }));
        return Ok(());
    }
    println!(
        "Restored the backup of {}: {} account(s), {} transaction(s), checked against its manifest.",
        info.manifest.created_at.format("%Y-%m-%d %H:%M UTC"),
        info.manifest.totals.accounts,
        info.manifest.totals.transactions
    );
    if let Some(aside) = &info.kept_aside {
        println!("The database it replaced is kept as {}.", inert(&aside.display().to_string(), false));
    }
    println!(
        "{}",
        match info.protection {
            Protection::Keyring => "Its key is in this computer's keyring.",
            Protection::Passphrase => "It is protected by the passphrase in your passphrase file.",
        }
    );
    println!("Sync as usual; a bank whose consent was renewed after the backup asks you to reconnect.");
    Ok(())
}

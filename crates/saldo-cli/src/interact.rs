//! Talking with the person: the browser, questions on the terminal, lines
//! of standard input for scripts.

/// Opens the bank's page in the person's browser (`$BROWSER`, else the
/// system's opener); says so when that fails.
pub fn open_browser(url: &str) {
    let browser = std::env::var("BROWSER").ok().filter(|b| !b.is_empty());
    let cmd = browser.unwrap_or_else(|| if cfg!(target_os = "macos") { "open".into() } else { "xdg-open".into() });
    if let Err(e) = std::process::Command::new(&cmd)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("Could not open a browser ({cmd}: {e}); open the address above yourself.");
    }
}

/// Asks the bank's question (MORE_INFO / PASSWORD) on standard error and
/// reads one answer: from the terminal (a secret without echo), or one line
/// of standard input for scripts. `None` when there is no answer to read.
pub fn ask(prompt: &str, secret: bool) -> std::io::Result<Option<String>> {
    use std::io::{IsTerminal, Write};
    let tty = std::io::stdin().is_terminal();
    eprintln!("Your bank asks: {}", crate::output::inert(prompt, false));
    if tty {
        eprint!("> ");
    }
    std::io::stderr().flush()?;
    if tty && secret {
        let line = rpassword::read_password()?;
        return Ok(Some(line.trim().to_owned()).filter(|l| !l.is_empty()));
    }
    Ok(read_line()?.filter(|l| !l.is_empty()))
}

/// Asks for one detail on the terminal; `None` without a terminal (scripts
/// give every detail as an option) or when the answer is empty.
pub fn ask_on_terminal(prompt: &str) -> std::io::Result<Option<String>> {
    use std::io::{IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    eprint!("{prompt}: ");
    std::io::stderr().flush()?;
    Ok(read_line()?.filter(|l| !l.is_empty()))
}

/// Runs a blocking read on tokio's blocking pool: the embedded sandbox (its
/// bank pages) keeps serving on the runtime while the person types.
pub async fn off_runtime<T: Send + 'static>(
    read: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(read).await.map_err(std::io::Error::other)?
}

/// One line of standard input, trimmed; `None` at its end.
pub fn read_line() -> std::io::Result<Option<String>> {
    use std::io::BufRead;
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim().to_owned()))
}

//! Files only their owner can read: the database, its key-derivation
//! parameters, the app's settings, exports. Created `0600` with `O_EXCL`
//! (never through a symlink someone left at the name), made `0600` when they
//! already exist; a failed chmod is an error, not ignored.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// The mode of a private file.
pub const PRIVATE_MODE: u32 = 0o600;

/// Creates `path` for writing, `mode` on Unix, failing if anything — a file
/// or a symlink — is already there.
pub fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let file = options.open(path)?;
    // The process umask may have taken bits away, never added: set exactly.
    set_mode(path, mode)?;
    Ok(file)
}

/// Creates a temporary file at `tmp` (removing a stale one first, without
/// following it if it is a symlink) with `mode`.
pub fn create_replacing_stale(tmp: &Path, mode: u32) -> io::Result<File> {
    match std::fs::remove_file(tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    create_new(tmp, mode)
}

/// Writes `bytes` to `path` atomically: a private temporary file beside it
/// (`<path>.tmp`), fsynced, renamed over `path`, the directory fsynced.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = Path::new(&tmp);
    let mut f = create_replacing_stale(tmp, PRIVATE_MODE)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(tmp, path)?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Fsyncs a directory, so a rename in it survives a power cut (a no-op
/// where directories cannot be opened, e.g. Windows).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Sets a file's permission bits (Unix; elsewhere the OS's own ACLs apply).
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// The permission bits of an existing file, to keep them when it is
/// replaced; `None` when there is no such file.
pub fn mode_of(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(path).ok().filter(|m| m.is_file()).map(|m| m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_private_file_is_0600_and_never_written_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = dir.path().join("secret");
        drop(create_new(&p, PRIVATE_MODE).unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(mode_of(&p), Some(0o600));
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap_or_else(|e| panic!("{e}"));
        let trap = dir.path().join("trap");
        std::os::unix::fs::symlink(&victim, &trap).unwrap_or_else(|e| panic!("{e}"));
        assert!(create_new(&trap, PRIVATE_MODE).is_err(), "O_EXCL: a symlink at the name is not followed");
        drop(create_replacing_stale(&trap, PRIVATE_MODE).unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(std::fs::read_to_string(&victim).unwrap_or_default(), "untouched", "the link's target is untouched");
        assert_eq!(mode_of(&trap), Some(0o600), "the stale link was replaced by a private file");
    }
}

/// The file beside a database named `<db file name><suffix>` (its KDF
/// parameters, its recovery file).
pub(crate) fn beside(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    db.with_file_name(name)
}

/// Reads a JSON file that may not exist: `None` when it does not, the
/// reason as text when it cannot be read or parsed.
pub(crate) fn read_optional_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| format!("damaged: {e}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

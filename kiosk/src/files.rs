//! The kiosk's own files hold its token and every member's check-ins: only
//! its user may read them. Created 0600 (directories 0700); an existing one
//! that others can read is refused with the command that fixes it.

use std::path::Path;

use crate::error::{Error, Result};

/// Refuses `path` when its group or others may read or write it.
#[cfg(unix)]
pub fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(Error::io(format!("reading {}", path.display())))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Error::Config(format!(
            "{} can be read by other users (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check_private(_: &Path) -> Result<()> {
    Ok(())
}

/// Makes `dir` (and its parents) when missing, the last one 0700.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(Error::io(format!("creating {}", dir.display())))
}

/// Creates an empty `path` readable by this user alone, unless it exists;
/// then checks that it is private. SQLite gives its journal files the
/// database file's mode, so they follow.
pub fn ensure_private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => check_private(path),
        Err(e) => Err(Error::io(format!("creating {}", path.display()))(e)),
    }
}

/// Replaces `path` with `contents`, readable by this user alone, all or
/// nothing: written to a private temporary file beside it, synced, then
/// renamed over it (a power cut leaves the old file or the new one).
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temporary = dir.join(format!(
        ".{}.new",
        path.file_name()
            .map_or_else(|| "file".into(), |n| n.to_string_lossy())
    ));
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let context = || format!("writing {}", path.display());
    let mut file = options.open(&temporary).map_err(Error::io(context()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(Error::io(context()))?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(Error::io(context()))?;
    // The rename itself survives a power cut once the folder is synced.
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn files_are_created_private_and_open_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a/b");
        create_private_dir(&data).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        let db = data.join("kiosk.sqlite");
        ensure_private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        ensure_private_file(&db).unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = ensure_private_file(&db).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }

    #[test]
    fn a_private_write_replaces_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "old token, world-readable").unwrap();
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&token, b"bdk_new").unwrap();
        assert_eq!(std::fs::read(&token).unwrap(), b"bdk_new");
        assert_eq!(
            std::fs::metadata(&token).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
    }
}

/// Free bytes for the kiosk's user on the filesystem holding `path` (or the
/// nearest folder above it that exists).
pub fn free_space(path: &Path) -> Result<u64> {
    let dir = path
        .ancestors()
        .find(|d| d.is_dir())
        .unwrap_or_else(|| Path::new("/"));
    let fs = rustix::fs::statvfs(dir)
        .map_err(|e| Error::io(format!("reading free space under {}", dir.display()))(e.into()))?;
    Ok(fs.f_bavail.saturating_mul(fs.f_frsize))
}

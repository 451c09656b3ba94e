//! The office's card signing key, kept in the data directory with mode 0600
//! and created on first use. Only the office's card commands read it: the
//! server itself needs the public keys alone, which are in the database.

use std::io::Write;
use std::path::Path;

use baodao_shared::card::{CardSigner, KeyId};
use baodao_shared::hex;

use crate::error::{Error, Result};

const HEADER: &str = "baodao card signing key v1";

/// Loads the key at `path`, creating a new one (with id 1) when there is none.
pub fn load_or_create(path: &Path) -> Result<CardSigner> {
    match load(path)? {
        Some(signer) => Ok(signer),
        None => create(path, 1),
    }
}

/// The key at `path`, or `None` when there is no file.
pub fn load(path: &Path) -> Result<Option<CardSigner>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            check_private(path)?;
            parse(&text).map(Some).ok_or_else(|| {
                Error::Config(format!(
                    "{} is not a Baodao card signing key",
                    path.display()
                ))
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {}", path.display()))(e)),
    }
}

/// Replaces the key at `path` by a new one with `key_id`. The old file is
/// kept beside it as `NAME.ID.old` (0600) until the office deletes it:
/// cards it signed keep verifying by its public key, which the database
/// holds, so nothing needs the old private key any more.
pub fn rotate(path: &Path, old_id: KeyId, key_id: KeyId) -> Result<CardSigner> {
    let aside = path.with_extension(format!("{old_id}.old"));
    std::fs::rename(path, &aside).map_err(Error::io(format!(
        "moving {} aside to {}",
        path.display(),
        aside.display()
    )))?;
    create(path, key_id).inspect_err(|_| {
        // Put the old key back rather than leave the office with none.
        let _ = std::fs::rename(&aside, path);
    })
}

fn create(path: &Path, key_id: KeyId) -> Result<CardSigner> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::Internal(format!("no OS randomness: {e}")))?;
    let text = format!(
        "{HEADER}\nkey_id = {key_id}\nseed = {}\n",
        hex::encode(&seed)
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let context = || format!("creating {}", path.display());
    let mut file = options.open(path).map_err(|e| Error::io(context())(e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(context())(e))?;
    tracing::info!(path = %path.display(), "created a new card signing key");
    Ok(CardSigner::from_seed(key_id, &seed))
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<()> {
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
fn check_private(_: &Path) -> Result<()> {
    Ok(())
}

fn parse(text: &str) -> Option<CardSigner> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut key_id = None;
    let mut seed = None;
    for line in lines {
        match line.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("key_id", v)) => key_id = v.parse::<KeyId>().ok(),
            Some(("seed", v)) => seed = hex::decode(v).and_then(|b| <[u8; 32]>::try_from(b).ok()),
            _ => {}
        }
    }
    Some(CardSigner::from_seed(key_id?, &seed?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_then_loads_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let first = load_or_create(&path).unwrap();
        let second = load_or_create(&path).unwrap();
        assert_eq!(first.public_key(), second.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = load_or_create(&path).unwrap_err().to_string();
            assert!(err.contains("chmod 600"), "{err}");
        }
    }

    #[test]
    fn refuses_a_file_that_is_not_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "hello").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert!(load_or_create(&path).is_err());
    }
}

//! Enrolment: a new kiosk exchanges the office's one-time code for its
//! token and keeps it in its data dir (0600), so nobody pastes a token
//! into a file. The window's enrolment screen and `baodao-kiosk enroll`
//! both come here.

use std::path::{Path, PathBuf};

use baodao_shared::Community;
use baodao_shared::enrol::EnrolCode;
use baodao_shared::protocol::Enrolment;

use crate::error::{Error, Result};
use crate::sync::client::SyncClient;

/// Where an enrolled kiosk keeps its token.
pub fn token_path(data_dir: &Path) -> PathBuf {
    data_dir.join("token")
}

/// A kiosk enrolled: who it is now and where its token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    pub kiosk_id: String,
    pub name: String,
    pub community: Community,
    pub token_file: PathBuf,
    /// The token itself, for the running kiosk to start syncing with.
    pub token: String,
}

/// Exchanges `code` at `server_url` (trusting `ca_file` too) and writes
/// the token to `data_dir`. Blocks: it runs its own small runtime, on the
/// caller's thread (a named worker thread in the window).
pub fn enrol(
    server_url: &str,
    ca_file: Option<&Path>,
    data_dir: &Path,
    code: &EnrolCode,
) -> Result<Enrolled> {
    // The client's own token is never sent on this path.
    let client = SyncClient::new(server_url, "", ca_file)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io("starting networking"))?;
    let enrolment = runtime.block_on(client.enrol(code))?;
    keep(data_dir, enrolment)
}

fn keep(data_dir: &Path, enrolment: Enrolment) -> Result<Enrolled> {
    crate::files::create_private_dir(data_dir)?;
    let token_file = token_path(data_dir);
    crate::files::write_private(&token_file, format!("{}\n", enrolment.token).as_bytes())?;
    give_to_owner_of(data_dir, &token_file)?;
    tracing::info!(kiosk = %enrolment.kiosk_id, file = %token_file.display(), "enrolled");
    Ok(Enrolled {
        kiosk_id: enrolment.kiosk_id.to_string(),
        name: enrolment.name,
        community: enrolment.community,
        token_file,
        token: enrolment.token,
    })
}

/// `enroll` run as root for a data dir the kiosk's user owns: the token
/// must be that user's, or the kiosk cannot read it.
#[cfg(unix)]
fn give_to_owner_of(dir: &Path, file: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(dir).map_err(Error::io(format!("reading {}", dir.display())))?;
    let mine = std::fs::metadata(file).map_err(Error::io(format!("reading {}", file.display())))?;
    if (owner.uid(), owner.gid()) != (mine.uid(), mine.gid()) {
        std::os::unix::fs::chown(file, Some(owner.uid()), Some(owner.gid())).map_err(Error::io(
            format!(
                "giving {} to the owner of {}",
                file.display(),
                dir.display()
            ),
        ))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn give_to_owner_of(_: &Path, _: &Path) -> Result<()> {
    Ok(())
}

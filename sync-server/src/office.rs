//! The central office's operations on a data directory: what the admin
//! subcommands, the tests and the kiosk demo call.

use std::path::Path;
use std::sync::{Arc, Mutex};

use baodao_shared::card::{CardKey, CardSigner, KeyId};
use baodao_shared::{Community, KioskId, MemberId, bounds};
use chrono::{Days, NaiveDate, Utc};

use crate::card_image::{CardFace, png, render};
use crate::error::{Error, Result};
use crate::import::{read_activities, read_members};
use crate::settings::Settings;
use crate::store::{ImportSummary, Registration, ReportRow, Store};

#[derive(Debug)]
pub struct Office {
    settings: Settings,
    store: Arc<Store>,
    /// Read on first use: serving never needs it.
    signer: Mutex<Option<Arc<CardSigner>>>,
}

/// A card written to disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCard {
    pub serial: u32,
    pub replaced: Option<u32>,
    pub expires_on: NaiveDate,
    pub payload: String,
}

impl Office {
    /// Opens the data directory, creating it, the database and the signing
    /// key on first use.
    pub fn open(settings: Settings) -> Result<Self> {
        std::fs::create_dir_all(&settings.data_dir).map_err(Error::io(format!(
            "creating {}",
            settings.data_dir.display()
        )))?;
        let store = Store::open(&settings.database_path())?;
        Ok(Self {
            settings,
            store: Arc::new(store),
            signer: Mutex::new(None),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn store(&self) -> Arc<Store> {
        Arc::clone(&self.store)
    }

    /// The card signing key, read (or, the first time, created) and checked
    /// against the public keys in the database.
    pub fn signer(&self) -> Result<Arc<CardSigner>> {
        let mut slot = self
            .signer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(signer) = slot.as_ref() {
            return Ok(Arc::clone(signer));
        }
        let signer = crate::keys::load_or_create(&self.settings.signing_key_path())?;
        self.store
            .register_card_key(&signer.public_key(), Utc::now())?;
        if self
            .store
            .card_key_list()?
            .iter()
            .any(|k| k.key.key_id == signer.key_id() && k.retired_at.is_some())
        {
            return Err(Error::Config(format!(
                "the card signing key {} is retired; run: baodao-sync-server keys rotate",
                signer.key_id()
            )));
        }
        let signer = Arc::new(signer);
        *slot = Some(Arc::clone(&signer));
        Ok(signer)
    }

    /// Makes a new signing key with the next id; new cards use it, cards
    /// signed with the old one keep verifying until it is retired.
    pub fn rotate_key(&self) -> Result<CardKey> {
        let path = self.settings.signing_key_path();
        let old = crate::keys::load(&path)?;
        let key_id = self.store.next_key_id()?;
        let signer = match &old {
            Some(old) => {
                // The old key must be known before it is moved aside.
                self.store
                    .register_card_key(&old.public_key(), Utc::now())?;
                crate::keys::rotate(&path, old.key_id(), key_id)?
            }
            None => crate::keys::load_or_create(&path)?,
        };
        let public = signer.public_key();
        self.store.register_card_key(&public, Utc::now())?;
        *self
            .signer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(signer));
        Ok(public)
    }

    /// Stops accepting cards signed with `key_id`; refused for the key in
    /// use (rotate first).
    pub fn retire_key(&self, key_id: KeyId) -> Result<()> {
        if let Some(current) = crate::keys::load(&self.settings.signing_key_path())?
            && current.key_id() == key_id
        {
            return Err(Error::Invalid(format!(
                "key {key_id} signs new cards; run `keys rotate` first, then retire it"
            )));
        }
        self.store.retire_card_key(key_id, Utc::now())
    }

    pub fn import_members(&self, file: &Path) -> Result<ImportSummary> {
        let members = read_members(open(file)?)?;
        self.store.upsert_members(&members)
    }

    pub fn import_activities(&self, file: &Path) -> Result<ImportSummary> {
        let activities = read_activities(open(file)?)?;
        self.store.upsert_activities(&activities)
    }

    pub fn register_kiosk(&self, name: &str, community: &Community) -> Result<Registration> {
        let name = bounds::check_text("kiosk name", name, bounds::MAX_NAME_CHARS)?;
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| Error::Internal(format!("no OS randomness: {e}")))?;
        self.store
            .register_kiosk(name, community, &secret, Utc::now())
    }

    pub fn revoke_kiosk(&self, kiosk: &KioskId) -> Result<()> {
        self.store.revoke_kiosk(kiosk, Utc::now())
    }

    /// Issues a card, revoking the member's previous one, and writes the
    /// printable image to `out` (PNG). Nothing is recorded if writing fails.
    pub fn issue_card(
        &self,
        member_id: &MemberId,
        expires_on: Option<NaiveDate>,
        out: &Path,
    ) -> Result<IssuedCard> {
        let member = self
            .store
            .member(member_id)?
            .ok_or_else(|| Error::NotFound(format!("member {member_id}")))?;
        let now = Utc::now();
        let expires_on = match expires_on {
            Some(day) => day,
            None => now
                .with_timezone(&self.settings.policy.time_zone)
                .date_naive()
                .checked_add_days(Days::new(u64::from(self.settings.card_validity_days)))
                .ok_or_else(|| Error::Invalid("card validity too long".into()))?,
        };
        let signer = self.signer()?;
        let mut payload = String::new();
        let issued =
            self.store
                .issue_card(member_id, signer.key_id(), expires_on, now, |serial| {
                    payload = signer.sign(member_id, serial, expires_on)?;
                    let image = render(&CardFace {
                        payload: &payload,
                        name: &member.name,
                        member_id: member_id.as_str(),
                        organization: &member.organization,
                        expires_on,
                        serial,
                    })?;
                    write_atomically(out, &png(&image)?)
                })?;
        Ok(IssuedCard {
            serial: issued.serial,
            replaced: issued.replaced,
            expires_on,
            payload,
        })
    }

    /// Replaces the database with `backup` (a copy made by `backup`) and
    /// gives it a new epoch. The server must be stopped.
    pub fn restore(settings: Settings, backup: &Path) -> Result<(Self, u64)> {
        // Check it is a Baodao database before anything is replaced.
        drop(Store::open(backup)?);
        let database = settings.database_path();
        std::fs::create_dir_all(&settings.data_dir).map_err(Error::io(format!(
            "creating {}",
            settings.data_dir.display()
        )))?;
        let staged = database.with_extension("restoring");
        std::fs::copy(backup, &staged).map_err(Error::io(format!(
            "copying {} to {}",
            backup.display(),
            staged.display()
        )))?;
        for stale in ["sqlite-wal", "sqlite-shm"] {
            let _ = std::fs::remove_file(database.with_extension(stale));
        }
        std::fs::rename(&staged, &database)
            .map_err(Error::io(format!("replacing {}", database.display())))?;
        let office = Self::open(settings)?;
        let epoch = office.store.new_epoch()?;
        Ok((office, epoch))
    }

    pub fn revoke_card(&self, serial: u32) -> Result<()> {
        self.store.revoke_card(serial, Utc::now())
    }

    pub fn points_report(&self, year: i32) -> Result<Vec<ReportRow>> {
        let year = bounds::check_year(year)?;
        self.store.points_report(year, &self.settings.policy)
    }
}

fn open(file: &Path) -> Result<std::fs::File> {
    std::fs::File::open(file).map_err(Error::io(format!("opening {}", file.display())))
}

/// Writes via a temporary file and a rename, so a full disk never leaves a
/// half-written card that looks whole.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let context = || format!("writing {}", path.display());
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(context())(e)
        })
}

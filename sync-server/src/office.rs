//! The central office's operations: what the admin subcommands, the tests
//! and the kiosk demo call. The office holds the card signing key (in its
//! data directory); the server instances need only the database.

use std::path::Path;
use std::sync::{Arc, Mutex};

use baodao_shared::card::{CardKey, CardSigner, KeyId};
use baodao_shared::enrol::EnrolCode;
use baodao_shared::protocol::RosterEntry;
use baodao_shared::{Community, KioskId, MemberId, bounds};
use chrono::{DateTime, Days, NaiveDate, Utc};
use encoding_rs::Encoding;

use crate::card_image::{CardFace, png, render};
use crate::domain::import_plan::{Entry, Plan};
use crate::domain::office::{OfficeUser, Role};
use crate::domain::token::{format_office_token, hash_token};
use crate::error::{Error, Result};
use crate::import::table::Format;
use crate::import::{
    Input, read_activities_in, read_communities, read_members_in, read_organizations,
};
use crate::settings::Settings;
use crate::store::{
    CardWriter, Change, CommunityInfo, DatabaseUrl, ImportSummary, IssuedCard, Organization,
    Registration, ReportFilter, ReportRow, Storage,
};

#[derive(Debug)]
pub struct Office {
    settings: Settings,
    store: Arc<dyn Storage>,
    /// Read on first use: serving never needs it.
    signer: Mutex<Option<Arc<CardSigner>>>,
}

/// A card issued and made: the store's record of it, its expiry and the
/// text its QR code carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedCard {
    pub issued: IssuedCard,
    pub expires_on: NaiveDate,
    pub payload: String,
}

impl Office {
    /// Opens the data directory and the database, creating and migrating
    /// them on first use (the signing key is made on first need).
    pub async fn open(settings: Settings) -> Result<Self> {
        std::fs::create_dir_all(&settings.data_dir).map_err(Error::io(format!(
            "creating {}",
            settings.data_dir.display()
        )))?;
        let url = settings.database_url();
        tracing::debug!(database = %url.redacted(), "opening the database");
        let store =
            crate::store::open(&url, settings.database_pool_size, settings.policy.time_zone)
                .await?;
        Ok(Self {
            settings,
            store,
            signer: Mutex::new(None),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn store(&self) -> Arc<dyn Storage> {
        Arc::clone(&self.store)
    }

    /// The card signing key, read (or, the first time, created) and checked
    /// against the public keys in the database.
    pub async fn signer(&self) -> Result<Arc<CardSigner>> {
        if let Some(signer) = self.loaded_signer() {
            return Ok(signer);
        }
        let signer = crate::keys::load_or_create(&self.settings.signing_key_path())?;
        self.store
            .register_card_key(signer.public_key(), Utc::now())
            .await?;
        if self
            .store
            .card_key_list()
            .await?
            .iter()
            .any(|k| k.key.key_id == signer.key_id() && k.retired_at.is_some())
        {
            return Err(Error::Config(format!(
                "the card signing key {} is retired; run: baodao-sync-server keys rotate",
                signer.key_id()
            )));
        }
        let signer = Arc::new(signer);
        *self
            .signer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&signer));
        Ok(signer)
    }

    fn loaded_signer(&self) -> Option<Arc<CardSigner>> {
        self.signer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Makes a new signing key with the next id; new cards use it, cards
    /// signed with the old one keep verifying until it is retired.
    pub async fn rotate_key(&self) -> Result<CardKey> {
        let path = self.settings.signing_key_path();
        let old = crate::keys::load(&path)?;
        let key_id = self.store.next_key_id().await?;
        let signer = match &old {
            Some(old) => {
                // The old key must be known before it is moved aside.
                self.store
                    .register_card_key(old.public_key(), Utc::now())
                    .await?;
                crate::keys::rotate(&path, old.key_id(), key_id)?
            }
            None => crate::keys::load_or_create(&path)?,
        };
        let public = signer.public_key();
        self.store
            .register_card_key(public.clone(), Utc::now())
            .await?;
        *self
            .signer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(signer));
        Ok(public)
    }

    /// Stops accepting cards signed with `key_id`; refused for the key in
    /// use (rotate first).
    pub async fn retire_key(&self, key_id: KeyId) -> Result<()> {
        if let Some(current) = crate::keys::load(&self.settings.signing_key_path())?
            && current.key_id() == key_id
        {
            return Err(Error::Invalid(format!(
                "key {key_id} signs new cards; run `keys rotate` first, then retire it"
            )));
        }
        self.store.retire_card_key(key_id, Utc::now()).await
    }

    /// Imports `file` (CSV in UTF-8, UTF-16 or GB18030, or `.xlsx`;
    /// `encoding` overrides the CSV's detected one) as `what`, all rows or
    /// none; says what changed and how the file was read.
    pub async fn import(
        &self,
        what: Importing,
        file: &Path,
        encoding: Option<&'static Encoding>,
    ) -> Result<ImportReport> {
        let bytes = read_file(file)?;
        let registry = self.store.registry().await?;
        let input = self.input(&bytes, encoding);
        let change = Change::cli(file_name(file));
        let (summary, format, ignored) = match what {
            Importing::Members => {
                let read = read_members_in(&input, &registry)?;
                let summary = self.store.upsert_members(read.rows, change).await?;
                (summary, read.format, read.ignored)
            }
            Importing::Activities => {
                let read = read_activities_in(&input, &registry)?;
                let summary = self.store.upsert_activities(read.rows, change).await?;
                (summary, read.format, read.ignored)
            }
            Importing::Communities => {
                let read = read_communities(&input, &registry)?;
                let summary = self.store.upsert_communities(read.rows, change).await?;
                (summary, read.format, read.ignored)
            }
            Importing::Organizations => {
                let read = read_organizations(&input, &registry)?;
                let summary = self.store.upsert_organizations(read.rows, change).await?;
                (summary, read.format, read.ignored)
            }
        };
        Ok(ImportReport::of(summary, format, ignored))
    }

    pub async fn import_members(&self, file: &Path) -> Result<ImportSummary> {
        Ok(self.import(Importing::Members, file, None).await?.summary)
    }

    pub async fn import_activities(&self, file: &Path) -> Result<ImportSummary> {
        Ok(self
            .import(Importing::Activities, file, None)
            .await?
            .summary)
    }

    /// Imports communities (id, name, subdistrict, district).
    pub async fn import_communities(&self, file: &Path) -> Result<ImportSummary> {
        Ok(self
            .import(Importing::Communities, file, None)
            .await?
            .summary)
    }

    /// Imports organisations and their pairings with communities.
    pub async fn import_organizations(&self, file: &Path) -> Result<ImportSummary> {
        Ok(self
            .import(Importing::Organizations, file, None)
            .await?
            .summary)
    }

    /// What importing `file` as `what` would change, and nothing written.
    pub async fn dry_run(
        &self,
        what: Importing,
        file: &Path,
        encoding: Option<&'static Encoding>,
    ) -> Result<(Plan, ImportReport)> {
        let bytes = read_file(file)?;
        plan_import(
            self.store.as_ref(),
            self.settings.policy,
            what,
            &self.input(&bytes, encoding),
        )
        .await
    }

    fn input<'a>(&self, bytes: &'a [u8], encoding: Option<&'static Encoding>) -> Input<'a> {
        Input {
            bytes,
            encoding,
            zone: self.settings.policy.time_zone,
        }
    }

    pub async fn register_kiosk(&self, name: &str, community: &Community) -> Result<Registration> {
        let name = bounds::check_text("kiosk name", name, bounds::MAX_NAME_CHARS)?;
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| Error::Internal(format!("no OS randomness: {e}")))?;
        self.store
            .register_kiosk(name.to_owned(), community.clone(), secret, Utc::now())
            .await
    }

    /// A fresh one-time enrolment code for an active kiosk, and until
    /// when it is good.
    pub async fn enrol_code(&self, kiosk_id: &KioskId) -> Result<(EnrolCode, DateTime<Utc>)> {
        issue_enrol_code(self.store.as_ref(), kiosk_id, Utc::now()).await
    }

    /// Adds an office user; the password is stored as an argon2 hash.
    pub async fn add_user(
        &self,
        username: &str,
        role: Role,
        communities: Vec<Community>,
        password: &str,
    ) -> Result<()> {
        let username = bounds::check_text("username", username, 64)?;
        if username.chars().any(char::is_whitespace) {
            return Err(Error::Invalid("a username has no spaces".into()));
        }
        if password.chars().count() < 10 {
            return Err(Error::Invalid(
                "a password has at least 10 characters".into(),
            ));
        }
        if (role == Role::Officer) == communities.is_empty() {
            return Err(Error::Invalid(
                "an officer has one or more --community; the other roles none".into(),
            ));
        }
        let hash = crate::domain::password::hash(password)?;
        let user = OfficeUser {
            username: username.to_owned(),
            role,
            communities,
        };
        self.store.add_office_user(user, hash, Utc::now()).await
    }

    /// A new personal API token for `username`; only its hash is kept.
    pub async fn issue_user_token(&self, username: &str) -> Result<String> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| Error::Internal(format!("no OS randomness: {e}")))?;
        let token = format_office_token(&secret);
        self.store
            .add_office_token(username.to_owned(), hash_token(&token), Utc::now())
            .await?;
        Ok(token)
    }

    /// Revokes every API token of `username` (a lost laptop, a person who
    /// left); answers how many.
    pub async fn revoke_user_tokens(&self, username: &str) -> Result<u64> {
        self.store
            .revoke_office_tokens(username.to_owned(), Utc::now())
            .await
    }

    pub async fn revoke_kiosk(&self, kiosk: &KioskId) -> Result<()> {
        self.store.revoke_kiosk(kiosk.clone(), Utc::now()).await
    }

    /// Issues a card to a member (revoking their previous one) and writes
    /// it to `out` as a PNG.
    pub async fn issue_card(
        &self,
        member_id: &MemberId,
        expires_on: Option<NaiveDate>,
        out: &Path,
    ) -> Result<PrintedCard> {
        let signer = self.signer().await?;
        let member = self
            .store
            .member(member_id.clone())
            .await?
            .ok_or_else(|| Error::NotFound(format!("member {member_id}")))?;
        let out = out.to_owned();
        let mut issued = issue_cards(
            &self.store,
            &signer,
            &self.settings,
            vec![member],
            expires_on,
            move |faces| {
                faces
                    .iter()
                    .try_for_each(|face| write_atomically(&out, &png(&render(face)?)?))
            },
        )
        .await?;
        issued
            .pop()
            .ok_or_else(|| Error::Internal("no card issued".into()))
    }

    /// Replaces the SQLite database with `backup` (a copy made by
    /// `backup`) and gives it a new epoch. The server must be stopped.
    /// (PostgreSQL is restored with `pg_restore`, then `new-epoch`.)
    pub async fn restore(settings: Settings, backup: &Path) -> Result<(Self, u64)> {
        let DatabaseUrl::Sqlite(database) = settings.database_url() else {
            return Err(Error::Invalid(
                "restore replaces a SQLite file; restore PostgreSQL with pg_restore, then run `baodao-sync-server new-epoch`".into(),
            ));
        };
        // Check it is a Baodao database before anything is replaced.
        crate::store::sqlite::SqliteStorage::open(backup).await?;
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
        let office = Self::open(settings).await?;
        let epoch = office.store.new_epoch().await?;
        Ok((office, epoch))
    }

    pub async fn revoke_card(&self, serial: u32) -> Result<()> {
        self.store.revoke_card(serial, Utc::now()).await
    }

    pub async fn points_report(&self, year: i32) -> Result<Vec<ReportRow>> {
        let year = bounds::check_year(year)?;
        self.store
            .points_report(year, self.settings.policy, ReportFilter::default())
            .await
    }
}

/// The largest file an import reads: a city's roster of a million
/// members is about 100 MB as CSV.
const MAX_IMPORT_BYTES: u64 = 512 << 20;

fn read_file(file: &Path) -> Result<Vec<u8>> {
    let size = std::fs::metadata(file)
        .map_err(Error::io(format!("opening {}", file.display())))?
        .len();
    if size > MAX_IMPORT_BYTES {
        return Err(Error::Invalid(format!(
            "{} is {} MB; an import takes at most {} MB",
            file.display(),
            size >> 20,
            MAX_IMPORT_BYTES >> 20
        )));
    }
    std::fs::read(file).map_err(Error::io(format!("reading {}", file.display())))
}

fn entry(key: &str, fields: Vec<(&'static str, String)>) -> Entry {
    Entry {
        key: key.to_owned(),
        fields,
    }
}

fn member_entry(id: &str, name: &str, organization: &str, community: &str) -> Entry {
    entry(
        id,
        vec![
            ("name", name.to_owned()),
            ("organization", organization.to_owned()),
            ("community", community.to_owned()),
        ],
    )
}

/// An activity as the office reads it: times on its wall clock.
fn activity_entry(a: &baodao_shared::Activity, zone: chrono_tz::Tz) -> Entry {
    let local =
        |t: chrono::DateTime<Utc>| t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string();
    entry(
        a.activity_id.as_str(),
        vec![
            ("title", a.title.clone()),
            ("kind", a.kind.code().to_owned()),
            ("community", a.community.to_string()),
            ("starts_at", local(a.starts_at)),
            ("ends_at", local(a.ends_at)),
        ],
    )
}

fn community_entry(c: &CommunityInfo) -> Entry {
    entry(
        c.community_id.as_str(),
        vec![
            ("name", c.name.clone()),
            ("subdistrict", c.subdistrict.clone()),
            ("district", c.district.clone()),
        ],
    )
}

fn organization_entry(o: &Organization) -> Entry {
    let mut paired: Vec<&str> = o.communities.iter().map(Community::as_str).collect();
    paired.sort_unstable();
    entry(
        &o.organization_id,
        vec![("name", o.name.clone()), ("communities", paired.join(";"))],
    )
}

/// What importing `input` as `what` would change (`Plan`), with how the
/// file was read; nothing is written. The same rows the import would
/// read, against what the database holds under their keys.
pub async fn plan_import(
    store: &dyn Storage,
    policy: baodao_shared::Policy,
    what: Importing,
    input: &Input<'_>,
) -> Result<(Plan, ImportReport)> {
    let registry = store.registry().await?;
    let zone = policy.time_zone;
    let activity = |a: &baodao_shared::Activity| activity_entry(a, zone);
    let (existing, incoming, format, ignored): (Vec<Entry>, Vec<Entry>, _, _) = match what {
        Importing::Members => {
            let read = read_members_in(input, &registry)?;
            // Every member, with or without points: the database's list.
            let year = policy.year_of(Utc::now());
            let rows = store
                .points_report(year, policy, ReportFilter::default())
                .await?;
            let existing = rows
                .iter()
                .map(|r| member_entry(r.member_id.as_str(), &r.name, &r.organization, &r.community))
                .collect();
            let incoming = read
                .rows
                .iter()
                .map(|m| {
                    member_entry(
                        m.member_id.as_str(),
                        &m.name,
                        &m.organization,
                        m.community.as_str(),
                    )
                })
                .collect();
            (existing, incoming, read.format, read.ignored)
        }
        Importing::Activities => {
            let read = read_activities_in(input, &registry)?;
            let all = store
                .activities_between(bounds_of_time().0, bounds_of_time().1, None)
                .await?;
            let existing = all.iter().map(|t| activity(&t.activity)).collect();
            let incoming = read.rows.iter().map(activity).collect();
            (existing, incoming, read.format, read.ignored)
        }
        Importing::Communities => {
            let read = read_communities(input, &registry)?;
            let existing = registry.communities().iter().map(community_entry).collect();
            let incoming = read.rows.iter().map(community_entry).collect();
            (existing, incoming, read.format, read.ignored)
        }
        Importing::Organizations => {
            let read = read_organizations(input, &registry)?;
            let existing = registry
                .organizations()
                .iter()
                .map(organization_entry)
                .collect();
            let incoming = read.rows.iter().map(organization_entry).collect();
            (existing, incoming, read.format, read.ignored)
        }
    };
    let plan = crate::domain::import_plan::plan(&existing, &incoming);
    let summary = ImportSummary {
        added: plan.added,
        updated: plan.updated,
        unchanged: plan.unchanged,
    };
    Ok((plan, ImportReport::of(summary, format, ignored)))
}

/// Every time the system keeps lies in here.
fn bounds_of_time() -> (chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
    let year = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(chrono::DateTime::<Utc>::MIN_UTC, |t| t.and_utc())
    };
    (
        year(baodao_shared::bounds::EARLIEST_YEAR),
        year(baodao_shared::bounds::LATEST_YEAR + 1),
    )
}

/// What a file holds: the four imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importing {
    Members,
    Activities,
    Communities,
    Organizations,
}

impl Importing {
    /// As the command line names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Members => "members",
            Self::Activities => "activities",
            Self::Communities => "communities",
            Self::Organizations => "organizations",
        }
    }
}

/// What an import did, and how it read its file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    pub summary: ImportSummary,
    pub format: Format,
    /// Columns of the file no import reads.
    pub ignored: Vec<String>,
}

impl ImportReport {
    fn of(summary: ImportSummary, format: Format, ignored: Vec<String>) -> Self {
        Self {
            summary,
            format,
            ignored,
        }
    }
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

/// A file's name, for the audit log (the directories are the server's).
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Issues a card to each of `members` (as the caller looked them up)
/// signed by `signer`, revoking
/// their previous ones: `write` gets the cards' faces (with their signed
/// payloads) inside the issuing transaction, and nothing is recorded if it
/// fails, so a sheet that could not be printed revokes no card. Expires
/// after the configured validity unless `expires_on` says.
pub async fn issue_cards(
    store: &Arc<dyn Storage>,
    signer: &Arc<CardSigner>,
    settings: &Settings,
    members: Vec<RosterEntry>,
    expires_on: Option<NaiveDate>,
    write: impl FnOnce(&[CardFace<'_>]) -> Result<()> + Send + 'static,
) -> Result<Vec<PrintedCard>> {
    let member_ids: Vec<MemberId> = members.iter().map(|m| m.member_id.clone()).collect();
    let members = Arc::new(members);
    let now = Utc::now();
    let expires_on = match expires_on {
        Some(day) => day,
        None => now
            .with_timezone(&settings.policy.time_zone)
            .date_naive()
            .checked_add_days(Days::new(u64::from(settings.card_validity_days)))
            .ok_or_else(|| Error::Invalid("card validity too long".into()))?,
    };
    let payloads = Arc::new(Mutex::new(Vec::new()));
    let writer: CardWriter = {
        let (signer, payloads, members) = (
            Arc::clone(signer),
            Arc::clone(&payloads),
            Arc::clone(&members),
        );
        Box::new(move |serials: &[u32]| {
            let texts = members
                .iter()
                .zip(serials)
                .map(|(m, &serial)| signer.sign(&m.member_id, serial, expires_on))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let faces: Vec<CardFace<'_>> = members
                .iter()
                .zip(serials)
                .zip(&texts)
                .map(|((m, &serial), text)| CardFace {
                    payload: text,
                    name: &m.name,
                    member_id: m.member_id.as_str(),
                    organization: &m.organization,
                    expires_on,
                    serial,
                })
                .collect();
            write(&faces)?;
            *payloads
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = texts;
            Ok(())
        })
    };
    let issued = store
        .issue_cards(member_ids, signer.key_id(), expires_on, now, writer)
        .await?;
    let payloads = std::mem::take(
        &mut *payloads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    if payloads.len() != issued.len() {
        return Err(Error::Internal("cards issued without their faces".into()));
    }
    Ok(issued
        .into_iter()
        .zip(payloads)
        .map(|(issued, payload)| PrintedCard {
            issued,
            expires_on,
            payload,
        })
        .collect())
}

/// Makes and stores a one-time enrolment code for an active kiosk; the
/// code is shown once (the database keeps only its hash). Any earlier
/// code of the kiosk stays good until used or expired.
pub async fn issue_enrol_code(
    store: &dyn Storage,
    kiosk_id: &KioskId,
    now: DateTime<Utc>,
) -> Result<(EnrolCode, DateTime<Utc>)> {
    let mut bytes = [0u8; baodao_shared::enrol::CODE_LEN];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(format!("no OS randomness: {e}")))?;
    let code = EnrolCode::from_random(bytes);
    let expires_at = now + crate::domain::enrolment::CODE_LIFETIME;
    store
        .add_enrol_code(
            kiosk_id.clone(),
            crate::domain::enrolment::hash_code(&code),
            now,
            expires_at,
        )
        .await?;
    Ok((code, expires_at))
}

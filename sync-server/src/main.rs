//! `baodao-sync-server`: the server and the central office's admin commands.

// Doc comments here are the command-line help, read by people, not rustdoc.
#![allow(clippy::doc_markdown)]

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use baodao_shared::{Community, KioskId, MemberId};
use baodao_sync_server::domain::heartbeat::liveness;
use baodao_sync_server::office::{ImportReport, Importing};
use baodao_sync_server::store::DatabaseUrl;
use baodao_sync_server::{Office, Settings, launch, shutdown_signal};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "baodao-sync-server",
    version,
    about = "Baodao sync server and office tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Common {
    /// Directory holding the database and the card signing key.
    #[arg(long, env = "BAODAO_DATA_DIR")]
    data_dir: PathBuf,
    /// Settings file (default: DATA_DIR/server.toml when present).
    #[arg(long, env = "BAODAO_CONFIG")]
    config: Option<PathBuf>,
    /// The database: sqlite:PATH or postgres://USER@HOST/DB (default:
    /// sqlite:DATA_DIR/baodao.sqlite, or database_url in the settings).
    #[arg(long, env = "BAODAO_DATABASE_URL")]
    database: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API until Ctrl-C or SIGTERM.
    Serve {
        #[command(flatten)]
        common: Common,
        /// Address to listen on, e.g. 0.0.0.0:8420.
        #[arg(long)]
        listen: Option<String>,
        /// Serve HTTPS with this certificate chain (PEM); reloaded on SIGHUP.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Import members from CSV or .xlsx: member_id,name,organization,community
    /// (or 编号,姓名,所属党组织,社区), in any order.
    Members {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Import activities from CSV or .xlsx:
    /// activity_id,title,kind,community,starts_at,ends_at (or 编号,活动名称,类型,
    /// 社区,开始时间,结束时间); times without a zone are the policy's.
    Activities {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Import communities from CSV or .xlsx: community_id,name,subdistrict,district.
    Communities {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Import home organisations (party branches) from CSV or .xlsx:
    /// organization_id,name,communities (paired communities, by id or name,
    /// separated by `;`).
    Organizations {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Register and revoke kiosks.
    Kiosks {
        #[command(subcommand)]
        command: KioskCommand,
    },
    /// Issue and revoke member cards.
    Cards {
        #[command(subcommand)]
        command: CardCommand,
    },
    /// The card signing keys: rotate to a new one, retire an old one.
    Keys {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Office users (admin, officer, viewer) and their API tokens.
    Users {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Copy the database, consistently, while the server runs.
    Backup {
        #[command(flatten)]
        common: Common,
        /// Where to write the copy (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Replace the database by a backup (stop the server first). Kiosks
    /// then pull a full snapshot: their cursors belong to the lost state.
    Restore {
        #[command(flatten)]
        common: Common,
        /// A copy made by `backup`.
        #[arg(long)]
        from: PathBuf,
    },
    /// Give the database a new epoch: every kiosk pulls a full snapshot
    /// next. Run after restoring PostgreSQL with pg_restore.
    NewEpoch {
        #[command(flatten)]
        common: Common,
    },
    /// Copy a whole SQLite data set into PostgreSQL, then check that both
    /// hold the same rows and the same points. Safe to run again.
    Migrate {
        #[command(flatten)]
        common: Common,
        /// sqlite:PATH of the data set to copy.
        #[arg(long)]
        from: String,
        /// postgres://... to copy it into.
        #[arg(long)]
        to: String,
    },
    /// Print every member's points for a year.
    Points {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        year: i32,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Add or update from a CSV (UTF-8, UTF-16 or GB18030) or .xlsx file,
    /// English or Chinese headers in any order; nothing is imported if any
    /// row is bad.
    Import {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        options: ImportOptions,
    },
}

#[derive(Debug, Args)]
struct ImportOptions {
    file: PathBuf,
    /// The CSV's encoding when detection guesses wrong: utf-8, utf-16le,
    /// utf-16be, gb18030 (gbk).
    #[arg(long)]
    encoding: Option<String>,
    /// Say what would be added, updated and left unchanged, with the
    /// differences, and write nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Subcommand)]
enum KioskCommand {
    /// Register a kiosk; its bearer token is the last line printed.
    Register {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        name: String,
        #[arg(long)]
        community: String,
    },
    /// Revoke a kiosk's token.
    Revoke {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        kiosk: String,
    },
    /// A one-time enrolment code for a registered kiosk (24 hours, used
    /// once), the last line printed; a new kiosk exchanges it for its token.
    EnrolCode {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        kiosk: String,
        /// Also write the code as a QR image (PNG) to show the kiosk's camera.
        #[arg(long, value_name = "FILE.png")]
        qr: Option<PathBuf>,
    },
    /// List kiosks: alive or SILENT (no heartbeat for `kiosk_silent_minutes`),
    /// last seen, and what the latest heartbeat said.
    List {
        #[command(flatten)]
        common: Common,
    },
    /// A kiosk's recent heartbeats, newest first.
    History {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        kiosk: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input (one line).
    Add {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        username: String,
        /// admin (everything), officer (their communities), viewer (reads only).
        #[arg(long)]
        role: String,
        /// An officer's community; repeat for several.
        #[arg(long = "community")]
        communities: Vec<String>,
    },
    /// Make a personal API token for the office API; it is the last line printed.
    Token {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        username: String,
    },
    /// Revoke every API token of a user (a lost laptop, a person who left).
    Revoke {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        username: String,
    },
}

#[derive(Debug, Subcommand)]
enum CardCommand {
    /// Issue a card (revoking the member's previous one) as a printable PNG.
    Issue {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        member: String,
        #[arg(long)]
        out: PathBuf,
        /// Last valid day (default: the configured validity from today).
        #[arg(long)]
        expires: Option<NaiveDate>,
    },
    /// Revoke a lost card by its serial.
    Revoke {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        serial: u32,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Make a new signing key with the next id: new cards use it, cards of
    /// the old key keep verifying (a running server sees it within a minute).
    Rotate {
        #[command(flatten)]
        common: Common,
    },
    /// Stop accepting cards signed with a key (not the one in use).
    Retire {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        key_id: u8,
    },
    /// List the keys: id, public key, created, retired.
    List {
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    Json,
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        // Plain text under systemd's journal and in pipes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("baodao-server")
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(Cli::parse())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn settings(common: &Common) -> Result<Settings> {
    let mut settings = Settings::load(&common.data_dir, common.config.as_deref())?;
    if let Some(url) = &common.database {
        settings.database = Some(DatabaseUrl::parse(url)?);
    }
    Ok(settings)
}

async fn office(common: &Common) -> Result<Office> {
    Ok(Office::open(settings(common)?).await?)
}

async fn run(cli: Cli) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Serve {
            common,
            listen,
            tls_cert,
            tls_key,
        } => {
            let mut settings = settings(&common)?;
            if let Some(listen) = listen {
                settings.listen = listen
                    .parse()
                    .with_context(|| format!("--listen {listen:?}"))?;
            }
            if let (Some(cert), Some(key)) = (tls_cert, tls_key) {
                settings.net.tls = Some(baodao_sync_server::settings::TlsFiles { cert, key });
            }
            // A server instance opens the database only: the signing key
            // and the office's files are not its business.
            let addr = settings.listen;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening on {addr}"))?;
            launch(settings, listener, shutdown_signal()).await?;
            Ok(())
        }
        Command::Members {
            command: ImportCommand::Import { common, options },
        } => import(&common, Importing::Members, &options, &mut out).await,
        Command::Activities {
            command: ImportCommand::Import { common, options },
        } => import(&common, Importing::Activities, &options, &mut out).await,
        Command::Communities {
            command: ImportCommand::Import { common, options },
        } => import(&common, Importing::Communities, &options, &mut out).await,
        Command::Organizations {
            command: ImportCommand::Import { common, options },
        } => import(&common, Importing::Organizations, &options, &mut out).await,
        Command::Backup { common, out: file } => {
            office(&common).await?.store().backup(file.clone()).await?;
            writeln!(out, "wrote a copy of the database to {}", file.display())?;
            Ok(())
        }
        Command::Restore { common, from } => {
            let (_, epoch) = Office::restore(settings(&common)?, &from).await?;
            writeln!(
                out,
                "restored {}; new database epoch {epoch}: every kiosk pulls a full snapshot next",
                from.display()
            )?;
            Ok(())
        }
        Command::NewEpoch { common } => {
            let epoch = office(&common).await?.store().new_epoch().await?;
            writeln!(
                out,
                "new database epoch {epoch}: every kiosk pulls a full snapshot next"
            )?;
            Ok(())
        }
        Command::Migrate { common, from, to } => migrate(&common, &from, &to, &mut out).await,
        Command::Kiosks { command } => kiosks(command, &mut out).await,
        Command::Users { command } => users(command, &mut out).await,
        Command::Cards { command } => cards(command, &mut out).await,
        Command::Keys { command } => keys(command, &mut out).await,
        Command::Points {
            common,
            year,
            format,
        } => {
            let rows = office(&common).await?.points_report(year).await?;
            match format {
                Format::Json => {
                    serde_json::to_writer_pretty(&mut out, &rows)?;
                    writeln!(out)?;
                }
                Format::Csv => baodao_sync_server::reports::points_csv(&mut out, &rows)?,
            }
            Ok(())
        }
    }
}

async fn migrate(common: &Common, from: &str, to: &str, out: &mut impl Write) -> Result<()> {
    let report = baodao_sync_server::migrate::run(
        &DatabaseUrl::parse(from)?,
        &DatabaseUrl::parse(to)?,
        &settings(common)?,
    )
    .await?;
    write!(out, "{report}")?;
    Ok(())
}

async fn users(command: UserCommand, out: &mut impl Write) -> Result<()> {
    match command {
        UserCommand::Add {
            common,
            username,
            role,
            communities,
        } => {
            let role: baodao_sync_server::domain::office::Role =
                role.parse().map_err(anyhow::Error::msg)?;
            let communities = communities
                .iter()
                .map(|c| c.parse())
                .collect::<std::result::Result<Vec<Community>, _>>()?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            office(&common)
                .await?
                .add_user(&username, role, communities, password)
                .await?;
            writeln!(out, "added {} user {username}", role.code())?;
        }
        UserCommand::Token { common, username } => {
            let token = office(&common).await?.issue_user_token(&username).await?;
            writeln!(
                out,
                "API token for {username} (shown only now; send it as `Authorization: Bearer ...`):"
            )?;
            writeln!(out, "{token}")?;
        }
        UserCommand::Revoke { common, username } => {
            let revoked = office(&common).await?.revoke_user_tokens(&username).await?;
            writeln!(out, "revoked {revoked} API token(s) of {username}")?;
        }
    }
    Ok(())
}

async fn kiosks(command: KioskCommand, out: &mut impl Write) -> Result<()> {
    match command {
        KioskCommand::Register {
            common,
            name,
            community,
        } => {
            let community: Community = community.parse()?;
            let registration = office(&common)
                .await?
                .register_kiosk(&name, &community)
                .await?;
            writeln!(
                out,
                "registered kiosk {} ({name}) for community {community}; its token (shown only now):",
                registration.kiosk.kiosk_id
            )?;
            writeln!(out, "{}", registration.token)?;
        }
        KioskCommand::Revoke { common, kiosk } => {
            let kiosk: KioskId = kiosk.parse()?;
            office(&common).await?.revoke_kiosk(&kiosk).await?;
            writeln!(out, "revoked kiosk {kiosk}")?;
        }
        KioskCommand::EnrolCode { common, kiosk, qr } => {
            let kiosk: KioskId = kiosk.parse()?;
            let (code, expires_at) = office(&common).await?.enrol_code(&kiosk).await?;
            if let Some(path) = &qr {
                let image = baodao_sync_server::card_image::qr_image(&code.qr_text(), 12)?;
                let png = baodao_sync_server::card_image::png(&image)?;
                std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))?;
                writeln!(out, "wrote the code as a QR image to {}", path.display())?;
            }
            writeln!(
                out,
                "enrolment code for kiosk {kiosk}, good once until {} (type it on the kiosk, or run `baodao-kiosk enroll --code ...`):",
                expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )?;
            writeln!(out, "{code}")?;
        }
        KioskCommand::List { common } => {
            let office = office(&common).await?;
            let silent = office.settings().kiosk_silent_minutes;
            let now = chrono::Utc::now();
            for k in office.store().kiosks().await? {
                let state = liveness(k.revoked, k.last_seen_at, now, silent);
                let seen = k.last_seen_at.map_or_else(
                    || "never".to_owned(),
                    |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                );
                let clock = k
                    .last_clock_offset_ms
                    .map_or_else(|| "-".to_owned(), |ms| format!("{ms} ms"));
                let health = k
                    .heartbeat
                    .as_ref()
                    .map_or_else(|| "no heartbeat yet".to_owned(), |h| describe(&h.report));
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\tlast seen {seen}\tclock offset {clock}\t{health}",
                    k.kiosk.kiosk_id,
                    k.kiosk.community,
                    k.name,
                    state.code(),
                )?;
            }
        }
        KioskCommand::History {
            common,
            kiosk,
            limit,
        } => {
            let kiosk: KioskId = kiosk.parse()?;
            let entries = office(&common)
                .await?
                .store()
                .heartbeats(kiosk.clone(), limit)
                .await?;
            if entries.is_empty() {
                writeln!(out, "no heartbeat from kiosk {kiosk} in the last two hours")?;
            }
            for h in entries {
                writeln!(
                    out,
                    "{}\t{}",
                    h.received_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    describe(&h.report)
                )?;
            }
        }
    }
    Ok(())
}

/// A heartbeat on one line, for `kiosks list` and `kiosks history`.
fn describe(h: &baodao_shared::protocol::Heartbeat) -> String {
    let mut parts = vec![
        format!("v{}", h.version),
        format!("camera {}", h.camera.code()),
        format!("{:.1} fps", h.scan_fps),
        format!("waiting {}", h.pending),
    ];
    if let Some(secs) = h.oldest_pending_secs {
        parts.push(format!("oldest {}", human_secs(secs)));
    }
    if let Some(mb) = h.disk_free_mb {
        parts.push(format!("disk free {mb} MB"));
    }
    if h.decoder_panics > 0 {
        parts.push(format!("decoder panics {}", h.decoder_panics));
    }
    parts.push(format!("up {}", human_secs(h.uptime_secs)));
    if let Some(e) = &h.last_error {
        parts.push(format!("last error: {e}"));
    }
    if let Some(d) = &h.camera_detail {
        parts.push(format!("camera: {d}"));
    }
    parts.join(", ")
}

fn human_secs(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s if s < 2 * 86_400 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

async fn keys(command: KeyCommand, out: &mut impl Write) -> Result<()> {
    match command {
        KeyCommand::Rotate { common } => {
            let key = office(&common).await?.rotate_key().await?;
            writeln!(
                out,
                "card signing key {} is now in use (public key {}); older cards keep verifying until their key is retired",
                key.key_id, key.public_key
            )?;
        }
        KeyCommand::Retire { common, key_id } => {
            office(&common).await?.retire_key(key_id).await?;
            writeln!(
                out,
                "retired card key {key_id}: cards signed with it are refused from now on"
            )?;
        }
        KeyCommand::List { common } => {
            for k in office(&common).await?.store().card_key_list().await? {
                writeln!(
                    out,
                    "{}\t{}\tcreated {}\t{}",
                    k.key.key_id,
                    k.key.public_key,
                    k.created_at.to_rfc3339(),
                    k.retired_at.map_or_else(
                        || "in force".to_owned(),
                        |t| format!("retired {}", t.to_rfc3339())
                    ),
                )?;
            }
        }
    }
    Ok(())
}

/// Imports one kind of file; says what changed (or would).
async fn import(
    common: &Common,
    importing: Importing,
    options: &ImportOptions,
    out: &mut impl Write,
) -> Result<()> {
    let office = office(common).await?;
    let file = options.file.as_path();
    let encoding = options
        .encoding
        .as_deref()
        .map(baodao_sync_server::import::table::encoding_named)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let name = importing.name();
    if options.dry_run {
        let (plan, report) = office
            .dry_run(importing, file, encoding)
            .await
            .with_context(|| file.display().to_string())?;
        describe_read(&report, out)?;
        for change in plan.changes.iter().take(CHANGES_SHOWN) {
            writeln!(out, "  {change}")?;
        }
        if plan.changes.len() > CHANGES_SHOWN {
            writeln!(out, "  ... and {} more", plan.changes.len() - CHANGES_SHOWN)?;
        }
        writeln!(
            out,
            "{name} (dry run, nothing written): {} would be added, {} updated, {} unchanged",
            plan.added, plan.updated, plan.unchanged
        )?;
        return Ok(());
    }
    let report = office
        .import(importing, file, encoding)
        .await
        .with_context(|| file.display().to_string())?;
    describe_read(&report, out)?;
    writeln!(
        out,
        "{name}: {} added, {} updated, {} unchanged",
        report.summary.added, report.summary.updated, report.summary.unchanged
    )?;
    Ok(())
}

/// Rows of differences a dry run prints; the counts cover them all.
const CHANGES_SHOWN: usize = 50;

/// How the file was read, and the columns left out.
fn describe_read(report: &ImportReport, out: &mut impl Write) -> Result<()> {
    writeln!(out, "read as {}", report.format)?;
    if !report.ignored.is_empty() {
        writeln!(out, "columns ignored: {}", report.ignored.join(", "))?;
    }
    Ok(())
}

async fn cards(command: CardCommand, out: &mut impl Write) -> Result<()> {
    match command {
        CardCommand::Issue {
            common,
            member,
            out: file,
            expires,
        } => {
            let member: MemberId = member.parse()?;
            let card = office(&common)
                .await?
                .issue_card(&member, expires, &file)
                .await?;
            let replaced = card
                .issued
                .replaced
                .map(|s| format!(", replacing card {s} (now revoked)"))
                .unwrap_or_default();
            writeln!(
                out,
                "card {} for {member}, valid to {}{replaced}: {}",
                card.issued.serial,
                card.expires_on,
                file.display()
            )?;
        }
        CardCommand::Revoke { common, serial } => {
            office(&common).await?.revoke_card(serial).await?;
            writeln!(out, "revoked card {serial}")?;
        }
    }
    Ok(())
}

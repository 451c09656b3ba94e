//! `baodao-kiosk`: parse the command line and start.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use baodao_kiosk::app::{KioskApp, fonts, repaint_callback, sound::Sounds};
use baodao_kiosk::camera::replay::load_luma;
use baodao_kiosk::config::{CameraSpec, Config};
use baodao_kiosk::engine::{Engine, Setup};
use baodao_kiosk::scan::QrDecoder;
use baodao_kiosk::watchdog::{self, Watchdog};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "baodao-kiosk", version, about = "Baodao attendance kiosk")]
struct Cli {
    /// Settings file (also after a subcommand: `doctor --config FILE`).
    #[arg(long, global = true, env = "BAODAO_CONFIG", default_value = baodao_kiosk::config::DEFAULT_CONFIG)]
    config: PathBuf,
    /// Run without a window: one JSON line per scan on stdout.
    #[arg(long)]
    headless: bool,
    /// A normal window instead of full screen (for development).
    #[arg(long)]
    windowed: bool,
    /// Everything on this machine: an embedded server, demo members and a
    /// simulated camera showing demo cards.
    #[arg(long)]
    demo: bool,
    /// Overrides the configured camera (auto, index:N, name:TEXT, replay:DIR, synthetic, none).
    #[arg(long)]
    camera: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode QR codes in image files: file, payload (or -), milliseconds.
    Decode { files: Vec<PathBuf> },
    /// Read a staff PIN on stdin and print its hash for `staff_pin_hash`.
    HashPin,
    /// Enrol this kiosk with a one-time code from the office: fetches its
    /// token and writes it (0600) into the data dir, where the kiosk finds
    /// it. Server and data dir default to the config's.
    Enroll {
        /// The office's server, e.g. `https://office.example`.
        #[arg(long)]
        server: Option<String>,
        /// The code the office gave (ABCD-EFGH).
        #[arg(long)]
        code: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Extra trusted roots (PEM), when the office runs its own CA.
        #[arg(long)]
        ca_file: Option<PathBuf>,
    },
    /// Check this kiosk: config, data dir, disk, font, camera, server, TLS,
    /// token and clock; one line each, with the fix for each failure.
    /// Exits non-zero when a check fails.
    Doctor,
}

fn main() -> ExitCode {
    let started = Instant::now();
    baodao_kiosk::memory::tune();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = run(cli, started);
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, started: Instant) -> baodao_kiosk::Result<ExitCode> {
    let camera = cli
        .camera
        .as_deref()
        .map(str::parse::<CameraSpec>)
        .transpose()?;
    match cli.command {
        Some(Command::Decode { files }) => return Ok(decode(&files)),
        Some(Command::Doctor) => {
            let checks = baodao_kiosk::doctor::run(&cli.config);
            for check in &checks {
                println!("{check}");
            }
            return Ok(if baodao_kiosk::doctor::healthy(&checks) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        Some(Command::Enroll {
            server,
            code,
            data_dir,
            ca_file,
        }) => {
            return enroll(&cli.config, server, &code, data_dir, ca_file);
        }
        Some(Command::HashPin) => {
            let mut pin = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut pin)
                .map_err(baodao_kiosk::Error::io("reading the PIN"))?;
            println!("{}", baodao_kiosk::app::pin::hash(pin.trim())?);
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    #[cfg(feature = "demo")]
    let _demo;
    let (mut config, demo_cards) = if cli.demo {
        #[cfg(feature = "demo")]
        {
            let demo = baodao_kiosk::demo::start(&baodao_kiosk::demo::folder()?, camera.clone())?;
            let started = (demo.config.clone(), Some(demo.cards.clone()));
            _demo = demo;
            started
        }
        #[cfg(not(feature = "demo"))]
        {
            return Err(baodao_kiosk::Error::Config(
                "this kiosk was built without the demo: run scripts/demo.sh (or build with --features demo)".into(),
            ));
        }
    } else {
        (Config::load(Some(&cli.config))?, None)
    };
    if let Some(camera) = camera {
        config.camera = camera;
    }
    // Under systemd with `WatchdogSec=`: pings only while the window and the
    // scan thread both run. The guard lives as long as the kiosk does.
    let watchdog = Arc::new(Watchdog::default());
    let _pinging = watchdog::start_from_env(&watchdog)?;
    if cli.headless {
        let mut setup = Setup::new(config);
        setup.demo_cards = demo_cards;
        setup.watchdog = Some(watchdog);
        baodao_kiosk::headless::run(setup)?;
        return Ok(ExitCode::SUCCESS);
    }
    window(config, demo_cards, cli.windowed, started, watchdog)?;
    Ok(ExitCode::SUCCESS)
}

fn enroll(
    config_path: &std::path::Path,
    server: Option<String>,
    code: &str,
    data_dir: Option<PathBuf>,
    ca_file: Option<PathBuf>,
) -> baodao_kiosk::Result<ExitCode> {
    // The config fills in what the command line leaves out; without one,
    // both must be given.
    let config = Config::load(Some(config_path)).ok();
    if let Some(server) = &server {
        baodao_kiosk::config::check_server_url(server, false)?;
    }
    let server = server
        .or_else(|| config.as_ref().and_then(|c| c.server_url.clone()))
        .ok_or_else(|| {
            baodao_kiosk::Error::Config(format!(
                "no server: give --server URL (or server_url in {})",
                config_path.display()
            ))
        })?;
    let data_dir = data_dir
        .or_else(|| config.as_ref().map(|c| c.data_dir.clone()))
        .ok_or_else(|| {
            baodao_kiosk::Error::Config(format!(
                "no data dir: give --data-dir DIR (or data_dir in {})",
                config_path.display()
            ))
        })?;
    let ca_file = ca_file.or_else(|| config.as_ref().and_then(|c| c.ca_file.clone()));
    let code = baodao_shared::enrol::EnrolCode::parse(code)?;
    let enrolled = baodao_kiosk::enrol::enrol(
        server.trim_end_matches('/'),
        ca_file.as_deref(),
        &data_dir,
        &code,
    )?;
    println!(
        "enrolled as kiosk {} ({}) of community {}",
        enrolled.kiosk_id, enrolled.name, enrolled.community
    );
    if let Some(config) = &config
        && config.community != enrolled.community
    {
        println!(
            "warning: {} says community = \"{}\"; set community = \"{}\" there before starting the kiosk",
            config_path.display(),
            config.community,
            enrolled.community
        );
    }
    println!("token written to {}", enrolled.token_file.display());
    Ok(ExitCode::SUCCESS)
}

fn window(
    config: Config,
    demo_cards: Option<Vec<String>>,
    windowed: bool,
    started: Instant,
    watchdog: Arc<Watchdog>,
) -> baodao_kiosk::Result<()> {
    let sounds = Sounds::installed_or(config.data_dir.join("sounds"));
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("報到 Baodao")
        .with_inner_size([1280.0, 800.0]);
    if !windowed {
        viewport = viewport.with_fullscreen(true).with_decorations(false);
    }
    let options = eframe::NativeOptions {
        viewport,
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        "baodao-kiosk",
        options,
        Box::new(move |cc| {
            fonts::install(&cc.egui_ctx);
            let mut setup = Setup::new(config.clone());
            setup.on_change = Some(repaint_callback(&cc.egui_ctx));
            setup.demo_cards = demo_cards;
            setup.watchdog = Some(Arc::clone(&watchdog));
            let engine = Engine::start(setup)?;
            tracing::info!(startup_ms = started.elapsed().as_millis(), "window ready");
            let mut app = KioskApp::new(engine, sounds);
            app.started = Some(started);
            app.heartbeat = Some(watchdog.heartbeat("window"));
            watchdog::ready();
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| baodao_kiosk::Error::Internal(format!("cannot open the window: {e}")))
}

/// Tabs and line breaks in a payload would break the line format.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

fn decode(files: &[PathBuf]) -> ExitCode {
    let decoder = QrDecoder::new();
    let mut failed = false;
    for file in files {
        let started = Instant::now();
        let payload = match load_luma(file) {
            Ok(image) => decoder.decode(&image).first().map(|t| escape(t)),
            Err(e) => {
                eprintln!("{e}");
                failed = true;
                None
            }
        };
        println!(
            "{}\t{}\t{:.2}",
            file.display(),
            payload.as_deref().unwrap_or("-"),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

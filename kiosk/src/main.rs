//! `baodao-kiosk`: parse the command line and start.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use baodao_kiosk::camera::replay::load_luma;
use baodao_kiosk::config::Config;
use baodao_kiosk::scan::QrDecoder;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "baodao-kiosk", version, about = "Baodao attendance kiosk")]
struct Cli {
    /// Settings file.
    #[arg(long, env = "BAODAO_CONFIG", default_value = baodao_kiosk::config::DEFAULT_CONFIG)]
    config: PathBuf,
    /// Run without a window: one JSON line per scan on stdout.
    #[arg(long)]
    headless: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode QR codes in image files: file, payload (or -), milliseconds.
    Decode { files: Vec<PathBuf> },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Decode { files }) => Ok(decode(&files)),
        None if cli.headless => Config::load(Some(&cli.config))
            .and_then(baodao_kiosk::headless::run)
            .map(|()| ExitCode::SUCCESS),
        None => Err(baodao_kiosk::Error::Config(
            "the window app is not built yet; run with --headless".into(),
        )),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
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

//! `--headless`: the whole core without a window. One JSON line per scan
//! outcome on stdout (logs go to stderr); lines typed on stdin are taken as
//! a keyboard-wedge scanner's. For turnstile mounts, SSH diagnostics and
//! end-to-end tests.

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::engine::{Command, Engine, Setup};
use crate::error::{Error, Result};

/// Runs the core of `setup` (the configuration's, or the demo's) until
/// stdin closes or the process is told to stop.
pub fn run(setup: Setup) -> Result<()> {
    let engine = Engine::start(setup)?;
    crate::watchdog::ready();
    let stop = Arc::new(AtomicBool::new(false));

    let commands = engine.commander();
    std::thread::Builder::new()
        .name("baodao-stdin".into())
        .spawn(move || {
            // A scanner types far slower than the kiosk decides; waiting
            // here when the queue is full loses no scan.
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if !line.trim().is_empty() && commands.send(Command::Typed(line)).is_err() {
                    break;
                }
            }
        })
        .map_err(Error::io("starting the stdin reader"))?;

    {
        let stop = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("baodao-signals".into())
            .spawn(move || {
                if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    runtime.block_on(shutdown_signal());
                    stop.store(true, Ordering::Relaxed);
                }
            })
            .map_err(Error::io("starting the signal handler"))?;
    }

    let mut out = std::io::stdout().lock();
    while !stop.load(Ordering::Relaxed) {
        let Ok(outcome) = engine.outcomes.recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        let line = serde_json::to_string(&outcome).map_err(|e| Error::Internal(e.to_string()))?;
        // A closed stdout (the reader went away) ends the run.
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .map_err(Error::io("writing to stdout"))?;
    }
    tracing::info!("stopping");
    drop(engine);
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = term.recv() => {},
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

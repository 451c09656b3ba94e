//! The scan pipeline: decode rate, false positives, wrong payloads and time
//! per frame, next to peer decoders run in the same process on the same
//! frames; and scan-to-decision latency through the whole kiosk core.
//!
//! `cargo bench -p baodao-kiosk --bench scan`
//!
//! Sets: the project's own kiosk-like frames (signed cards rendered at
//! 640×480 with distance, tilt, blur, noise, low contrast, glare and dark
//! mode, plus frames with no code), and, when present, the real photos in
//! `../shared/qr-samples` (zxing-cpp's test images, each with its expected
//! text; `falsepositives-*` hold none). `BENCH_SAMPLES=DIR` points elsewhere.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::single_match_else,
    clippy::map_unwrap_or
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baodao_kiosk::camera::FrameSource;
#[path = "../tests/common/mod.rs"]
mod common;

use baodao_kiosk::camera::replay::{image_files, load_luma};
use baodao_kiosk::camera::synthetic::{Scene, kiosk_set, render};
use baodao_kiosk::engine::{Engine, Setup};
use baodao_kiosk::outcome::OutcomeKind;
use baodao_kiosk::scan::QrDecoder;
use baodao_shared::card::CardSigner;
use chrono::NaiveDate;
use image::GrayImage;

/// One test image and the text it should give (`None`: no code at all).
struct Sample {
    image: GrayImage,
    expected: Option<String>,
}

#[derive(Default, Clone)]
struct Tally {
    with_code: usize,
    correct: usize,
    wrong: usize,
    false_positives: usize,
    empty: usize,
    times: Vec<Duration>,
}

impl Tally {
    fn add(&mut self, expected: Option<&str>, got: &[String], time: Duration) {
        self.times.push(time);
        match expected {
            Some(text) => {
                self.with_code += 1;
                if got.iter().any(|g| g == text) {
                    self.correct += 1;
                } else if !got.is_empty() {
                    self.wrong += 1;
                }
            }
            None => {
                self.empty += 1;
                if !got.is_empty() {
                    self.false_positives += 1;
                }
            }
        }
    }

    fn percentile(&self, p: f64) -> f64 {
        let mut times = self.times.clone();
        times.sort();
        if times.is_empty() {
            return 0.0;
        }
        let index = ((times.len() - 1) as f64 * p).round() as usize;
        times[index].as_secs_f64() * 1000.0
    }

    fn row(&self, set: &str, decoder: &str) -> String {
        format!(
            "| {set} | {decoder} | {}/{} ({:.1}%) | {} | {}/{} | {:.2} | {:.2} |",
            self.correct,
            self.with_code,
            100.0 * self.correct as f64 / self.with_code.max(1) as f64,
            self.wrong,
            self.false_positives,
            self.empty,
            self.percentile(0.5),
            self.percentile(0.95)
        )
    }
}

type Decode = Box<dyn Fn(&GrayImage) -> Vec<String>>;

fn decoders() -> Vec<(&'static str, Decode)> {
    let ours = QrDecoder::new();
    vec![
        (
            "baodao pipeline (rxing, then rqrr rescaled)",
            Box::new(move |image: &GrayImage| ours.decode(image)),
        ),
        (
            "peer: rqrr alone, one pass",
            Box::new(|image: &GrayImage| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let mut prepared = rqrr::PreparedImage::prepare(image.clone());
                    prepared
                        .detect_grids()
                        .iter()
                        .filter_map(|g| g.decode().ok().map(|(_, t)| t))
                        .collect()
                }))
                .unwrap_or_default()
            }),
        ),
        (
            "peer: rxing 0.9 (ZXing port, try-harder)",
            Box::new(|image: &GrayImage| {
                rxing::helpers::detect_in_luma(
                    image.as_raw().clone(),
                    image.width(),
                    image.height(),
                    Some(rxing::BarcodeFormat::QR_CODE),
                )
                .map(|r| vec![r.getText().to_owned()])
                .unwrap_or_default()
            }),
        ),
    ]
}

fn run_set(name: &str, samples: &[Sample], rows: &mut Vec<String>) {
    for (decoder_name, decode) in decoders() {
        let mut tally = Tally::default();
        for sample in samples {
            let start = Instant::now();
            let got = decode(&sample.image);
            tally.add(sample.expected.as_deref(), &got, start.elapsed());
        }
        rows.push(tally.row(name, decoder_name));
    }
}

fn signer() -> CardSigner {
    CardSigner::from_seed(1, &[5; 32])
}

fn cards(count: usize) -> Vec<String> {
    let expires = NaiveDate::from_ymd_opt(2030, 12, 31).unwrap();
    (0..count)
        .map(|i| {
            signer()
                .sign(
                    &format!("M{i:05}").parse().unwrap(),
                    u32::try_from(i).unwrap() + 1,
                    expires,
                )
                .unwrap()
        })
        .collect()
}

fn generated() -> Vec<Sample> {
    let payloads = cards(12);
    kiosk_set(&payloads, 60)
        .into_iter()
        .map(|scene: Scene| Sample {
            image: render(&scene).unwrap(),
            expected: scene.payload,
        })
        .collect()
}

fn real_samples(root: &Path) -> Vec<(String, Vec<Sample>)> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    folders.sort();
    folders
        .into_iter()
        .map(|folder| {
            let name = folder.file_name().unwrap().to_string_lossy().into_owned();
            let samples = image_files(&folder)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|path| {
                    let image = load_luma(&path).ok()?;
                    let expected = std::fs::read_to_string(path.with_extension("txt")).ok();
                    // Folders of codes with no expected text for an image are
                    // metadata-only cases: skip rather than count as empty.
                    if expected.is_none() && !name.starts_with("falsepositives") {
                        return None;
                    }
                    Some(Sample { image, expected })
                })
                .collect();
            (name, samples)
        })
        .collect()
}

/// Feeds frames of distinct cards to the real engine at 30 fps and reads
/// each outcome's frame-arrival → durable check-in latency.
fn latency(count: usize) -> Vec<f64> {
    struct Cards {
        frames: Vec<GrayImage>,
        next: usize,
        last: Option<Instant>,
    }
    impl FrameSource for Cards {
        fn describe(&self) -> String {
            "bench cards".into()
        }
        fn next_frame(&mut self) -> baodao_kiosk::Result<GrayImage> {
            if let Some(last) = self.last {
                let period = Duration::from_millis(33);
                if last.elapsed() < period {
                    std::thread::sleep(period.saturating_sub(last.elapsed()));
                }
            }
            self.last = Some(Instant::now());
            let frame = self.frames[self.next % self.frames.len()].clone();
            self.next += 1;
            Ok(frame)
        }
    }
    // The same kiosk the tests use: a roster, a key and an activity open now.
    let fixture = common::Fixture::new(count);
    let texts: Vec<String> = (0..count).map(|i| fixture.card(i)).collect();
    let config = fixture.config.clone();
    // Each card for 10 frames (a third of a second), then an empty frame.
    let empty = render(&Scene::new(None)).unwrap();
    let mut frames = Vec::new();
    for text in &texts {
        let image = render(&Scene {
            noise: 6,
            ..Scene::new(Some(text.clone()))
        })
        .unwrap();
        frames.extend(std::iter::repeat_n(image, 10));
        frames.extend(std::iter::repeat_n(empty.clone(), 2));
    }
    let mut setup = Setup::new(config);
    let mut source = Some(Cards {
        frames,
        next: 0,
        last: None,
    });
    setup.camera = Some(Box::new(move || {
        source
            .take()
            .map(|s| Box::new(s) as Box<dyn FrameSource>)
            .ok_or_else(|| baodao_kiosk::Error::Camera("done".into()))
    }));
    let engine = Engine::start(setup).unwrap();
    let mut latencies = Vec::new();
    let deadline = Instant::now() + Duration::from_mins(2);
    while latencies.len() < count && Instant::now() < deadline {
        if let Ok(outcome) = engine.outcomes.recv_timeout(Duration::from_millis(200)) {
            assert_eq!(outcome.kind(), OutcomeKind::Accepted, "{outcome:?}");
            latencies.push(outcome.timing().latency_ms);
        }
    }
    latencies
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mut rows = vec![
        "| set | decoder | decoded correctly | wrong payloads | false positives | median ms | p95 ms |".to_owned(),
        "|---|---|---:|---:|---:|---:|---:|".to_owned(),
    ];
    let generated = generated();
    run_set("kiosk-like 640×480 (generated)", &generated, &mut rows);

    let samples_dir = std::env::var("BENCH_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/qr-samples"));
    if samples_dir.is_dir() {
        let sets = real_samples(&samples_dir);
        let all: Vec<Sample> = sets
            .iter()
            .flat_map(|(_, samples)| {
                samples.iter().map(|s| Sample {
                    image: s.image.clone(),
                    expected: s.expected.clone(),
                })
            })
            .collect();
        for (name, samples) in &sets {
            run_set(&format!("qr-samples/{name}"), samples, &mut rows);
        }
        run_set("qr-samples, all folders", &all, &mut rows);
    } else {
        println!(
            "(no real photos: {} is absent; only the generated set was measured)",
            samples_dir.display()
        );
    }
    for row in rows {
        println!("{row}");
    }

    let mut latencies = latency(60);
    latencies.sort_by(f64::total_cmp);
    let at = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    println!(
        "\nscan-to-decision (frame arrival → decoded, verified, stored with synchronous=FULL), {} check-ins at 30 fps: median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        latencies.len(),
        at(0.5),
        at(0.95),
        at(1.0)
    );
}

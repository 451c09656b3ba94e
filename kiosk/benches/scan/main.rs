//! The scan pipeline: decode rate, false positives, wrong payloads and time
//! per frame, next to peer decoders run in the same process on the same
//! frames; and scan-to-decision latency through the whole kiosk core.
//!
//! `cargo bench -p baodao-kiosk --bench scan`
//!
//! Sets: hard webcam frames of signed cards (`hard.rs`: low contrast to 15%,
//! sensor noise, defocus, glare, JPEG, a phone screen's moiré, small far
//! codes; 640×480, 1280×720 and 1920×1080; frames with no code), and, when
//! present, the real photos in `../shared/qr-samples` (zxing-cpp's test
//! images, each with its expected text; `falsepositives-*` hold none;
//! `BENCH_SAMPLES=DIR` points elsewhere).
//!
//! Peers in the same run: rxing alone, rqrr alone and, when `python3` can
//! import `zxingcpp` (`pip install zxing-cpp pillow`; for this benchmark
//! only), zxing-cpp through `bench/zxing_cpp_peer.py` on the same frames.
//! `BENCH_QUICK=1` renders two cards per condition instead of six.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::single_match_else,
    clippy::map_unwrap_or
)]

mod hard;
mod peer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baodao_kiosk::camera::FrameSource;
#[path = "../../tests/common/mod.rs"]
mod common;

use baodao_kiosk::camera::replay::{image_files, load_luma};
use baodao_kiosk::camera::synthetic::{Scene, render};
use baodao_kiosk::engine::{Engine, Setup};
use baodao_kiosk::outcome::OutcomeKind;
use baodao_kiosk::scan::QrDecoder;
use baodao_kiosk::scan::decode::Pass;
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
    fn add(&mut self, expected: Option<&str>, got: &[String], times: &[Duration]) {
        self.times.extend(times);
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

const PIPELINE: &str = "baodao, one frame";
const STREAM: &str = "baodao, camera stream";
const RXING: &str = "rxing 0.9 alone";
const RQRR: &str = "rqrr 0.11 alone";
const ZXING_CPP: &str = "zxing-cpp (PyPI)";

/// Ours and the Rust peers, each on a fresh state: every frame is judged on
/// its own, with no memory of an earlier one.
fn decoders() -> Vec<(&'static str, Decode)> {
    vec![
        (
            PIPELINE,
            Box::new(|image: &GrayImage| QrDecoder::new().decode(image)),
        ),
        (
            RXING,
            // The settings the old pipeline's first stage used: try harder,
            // inverted codes too.
            Box::new(|image: &GrayImage| {
                let mut hints = rxing::DecodeHints {
                    TryHarder: Some(true),
                    AlsoInverted: Some(true),
                    ..rxing::DecodeHints::default()
                };
                rxing::helpers::detect_in_luma_with_hints(
                    image.as_raw().clone(),
                    image.width(),
                    image.height(),
                    Some(rxing::BarcodeFormat::QR_CODE),
                    &mut hints,
                )
                .map(|r| vec![r.getText().to_owned()])
                .unwrap_or_default()
            }),
        ),
        (
            RQRR,
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
    ]
}

/// What each decoder found in each sample, and how long it took; zxing-cpp
/// too when it is installed.
/// What one decoder found in a sample, and the time of each frame it took.
type Reads = Vec<(Vec<String>, Vec<Duration>)>;

fn read_all(samples: &[Sample], scratch: &Path) -> Vec<(&'static str, Reads)> {
    let mut results: Vec<_> = decoders()
        .into_iter()
        .map(|(name, decode)| {
            let reads = samples
                .iter()
                .map(|sample| {
                    let start = Instant::now();
                    let got = decode(&sample.image);
                    (got, vec![start.elapsed()])
                })
                .collect();
            (name, reads)
        })
        .collect();
    // The kiosk's camera stream: the frame held up for as many frames as
    // the decoder needs to meet every pass, each frame timed.
    let stream = samples
        .iter()
        .map(|sample| {
            let mut decoder = QrDecoder::new();
            let mut times = Vec::new();
            let mut got = Vec::new();
            for _ in 1..Pass::ALL.len() {
                let start = Instant::now();
                got = decoder.scan(&sample.image);
                times.push(start.elapsed());
                if !got.is_empty() {
                    break;
                }
            }
            (got, times)
        })
        .collect();
    results.insert(1, (STREAM, stream));
    let images: Vec<&GrayImage> = samples.iter().map(|s| &s.image).collect();
    match peer::zxing_cpp(&images, scratch) {
        Ok(reads) => results.push((
            ZXING_CPP,
            reads
                .into_iter()
                .map(|(got, time)| (got, vec![time]))
                .collect(),
        )),
        Err(why) => println!("(zxing-cpp not measured: {why})"),
    }
    results
}

fn run_set(name: &str, samples: &[Sample], scratch: &Path, rows: &mut Vec<String>) {
    for (decoder_name, reads) in read_all(samples, scratch) {
        let mut tally = Tally::default();
        for (sample, (got, times)) in samples.iter().zip(reads) {
            tally.add(sample.expected.as_deref(), &got, &times);
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

/// A hard frame and where it came from.
struct HardFrame {
    size: (u32, u32),
    /// `None` for the frames with no code.
    condition: Option<hard::Condition>,
}

fn hard_set(per_condition: usize) -> (Vec<Sample>, Vec<HardFrame>) {
    let payloads = cards(per_condition);
    let mut samples = Vec::new();
    let mut frames = Vec::new();
    let mut seed = 0;
    for size in hard::SIZES {
        for condition in hard::CONDITIONS {
            for payload in &payloads {
                seed += 1;
                samples.push(Sample {
                    image: hard::render(Some(payload), size, condition, seed),
                    expected: Some(payload.clone()),
                });
                frames.push(HardFrame {
                    size,
                    condition: Some(condition),
                });
            }
        }
        // Nothing to read, in the conditions most likely to fool a reader.
        for condition in [
            hard::Condition::Clean,
            hard::Condition::Noise(36.0),
            hard::Condition::Jpeg(8),
            hard::Condition::Defocus(0.6),
        ] {
            for _ in 0..per_condition.div_ceil(2) {
                seed += 1;
                samples.push(Sample {
                    image: hard::render(None, size, condition, seed),
                    expected: None,
                });
                frames.push(HardFrame {
                    size,
                    condition: None,
                });
            }
        }
    }
    (samples, frames)
}

/// The hard set's tables: decode rate per condition and level, every
/// decoder side by side; then per frame size, with times.
fn hard_tables(samples: &[Sample], frames: &[HardFrame], scratch: &Path) -> Vec<String> {
    let results = read_all(samples, scratch);
    let names: Vec<&str> = results.iter().map(|(name, _)| *name).collect();
    let correct = |reads: &Reads, i: usize| {
        samples[i]
            .expected
            .as_ref()
            .is_some_and(|text| reads[i].0.iter().any(|g| g == text))
    };
    let mut out = vec![
        format!("| condition | level | {} |", names.join(" | ")),
        format!("|---|---|{}", "---:|".repeat(names.len())),
    ];
    // Per condition level, then per group, over all three sizes.
    let mut groups: BTreeMap<usize, (&str, Vec<usize>)> = BTreeMap::new();
    for (order, condition) in hard::CONDITIONS.iter().enumerate() {
        let members: Vec<usize> = (0..frames.len())
            .filter(|&i| frames[i].condition == Some(*condition))
            .collect();
        let cells: Vec<String> = results
            .iter()
            .map(|(_, reads)| {
                let hit = members.iter().filter(|&&i| correct(reads, i)).count();
                format!("{hit}/{}", members.len())
            })
            .collect();
        out.push(format!(
            "| {} | {} | {} |",
            condition.group(),
            condition.label(),
            cells.join(" | ")
        ));
        let first = hard::CONDITIONS
            .iter()
            .position(|c| c.group() == condition.group())
            .unwrap_or(order);
        groups
            .entry(first)
            .or_insert((condition.group(), Vec::new()))
            .1
            .extend(members);
    }
    out.push(String::new());
    out.push(format!(
        "| condition (all levels, all sizes) | {} |",
        names.join(" | ")
    ));
    out.push(format!("|---|{}", "---:|".repeat(names.len())));
    let percent = |hit: usize, of: usize| 100.0 * hit as f64 / of.max(1) as f64;
    let mut all_codes = Vec::new();
    for (group, members) in groups.values() {
        all_codes.extend(members.iter().copied());
        let cells: Vec<String> = results
            .iter()
            .map(|(_, reads)| {
                let hit = members.iter().filter(|&&i| correct(reads, i)).count();
                format!("{:.0}%", percent(hit, members.len()))
            })
            .collect();
        out.push(format!("| {group} | {} |", cells.join(" | ")));
    }
    let cells: Vec<String> = results
        .iter()
        .map(|(_, reads)| {
            let hit = all_codes.iter().filter(|&&i| correct(reads, i)).count();
            format!(
                "**{hit}/{} ({:.1}%)**",
                all_codes.len(),
                percent(hit, all_codes.len())
            )
        })
        .collect();
    out.push(format!("| **all** | {} |", cells.join(" | ")));

    out.push(String::new());
    out.push(
        "| frame size | decoder | decoded correctly | wrong payloads | false positives | median ms | p95 ms |"
            .to_owned(),
    );
    out.push("|---|---|---:|---:|---:|---:|---:|".to_owned());
    for size in hard::SIZES {
        for (name, reads) in &results {
            let mut tally = Tally::default();
            for (i, frame) in frames.iter().enumerate() {
                if frame.size == size {
                    tally.add(samples[i].expected.as_deref(), &reads[i].0, &reads[i].1);
                }
            }
            out.push(tally.row(&format!("{}×{}", size.0, size.1), name));
        }
    }
    out
}

/// Each of the decoder's passes alone: what it reads per condition, and
/// what it costs per frame size (`BENCH_PASSES=1`; how the pipeline's
/// order was chosen).
fn pass_table(samples: &[Sample], frames: &[HardFrame]) -> Vec<String> {
    let reads: Vec<Vec<(bool, Duration)>> = Pass::ALL
        .iter()
        .map(|pass| {
            samples
                .iter()
                .map(|sample| {
                    let start = Instant::now();
                    let got =
                        std::panic::catch_unwind(|| pass.read(&sample.image)).unwrap_or_default();
                    let hit = sample.expected.as_ref().is_some_and(|t| got.contains(t));
                    (hit, start.elapsed())
                })
                .collect()
        })
        .collect();
    let names: Vec<String> = Pass::ALL.iter().map(|p| format!("{p:?}")).collect();
    let mut out = vec![
        format!("| condition | {} |", names.join(" | ")),
        format!("|---|{}", "---:|".repeat(names.len())),
    ];
    for condition in hard::CONDITIONS {
        let cells: Vec<String> = reads
            .iter()
            .map(|r| {
                let of: Vec<usize> = (0..frames.len())
                    .filter(|&i| frames[i].condition == Some(condition))
                    .collect();
                format!("{}/{}", of.iter().filter(|&&i| r[i].0).count(), of.len())
            })
            .collect();
        out.push(format!("| {} | {} |", condition.label(), cells.join(" | ")));
    }
    for size in hard::SIZES {
        let cells: Vec<String> = reads
            .iter()
            .map(|r| {
                let mut times: Vec<f64> = (0..frames.len())
                    .filter(|&i| frames[i].size == size)
                    .map(|i| r[i].1.as_secs_f64() * 1000.0)
                    .collect();
                times.sort_by(f64::total_cmp);
                let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
                format!("{:.1}/{:.1}", at(0.5), at(0.95))
            })
            .collect();
        out.push(format!(
            "| ms p50/p95 {}×{} | {} |",
            size.0,
            size.1,
            cells.join(" | ")
        ));
        let cells: Vec<String> = reads
            .iter()
            .map(|r| {
                let times: Vec<f64> = (0..frames.len())
                    .filter(|&i| frames[i].size == size && frames[i].condition.is_none())
                    .map(|i| r[i].1.as_secs_f64() * 1000.0)
                    .collect();
                format!("{:.1}", times.iter().sum::<f64>() / times.len() as f64)
            })
            .collect();
        out.push(format!(
            "| no code, mean ms {}×{} | {} |",
            size.0,
            size.1,
            cells.join(" | ")
        ));
    }
    // Frames only one pass reads.
    let only: Vec<String> = (0..reads.len())
        .map(|p| {
            let n = (0..frames.len())
                .filter(|&i| reads[p][i].0 && (0..reads.len()).all(|q| q == p || !reads[q][i].0))
                .count();
            n.to_string()
        })
        .collect();
    out.push(format!("| read by this pass only | {} |", only.join(" | ")));
    let union = (0..frames.len())
        .filter(|&i| reads.iter().any(|r| r[i].0))
        .count();
    out.push(format!(
        "\nany pass: {union}/{}",
        frames.iter().filter(|f| f.condition.is_some()).count()
    ));
    out
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
    // rqrr's contained panics would print a backtrace each.
    std::panic::set_hook(Box::new(|_| {}));
    let scratch = tempfile::tempdir().unwrap();
    let per_condition = if std::env::var_os("BENCH_QUICK").is_some() {
        2
    } else {
        6
    };
    let (samples, frames) = hard_set(per_condition);
    println!(
        "hard webcam frames: {} cards × {} conditions × {} sizes, {} frames with no code",
        per_condition,
        hard::CONDITIONS.len(),
        hard::SIZES.len(),
        frames.iter().filter(|f| f.condition.is_none()).count()
    );
    if std::env::var_os("BENCH_PASSES").is_some() {
        for row in pass_table(&samples, &frames) {
            println!("{row}");
        }
        return;
    }
    for row in hard_tables(&samples, &frames, scratch.path()) {
        println!("{row}");
    }
    drop(samples);

    let mut rows = vec![
        "| set | decoder | decoded correctly | wrong payloads | false positives | median ms | p95 ms |".to_owned(),
        "|---|---|---:|---:|---:|---:|---:|".to_owned(),
    ];
    let samples_dir = std::env::var("BENCH_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/qr-samples"));
    if samples_dir.is_dir() {
        let sets = real_samples(&samples_dir);
        let all: Vec<Sample> = sets.into_iter().flat_map(|(_, samples)| samples).collect();
        run_set("qr-samples, all folders", &all, scratch.path(), &mut rows);
        println!();
        for row in rows {
            println!("{row}");
        }
    } else {
        println!(
            "\n(no real photos: {} is absent; only the generated sets were measured)",
            samples_dir.display()
        );
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

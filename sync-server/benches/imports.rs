//! Importing a city's roster: 100k members from `.xlsx` (Chinese headers,
//! ids as numbers) and from CSV (UTF-8, and GB18030 as Excel on Chinese
//! Windows saves it), read and checked, then the whole import into a fresh
//! SQLite database. Peers in the same run: the bare readers (the csv crate
//! over the UTF-8 file, calamine over the workbook) doing nothing with the
//! rows.
//!
//! `cargo bench -p baodao-sync-server --bench imports` (`BENCH_MEMBERS`
//! changes the count).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use std::fmt::Write as _;
use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, Instant};

use baodao_sync_server::import::{Input, read_members_in};
use baodao_sync_server::office::Importing;
use baodao_sync_server::store::Registry;
use baodao_sync_server::{Office, Settings};
use calamine::Reader;

const RUNS: usize = 3;

fn members() -> usize {
    std::env::var("BENCH_MEMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

const SURNAMES: [&str; 8] = ["張", "李", "王", "趙", "錢", "孫", "歐陽", "周"];
const GIVEN: [&str; 8] = ["偉", "娜", "芳", "敏", "程", "麗", "曉嵐", "傑"];

fn row(i: usize) -> (String, String, String, String) {
    (
        format!("M{i:06}"),
        format!("{}{}", SURNAMES[i % 8], GIVEN[(i / 8) % 8]),
        format!("市第{}局機關黨支部", i % 500),
        format!("C{:03}", i % 100),
    )
}

fn csv(n: usize) -> String {
    let mut out = String::from("编号,姓名,所属党组织,社区\r\n");
    for i in 0..n {
        let (id, name, organization, community) = row(i);
        let _ = write!(out, "{id},{name},{organization},{community}\r\n");
    }
    out
}

fn xlsx(n: usize) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, name) in (0u16..).zip(["編號", "姓名", "所屬黨組織", "社區"]) {
        sheet.write_string(0, col, name).unwrap();
    }
    for (r, i) in (1u32..).zip(0..n) {
        let (_, name, organization, community) = row(i);
        // Ids as an office types them: numbers.
        sheet.write_number(r, 0, (1_000_000 + i) as f64).unwrap();
        sheet.write_string(r, 1, &name).unwrap();
        sheet.write_string(r, 2, &organization).unwrap();
        sheet.write_string(r, 3, &community).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// Median and slowest of `RUNS` runs of `f`.
fn time(mut f: impl FnMut()) -> (Duration, Duration) {
    let mut runs: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    runs.sort();
    (runs[RUNS / 2], runs[RUNS - 1])
}

fn show(what: &str, (median, slowest): (Duration, Duration), size: usize) {
    println!(
        "| {what} | {:.0} ms | {:.0} ms | {:.1} MB |",
        median.as_secs_f64() * 1000.0,
        slowest.as_secs_f64() * 1000.0,
        size as f64 / 1e6
    );
}

fn import(dir: &Path, name: &str, bytes: &[u8], n: usize) -> (Duration, Duration) {
    let file = dir.join(name);
    std::fs::write(&file, bytes).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut run = 0;
    time(|| {
        run += 1;
        let data = dir.join(format!("db-{name}-{run}"));
        runtime.block_on(async {
            let office = Office::open(Settings::new(&data)).await.unwrap();
            let report = office
                .import(Importing::Members, &file, None)
                .await
                .unwrap();
            assert_eq!(report.summary.added, n);
        });
    })
}

fn main() {
    let n = members();
    let dir = tempfile::tempdir().unwrap();
    let utf8 = csv(n);
    let gb = encoding_rs::GB18030.encode(&utf8).0.into_owned();
    let workbook = xlsx(n);
    let registry = Registry::default();
    let read = |bytes: &[u8]| {
        let members = read_members_in(&Input::new(bytes), &registry).unwrap();
        assert_eq!(members.rows.len(), n);
    };
    println!("{n} members\n");
    println!("| what | median | slowest of {RUNS} | file |");
    println!("|---|---:|---:|---:|");
    show(
        "peer: csv crate, UTF-8, rows only",
        time(|| {
            let rows = csv::ReaderBuilder::new()
                .from_reader(utf8.as_bytes())
                .records()
                .count();
            assert_eq!(rows, n);
        }),
        utf8.len(),
    );
    show(
        "read and check: CSV, UTF-8",
        time(|| read(utf8.as_bytes())),
        utf8.len(),
    );
    show("read and check: CSV, GB18030", time(|| read(&gb)), gb.len());
    show(
        "peer: calamine, xlsx, cells only",
        time(|| {
            let mut book: calamine::Xlsx<_> =
                calamine::open_workbook_from_rs(Cursor::new(workbook.as_slice())).unwrap();
            let range = book.worksheet_range_at(0).unwrap().unwrap();
            assert_eq!(range.height(), n + 1);
        }),
        workbook.len(),
    );
    show(
        "read and check: xlsx",
        time(|| read(&workbook)),
        workbook.len(),
    );
    show(
        "import into SQLite: CSV, GB18030",
        import(dir.path(), "members.csv", &gb, n),
        gb.len(),
    );
    show(
        "import into SQLite: xlsx",
        import(dir.path(), "members.xlsx", &workbook, n),
        workbook.len(),
    );
}

//! The office console in a real browser: Debian's headless `chromium`
//! driven over `WebDriver` (`chromium-driver`), as an office worker uses it.
//! `scripts/deps.sh` installs both; without them this test fails, loudly.
//!
//! With `BAODAO_SCREENSHOT_DIR` set, the pages' screenshots are written
//! there (`docs/screenshots/` is made so); otherwise to a temporary
//! directory, and checked to be real images either way.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use baodao_shared::{Method, Policy};
use baodao_sync_server::domain::office::Role;
use baodao_tests::{TestServer, batch, open_now, record};
use calamine::Reader;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// `chromedriver` on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver: install chromium-driver (scripts/deps.sh does)");
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

async fn open_browser(driver: &Driver, profile: &Path, downloads: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--window-size=1366,900", "--lang=zh-CN",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": {
                "intl.accept_languages": "zh-CN",
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
            },
        }),
    );
    // The driver takes a moment to listen.
    let mut last = None;
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&driver.url)
            .await
        {
            Ok(client) => return client,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot start a chromium session: {last:?}");
}

struct Shots {
    dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Shots {
    fn new() -> Self {
        if let Some(dir) = std::env::var_os("BAODAO_SCREENSHOT_DIR") {
            std::fs::create_dir_all(&dir).unwrap();
            Self {
                dir: dir.into(),
                _temp: None,
            }
        } else {
            let temp = tempfile::tempdir().unwrap();
            Self {
                dir: temp.path().to_owned(),
                _temp: Some(temp),
            }
        }
    }

    /// Takes a screenshot of the page as it is, and checks it is a PNG of
    /// the window's size.
    async fn take(&self, browser: &Client, name: &str) {
        // The served CJK font may still be loading (the machine has none of
        // its own): a screenshot taken now would show boxes.
        let fonts = browser
            .execute(
                "return document.fonts.ready.then(() => document.fonts.status)",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(fonts, "loaded", "{name}");
        let png = browser.screenshot().await.unwrap();
        let image = image::load_from_memory(&png).unwrap();
        assert!(image.width() >= 1000 && image.height() >= 600, "{name}");
        std::fs::write(self.dir.join(format!("console-{name}.png")), png).unwrap();
    }
}

/// Clicks `button` and waits for the next page to show `then`: a click
/// returns before the navigation it starts has finished.
async fn click_then(browser: &Client, button: &str, then: &str) {
    browser
        .find(Locator::Css(button))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(then))
        .await
        .unwrap_or_else(|e| panic!("after {button}, no {then}: {e}"));
}

/// The file with `extension` the browser finished downloading into `dir`.
async fn downloaded(dir: &Path, extension: &str) -> PathBuf {
    for _ in 0..200 {
        let done = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == extension));
        if let Some(path) = done {
            return path;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no .{extension} downloaded into {}", dir.display());
}

/// The text of the element `css` selects. An element found as a page is
/// replaced by the next goes stale: it is then looked up again.
async fn text_of(browser: &Client, css: &str) -> String {
    let mut last = None;
    for _ in 0..50 {
        let found = browser.find(Locator::Css(css)).await;
        match found {
            Ok(element) => match element.text().await {
                Ok(text) => return text,
                Err(e) => last = Some(e),
            },
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no text for {css}: {last:?}");
}

#[tokio::test]
async fn an_office_worker_reviews_and_sees_the_points_change() {
    let server = TestServer::start(|_| {}).await.unwrap();
    server
        .import_members(&[
            ("M001", "張偉", "C01"),
            ("M002", "李娜", "C01"),
            ("M003", "王芳", "C01"),
        ])
        .await
        .unwrap();
    let (start, end) = open_now();
    let yesterday = start - chrono::Duration::days(1);
    server
        .import_activities(&[
            ("A1", "C01", start, end),
            (
                "A0",
                "C01",
                yesterday,
                yesterday + chrono::Duration::hours(2),
            ),
        ])
        .await
        .unwrap();
    let registry = tempfile::tempdir().unwrap();
    let communities = registry.path().join("communities.csv");
    std::fs::write(
        &communities,
        "community_id,name,subdistrict,district\nC01,灣子街社區,灣子街道,江岸區\n",
    )
    .unwrap();
    server
        .office
        .import_communities(&communities)
        .await
        .unwrap();
    let organizations = registry.path().join("organizations.csv");
    std::fs::write(
        &organizations,
        "organization_id,name,communities\nJSJ,市住建局機關黨支部,灣子街社區\nCS,測試黨支部,C01\n",
    )
    .unwrap();
    server
        .office
        .import_organizations(&organizations)
        .await
        .unwrap();
    let kiosk = server.register_kiosk("C01").await.unwrap();
    // Two came today; one was written on yesterday's paper list: held.
    let mut late = record(
        "M003",
        "A0",
        yesterday + chrono::Duration::minutes(20),
        None,
    );
    late.method = Method::Manual;
    let mut today = vec![];
    for m in ["M001", "M002"] {
        let mut r = record(m, "A1", start + chrono::Duration::minutes(5), None);
        r.method = Method::Manual;
        today.push(r);
    }
    today.push(late.clone());
    server
        .post_batch(&kiosk, &batch(today, vec![]))
        .await
        .unwrap();
    server
        .office
        .add_user("wang", Role::Admin, vec![], "correct horse battery")
        .await
        .unwrap();
    let year = Policy::default().year_of(yesterday);

    let driver = start_driver();
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let browser = open_browser(&driver, profile.path(), downloads.path()).await;
    let shots = Shots::new();

    // Log in, in Chinese (the browser's language).
    browser.goto(&server.url("/console/")).await.unwrap();
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/console/login")
    );
    shots.take(&browser, "login").await;
    browser
        .find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys("wang")
        .await
        .unwrap();
    browser
        .find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("wrong password")
        .await
        .unwrap();
    click_then(&browser, "button[type=submit]", ".notice").await;
    assert!(text_of(&browser, ".notice").await.contains("密码错误"));
    browser
        .find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("correct horse battery")
        .await
        .unwrap();
    click_then(&browser, "button[type=submit]", "nav").await;

    // Today: the open activity with its turnout, one record waiting.
    assert_eq!(
        browser.current_url().await.unwrap().path(),
        "/console/",
        "{}",
        browser.source().await.unwrap()
    );
    let page = browser.source().await.unwrap();
    assert!(page.contains("社區活動 A1"), "{page}");
    assert!(page.contains("灣子街社區"), "the community by its name");
    shots.take(&browser, "today").await;

    // M003 has no points yet.
    let points_url = server.url(&format!("/console/points?year={year}&q=M003"));
    browser.goto(&points_url).await.unwrap();
    assert!(text_of(&browser, "#members tbody").await.contains("王芳"));
    let before = text_of(&browser, "#members tbody tr td:last-child").await;

    // The review queue: tick the held record, note why, accept.
    browser.goto(&server.url("/console/review")).await.unwrap();
    shots.take(&browser, "review").await;
    assert!(text_of(&browser, "#queue thead").await.contains("时钟校正"));
    browser
        .find(Locator::Css(&format!(
            "input[name=record][value='{}']",
            late.record_id
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::Css("input[name=note]"))
        .await
        .unwrap()
        .send_keys("紙質簽到表已核對")
        .await
        .unwrap();
    click_then(&browser, "button[value=accept]", ".notice").await;
    assert!(text_of(&browser, ".notice").await.contains("已处理 1 条"));

    // The point counts now.
    browser.goto(&points_url).await.unwrap();
    let after = text_of(&browser, "#members tbody tr td:last-child").await;
    assert_eq!((before.as_str(), after.as_str()), ("0", "1"));
    browser
        .goto(&server.url(&format!("/console/points?year={year}")))
        .await
        .unwrap();
    shots.take(&browser, "points").await;
    // Rolled up by district and subdistrict too, from the registry.
    let page = browser.source().await.unwrap();
    assert!(page.contains("江岸區 · 灣子街道"), "by district");

    // The member's page: the record and how it counted; made inactive,
    // with a note, the history shows who, before and after.
    browser
        .goto(&server.url("/console/members/M003"))
        .await
        .unwrap();
    assert!(text_of(&browser, "#records").await.contains("计分"));
    browser
        .find(Locator::Css("#change-member [name=note]"))
        .await
        .unwrap()
        .send_keys("已迁出本市")
        .await
        .unwrap();
    click_then(
        &browser,
        "#change-member button[value=deactivate]",
        "#membership .bad",
    )
    .await;
    let history = text_of(&browser, "#history").await;
    assert!(
        history.contains("member.deactivate") && history.contains("已迁出本市"),
        "{history}"
    );
    shots.take(&browser, "member").await;
    // The year's statement as PDF, its text read back by poppler.
    browser
        .find(Locator::Css("#statement"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let statement = downloaded(downloads.path(), "pdf").await;
    let text = std::process::Command::new("pdftotext")
        .arg(&statement)
        .arg("-")
        .output()
        .expect("pdftotext: install poppler-utils (scripts/deps.sh does)");
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("王芳") && text.contains("积分证明") && text.contains("社區活動 A0"),
        "{text}"
    );
    std::fs::remove_file(&statement).unwrap();

    // The Excel export, downloaded as the office does, read back.
    browser
        .goto(&server.url(&format!("/console/points?year={year}")))
        .await
        .unwrap();
    browser
        .find(Locator::Css("#xlsx-member"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let file = downloaded(downloads.path(), "xlsx").await;
    assert_eq!(
        file.file_name().unwrap().to_str().unwrap(),
        format!("points-{year}-member.xlsx")
    );
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
    let sheet = workbook.worksheet_range("points").unwrap();
    let row = sheet
        .rows()
        .find(|row| row[0] == calamine::Data::String("M003".into()))
        .unwrap();
    assert_eq!(row[1], calamine::Data::String("王芳".into()));
    assert_eq!(row[6], calamine::Data::Float(1.0));

    // The registry, with the pairing.
    browser
        .goto(&server.url("/console/organizations"))
        .await
        .unwrap();
    assert!(
        text_of(&browser, "#organizations")
            .await
            .contains("灣子街社區")
    );
    shots.take(&browser, "organizations").await;

    // The audit log has the decision, with its note.
    browser.goto(&server.url("/console/audit")).await.unwrap();
    let audit = text_of(&browser, "#audit").await;
    assert!(
        audit.contains("review.accept") && audit.contains("紙質簽到表已核對"),
        "{audit}"
    );
    shots.take(&browser, "audit").await;

    // Kiosks: one alive (its heartbeat just came), one registered and never
    // heard from; an enrolment code for the second, shown once with its QR.
    let heartbeat = serde_json::json!({
        "sent_at": chrono::Utc::now(), "version": "0.1.0", "uptime_secs": 5400,
        "pending": 2, "oldest_pending_secs": 40, "camera": "working",
        "scan_fps": 11.2, "decode_ms": 5.8, "decoder_panics": 0,
        "disk_free_mb": 48213, "clock_offset_ms": -350
    });
    let (status, body) = server
        .post_json(&kiosk, baodao_shared::protocol::HEARTBEAT_PATH, &heartbeat)
        .await;
    assert_eq!(status, 200, "{body}");
    server.register_kiosk("C01").await.unwrap();
    browser.goto(&server.url("/console/kiosks")).await.unwrap();
    assert!(text_of(&browser, "#kiosks").await.contains("v0.1.0"));
    click_then(
        &browser,
        "#kiosks tr:nth-child(2) form[action$='/enrol-code'] button",
        "#enrol-code",
    )
    .await;
    let code = text_of(&browser, "#code").await;
    baodao_shared::enrol::EnrolCode::parse(&code).unwrap();
    browser
        .find(Locator::Css("#enrol-code svg path"))
        .await
        .unwrap();
    shots.take(&browser, "kiosks-enrol").await;

    // A roster with one bad row: the error is shown, nothing is written.
    let members_before = server
        .query_one("SELECT COUNT(*) FROM members")
        .await
        .unwrap();
    let roster = downloads.path().join("roster.csv");
    std::fs::write(
        &roster,
        "member_id,name,organization,community\n\
         M101,趙敏,建設局機關黨支部,C01\n\
         M102,,建設局機關黨支部,C01\n\
         M103,錢程,財政局機關黨支部,C01\n",
    )
    .unwrap();
    browser.goto(&server.url("/console/members")).await.unwrap();
    browser
        .find(Locator::Css("input[type=file]"))
        .await
        .unwrap()
        .send_keys(roster.to_str().unwrap())
        .await
        .unwrap();
    click_then(&browser, "form[enctype] button[type=submit]", "#errors").await;
    let errors = text_of(&browser, "#errors tbody").await;
    assert!(
        errors.starts_with('3') && errors.contains("name") && errors.contains("此项为空"),
        "{errors}"
    );
    assert!(text_of(&browser, ".notice").await.contains("未导入"));
    shots.take(&browser, "members-import-errors").await;
    assert_eq!(
        server
            .query_one("SELECT COUNT(*) FROM members")
            .await
            .unwrap(),
        members_before
    );
    // Fixed, saved again as Excel on Chinese Windows saves CSV (GB18030,
    // CRLF, Chinese headers), previewed, confirmed.
    std::fs::write(
        &roster,
        encoding_rs::GB18030
            .encode(
                "编号,姓名,所属党组织,社区\r\n\
                 M101,趙敏,建設局機關黨支部,C01\r\n\
                 M102,孫麗,建設局機關黨支部,C01\r\n\
                 M103,錢程,財政局機關黨支部,C01\r\n",
            )
            .0,
    )
    .unwrap();
    browser
        .find(Locator::Css("input[type=file]"))
        .await
        .unwrap()
        .send_keys(roster.to_str().unwrap())
        .await
        .unwrap();
    click_then(&browser, "form[enctype] button[type=submit]", "#preview").await;
    assert!(text_of(&browser, "#preview").await.contains("孫麗"));
    assert!(
        text_of(&browser, "#plan").await.contains("新增 3"),
        "the preview says what would change"
    );
    assert_eq!(
        server
            .query_one("SELECT COUNT(*) FROM members")
            .await
            .unwrap(),
        members_before,
        "a preview writes nothing"
    );
    browser
        .find(Locator::Css("#confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The preview has a notice too: wait for the page the import lands on.
    for _ in 0..200 {
        if browser
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("added=")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(text_of(&browser, ".notice").await.contains("新增 3"));
    assert_eq!(
        server
            .query_one("SELECT COUNT(*) FROM members")
            .await
            .unwrap(),
        members_before + 3
    );

    // A card sheet for one member: the PDF downloaded, rendered by poppler,
    // its QR code read back and verified with the office's key.
    browser.goto(&server.url("/console/members")).await.unwrap();
    browser
        .find(Locator::Css("#print-cards [name=members]"))
        .await
        .unwrap()
        .send_keys("M001")
        .await
        .unwrap();
    browser
        .find(Locator::Css("#print-cards button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let pdf = downloaded(downloads.path(), "pdf").await;
    let png = downloads.path().join("sheet");
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-r", "200", "-png", "-singlefile"])
        .arg(&pdf)
        .arg(&png)
        .status()
        .expect("pdftoppm: install poppler-utils (scripts/deps.sh does)");
    assert!(rendered.success());
    let page = image::open(png.with_extension("png")).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(page);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one card on the sheet");
    let (_, payload) = grids[0].decode().unwrap();
    let keyring = baodao_shared::card::Keyring::new([&server.signer().await.public_key()]).unwrap();
    let card = baodao_shared::card::decode(&payload, &keyring).unwrap();
    assert_eq!(card.member_id.as_str(), "M001");
    assert_eq!(
        server
            .query_one(&format!(
                "SELECT COUNT(*) FROM cards WHERE serial = {} AND revoked_at IS NULL",
                card.serial
            ))
            .await
            .unwrap(),
        1
    );

    // A new activity, its times in Shanghai time as the office writes them.
    browser
        .goto(&server.url("/console/activities"))
        .await
        .unwrap();
    let form = "#activity-form";
    for (field, value) in [
        ("activity_id", "A77"),
        ("title", "黨員固定活動日：社區清潔"),
    ] {
        browser
            .find(Locator::Css(&format!("{form} [name={field}]")))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    browser
        .find(Locator::Css(&format!("{form} [name=community]")))
        .await
        .unwrap()
        .send_keys("C01")
        .await
        .unwrap();
    browser
        .find(Locator::Css(&format!(
            "{form} select[name=kind] option[value=activity_day]"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // A date-time field's typing depends on the browser's locale; set it.
    for (field, value) in [
        ("starts_at", "2026-12-05T09:00"),
        ("ends_at", "2026-12-05T11:30"),
    ] {
        browser
            .execute(
                &format!("document.querySelector('{form} [name={field}]').value = arguments[0];"),
                vec![json!(value)],
            )
            .await
            .unwrap();
    }
    click_then(&browser, &format!("{form} button[type=submit]"), ".notice").await;
    assert!(text_of(&browser, ".notice").await.contains("活动已保存"));
    assert_eq!(
        server
            .query_one("SELECT starts_at FROM activities WHERE activity_id = 'A77'")
            .await
            .unwrap(),
        chrono::DateTime::parse_from_rfc3339("2026-12-05T09:00:00+08:00")
            .unwrap()
            .timestamp_millis()
    );
    shots.take(&browser, "activities").await;

    // Cancelled from its own page, with a note: struck through in the list.
    browser
        .find(Locator::Css(
            "#activities a[href='/console/activities/A77']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#cancel-activity"))
        .await
        .unwrap();
    browser
        .find(Locator::Css("#cancel-activity [name=note]"))
        .await
        .unwrap()
        .send_keys("場地臨時維修")
        .await
        .unwrap();
    click_then(
        &browser,
        "#cancel-activity button[type=submit]",
        ".notice.error",
    )
    .await;
    assert!(text_of(&browser, ".notice").await.contains("已取消"));
    browser
        .goto(&server.url("/console/activities"))
        .await
        .unwrap();
    assert!(
        text_of(&browser, "#activities tr.cancelled")
            .await
            .contains("A77")
    );

    // In Traditional Chinese, by the switch on every page.
    browser.goto(&server.url("/console/audit")).await.unwrap();
    click_then(&browser, "a[lang=zh-Hant]", "html[lang=zh-Hant]").await;
    let audit = text_of(&browser, "#audit").await;
    assert!(text_of(&browser, "h1").await.contains("操作日誌"));
    assert!(
        audit.contains("members.import") && audit.contains("activity.create"),
        "{audit}"
    );

    browser.close().await.unwrap();
    server.stop().await;
}

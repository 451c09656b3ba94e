//! Imports as a Chinese office's spreadsheets produce them, through the
//! office's own import (the CLI's and the console's): an `.xlsx` with
//! Chinese headers and Excel dates, GB18030 CSV with CRLF, UTF-16
//! tab-separated text, one bad row in each (nothing imported, the place
//! and column named), a dry run, and exports that import back unchanged.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::path::{Path, PathBuf};

use baodao_shared::ActivityKind;
use baodao_sync_server::Error;
use baodao_sync_server::office::Importing;
use baodao_tests::TestServer;
use chrono::{TimeZone, Utc};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use Value::{Number, Text, When};

const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A workbook: the header row, then rows of cells, each text, a number, or
/// an Excel date and time.
enum Value<'a> {
    Text(&'a str),
    Number(f64),
    When(u16, u8, u8, u16, u8),
}

fn workbook(sheet_name: &str, header: &[&str], rows: &[Vec<Value<'_>>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name).unwrap();
    let dates = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for (col, name) in (0u16..).zip(header) {
        sheet.write_string(0, col, *name).unwrap();
    }
    for (row, cells) in (1u32..).zip(rows) {
        for (col, cell) in (0u16..).zip(cells) {
            match cell {
                Value::Text(t) => {
                    sheet.write_string(row, col, *t).unwrap();
                }
                Value::Number(n) => {
                    sheet.write_number(row, col, *n).unwrap();
                }
                Value::When(y, mo, d, h, mi) => {
                    let at = ExcelDateTime::from_ymd(*y, *mo, *d)
                        .unwrap()
                        .and_hms(*h, *mi, 0)
                        .unwrap();
                    sheet
                        .write_datetime_with_format(row, col, &at, &dates)
                        .unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

fn gb18030(text: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(text).0.into_owned()
}

/// A member as stored.
async fn member(server: &TestServer, id: &str) -> baodao_shared::protocol::RosterEntry {
    server
        .office
        .store()
        .member(id.parse().unwrap())
        .await
        .unwrap()
        .expect("the member is stored")
}

/// An activities sheet under Chinese headers.
fn activities_sheet(rows: &[Vec<Value<'_>>]) -> Vec<u8> {
    workbook(
        "活动安排",
        &["编号", "活动名称", "类型", "社區", "开始时间", "结束时间"],
        rows,
    )
}

/// The one bad row's place and column, and that nothing was written.
async fn refused(
    server: &TestServer,
    what: Importing,
    file: &Path,
) -> (String, Option<String>, String) {
    let before = server
        .query_one("SELECT COUNT(*) FROM members")
        .await
        .unwrap()
        + server
            .query_one("SELECT COUNT(*) FROM activities")
            .await
            .unwrap();
    let err = server.office.import(what, file, None).await.unwrap_err();
    let Error::Import(rows) = err else {
        panic!("expected an import error, got {err}");
    };
    assert_eq!(rows.len(), 1, "{rows:?}");
    let after = server
        .query_one("SELECT COUNT(*) FROM members")
        .await
        .unwrap()
        + server
            .query_one("SELECT COUNT(*) FROM activities")
            .await
            .unwrap();
    assert_eq!(before, after, "nothing is imported");
    let row = rows.into_iter().next().unwrap();
    (row.place, row.column, row.message)
}

#[tokio::test]
async fn an_xlsx_with_chinese_headers_and_excel_dates() {
    let server = TestServer::start(|_| {}).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Communities by their registered names, as the office writes them.
    let communities = write(
        dir.path(),
        "社区.csv",
        "社区编号,名称,街道,区\nC01,灣子街社區,灣子街道,江岸區\n".as_bytes(),
    );
    server
        .office
        .import_communities(&communities)
        .await
        .unwrap();

    // Members: ids typed as numbers, headers in another order, a note
    // column nobody reads.
    let members = write(
        dir.path(),
        "党员.xlsx",
        &workbook(
            "党员名册",
            &["姓名", "編號", "社区", "所属党组织", "备注"],
            &[
                vec![
                    Text("張偉"),
                    Number(1001.0),
                    Text("灣子街社區"),
                    Text("市財政局機關黨支部"),
                    Text(""),
                ],
                vec![
                    Text("李娜"),
                    Number(1002.0),
                    Text("C01"),
                    Text("區教育局黨支部"),
                    Text("新黨員"),
                ],
            ],
        ),
    );
    let report = server
        .office
        .import(Importing::Members, &members, None)
        .await
        .unwrap();
    assert_eq!(report.summary.added, 2);
    assert_eq!(report.format.to_string(), "xlsx");
    assert_eq!(report.ignored, vec!["备注"]);
    let zhang = member(&server, "1001").await;
    assert_eq!(
        (zhang.name.as_str(), zhang.community.as_str()),
        ("張偉", "C01")
    );

    // Activities: kinds by their Chinese names (both scripts), times as
    // Excel dates on the office's clock, and one in text.
    let activities = write(
        dir.path(),
        "活动.xlsx",
        &activities_sheet(&[
            vec![
                Text("A1"),
                Text("环境卫生整治"),
                Text("环境卫生整治"),
                Text("灣子街社區"),
                When(2026, 12, 1, 9, 0),
                When(2026, 12, 1, 11, 30),
            ],
            vec![
                Text("A2"),
                Text("黨課"),
                Text("黨課"),
                Text("C01"),
                Text("2026/12/2 14:00"),
                Text("2026-12-02 16:00"),
            ],
        ]),
    );
    let report = server
        .office
        .import(Importing::Activities, &activities, None)
        .await
        .unwrap();
    assert_eq!(report.summary.added, 2, "{report:?}");
    let stored = server
        .office
        .store()
        .activities_between(
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap(),
            None,
        )
        .await
        .unwrap();
    let a1 = &stored
        .iter()
        .find(|a| a.activity.activity_id.as_str() == "A1")
        .unwrap()
        .activity;
    assert_eq!(a1.kind, ActivityKind::Sanitation);
    assert_eq!(
        a1.starts_at,
        SHANGHAI.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
    );
    assert_eq!(
        a1.ends_at,
        SHANGHAI.with_ymd_and_hms(2026, 12, 1, 11, 30, 0).unwrap()
    );
    let a2 = &stored
        .iter()
        .find(|a| a.activity.activity_id.as_str() == "A2")
        .unwrap()
        .activity;
    assert_eq!(a2.kind, ActivityKind::PartyLesson);
    assert_eq!(
        a2.starts_at,
        SHANGHAI.with_ymd_and_hms(2026, 12, 2, 14, 0, 0).unwrap()
    );

    // One bad row: its sheet, row and column are named, nothing is written.
    let bad = write(
        dir.path(),
        "活动-错.xlsx",
        &activities_sheet(&[
            vec![
                Text("A3"),
                Text("宣講"),
                Text("政策宣讲"),
                Text("C01"),
                When(2026, 12, 3, 9, 0),
                When(2026, 12, 3, 10, 0),
            ],
            vec![
                Text("A4"),
                Text("宣講"),
                Text("跳舞"),
                Text("C01"),
                When(2026, 12, 3, 9, 0),
                When(2026, 12, 3, 10, 0),
            ],
        ]),
    );
    let (place, column, message) = refused(&server, Importing::Activities, &bad).await;
    assert_eq!(place, "sheet 活动安排, row 3");
    assert_eq!(column.as_deref(), Some("类型"));
    assert!(
        message.contains("跳舞") && message.contains("環境衛生整治"),
        "{message}"
    );
    // A start after its end is that row's error too.
    let backwards = write(
        dir.path(),
        "活动-倒.xlsx",
        &activities_sheet(&[vec![
            Text("A5"),
            Text("宣講"),
            Text("政策宣讲"),
            Text("C01"),
            When(2026, 12, 3, 11, 0),
            When(2026, 12, 3, 9, 0),
        ]]),
    );
    let (place, column, _) = refused(&server, Importing::Activities, &backwards).await;
    assert_eq!(
        (place.as_str(), column.as_deref()),
        ("sheet 活动安排, row 2", Some("结束时间"))
    );
    server.stop().await;
}

#[tokio::test]
async fn gb18030_with_crlf_and_utf16_tab_separated() {
    let server = TestServer::start(|_| {}).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Excel's "CSV (逗号分隔)" on Chinese Windows: GB18030, CRLF.
    let gb = write(
        dir.path(),
        "名册.csv",
        &gb18030(
            "编号,姓名,所属党组织,社区\r\nM001,歐陽曉嵐,市生态环境局党支部,C01\r\nM002,张伟,区教育局党支部,C01\r\n",
        ),
    );
    let report = server
        .office
        .import(Importing::Members, &gb, None)
        .await
        .unwrap();
    assert_eq!(report.summary.added, 2);
    assert_eq!(report.format.to_string(), "CSV in gb18030");
    let m1 = member(&server, "M001").await;
    assert_eq!(
        (m1.name.as_str(), m1.organization.as_str()),
        ("歐陽曉嵐", "市生态环境局党支部")
    );

    // Excel's "Unicode text": UTF-16 with its BOM, tab-separated.
    let utf16 = write(
        dir.path(),
        "名册.txt",
        &utf16le_with_bom("編號\t姓名\t所屬黨組織\t社區\r\nM003\t李娜\t區教育局黨支部\tC01\r\n"),
    );
    let report = server
        .office
        .import(Importing::Members, &utf16, None)
        .await
        .unwrap();
    assert_eq!(
        (report.summary.added, report.format.to_string().as_str()),
        (1, "CSV in UTF-16LE")
    );

    // A bad row in each: the editor's line number and the column.
    let gb_bad = write(
        dir.path(),
        "名册-错.csv",
        &gb18030("编号,姓名,所属党组织,社区\r\nM010,王芳,局,C01\r\nM011,,局,C01\r\n"),
    );
    let (place, column, _) = refused(&server, Importing::Members, &gb_bad).await;
    assert_eq!(
        (place.as_str(), column.as_deref()),
        ("line 3", Some("姓名"))
    );
    let utf16_bad = write(
        dir.path(),
        "名册-错.txt",
        &utf16le_with_bom(
            "編號\t姓名\t所屬黨組織\t社區\r\nM012\t王芳\t局\tC01\r\nM013\t趙六\t局\t東湖\r\n",
        ),
    );
    let (place, column, message) = refused(&server, Importing::Members, &utf16_bad).await;
    assert_eq!(
        (place.as_str(), column.as_deref()),
        ("line 3", Some("社區"))
    );
    assert!(message.contains("東湖"), "{message}");

    // Times in a CSV without a zone are the policy's.
    let activities = write(
        dir.path(),
        "活动.csv",
        &gb18030(
            "活动编号,活动名称,活动类型,社区,开始时间,结束时间\r\nA1,交通秩序维护,交通秩序维护,C01,2026-12-01 09:00,2026-12-01 11:00\r\n",
        ),
    );
    server
        .office
        .import(Importing::Activities, &activities, None)
        .await
        .unwrap();

    // The encoding can be named when detection cannot know.
    let forced = server
        .office
        .import(Importing::Members, &gb, Some(encoding_rs::UTF_8))
        .await
        .unwrap_err();
    assert!(forced.to_string().contains("not valid UTF-8"), "{forced}");
    server.stop().await;
}

#[tokio::test]
async fn a_dry_run_says_what_would_change_and_writes_nothing() {
    let server = TestServer::start(|_| {}).await.unwrap();
    server
        .import_members(&[("M001", "張偉", "C01"), ("M002", "李娜", "C01")])
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "m.csv",
        "编号,姓名,所属党组织,社区\nM001,張偉,測試黨支部,C01\nM002,李娜,測試黨支部,C02\nM003,王芳,測試黨支部,C01\n".as_bytes(),
    );
    let (plan, report) = server
        .office
        .dry_run(Importing::Members, &file, None)
        .await
        .unwrap();
    assert_eq!((plan.added, plan.updated, plan.unchanged), (1, 1, 1));
    assert_eq!(report.summary.added, 1);
    assert_eq!(
        plan.changes,
        vec![
            "M002: community C01 → C02",
            "M003: new (王芳, 測試黨支部, C01)"
        ]
    );
    assert_eq!(
        server
            .query_one("SELECT COUNT(*) FROM members")
            .await
            .unwrap(),
        2
    );
    // The import itself agrees with what the dry run said.
    let done = server
        .office
        .import(Importing::Members, &file, None)
        .await
        .unwrap();
    assert_eq!(done.summary, report.summary);
    server.stop().await;
}

/// Downloads an export and imports it back: its `rows` unchanged, nothing
/// added or updated.
async fn import_download(
    server: &TestServer,
    dir: &Path,
    request: reqwest::RequestBuilder,
    what: Importing,
    rows: usize,
) -> baodao_sync_server::office::ImportReport {
    let response = request.send().await.unwrap();
    let name = response.url().path().replace('/', "_");
    let xlsx = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or_default().contains("spreadsheet"));
    let bytes = response.bytes().await.unwrap();
    let file = write(
        dir,
        &format!("{name}.{}", if xlsx { "xlsx" } else { "csv" }),
        &bytes,
    );
    let report = server.office.import(what, &file, None).await.unwrap();
    assert_eq!(
        (
            report.summary.added,
            report.summary.updated,
            report.summary.unchanged
        ),
        (0, 0, rows),
        "{report:?}"
    );
    report
}

#[tokio::test]
async fn what_the_office_exports_imports_back_unchanged() {
    let server = TestServer::start(|_| {}).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let members = write(
        dir.path(),
        "m.csv",
        "member_id,name,organization,community\nM001,張偉,\"市財政局, 機關黨支部\",C01\nM002,=SUM(1),區教育局黨支部,C01\nM003,李娜,區教育局黨支部,C02\n".as_bytes(),
    );
    server.office.import_members(&members).await.unwrap();
    let start = SHANGHAI
        .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    server
        .import_activities(&[("A1", "C01", start, start + chrono::Duration::hours(2))])
        .await
        .unwrap();
    server
        .office
        .add_user(
            "wang",
            baodao_sync_server::domain::office::Role::Admin,
            vec![],
            "correct horse battery",
        )
        .await
        .unwrap();
    let token = server.office.issue_user_token("wang").await.unwrap();
    let year = baodao_shared::Policy::default().year_of(Utc::now());
    for format in ["csv", "xlsx"] {
        let request = server
            .client
            .get(server.url(&format!(
                "/api/v1/office/reports/points.{format}?year={year}"
            )))
            .bearer_auth(&token);
        let report = import_download(&server, dir.path(), request, Importing::Members, 3).await;
        assert!(report.ignored.contains(&"points".to_owned()), "{report:?}");
    }
    // The activities page's export, both formats.
    let cookie = baodao_tests::console_session(&server, "wang", "correct horse battery").await;
    for format in ["csv", "xlsx"] {
        let request = server
            .client
            .get(server.url(&format!("/console/export/activities?format={format}")))
            .header("cookie", &cookie);
        import_download(&server, dir.path(), request, Importing::Activities, 1).await;
    }
    server.stop().await;
}

//! The stored tally (attended activities per member and year, kept by the
//! database as records change) on both backends: after every kind of
//! change (check-ins and repeats, voids before and after their record,
//! reviews, paper-list entries, office voids, an activity moved to another
//! year, a cancelled one), the office's report, read from the tally,
//! equals each member's standing counted from the records; and a server
//! in another time zone recounts it.

// Test code: a failed step should fail the test on the spot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use baodao_shared::protocol::RecordStatus;
use baodao_shared::{Method, Policy, Void};
use baodao_sync_server::domain::office::Role;
use baodao_sync_server::store::{ReportFilter, Storage};
use baodao_tests::{Backend, TestServer, batch, open_now, record};
use chrono::{DateTime, Datelike, Duration, SecondsFormat, TimeZone, Utc};
use serde_json::json;

const MEMBERS: usize = 8;

fn member(i: usize) -> String {
    format!("M{i:03}")
}

/// The report from the tally against each member's standing from the
/// records, for `year` in `policy`'s zone; the number of members with
/// points, so a caller can see the check was not vacuous.
async fn report_matches_records(store: &dyn Storage, policy: Policy, year: i32) -> usize {
    let report = store
        .points_report(year, policy, ReportFilter::default())
        .await
        .unwrap();
    let members = store.table_counts().await.unwrap();
    let members = members.iter().find(|(t, _)| *t == "members").unwrap().1;
    assert_eq!(report.len() as u64, members);
    let mut with_points = 0;
    for row in report {
        let counted = store
            .member_points(row.member_id.clone(), None, year, policy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (row.attended, row.points),
            (counted.attended, counted.points),
            "{} in {year}",
            row.member_id
        );
        with_points += usize::from(row.points > 0);
    }
    with_points
}

async fn the_tally_follows_every_change(backend: Backend) {
    let server = TestServer::start_on(backend, |_| {}).await.unwrap();
    let store = server.office.store();
    let policy = Policy::default();
    let rows: Vec<(String, &str, &str)> =
        (1..=MEMBERS).map(|i| (member(i), "張偉", "C01")).collect();
    let rows: Vec<_> = rows.iter().map(|(m, n, c)| (m.as_str(), *n, *c)).collect();
    server.import_members(&rows).await.unwrap();
    let (start, end) = open_now();
    let last_week = start - Duration::days(7);
    server
        .import_activities(&[
            ("A1", "C01", start, end),
            ("A2", "C01", start, end),
            ("A3", "C01", start, end),
            ("A4", "C01", last_week, last_week + Duration::hours(2)),
        ])
        .await
        .unwrap();
    let kiosk = server.register_kiosk("C01").await.unwrap();
    let year = policy.year_of(start);
    assert!(
        server
            .query_one("SELECT COUNT(*) FROM tally_years")
            .await
            .unwrap()
            > 0,
        "the server fills the tally's years at start"
    );

    // Check-ins, with repeats at a second activity and the same one twice.
    let mut cards = vec![];
    for i in 1..=MEMBERS {
        cards.push(server.issue_card(&member(i), None).await.unwrap());
    }
    let mut records = vec![];
    for i in 1..=MEMBERS {
        let card = Some(cards[i - 1].as_str());
        records.push(record(&member(i), "A1", Utc::now(), card));
        if i % 2 == 0 {
            records.push(record(&member(i), "A1", Utc::now(), card));
            records.push(record(&member(i), "A2", Utc::now(), card));
        }
        if i % 3 == 0 {
            records.push(record(&member(i), "A3", Utc::now(), card));
        }
    }
    // M001's first record voided before it arrives, M002's after.
    let void = |id| Void {
        record_id: id,
        reason: "掃錯人".into(),
        voided_at: Some(Utc::now()),
        voided_by: None,
    };
    server
        .post_batch(&kiosk, &batch(vec![], vec![void(records[0].record_id)]))
        .await
        .unwrap();
    server
        .post_batch(&kiosk, &batch(records.clone(), vec![]))
        .await
        .unwrap();
    assert!(report_matches_records(&*store, policy, year).await >= MEMBERS - 1);
    let m002 = records
        .iter()
        .find(|r| r.member_id.as_str() == "M002")
        .unwrap()
        .record_id;
    server
        .post_batch(&kiosk, &batch(vec![], vec![void(m002)]))
        .await
        .unwrap();
    let standing = store
        .member_points("M001".parse().unwrap(), None, year, policy)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(standing.points, 0, "voided before it arrived");
    report_matches_records(&*store, policy, year).await;

    // Paper-list check-ins entered after the activity: held, then one
    // accepted and one rejected by the office.
    let mut late = vec![];
    for i in [5, 6] {
        let mut r = record(&member(i), "A4", last_week + Duration::minutes(30), None);
        r.method = Method::Manual;
        late.push(r);
    }
    let receipt = server
        .post_batch(&kiosk, &batch(late.clone(), vec![]))
        .await
        .unwrap();
    assert!(
        receipt
            .records
            .iter()
            .all(|r| r.status == RecordStatus::Held)
    );
    server
        .office
        .add_user("wang", Role::Admin, vec![], "correct horse battery")
        .await
        .unwrap();
    let admin = server.office.issue_user_token("wang").await.unwrap();
    for (r, decision) in late.iter().zip(["accept", "reject"]) {
        let (status, body) = server
            .post_json(
                &admin,
                &format!("/api/v1/office/review/{}", r.record_id),
                &json!({"decision": decision, "note": "核對簽到表"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    report_matches_records(&*store, policy, year).await;

    // Entered from a paper list, then one of the kiosk's records voided by
    // the office.
    let (status, body) = server
        .post_json(
            &admin,
            "/api/v1/office/attendance",
            &json!({"member_id": "M007", "activity_id": "A4", "note": "紙本簽到"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let m004 = records
        .iter()
        .find(|r| r.member_id.as_str() == "M004" && r.activity_id.as_str() == "A2")
        .unwrap()
        .record_id;
    let (status, body) = server
        .post_json(
            &admin,
            &format!("/api/v1/office/records/{m004}/void"),
            &json!({"note": "重複登記"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    report_matches_records(&*store, policy, year).await;

    // A2 moved to last year: its points move with it; A3 cancelled: its
    // records are held and count no more.
    let at = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let moved = start - Duration::days(400);
    let (status, body) = server
        .post_json(
            &admin,
            "/api/v1/office/activities",
            &json!({
                "activity": {
                    "activity_id": "A2", "title": "政策宣講", "kind": "policy_talk",
                    "community": "C01", "starts_at": at(moved),
                    "ends_at": at(moved + Duration::hours(2)),
                },
                "details": {"place": "", "organiser": ""},
                "note": "日期登記錯誤",
            }),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let before_year = policy.year_of(moved);
    assert!(report_matches_records(&*store, policy, before_year).await > 0);
    let (status, body) = server
        .post_json(
            &admin,
            "/api/v1/office/activities/A3/cancel",
            &json!({"note": "天氣"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    report_matches_records(&*store, policy, year).await;
    report_matches_records(&*store, policy, before_year).await;
    let m003 = store
        .member_points("M003".parse().unwrap(), None, year, policy)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m003.attended, 1, "A1 only: A3 was cancelled");
    server.stop().await;
}

async fn another_time_zone_recounts_the_tally(backend: Backend) {
    let server = TestServer::start_on(backend, |_| {}).await.unwrap();
    let store = server.office.store();
    server
        .import_members(&[("M001", "張偉", "C01"), ("M002", "李娜", "C01")])
        .await
        .unwrap();
    // 03:00 on 1 January in Shanghai is still the old year in UTC.
    let new_year = chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(Utc::now().year(), 1, 1, 3, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    server
        .import_activities(&[("A1", "C01", new_year, new_year + Duration::hours(2))])
        .await
        .unwrap();
    server
        .office
        .add_user("wang", Role::Admin, vec![], "correct horse battery")
        .await
        .unwrap();
    let admin = server.office.issue_user_token("wang").await.unwrap();
    let (status, body) = server
        .post_json(
            &admin,
            "/api/v1/office/attendance",
            &json!({"member_id": "M001", "activity_id": "A1", "note": "紙本簽到"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let shanghai = Policy::default();
    let utc = Policy {
        time_zone: chrono_tz::UTC,
        ..Policy::default()
    };
    let year = new_year.with_timezone(&chrono_tz::Asia::Shanghai).year();
    assert_eq!(report_matches_records(&*store, shanghai, year).await, 1);
    assert_eq!(report_matches_records(&*store, shanghai, year - 1).await, 0);
    // Not yet recounted: a report in UTC counts from the records.
    assert_eq!(report_matches_records(&*store, utc, year - 1).await, 1);

    assert!(store.keep_tally_in(chrono_tz::UTC).await.unwrap());
    assert!(!store.keep_tally_in(chrono_tz::UTC).await.unwrap());
    assert_eq!(report_matches_records(&*store, utc, year - 1).await, 1);
    assert_eq!(report_matches_records(&*store, utc, year).await, 0);
    let tallied = server
        .query_one(&format!(
            "SELECT COUNT(*) FROM member_tally WHERE year = {} AND attended = 1",
            year - 1
        ))
        .await
        .unwrap();
    assert_eq!(tallied, 1, "the tally counts UTC years now");
    // New records follow the new zone's years.
    let (status, body) = server
        .post_json(
            &admin,
            "/api/v1/office/attendance",
            &json!({"member_id": "M002", "activity_id": "A1", "note": "紙本簽到"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(report_matches_records(&*store, utc, year - 1).await, 2);
    server.stop().await;
}

baodao_tests::on_both_backends!(
    the_tally_follows_every_change,
    another_time_zone_recounts_the_tally
);

//! Times as spreadsheets write them. With a zone (RFC 3339) they mean what
//! they say; without one they are the policy's local time, the time on the
//! office's wall.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::problem::Problem;

/// The zone-less forms taken: what Excel, WPS and people type.
const LOCAL_FORMATS: [&str; 8] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
];

/// `value` as an instant: RFC 3339, or a local time of `zone` in one of
/// the forms above (`2026-12-01 09:00`, `2026/12/1 9:00`, Excel's dates).
/// Between 2000 and 2100, as every time the system keeps.
pub fn parse(value: &str, zone: Tz) -> Result<DateTime<Utc>, Problem> {
    let value = value.trim();
    let at = if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        at.with_timezone(&Utc)
    } else {
        let local = LOCAL_FORMATS
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
            .ok_or_else(|| Problem::NotATime {
                text: value.to_owned(),
                zone: zone.to_string(),
            })?;
        zone.from_local_datetime(&local)
            .single()
            .ok_or_else(|| Problem::NoSuchLocalTime {
                text: value.to_owned(),
                zone: zone.to_string(),
            })?
            .with_timezone(&Utc)
    };
    baodao_shared::bounds::check_time("time", at).map_err(|_| Problem::OutOfYears {
        text: value.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn local_times_are_the_policys_zone() {
        let nine = "2026-12-01T01:00:00Z".parse::<DateTime<Utc>>().unwrap();
        for text in [
            "2026-12-01 09:00",
            "2026-12-01 09:00:00",
            "2026/12/1 9:00",
            "2026/12/01 09:00:00",
            "2026-12-01T09:00",
            "2026年12月1日 9:00",
            " 2026-12-01T09:00:00+08:00 ",
            "2026-12-01T01:00:00Z",
        ] {
            assert_eq!(parse(text, SHANGHAI), Ok(nine), "{text}");
        }
        assert_eq!(
            parse("2026-07-01 09:00", chrono_tz::Europe::Berlin).unwrap(),
            "2026-07-01T07:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn what_is_not_a_time_says_how_to_write_one() {
        for text in [
            "",
            "2026-12-01",
            "tomorrow",
            "46357.375",
            "2026-13-01 09:00",
        ] {
            let err = parse(text, SHANGHAI).unwrap_err().to_string();
            assert!(err.contains("2026-12-01 09:00"), "{text}: {err}");
        }
        assert!(matches!(
            parse("1999-12-31 23:00", SHANGHAI),
            Err(Problem::OutOfYears { .. })
        ));
        assert!(parse("+262142-01-01T00:00:00Z", SHANGHAI).is_err());
        // 02:30 on the day Berlin's clocks jump does not exist.
        let err = parse("2026-03-29 02:30", chrono_tz::Europe::Berlin).unwrap_err();
        assert!(matches!(err, Problem::NoSuchLocalTime { .. }), "{err}");
    }
}

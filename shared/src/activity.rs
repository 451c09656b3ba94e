use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The kinds of service activity in a community's programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// 政策宣講
    PolicyTalk,
    /// 環境衛生整治
    Sanitation,
    /// 交通秩序維護
    TrafficOrder,
    /// 家居服務
    HomeService,
    /// 困難群眾幫扶
    HelpInNeed,
    /// 黨課
    PartyLesson,
    /// 黨員固定活動日
    ActivityDay,
    /// 聯席會議
    JointMeeting,
    Other,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 9] = [
        Self::PolicyTalk,
        Self::Sanitation,
        Self::TrafficOrder,
        Self::HomeService,
        Self::HelpInNeed,
        Self::PartyLesson,
        Self::ActivityDay,
        Self::JointMeeting,
        Self::Other,
    ];

    /// The wire and CSV name.
    pub fn code(self) -> &'static str {
        match self {
            Self::PolicyTalk => "policy_talk",
            Self::Sanitation => "sanitation",
            Self::TrafficOrder => "traffic_order",
            Self::HomeService => "home_service",
            Self::HelpInNeed => "help_in_need",
            Self::PartyLesson => "party_lesson",
            Self::ActivityDay => "activity_day",
            Self::JointMeeting => "joint_meeting",
            Self::Other => "other",
        }
    }

    /// Name in Simplified Chinese, Traditional Chinese and English.
    pub fn names(self) -> [&'static str; 3] {
        match self {
            Self::PolicyTalk => ["政策宣讲", "政策宣講", "Policy talk"],
            Self::Sanitation => ["环境卫生整治", "環境衛生整治", "Sanitation drive"],
            Self::TrafficOrder => ["交通秩序维护", "交通秩序維護", "Traffic-order duty"],
            Self::HomeService => ["家居服务", "家居服務", "Home service"],
            Self::HelpInNeed => [
                "困难群众帮扶",
                "困難群眾幫扶",
                "Help for residents in difficulty",
            ],
            Self::PartyLesson => ["党课", "黨課", "Party lesson"],
            Self::ActivityDay => ["党员固定活动日", "黨員固定活動日", "Members' activity day"],
            Self::JointMeeting => ["联席会议", "聯席會議", "Joint meeting"],
            Self::Other => ["其他活动", "其他活動", "Other activity"],
        }
    }
}

impl std::str::FromStr for ActivityKind {
    type Err = Error;
    fn from_str(value: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.code() == value)
            .ok_or_else(|| Error::UnknownActivityKind(value.chars().take(64).collect()))
    }
}

impl ActivityKind {
    /// A kind as an office writes it in a spreadsheet: its code, or its
    /// name in Simplified or Traditional Chinese or English (the names the
    /// kiosk shows), case and surrounding spaces aside.
    pub fn from_name(value: &str) -> Result<Self, Error> {
        let value = value.trim();
        Self::ALL
            .into_iter()
            .find(|kind| {
                kind.code().eq_ignore_ascii_case(value)
                    || kind.names().iter().any(|n| n.eq_ignore_ascii_case(value))
            })
            .ok_or_else(|| Error::UnknownActivityKind(value.chars().take(64).collect()))
    }
}

impl fmt::Display for ActivityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_by_code_or_by_any_of_their_names() {
        for kind in ActivityKind::ALL {
            for text in kind.names().into_iter().chain([kind.code()]) {
                assert_eq!(ActivityKind::from_name(&format!(" {text} ")), Ok(kind));
            }
        }
        assert_eq!(
            ActivityKind::from_name("环境卫生整治"),
            Ok(ActivityKind::Sanitation)
        );
        assert_eq!(
            ActivityKind::from_name("環境衛生整治"),
            Ok(ActivityKind::Sanitation)
        );
        assert!(ActivityKind::from_name("卫生").is_err());
    }

    #[test]
    fn codes_round_trip_through_text_and_json() {
        for kind in ActivityKind::ALL {
            assert_eq!(kind.code().parse::<ActivityKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.code()));
        }
        assert!("party".parse::<ActivityKind>().is_err());
    }
}

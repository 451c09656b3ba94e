//! What the kiosk knows while offline: the last snapshot, in memory.

use std::collections::{HashMap, HashSet};

use baodao_shared::card::{CardKey, CardStatus, Keyring};
use baodao_shared::protocol::{MemberPoints, RosterEntry};
use baodao_shared::{Activity, Community, MemberId, Policy};
use chrono::Duration;

#[derive(Debug, Clone)]
pub struct OfflineData {
    pub community: Community,
    /// The community's name, when the office registered one.
    pub community_name: Option<String>,
    pub policy: Policy,
    pub keys: Vec<CardKey>,
    pub keyring: Keyring,
    pub roster: HashMap<MemberId, RosterEntry>,
    pub revoked: HashSet<u32>,
    pub activities: Vec<Activity>,
    /// This year's standing by member, as the server last said.
    pub points: HashMap<MemberId, MemberPoints>,
    /// Server clock minus kiosk clock at the last snapshot.
    pub clock_offset: Duration,
    /// How long before its start and after its end an activity takes
    /// check-ins: the server's grace, from the snapshot.
    pub grace: Duration,
}

impl OfflineData {
    pub fn empty(community: Community) -> Self {
        Self {
            community,
            community_name: None,
            policy: Policy::default(),
            keys: Vec::new(),
            keyring: Keyring::default(),
            roster: HashMap::new(),
            revoked: HashSet::new(),
            activities: Vec::new(),
            points: HashMap::new(),
            clock_offset: Duration::zero(),
            grace: Duration::minutes(super::checkin::OPEN_GRACE_MINUTES.into()),
        }
    }
}

impl CardStatus for OfflineData {
    fn current_serial(&self, member: &MemberId) -> Option<u32> {
        self.roster.get(member).and_then(|m| m.card_serial)
    }

    fn is_revoked(&self, serial: u32) -> bool {
        self.revoked.contains(&serial)
    }
}

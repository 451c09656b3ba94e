//! Any file the office may import: never a panic, and a file refused is
//! refused with its lines named.
#![no_main]

use baodao_sync_server::import::{read_activities, read_members};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_members(data);
    let _ = read_activities(data);
    // With the right header in front, the fuzzer reaches the rows at once.
    let mut members = b"member_id,name,organization,community\n".to_vec();
    members.extend_from_slice(data);
    let _ = read_members(members.as_slice());
    let mut activities = b"activity_id,title,kind,community,starts_at,ends_at\n".to_vec();
    activities.extend_from_slice(data);
    let _ = read_activities(activities.as_slice());
});

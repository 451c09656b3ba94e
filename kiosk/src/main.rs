//! The Baodao kiosk. The full-screen app and its core arrive in the next
//! milestones; this binary only reports its version so packaging can start.

fn main() {
    println!(
        "baodao-kiosk {} (protocol v{})",
        env!("CARGO_PKG_VERSION"),
        baodao_shared::protocol::PROTOCOL_VERSION
    );
}

//! The scan pipeline on rendered kiosk frames of real signed cards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

mod common;

use baodao_kiosk::camera::synthetic::{Scene, kiosk_set, render};
use baodao_kiosk::scan::QrDecoder;
use baodao_shared::card::{self, Keyring};
use common::Fixture;

#[test]
fn reads_real_cards_in_kiosk_conditions_and_nothing_else() {
    let fixture = Fixture::new(3);
    let payloads: Vec<String> = (0..3).map(|i| fixture.card(i)).collect();
    let keyring = Keyring::new(&fixture.snapshot.card_keys).unwrap();
    let decoder = QrDecoder::new();
    let scenes = kiosk_set(&payloads, 12);
    let (mut with_code, mut correct) = (0, 0);
    for scene in &scenes {
        let got = decoder.decode(&render(scene).unwrap());
        match &scene.payload {
            None => assert!(got.is_empty(), "false positive on an empty frame: {got:?}"),
            Some(expected) => {
                with_code += 1;
                assert!(
                    got.is_empty() || got == vec![expected.clone()],
                    "wrong payload {got:?}"
                );
                if let Some(text) = got.first() {
                    correct += 1;
                    assert!(
                        card::decode(text, &keyring).is_ok(),
                        "a decoded card verifies"
                    );
                }
            }
        }
    }
    let rate = f64::from(correct) / f64::from(with_code);
    assert!(rate >= 0.85, "decode rate {correct}/{with_code}");
    assert_eq!(decoder.panics(), 0);
}

#[test]
fn reads_the_conditions_a_kiosk_meets_most() {
    let fixture = Fixture::new(1);
    let payload = fixture.card(0);
    let base = Scene::new(Some(payload.clone()));
    let decoder = QrDecoder::new();
    let must_read = [
        ("clean", base.clone()),
        (
            "far away (120 px)",
            Scene {
                code_px: 120,
                ..base.clone()
            },
        ),
        (
            "rotated 35°",
            Scene {
                angle_deg: -35.0,
                ..base.clone()
            },
        ),
        (
            "tilted",
            Scene {
                tilt: 0.3,
                ..base.clone()
            },
        ),
        (
            "sensor noise",
            Scene {
                noise: 30,
                ..base.clone()
            },
        ),
        (
            "low contrast",
            Scene {
                dark: 90,
                light: 150,
                ..base.clone()
            },
        ),
        (
            "glare",
            Scene {
                glare: 0.6,
                ..base.clone()
            },
        ),
        (
            "dark-mode phone",
            Scene {
                inverted: true,
                dark: 30,
                light: 220,
                ..base.clone()
            },
        ),
        (
            "close and blurred",
            Scene {
                code_px: 400,
                blur: 2,
                noise: 12,
                ..base.clone()
            },
        ),
    ];
    for (what, scene) in must_read {
        assert_eq!(
            decoder.decode(&render(&scene).unwrap()),
            vec![payload.clone()],
            "{what}"
        );
    }
}

#[test]
fn the_decode_command_prints_file_payload_and_time() {
    let fixture = Fixture::new(1);
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("card.png");
    render(&Scene::new(Some(fixture.card(0))))
        .unwrap()
        .save(&card)
        .unwrap();
    let empty = dir.path().join("empty.png");
    render(&Scene::new(None)).unwrap().save(&empty).unwrap();
    let broken = dir.path().join("broken.png");
    std::fs::write(&broken, b"not a png").unwrap();

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_baodao-kiosk"))
        .arg("decode")
        .args([&card, &empty, &broken])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[0][1], fixture.card(0));
    assert_eq!(lines[1][1], "-");
    assert_eq!(lines[2][1], "-");
    assert!(lines.iter().all(|l| l[2].parse::<f64>().is_ok()));
    assert!(
        !output.status.success(),
        "an unreadable file fails the command"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("broken.png"));
}

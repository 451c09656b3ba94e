//! Rendered kiosk frames: a member card held in front of the camera, with
//! the things real frames suffer from (distance, tilt, blur, noise, low
//! contrast, glare, dark-mode phone screens). The demo camera shows these;
//! tests and the benchmark decode them.

use std::time::Instant;

use image::{GrayImage, Luma};
use qrcode::{Color, EcLevel, QrCode};

use super::{FrameSource, pace};
use crate::error::{Error, Result};

/// How one card appears in one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// The card text; `None` renders the background only.
    pub payload: Option<String>,
    pub width: u32,
    pub height: u32,
    /// Side of the code (quiet zone included) in pixels.
    pub code_px: u32,
    /// Centre of the code, as a fraction of the frame.
    pub centre: (f32, f32),
    /// In-plane rotation, degrees.
    pub angle_deg: f32,
    /// Keystone: the top edge is this fraction wider than the bottom.
    pub tilt: f32,
    /// Box-blur radius in pixels (0 = sharp).
    pub blur: u32,
    /// Noise amplitude, 0..=255.
    pub noise: u8,
    /// Luma of dark and light modules.
    pub dark: u8,
    pub light: u8,
    /// Light modules on dark, like a phone in dark mode.
    pub inverted: bool,
    /// A bright spot of this strength (0..=1) over part of the code.
    pub glare: f32,
    pub seed: u64,
}

impl Scene {
    pub fn new(payload: Option<String>) -> Self {
        Self {
            payload,
            width: 640,
            height: 480,
            code_px: 260,
            centre: (0.5, 0.5),
            angle_deg: 0.0,
            tilt: 0.0,
            blur: 0,
            noise: 0,
            dark: 20,
            light: 235,
            inverted: false,
            glare: 0.0,
            seed: 1,
        }
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn signed(&mut self, amplitude: u8) -> i32 {
        if amplitude == 0 {
            return 0;
        }
        let span = 2 * u64::from(amplitude) + 1;
        i32::try_from(self.next() % span).unwrap_or(0) - i32::from(amplitude)
    }
}

/// Where a card sits in a frame: its centre, rotation and keystone.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    pub centre: (f32, f32),
    /// Half the code's side, in pixels.
    pub half: f32,
    pub angle_deg: f32,
    /// The top edge is this fraction wider than the bottom.
    pub tilt: f32,
}

impl Placement {
    /// Back from a frame point to the card: undoes the rotation, then the
    /// tilt; `(u, v)` from the code's centre, `None` outside the code.
    #[allow(clippy::many_single_char_names)]
    pub fn card_point(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        let (sin, cos) = self.angle_deg.to_radians().sin_cos();
        let half = self.half;
        let (dx, dy) = (x - self.centre.0, y - self.centre.1);
        let (u, v) = (dx * cos + dy * sin, -dx * sin + dy * cos);
        // A true perspective (straight lines stay straight): the card's top
        // leans away by `tilt`.
        let k = self.tilt / 2.0;
        let denominator = 1.0 - k * v / half;
        if denominator <= 0.05 {
            return None;
        }
        let v = v / denominator;
        let u = u * (1.0 + k * v / half);
        (u.abs() <= half && v.abs() <= half).then_some((u, v))
    }
}

/// The QR modules with a four-module quiet zone, as a dark/light grid.
pub fn modules(payload: &str) -> Result<(usize, Vec<bool>)> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| Error::Internal(format!("cannot encode a QR code: {e}")))?;
    let n = code.width();
    let size = n + 8;
    let colors = code.to_colors();
    let mut grid = vec![false; size * size];
    for y in 0..n {
        for x in 0..n {
            grid[(y + 4) * size + x + 4] = colors[y * n + x] == Color::Dark;
        }
    }
    Ok((size, grid))
}

/// Renders a scene.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::many_single_char_names
)]
pub fn render(scene: &Scene) -> Result<GrayImage> {
    let mut rng = Rng(scene.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let (w, h) = (scene.width as f32, scene.height as f32);
    // A soft, uneven background: a wall, a desk, a person's coat.
    let mut frame = GrayImage::from_fn(scene.width, scene.height, |x, y| {
        let v = 90.0 + 50.0 * (x as f32 / w) + 30.0 * ((y as f32 / 37.0).sin());
        Luma([v.clamp(0.0, 255.0) as u8])
    });
    if let Some(payload) = &scene.payload {
        let (size, grid) = modules(payload)?;
        let (cx, cy) = (scene.centre.0 * w, scene.centre.1 * h);
        let half = scene.code_px as f32 / 2.0;
        let placement = Placement {
            centre: (cx, cy),
            half,
            angle_deg: scene.angle_deg,
            tilt: scene.tilt,
        };
        let (dark, light) = if scene.inverted {
            (scene.light, scene.dark)
        } else {
            (scene.dark, scene.light)
        };
        for y in 0..scene.height {
            for x in 0..scene.width {
                let Some((u, v)) = placement.card_point(x as f32, y as f32) else {
                    continue;
                };
                let mx = ((u + half) / scene.code_px as f32 * size as f32) as usize;
                let my = ((v + half) / scene.code_px as f32 * size as f32) as usize;
                let is_dark = grid
                    .get(my.min(size - 1) * size + mx.min(size - 1))
                    .copied()
                    .unwrap_or(false);
                frame.put_pixel(x, y, Luma([if is_dark { dark } else { light }]));
            }
        }
        if scene.glare > 0.0 {
            let (gx, gy, r) = (cx + half * 0.3, cy - half * 0.2, half * 0.6);
            for p in frame.enumerate_pixels_mut() {
                let d = ((p.0 as f32 - gx).powi(2) + (p.1 as f32 - gy).powi(2)).sqrt();
                if d < r {
                    let strength = scene.glare * (1.0 - d / r);
                    let v = f32::from(p.2[0]);
                    p.2[0] = (v + (255.0 - v) * strength) as u8;
                }
            }
        }
    }
    if scene.blur > 0 {
        frame = image::imageops::blur(&frame, scene.blur as f32 / 2.0);
    }
    if scene.noise > 0 {
        for p in frame.iter_mut() {
            *p = (i32::from(*p) + rng.signed(scene.noise)).clamp(0, 255) as u8;
        }
    }
    Ok(frame)
}

/// A varied, repeatable set of kiosk-like frames of `payloads`: each card in
/// each of the conditions a kiosk camera meets, plus frames with no code.
pub fn kiosk_set(payloads: &[String], empty_frames: usize) -> Vec<Scene> {
    let mut scenes = Vec::new();
    for (i, payload) in payloads.iter().enumerate() {
        let seed = i as u64 + 1;
        let base = Scene {
            seed,
            ..Scene::new(Some(payload.clone()))
        };
        let variants = [
            base.clone(),
            Scene {
                code_px: 150,
                centre: (0.3, 0.4),
                ..base.clone()
            },
            Scene {
                code_px: 120,
                centre: (0.7, 0.6),
                ..base.clone()
            },
            Scene {
                angle_deg: 17.0,
                ..base.clone()
            },
            Scene {
                angle_deg: -35.0,
                code_px: 220,
                ..base.clone()
            },
            Scene {
                tilt: 0.25,
                ..base.clone()
            },
            Scene {
                blur: 3,
                ..base.clone()
            },
            Scene {
                noise: 30,
                ..base.clone()
            },
            Scene {
                dark: 90,
                light: 150,
                ..base.clone()
            },
            Scene {
                glare: 0.6,
                ..base.clone()
            },
            Scene {
                inverted: true,
                dark: 30,
                light: 220,
                ..base.clone()
            },
            Scene {
                code_px: 400,
                blur: 2,
                noise: 12,
                angle_deg: 8.0,
                ..base.clone()
            },
        ];
        scenes.extend(variants);
    }
    for i in 0..empty_frames {
        scenes.push(Scene {
            seed: 1000 + i as u64,
            noise: 10,
            ..Scene::new(None)
        });
    }
    scenes
}

/// The demo camera: an empty scene for a while, then each payload in turn.
/// Scenes are rendered once and then only shifted, as a hand sways, so the
/// simulated camera costs little more than a real one.
pub struct DemoCards {
    /// The empty scene, then one per payload.
    scenes: Vec<GrayImage>,
    fps: f32,
    frame: u64,
    last: Option<Instant>,
    /// Frames each card is held up for, after frames of nothing.
    hold: u64,
    pause: u64,
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
impl DemoCards {
    pub fn new(payloads: Vec<String>, fps: f32) -> Self {
        let fps_frames = fps.max(1.0).round() as u64;
        let scene = |payload: Option<String>, seed: u64| {
            render(&Scene {
                noise: 6,
                seed,
                ..Scene::new(payload)
            })
            .unwrap_or_else(|_| GrayImage::new(640, 480))
        };
        let mut scenes = vec![scene(None, 1)];
        scenes.extend(
            payloads
                .into_iter()
                .zip(2..)
                .map(|(p, seed)| scene(Some(p), seed)),
        );
        Self {
            scenes,
            fps,
            frame: 0,
            last: None,
            hold: 2 * fps_frames,
            pause: 3 * fps_frames,
        }
    }

    /// The image for frame number `frame`.
    fn image(&self, frame: u64) -> GrayImage {
        let cycle = self.hold + self.pause;
        let (index, phase) = (frame / cycle, frame % cycle);
        let cards = self.scenes.len().saturating_sub(1) as u64;
        // Nothing first, then the card: the kiosk has a moment to sync.
        let which = if cards > 0 && phase >= self.pause {
            1 + (index % cards) as usize
        } else {
            0
        };
        let Some(base) = self.scenes.get(which) else {
            return GrayImage::new(640, 480);
        };
        let sway = (12.0 * (frame as f32 / 7.0).sin()) as i64;
        let mut out = GrayImage::new(base.width(), base.height());
        image::imageops::replace(&mut out, base, sway, 0);
        out
    }
}

impl FrameSource for DemoCards {
    fn describe(&self) -> String {
        format!(
            "simulated camera showing {} demo cards",
            self.scenes.len().saturating_sub(1)
        )
    }

    fn next_frame(&mut self) -> Result<GrayImage> {
        pace(&mut self.last, self.fps);
        let image = self.image(self.frame);
        self.frame += 1;
        Ok(image)
    }
}

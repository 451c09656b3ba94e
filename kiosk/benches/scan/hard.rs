//! Frames a community centre's webcam delivers on a bad day, rendered from
//! signed cards: low contrast down to 15%, sensor noise, defocus, glare,
//! JPEG artefacts, a phone screen's pixel grid (moiré), small far codes, at
//! 640×480, 1280×720 and 1920×1080.
//!
//! The order is a camera's: the card's geometry (rotation, keystone) is
//! sampled 3×3 per pixel, lit (contrast, glare), blurred by the lens, then
//! noised by the sensor, then compressed. Each condition has levels up to
//! where no reader measured here reads every frame.

use baodao_kiosk::camera::synthetic::{Placement, modules};
use image::codecs::jpeg::{JpegDecoder, JpegEncoder};
use image::{DynamicImage, GrayImage, Luma};

/// One way a frame is hard, at one level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    Clean,
    /// Light minus dark modules, as a fraction of the full range.
    Contrast(f32),
    /// Gaussian sensor noise, standard deviation in grey levels.
    Noise(f32),
    /// Lens defocus: Gaussian blur, standard deviation in modules.
    Defocus(f32),
    /// A bright reflection of this strength over a third of the code.
    Glare(f32),
    /// The camera's MJPEG at this quality.
    Jpeg(u8),
    /// On a phone screen whose pixel grid has this pitch in camera pixels.
    Moire(f32),
    /// Far from the camera: this many camera pixels a module.
    Far(f32),
    /// A dim hall: 25% contrast, noise 12, slight defocus, JPEG 50.
    DimHall,
}

impl Condition {
    pub fn group(self) -> &'static str {
        match self {
            Self::Clean => "clean",
            Self::Contrast(_) => "low contrast",
            Self::Noise(_) => "sensor noise",
            Self::Defocus(_) => "defocus",
            Self::Glare(_) => "glare",
            Self::Jpeg(_) => "JPEG artefacts",
            Self::Moire(_) => "phone screen (moiré)",
            Self::Far(_) => "small, far",
            Self::DimHall => "dim hall (combined)",
        }
    }

    pub fn label(self) -> String {
        match self {
            Self::Clean => "clean".into(),
            Self::Contrast(c) => format!("contrast {:.0}%", c * 100.0),
            Self::Noise(s) => format!("noise σ {s:.0}"),
            Self::Defocus(s) => format!("defocus σ {s:.2} module"),
            Self::Glare(g) => format!("glare {g:.2}"),
            Self::Jpeg(q) => format!("JPEG q{q}"),
            Self::Moire(p) => format!("screen pitch {p:.2} px"),
            Self::Far(m) => format!("{m:.1} px a module"),
            Self::DimHall => "dim hall".into(),
        }
    }
}

pub const CONDITIONS: [Condition; 23] = [
    Condition::Clean,
    Condition::Contrast(0.40),
    Condition::Contrast(0.25),
    Condition::Contrast(0.15),
    Condition::Noise(12.0),
    Condition::Noise(24.0),
    Condition::Noise(36.0),
    Condition::Defocus(0.3),
    Condition::Defocus(0.45),
    Condition::Defocus(0.6),
    Condition::Glare(0.7),
    Condition::Glare(0.9),
    Condition::Glare(1.0),
    Condition::Jpeg(40),
    Condition::Jpeg(20),
    Condition::Jpeg(8),
    Condition::Moire(1.15),
    Condition::Moire(1.6),
    Condition::Moire(2.3),
    Condition::Far(3.0),
    Condition::Far(2.2),
    Condition::Far(1.6),
    Condition::DimHall,
];

pub const SIZES: [(u32, u32); 3] = [(640, 480), (1280, 720), (1920, 1080)];

/// Deterministic randomness (xorshift), so every run sees the same frames.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    pub fn range(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.unit()
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f32 {
        let u = self.unit().max(1e-7);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }
}

/// Samples a pixel takes of the card, along each axis.
const SUB: usize = 3;

/// A frame of `payload` (or of the background only) in `condition`.
// The stages read in a camera's order; split up, they would pass a dozen
// values between them.
#[allow(clippy::many_single_char_names, clippy::too_many_lines)]
pub fn render(
    payload: Option<&str>,
    (width, height): (u32, u32),
    condition: Condition,
    seed: u64,
) -> GrayImage {
    let mut rng = Rng::new(seed);
    let (w, h) = (width as f32, height as f32);
    // A wall, a desk, a coat: uneven and textured, never flat.
    let phase = rng.range(0.0, 6.0);
    let background = |x: f32, y: f32| {
        70.0 + 70.0 * (x / w) + 25.0 * ((y / (h / 13.0)) + phase).sin() + 12.0 * (x / 9.0).sin()
    };
    let mut light_field: Vec<f32> = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x as f32, y as f32)))
        .map(|(x, y)| background(x, y))
        .collect();

    if let Some(payload) = payload {
        let (size, grid) = modules(payload).unwrap();
        let module_px = match condition {
            Condition::Far(m) => m,
            // A card held at arm's length fills about half the frame height.
            _ => rng.range(0.42, 0.62) * h / size as f32,
        };
        let code_px = module_px * size as f32;
        let margin = code_px * 0.75;
        let (cx, cy) = (
            rng.range(margin.min(w / 2.0), (w - margin).max(w / 2.0)),
            rng.range(margin.min(h / 2.0), (h - margin).max(h / 2.0)),
        );
        let half = code_px / 2.0;
        let placement = Placement {
            centre: (cx, cy),
            half,
            angle_deg: rng.range(-30.0, 30.0),
            tilt: rng.range(0.0, 0.18),
        };
        let contrast = match condition {
            Condition::Contrast(c) => c,
            Condition::DimHall => 0.25,
            _ => rng.range(0.65, 0.8),
        };
        let mean = rng.range(110.0, 150.0);
        let (dark, light) = (mean - contrast * 127.5, mean + contrast * 127.5);
        let screen = match condition {
            Condition::Moire(pitch) => Some((pitch, rng.range(-0.2, 0.2))),
            _ => None,
        };
        // Inside the code only: the bounding box of its rotated square.
        let reach = half * 1.6;
        let (x0, x1) = (
            (cx - reach).max(0.0) as u32,
            ((cx + reach) as u32).min(width),
        );
        let (y0, y1) = (
            (cy - reach).max(0.0) as u32,
            ((cy + reach) as u32).min(height),
        );
        for y in y0..y1 {
            for x in x0..x1 {
                let mut sum = 0.0;
                let mut inside = 0;
                for sy in 0..SUB {
                    for sx in 0..SUB {
                        let px = x as f32 + (sx as f32 + 0.5) / SUB as f32;
                        let py = y as f32 + (sy as f32 + 0.5) / SUB as f32;
                        let Some((u, v)) = placement.card_point(px, py) else {
                            continue;
                        };
                        let mx = (((u + half) / code_px) * size as f32) as usize;
                        let my = (((v + half) / code_px) * size as f32) as usize;
                        let is_dark = grid[my.min(size - 1) * size + mx.min(size - 1)];
                        let mut value = if is_dark { dark } else { light };
                        if let Some((pitch, skew)) = screen {
                            // Lit pixels with dark gaps between them, seen
                            // through the camera's coarser grid.
                            let (gu, gv) = (u + skew * v, v - skew * u);
                            let cell_u = (gu / pitch).rem_euclid(1.0);
                            let cell_v = (gv / pitch).rem_euclid(1.0);
                            if cell_u > 0.7 || cell_v > 0.75 {
                                value *= 0.45;
                            }
                        }
                        sum += value;
                        inside += 1;
                    }
                }
                if inside > 0 {
                    let index = (y * width + x) as usize;
                    let coverage = inside as f32 / (SUB * SUB) as f32;
                    light_field[index] =
                        sum / inside as f32 * coverage + light_field[index] * (1.0 - coverage);
                }
            }
        }
        let glare = match condition {
            Condition::Glare(g) => g,
            _ => 0.0,
        };
        if glare > 0.0 {
            let (gx, gy) = (
                cx + rng.range(-0.3, 0.3) * half,
                cy + rng.range(-0.3, 0.3) * half,
            );
            let r = half * 0.6;
            for y in y0..y1 {
                for x in x0..x1 {
                    let d = ((x as f32 - gx).powi(2) + (y as f32 - gy).powi(2)).sqrt();
                    if d < r {
                        let strength = glare * (1.0 - (d / r).powi(2));
                        let index = (y * width + x) as usize;
                        let v = light_field[index];
                        // Over-exposed: the sensor clips at white.
                        light_field[index] = v + (300.0 - v) * strength;
                    }
                }
            }
        }
        let sigma = match condition {
            Condition::Defocus(s) => s * module_px,
            Condition::DimHall => 0.2 * module_px,
            // Even a focused webcam is a little soft.
            _ => 0.6,
        };
        light_field = gaussian(&light_field, width, height, sigma);
    } else {
        light_field = gaussian(&light_field, width, height, 0.6);
    }

    let noise = match condition {
        Condition::Noise(s) => s,
        Condition::DimHall => 12.0,
        _ => 3.0,
    };
    let frame = GrayImage::from_fn(width, height, |x, y| {
        let v = light_field[(y * width + x) as usize] + noise * rng.normal();
        Luma([v.clamp(0.0, 255.0) as u8])
    });
    match condition {
        Condition::Jpeg(q) => jpeg(&frame, q),
        Condition::DimHall => jpeg(&frame, 50),
        // Every webcam at these sizes sends MJPEG; a good one at quality 85.
        _ => jpeg(&frame, 85),
    }
}

fn jpeg(frame: &GrayImage, quality: u8) -> GrayImage {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(frame)
        .unwrap();
    let decoder = JpegDecoder::new(std::io::Cursor::new(bytes)).unwrap();
    DynamicImage::from_decoder(decoder).unwrap().into_luma8()
}

/// A separable Gaussian blur of a float image.
#[allow(clippy::cast_possible_wrap)]
fn gaussian(data: &[f32], width: u32, height: u32, sigma: f32) -> Vec<f32> {
    if sigma < 0.3 {
        return data.to_vec();
    }
    let radius = (sigma * 3.0).ceil() as i64;
    let kernel: Vec<f32> = (-radius..=radius)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / total).collect();
    let (w, h) = (i64::from(width), i64::from(height));
    let mut across = vec![0.0; data.len()];
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0.0;
            for (i, k) in kernel.iter().enumerate() {
                let sx = (x + i as i64 - radius).clamp(0, w - 1);
                sum += k * data[(y * w + sx) as usize];
            }
            across[(y * w + x) as usize] = sum;
        }
    }
    let mut out = vec![0.0; data.len()];
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0.0;
            for (i, k) in kernel.iter().enumerate() {
                let sy = (y + i as i64 - radius).clamp(0, h - 1);
                sum += k * across[(sy * w + x) as usize];
            }
            out[(y * w + x) as usize] = sum;
        }
    }
    out
}

//! Image preparation for the decoder: each function is one fix for one way
//! real frames go wrong.

use image::GrayImage;

/// Dark-mode codes (light modules on dark) read as normal ones once inverted.
pub fn invert(image: &GrayImage) -> GrayImage {
    let mut out = image.clone();
    image::imageops::invert(&mut out);
    out
}

/// Stretches the 1st..99th percentile to full range: a code under glare or
/// on a dim phone screen has all its pixels in a narrow band.
pub fn stretch_contrast(image: &GrayImage) -> Option<GrayImage> {
    let mut histogram = [0u32; 256];
    for p in image.as_raw() {
        histogram[usize::from(*p)] += 1;
    }
    let total: u32 = histogram.iter().sum();
    let cut = total / 100;
    let percentile = |from_top: bool| {
        let mut seen = 0;
        let mut levels: Box<dyn Iterator<Item = usize>> = if from_top {
            Box::new((0..256).rev())
        } else {
            Box::new(0..256)
        };
        levels.find(|&level| {
            seen += histogram[level];
            seen > cut
        })
    };
    let low = percentile(false)?;
    let high = percentile(true)?;
    // Already full range, or flat: nothing to stretch.
    if high <= low + 8 || (low < 16 && high > 239) {
        return None;
    }
    let mut table = [0u8; 256];
    for (level, slot) in table.iter_mut().enumerate() {
        let scaled = (level.saturating_sub(low) * 255) / (high - low);
        *slot = u8::try_from(scaled.min(255)).unwrap_or(u8::MAX);
    }
    let mut out = image.clone();
    for p in out.iter_mut() {
        *p = table[usize::from(*p)];
    }
    Some(out)
}

/// Halves the size by averaging 2×2 blocks: smooths sensor noise and makes a
/// large, blurred code sharp enough to threshold.
pub fn half(image: &GrayImage) -> GrayImage {
    let (w, h) = (image.width() / 2, image.height() / 2);
    GrayImage::from_fn(w.max(1), h.max(1), |x, y| {
        let sum: u32 = [(0, 0), (1, 0), (0, 1), (1, 1)]
            .iter()
            .map(|(dx, dy)| {
                let (sx, sy) = (
                    (2 * x + dx).min(image.width() - 1),
                    (2 * y + dy).min(image.height() - 1),
                );
                u32::from(image.get_pixel(sx, sy)[0])
            })
            .sum();
        image::Luma([u8::try_from(sum / 4).unwrap_or(u8::MAX)])
    })
}

/// Doubles the size: a small code far from the camera gets enough pixels a
/// module for the finder patterns to be found.
pub fn double(image: &GrayImage) -> GrayImage {
    image::imageops::resize(
        image,
        image.width() * 2,
        image.height() * 2,
        image::imageops::FilterType::Triangle,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretches_a_narrow_band_and_leaves_full_range_alone() {
        let narrow = GrayImage::from_fn(100, 100, |x, _| {
            image::Luma([if x < 50 { 100 } else { 140 }])
        });
        let out = stretch_contrast(&narrow).unwrap();
        assert_eq!(out.get_pixel(0, 0)[0], 0);
        assert_eq!(out.get_pixel(99, 0)[0], 255);
        let full = GrayImage::from_fn(100, 100, |x, _| image::Luma([if x < 50 { 0 } else { 255 }]));
        assert!(stretch_contrast(&full).is_none());
        assert!(stretch_contrast(&GrayImage::new(10, 10)).is_none());
    }

    #[test]
    fn halves_and_doubles() {
        let image = GrayImage::from_fn(9, 7, |x, y| {
            image::Luma([u8::try_from(x * 10 + y).unwrap()])
        });
        assert_eq!(half(&image).dimensions(), (4, 3));
        assert_eq!(double(&image).dimensions(), (18, 14));
        assert_eq!(invert(&image).get_pixel(0, 0)[0], 255);
        assert_eq!(half(&GrayImage::new(1, 1)).dimensions(), (1, 1));
    }
}

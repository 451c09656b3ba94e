//! Image preparation for the decoder: rescaling, for codes too blurred,
//! noisy or small for the reader at the camera's size.

use image::GrayImage;

/// Halves the size by averaging 2×2 blocks: smooths sensor noise and makes a
/// large, blurred code sharp enough to threshold.
pub fn half(image: &GrayImage) -> GrayImage {
    if image.width() < 2 || image.height() < 2 {
        return image.clone();
    }
    let (w, h) = (image.width() / 2, image.height() / 2);
    GrayImage::from_fn(w, h, |x, y| {
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
    fn halves_and_doubles() {
        let image = GrayImage::from_fn(9, 7, |x, y| {
            image::Luma([u8::try_from(x * 10 + y).unwrap()])
        });
        assert_eq!(half(&image).dimensions(), (4, 3));
        assert_eq!(double(&image).dimensions(), (18, 14));
        assert_eq!(half(&GrayImage::new(1, 1)).dimensions(), (1, 1));
        assert_eq!(half(&GrayImage::new(0, 5)).dimensions(), (0, 5));
    }
}

//! zxing-cpp as a peer: the frames go to `bench/zxing_cpp_peer.py` as PGM
//! files, and its reads and times come back as JSON lines.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use image::GrayImage;

#[derive(serde::Deserialize)]
struct Read {
    file: String,
    texts: Vec<String>,
    ms: f64,
}

/// What zxing-cpp read in each image, in order, with its time; or why it
/// could not be asked (not installed, most often).
pub fn zxing_cpp(
    images: &[&GrayImage],
    scratch: &Path,
) -> Result<Vec<(Vec<String>, Duration)>, String> {
    let probe = Command::new("python3")
        .args(["-c", "import zxingcpp, PIL"])
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !probe.status.success() {
        return Err("python3 cannot import zxingcpp and PIL (pip install zxing-cpp pillow)".into());
    }
    let folder = scratch.join("zxing-cpp");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).map_err(|e| e.to_string())?;
    let mut listing = String::new();
    for (i, image) in images.iter().enumerate() {
        let name = format!("{i:05}.pgm");
        let mut file = std::fs::File::create(folder.join(&name)).map_err(|e| e.to_string())?;
        write!(file, "P5\n{} {}\n255\n", image.width(), image.height())
            .and_then(|()| file.write_all(image.as_raw()))
            .map_err(|e| e.to_string())?;
        listing.push_str(&name);
        listing.push('\n');
    }
    std::fs::write(folder.join("frames.txt"), listing).map_err(|e| e.to_string())?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/zxing_cpp_peer.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(&folder)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "the peer script failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let reads: Vec<Read> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the peer script's output: {e}"))?;
    if reads.len() != images.len() {
        return Err(format!("{} reads for {} images", reads.len(), images.len()));
    }
    let _ = std::fs::remove_dir_all(&folder);
    reads
        .into_iter()
        .enumerate()
        .map(|(i, read)| {
            if read.file == format!("{i:05}.pgm") {
                Ok((read.texts, Duration::from_secs_f64(read.ms / 1000.0)))
            } else {
                Err(format!("read {i} is of {}", read.file))
            }
        })
        .collect()
}

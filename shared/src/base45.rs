//! Base45 (RFC 9285): binary as text in the QR alphanumeric alphabet, which
//! packs 5.5 bits a character, so a signed card fits a low QR version.

use crate::Error;

const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

fn value_of(c: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&a| a == c)
        .and_then(|p| u32::try_from(p).ok())
}

fn push_digits(out: &mut String, mut n: u32, count: usize) {
    for _ in 0..count {
        // n % 45 < 45, so the index is in range.
        out.push(char::from(ALPHABET[(n % 45) as usize]));
        n /= 45;
    }
}

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    for pair in bytes.chunks(2) {
        match *pair {
            [a, b] => push_digits(&mut out, u32::from(a) << 8 | u32::from(b), 3),
            [a] => push_digits(&mut out, u32::from(a), 2),
            _ => {}
        }
    }
    out
}

pub fn decode(text: &str) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(text.len() / 3 * 2 + 1);
    for chunk in text.as_bytes().chunks(3) {
        let mut n = 0u32;
        let mut scale = 1u32;
        for &c in chunk {
            n += value_of(c).ok_or(Error::Base45)? * scale;
            scale *= 45;
        }
        match chunk.len() {
            3 => {
                let [hi, lo] = u16::try_from(n).map_err(|_| Error::Base45)?.to_be_bytes();
                out.extend([hi, lo]);
            }
            2 => out.push(u8::try_from(n).map_err(|_| Error::Base45)?),
            _ => return Err(Error::Base45),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn matches_the_rfc_examples() {
        assert_eq!(encode(b"AB"), "BB8");
        assert_eq!(encode(b"Hello!!"), "%69 VD92EX0");
        assert_eq!(encode(b"base-45"), "UJCLQE7W581");
        assert_eq!(decode("QED8WEX0").unwrap(), b"ietf!");
    }

    #[test]
    fn refuses_bad_text() {
        assert!(decode("GGW").is_err(), "65536 does not fit two bytes");
        assert!(decode("A").is_err());
        assert!(decode("ab").is_err(), "lower case is not in the alphabet");
        assert!(decode(":::").is_err());
    }

    proptest! {
        #[test]
        fn round_trips(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(decode(&encode(&bytes)).unwrap(), bytes);
        }

        #[test]
        fn never_panics(text in ".{0,200}") {
            let _ = decode(&text);
        }
    }
}

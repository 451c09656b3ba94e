//! Enrolment codes: what a volunteer types or shows to a new kiosk so that
//! it fetches its own token, instead of pasting 43 characters into a file.
//!
//! A code is 8 characters of an alphabet without look-alikes (no 0/O, 1/I/L,
//! U/V), printed as `ABCD-EFGH`. Typed codes are forgiving: case, spaces and
//! dashes do not matter. 29⁸ ≈ 5 × 10¹¹ codes, each alive 24 h and used
//! once, behind a rate limit: guessing one is not a way in.

use crate::Error;

/// The characters codes are made of.
pub const ALPHABET: &[u8; 29] = b"23456789ABCDEFGHJKMNPQRSTWXYZ";

/// Characters in a code.
pub const CODE_LEN: usize = 8;

/// What an enrolment QR code says: this prefix, then the code.
pub const QR_PREFIX: &str = "BAODAO-ENROL:";

/// Whether `c` (in either case) is one codes are made of.
pub fn is_code_char(c: char) -> bool {
    u8::try_from(c.to_ascii_uppercase()).is_ok_and(|b| ALPHABET.contains(&b))
}

/// A well-formed enrolment code (not yet checked against the server).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EnrolCode(String);

impl EnrolCode {
    /// A code from 8 random bytes (`getrandom` at the caller). The modulo
    /// bias of 256 over 29 makes some characters 9/8 as likely as others: it
    /// costs a fraction of a bit of the code's 38.9, which the rate limit does not notice.
    pub fn from_random(bytes: [u8; CODE_LEN]) -> Self {
        Self(
            bytes
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
                .collect(),
        )
    }

    /// A typed or scanned code: case, spaces and dashes are ignored, as is
    /// the QR prefix. Names the first character that is not in a code.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        let text = text
            .get(..QR_PREFIX.len())
            .filter(|head| head.eq_ignore_ascii_case(QR_PREFIX))
            .map_or(text, |_| &text[QR_PREFIX.len()..]);
        let mut code = String::with_capacity(CODE_LEN);
        for c in text.chars().filter(|c| !matches!(c, ' ' | '-')) {
            if !is_code_char(c) {
                return Err(Error::OutOfRange {
                    what: "enrolment code",
                    why: format!(
                        "has {c:?}, which codes do not use (they use 2-9 and A-Z without I, L, O, U, V)"
                    ),
                });
            }
            code.push(c.to_ascii_uppercase());
            if code.len() > CODE_LEN {
                break;
            }
        }
        // The characters kept are ASCII: bytes count them.
        if code.len() != CODE_LEN {
            return Err(Error::OutOfRange {
                what: "enrolment code",
                why: if code.len() > CODE_LEN {
                    format!("is longer than {CODE_LEN} characters")
                } else {
                    format!("has {} characters, not {CODE_LEN}", code.len())
                },
            });
        }
        Ok(Self(code))
    }

    /// The 8 characters, as stored (hashed) and compared.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the QR code on the office's screen says.
    pub fn qr_text(&self) -> String {
        format!("{QR_PREFIX}{}", self.0)
    }

    /// Whether a scanned text is meant as an enrolment code.
    pub fn is_qr_text(text: &str) -> bool {
        text.trim()
            .get(..QR_PREFIX.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(QR_PREFIX))
    }
}

/// Printed for people: `ABCD-EFGH`.
impl std::fmt::Display for EnrolCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (head, tail) = self.0.split_at(CODE_LEN / 2);
        write!(f, "{head}-{tail}")
    }
}

/// Never in logs by accident.
impl std::fmt::Debug for EnrolCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnrolCode(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alphabet_has_no_look_alikes_and_no_repeats() {
        for c in b"01ILOUV" {
            assert!(!ALPHABET.contains(c), "{}", char::from(*c));
        }
        let mut sorted = ALPHABET.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), ALPHABET.len());
    }

    #[test]
    fn a_code_reads_back_however_it_was_typed() {
        let code = EnrolCode::from_random([0, 1, 29, 30, 255, 100, 7, 200]);
        assert_eq!(code.as_str().len(), CODE_LEN);
        let shown = code.to_string();
        assert_eq!(shown.len(), CODE_LEN + 1);
        assert_eq!(&shown[4..5], "-");
        for typed in [
            shown.clone(),
            shown.to_lowercase(),
            format!("  {} ", code.as_str().to_lowercase()),
            shown.replace('-', " "),
            code.qr_text(),
            code.qr_text().to_lowercase(),
        ] {
            assert_eq!(EnrolCode::parse(&typed).unwrap(), code, "{typed:?}");
        }
        assert!(EnrolCode::is_qr_text(&code.qr_text()));
        assert!(!EnrolCode::is_qr_text(code.as_str()));
    }

    #[test]
    fn wrong_codes_say_what_is_wrong() {
        let err = EnrolCode::parse("ABCD-EFG0").unwrap_err().to_string();
        assert!(err.contains("'0'"), "{err}");
        let err = EnrolCode::parse("ABCD-EFG").unwrap_err().to_string();
        assert!(err.contains("7 characters"), "{err}");
        assert!(EnrolCode::parse("").is_err());
        assert!(EnrolCode::parse("ABCD-EFGHJ").is_err());
        assert!(EnrolCode::parse("ÄBCD-EFGH").is_err());
        let err = EnrolCode::parse(&"A".repeat(10_000))
            .unwrap_err()
            .to_string();
        assert!(err.contains("longer than 8"), "{err}");
        assert!(EnrolCode::parse(QR_PREFIX).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_refused_or_read_back_the_same(text in ".{0,40}", bytes in proptest::array::uniform8(0u8..)) {
            if let Ok(code) = EnrolCode::parse(&text) {
                proptest::prop_assert_eq!(EnrolCode::parse(&code.to_string()).unwrap(), code);
            }
            let made = EnrolCode::from_random(bytes);
            proptest::prop_assert_eq!(EnrolCode::parse(&made.qr_text()).unwrap(), made);
        }
    }

    #[test]
    fn debug_hides_the_code() {
        let code = EnrolCode::parse("ABCD-EFGH").unwrap();
        assert!(!format!("{code:?}").contains("ABCD"));
    }
}

//! What can be wrong with one cell or row of an import, as values: the
//! command line prints them in English (`Display`), the console in the
//! office's language (`console::i18n`).

/// One row's problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Empty,
    TooLong {
        max: usize,
    },
    ControlCharacters,
    /// An id that is not one (`why` in English).
    BadId {
        text: String,
        why: String,
    },
    UnknownCommunity {
        text: String,
    },
    UnknownKind {
        text: String,
    },
    NotATime {
        text: String,
        zone: String,
    },
    OutOfYears {
        text: String,
    },
    /// A local time a clock change skips or repeats.
    NoSuchLocalTime {
        text: String,
        zone: String,
    },
    EndsBeforeStart,
    /// The same key twice in one file.
    Twice {
        key: String,
    },
    /// A name another row of the registry has.
    NameTaken {
        name: String,
        by: String,
    },
    /// The file as a whole.
    EmptyFile {
        expected: String,
    },
    NotText {
        encoding: String,
    },
    NotAWorkbook {
        why: String,
    },
    CsvSyntax {
        why: String,
    },
    MissingColumns {
        missing: Vec<String>,
        found: Vec<String>,
    },
    DoubledColumn {
        name: String,
        first: String,
        second: String,
    },
    Other(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("the text is empty"),
            Self::TooLong { max } => write!(f, "the text is longer than {max} characters"),
            Self::ControlCharacters => f.write_str("the text contains control characters"),
            Self::BadId { text, why } => write!(f, "{text:?} is not an id: {why}"),
            Self::UnknownCommunity { text } => write!(
                f,
                "{text:?} is neither a community id nor the name of a registered community"
            ),
            Self::UnknownKind { text } => write!(
                f,
                "unknown activity kind {text:?}; a code such as sanitation, or a name such as 环境卫生整治 or 環境衛生整治"
            ),
            Self::NotATime { text, zone } => write!(
                f,
                "{text:?} is not a time; write 2026-12-01 09:00 (in {zone}) or 2026-12-01T09:00:00+08:00"
            ),
            Self::OutOfYears { text } => write!(f, "{text:?} is not between 2000 and 2100"),
            Self::NoSuchLocalTime { text, zone } => write!(
                f,
                "{text:?} does not name one moment in {zone} (a clock change)"
            ),
            Self::EndsBeforeStart => f.write_str("the activity ends before it starts"),
            Self::Twice { key } => write!(f, "{key} appears twice"),
            Self::NameTaken { name, by } => write!(f, "the name {name} is {by}'s already"),
            Self::EmptyFile { expected } => write!(f, "empty file; expected the header {expected}"),
            Self::NotText { encoding } => write!(
                f,
                "the file is not valid {encoding} text; save it as UTF-8 CSV or .xlsx, or name its encoding (--encoding)"
            ),
            Self::NotAWorkbook { why } => write!(f, "not a readable .xlsx workbook: {why}"),
            Self::CsvSyntax { why } => write!(f, "not readable as CSV: {why}"),
            Self::MissingColumns { missing, found } => write!(
                f,
                "the header lacks {}; it has {}",
                missing.join(", "),
                found
                    .iter()
                    .map(|h| format!("{h:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::DoubledColumn {
                name,
                first,
                second,
            } => write!(
                f,
                "the header has two columns for {name}: {first:?} and {second:?}"
            ),
            Self::Other(text) => f.write_str(text),
        }
    }
}

impl From<String> for Problem {
    fn from(text: String) -> Self {
        Self::Other(text)
    }
}

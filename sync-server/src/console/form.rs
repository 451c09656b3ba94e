//! A submitted form (`application/x-www-form-urlencoded`), read as pairs so
//! that a field may repeat (the review page's ticked records).

use axum::body::Bytes;

#[derive(Debug, Default)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    pub fn parse(body: &Bytes) -> Self {
        Self {
            pairs: form_urlencoded::parse(body).into_owned().collect(),
        }
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.trim())
    }

    /// The first value of `name` as sent (a file's text keeps its spaces).
    pub fn get_raw(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Every value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_repeat_and_decode() {
        let form = Form::parse(&Bytes::from_static(
            b"record=a&record=b&note=%E4%B8%AD+x&empty=",
        ));
        assert_eq!(form.all("record").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(form.get("note"), "中 x");
        assert_eq!(form.get("missing"), "");
        assert_eq!(form.get("empty"), "");
    }
}

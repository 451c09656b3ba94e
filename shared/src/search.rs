//! Finding a member the way people type: part of the name in Chinese,
//! part of the id (its digits), or the name's pinyin, in full (`zhangwei`)
//! or by initials (`zw`), without tones or spaces. The office's console
//! and the kiosk's manual check-in search alike.

use pinyin::ToPinyin;

/// The name's pinyin in full and its initials, lower case (characters with
/// no pinyin kept as they are).
pub fn pinyin_of(name: &str) -> (String, String) {
    let mut full = String::new();
    let mut initials = String::new();
    for (c, py) in name.chars().zip(name.to_pinyin()) {
        match py {
            Some(py) => {
                full.push_str(py.plain());
                initials.push_str(py.first_letter());
            }
            None if !c.is_whitespace() => {
                full.extend(c.to_lowercase());
                initials.extend(c.to_lowercase());
            }
            None => {}
        }
    }
    (full, initials)
}

/// Whether `query` (already lower case) finds the member `name` / `id`.
pub fn matches(query: &str, name: &str, id: &str) -> bool {
    if query.is_empty() {
        return true;
    }
    if name.to_lowercase().contains(query) || id.to_lowercase().contains(query) {
        return true;
    }
    let query: String = query.chars().filter(|c| !c.is_whitespace()).collect();
    if !query.is_ascii() {
        return false;
    }
    let (full, initials) = pinyin_of(name);
    full.contains(&query) || initials.starts_with(&query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_by_characters_id_or_pinyin() {
        assert_eq!(pinyin_of("張偉").0, "zhangwei");
        assert_eq!(pinyin_of("欧阳晓岚").1, "oyxl");
        assert!(matches("zhangwei", "張偉", "M001"));
        assert!(matches("zhang wei", "张伟", "M001"));
        assert!(matches("zw", "張偉", "M001"));
        assert!(matches("偉", "張偉", "M001"));
        assert!(matches("m001", "張偉", "M001"));
        assert!(!matches("lina", "張偉", "M001"));
        assert!(!matches("wz", "張偉", "M001"));
        assert!(matches("", "張偉", "M001"));
    }
}

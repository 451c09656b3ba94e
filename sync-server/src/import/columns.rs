//! The columns each import reads, under the headers offices write them
//! with: the English names the exports use, or Chinese (Simplified or
//! Traditional), in any order. Columns nobody asked for are ignored and
//! named in the report.

use super::problem::Problem;

/// One column: the name the exports use, and the other headers taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// May be missing from the file (then every row has it empty).
    pub optional: bool,
}

const fn column(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        aliases,
        optional: false,
    }
}

const fn optional(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        aliases,
        optional: true,
    }
}

pub const MEMBER: [Column; 4] = [
    column(
        "member_id",
        &[
            "编号",
            "編號",
            "党员编号",
            "黨員編號",
            "成员编号",
            "成員編號",
        ],
    ),
    column("name", &["姓名"]),
    column(
        "organization",
        &[
            "所属党组织",
            "所屬黨組織",
            "党组织",
            "黨組織",
            "所属单位",
            "所屬單位",
        ],
    ),
    column("community", &["社区", "社區", "所属社区", "所屬社區"]),
];

pub const ACTIVITY: [Column; 6] = [
    column("activity_id", &["编号", "編號", "活动编号", "活動編號"]),
    column("title", &["活动名称", "活動名稱", "名称", "名稱"]),
    column("kind", &["类型", "類型", "活动类型", "活動類型"]),
    column("community", &["社区", "社區"]),
    column("starts_at", &["开始时间", "開始時間", "开始", "開始"]),
    column("ends_at", &["结束时间", "結束時間", "结束", "結束"]),
];

pub const COMMUNITY: [Column; 4] = [
    column("community_id", &["社区编号", "社區編號", "编号", "編號"]),
    column("name", &["名称", "名稱", "社区名称", "社區名稱"]),
    optional("subdistrict", &["街道"]),
    optional("district", &["区", "區", "区县", "區縣"]),
];

pub const ORGANIZATION: [Column; 3] = [
    column(
        "organization_id",
        &["党组织编号", "黨組織編號", "编号", "編號"],
    ),
    column("name", &["名称", "名稱", "党组织名称", "黨組織名稱"]),
    optional(
        "communities",
        &[
            "结对社区",
            "結對社區",
            "共建社区",
            "共建社區",
            "社区",
            "社區",
        ],
    ),
];

/// Where each wanted column is in the file (`None`: an optional one that
/// is absent), the headers as the file wrote them, and what was ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout<const N: usize> {
    pub index: [Option<usize>; N],
    pub headers: [String; N],
    pub ignored: Vec<String>,
}

/// A header as compared: case, spaces, `_` and `-` aside, and a BOM
/// some editors leave on the first cell.
fn key(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\u{3000}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Finds `columns` in a header row.
pub fn layout<const N: usize>(
    header: &[String],
    columns: &[Column; N],
) -> Result<Layout<N>, Problem> {
    let mut index = [None; N];
    let mut ignored = Vec::new();
    for (at, text) in header.iter().enumerate() {
        let found = key(text);
        if found.is_empty() {
            continue;
        }
        let wanted = columns
            .iter()
            .position(|c| key(c.name) == found || c.aliases.iter().any(|a| key(a) == found));
        match wanted {
            Some(i) if index[i].is_some() => {
                return Err(Problem::DoubledColumn {
                    name: columns[i].name.to_owned(),
                    first: header
                        .get(index[i].unwrap_or_default())
                        .cloned()
                        .unwrap_or_default(),
                    second: text.clone(),
                });
            }
            Some(i) => index[i] = Some(at),
            None => ignored.push(text.trim().to_owned()),
        }
    }
    let missing: Vec<String> = columns
        .iter()
        .zip(&index)
        .filter(|(c, i)| i.is_none() && !c.optional)
        .map(|(c, _)| match c.aliases.first() {
            Some(alias) => format!("{} ({alias})", c.name),
            None => c.name.to_owned(),
        })
        .collect();
    if !missing.is_empty() {
        return Err(Problem::MissingColumns {
            missing,
            found: header.to_vec(),
        });
    }
    let headers = std::array::from_fn(|i| {
        index[i].map_or_else(
            || columns[i].name.to_owned(),
            |at| header[at].trim_start_matches('\u{feff}').trim().to_owned(),
        )
    });
    Ok(Layout {
        index,
        headers,
        ignored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn chinese_headers_in_any_order_with_extras_ignored() {
        let found = layout(
            &header(&["\u{feff}姓名", "备注", "社區", "編號", "所屬黨組織", ""]),
            &MEMBER,
        )
        .unwrap();
        assert_eq!(found.index, [Some(3), Some(0), Some(4), Some(2)]);
        assert_eq!(found.headers[1], "姓名");
        assert_eq!(found.ignored, vec!["备注"]);
        let english = layout(
            &header(&["Member ID", "NAME", "organization", "community"]),
            &MEMBER,
        )
        .unwrap();
        assert_eq!(english.index, [Some(0), Some(1), Some(2), Some(3)]);
    }

    #[test]
    fn a_missing_or_doubled_column_is_named() {
        let err = layout(&header(&["姓名", "社区"]), &MEMBER)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("member_id (编号)") && err.contains("organization"),
            "{err}"
        );
        let err = layout(&header(&["编号", "member_id", "姓名"]), &MEMBER)
            .unwrap_err()
            .to_string();
        assert!(err.contains("two columns for member_id"), "{err}");
        // An optional column may be absent.
        let found = layout(&header(&["编号", "名称"]), &COMMUNITY).unwrap();
        assert_eq!(found.index, [Some(0), Some(1), None, None]);
    }
}

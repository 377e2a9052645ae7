//! Names as pinyin, so that lists sort and search as WPS, Excel and WeChat do for Chinese
//! users: 张伟 sorts under Z with Zoe, and is found by "zw", "zhangw" or "zhangwei".
//!
//! The readings are the `pinyin` crate's, compacted at build time into a table of the CJK
//! Unified Ideographs block (see `build.rs` for why not the crate itself). A character has
//! one reading here, its most common one; for the first character of a name, the surname
//! reading of the few surnames read otherwise (曾 zeng, not ceng) comes first.

/// Every toneless syllable, numbered from 1 (0 is "no reading").
const SYLLABLES: &[&str] = include!(concat!(env!("OUT_DIR"), "/pinyin_syllables.rs"));
/// For each character from U+4E00 to U+9FFF, its syllable's number, two bytes little-endian.
const TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pinyin_table.bin"));
const FIRST: u32 = 0x4E00;

/// Surnames read differently from the character's most common reading.
const SURNAMES: &[(char, &str)] = &[
    ('曾', "zeng"),
    ('单', "shan"),
    ('解', "xie"),
    ('查', "zha"),
    ('仇', "qiu"),
    ('朴', "piao"),
    ('区', "ou"),
    ('乐', "yue"),
    ('覃', "qin"),
    ('翟', "zhai"),
    ('缪', "miao"),
    ('长', "chang"),
    ('盖', "ge"),
    ('召', "shao"),
    ('秘', "bi"),
    ('牟', "mu"),
    ('种', "chong"),
    ('重', "chong"),
    ('员', "yun"),
    ('句', "gou"),
    ('尉', "yu"),
];

/// The toneless pinyin of a Chinese character, if it has one in the table.
pub fn syllable(c: char) -> Option<&'static str> {
    if c == '〇' {
        return Some("ling");
    }
    let index = usize::try_from(u32::from(c).checked_sub(FIRST)?).ok()?;
    let bytes = TABLE.get(index * 2..index * 2 + 2)?;
    let number = u16::from_le_bytes([bytes[0], bytes[1]]);
    SYLLABLES
        .get(usize::from(number))
        .filter(|s| !s.is_empty())
        .copied()
}

/// Calls `piece` with each piece a name is spelled with, in order: the pinyin of each
/// Chinese character, and each run of letters and digits in lower case. Spaces and
/// punctuation separate pieces. (A visitor, not a list: this runs for every member on every
/// sort and search, and allocates only for Latin words.)
fn spell(name: &str, mut piece: impl FnMut(&str)) {
    let mut word = String::new();
    for (position, c) in name.chars().enumerate() {
        let surname = (position == 0)
            .then(|| SURNAMES.iter().find(|(surname, _)| *surname == c))
            .flatten();
        if let Some(reading) = surname.map(|(_, reading)| *reading).or_else(|| syllable(c)) {
            if !word.is_empty() {
                piece(&word);
                word.clear();
            }
            piece(reading);
        } else if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            piece(&word);
            word.clear();
        }
    }
    if !word.is_empty() {
        piece(&word);
    }
}

/// Where a name sorts: by its pinyin letter by letter, Chinese and Latin names mixed as in a
/// WeChat contact list (Alice, 安娜, Bob, 白雪), names that start with no letter after the
/// rest; then by the name itself, so 张伟 and 章伟 keep one order.
pub fn sort_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() * 3 + 2);
    key.push('0');
    spell(name, |piece| {
        if key.len() > 1 {
            key.push(' ');
        }
        key.push_str(piece);
    });
    if !key[1..].starts_with(|c: char| c.is_alphabetic()) {
        key.replace_range(0..1, "1");
    }
    // Below every letter and space: "li" and "li na" keep their order after the name.
    key.push('\u{0}');
    key.push_str(name);
    key
}

/// A search as pinyin: what was typed (lower case), without spaces, if it could spell a name
/// at all (letters and digits only). Made once per search, then matched against every name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinyinSearch(String);

impl PinyinSearch {
    pub fn new(needle: &str) -> Option<Self> {
        if !needle
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ')
        {
            return None;
        }
        let needle: String = needle.chars().filter(|c| *c != ' ').collect();
        (!needle.is_empty()).then_some(Self(needle))
    }

    /// Whether it spells `name`: a part of its full spelling without spaces ("zhangw" for
    /// 张伟) or of its initials ("zw").
    pub fn matches(&self, name: &str) -> bool {
        let mut full = String::with_capacity(name.len() * 3);
        let mut initials = String::with_capacity(name.len());
        spell(name, |piece| {
            full.push_str(piece);
            initials.extend(piece.chars().next());
        });
        full.contains(&self.0) || initials.contains(&self.0)
    }
}

/// A name's whole spelling without spaces, in lower case ("zhangwei" for 张伟, "alicesmith"
/// for Alice Smith): how a name typed in pinyin is compared with it.
pub fn full_spelling(name: &str) -> String {
    let mut full = String::with_capacity(name.len() * 3);
    spell(name, |piece| full.push_str(piece));
    full
}

/// Whether `needle` (lower case, as typed) spells `name` in pinyin ([`PinyinSearch`]).
pub fn spells(name: &str, needle: &str) -> bool {
    PinyinSearch::new(needle).is_some_and(|search| search.matches(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_read_as_their_common_syllable() {
        assert_eq!(syllable('张'), Some("zhang"));
        assert_eq!(syllable('伟'), Some("wei"));
        assert_eq!(syllable('〇'), Some("ling"));
        assert_eq!(syllable('a'), None);
        assert_eq!(syllable('😀'), None);
    }

    fn pieces(name: &str) -> Vec<String> {
        let mut pieces = Vec::new();
        spell(name, |piece| pieces.push(piece.to_owned()));
        pieces
    }

    #[test]
    fn surnames_read_as_surnames_only_first() {
        assert_eq!(pieces("曾国藩"), ["zeng", "guo", "fan"]);
        assert_eq!(pieces("何曾"), ["he", "ceng"]);
        assert_eq!(pieces("单田芳"), ["shan", "tian", "fang"]);
    }

    #[test]
    fn mixed_names_split_into_syllables_and_words() {
        assert_eq!(pieces("Lisa 王"), ["lisa", "wang"]);
        assert_eq!(pieces("王Lisa2"), ["wang", "lisa2"]);
        assert_eq!(pieces("  "), Vec::<String>::new());
    }

    #[test]
    fn names_sort_as_in_a_wechat_contact_list() {
        let mut names = vec![
            "白雪", "Zoe", "张伟", "安娜", "bob", "Alice", "曾静", "123", "章伟",
        ];
        names.sort_by_cached_key(|name| sort_key(name));
        assert_eq!(
            names,
            [
                "Alice", "安娜", "白雪", "bob", "曾静", "张伟", "章伟", "Zoe", "123"
            ]
        );
    }

    #[test]
    fn pinyin_initials_and_spelling_find_a_name() {
        for needle in ["zw", "zhangwei", "zhangw", "zhang wei", "wei", "w"] {
            assert!(spells("张伟", needle), "{needle}");
        }
        for needle in ["zx", "zhangx", "张", "", "zw!"] {
            assert!(!spells("张伟", needle), "{needle}");
        }
        assert!(spells("Lisa 王", "lw"));
        assert!(spells("曾静", "zj"));
    }
}

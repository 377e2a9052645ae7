//! The sections of the app, in navigation order. One list feeds the navigation, the routes and
//! the page titles, so they cannot disagree.

use cohort_model::{GroupId, MemberId};

use crate::i18n::{Locale, td_string};

/// A top-level area of a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    Members,
    Recruitment,
    Roles,
    KeyUsers,
    Feedback,
    Activities,
    Training,
    Analytics,
}

impl Section {
    /// Every section, in navigation order.
    pub const ALL: [Self; 8] = [
        Self::Members,
        Self::Recruitment,
        Self::Roles,
        Self::KeyUsers,
        Self::Feedback,
        Self::Activities,
        Self::Training,
        Self::Analytics,
    ];

    /// The section a person lands on.
    pub const HOME: Self = Self::Members;

    /// The URL path segment of the section, e.g. `key-users`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Members => "members",
            Self::Recruitment => "recruitment",
            Self::Roles => "roles",
            Self::KeyUsers => "key-users",
            Self::Feedback => "feedback",
            Self::Activities => "activities",
            Self::Training => "training",
            Self::Analytics => "analytics",
        }
    }

    /// The URL of a member's page in a group.
    pub fn member_href(group: GroupId, member: &MemberId) -> String {
        format!("{}/{member}", Self::Members.href(group))
    }

    /// The section at a URL path segment, such as `key-users`.
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|section| section.slug() == slug)
    }

    /// The URL of the section in a group, e.g. `/g/2j9k…/key-users`.
    pub fn href(self, group: GroupId) -> String {
        format!("/g/{group}/{}", self.slug())
    }

    /// The name shown in the navigation and as the page heading.
    pub fn title(self, locale: Locale) -> &'static str {
        match self {
            Self::Members => td_string!(locale, section.members),
            Self::Recruitment => td_string!(locale, section.recruitment),
            Self::Roles => td_string!(locale, section.roles),
            Self::KeyUsers => td_string!(locale, section.key_users),
            Self::Feedback => td_string!(locale, section.feedback),
            Self::Activities => td_string!(locale, section.activities),
            Self::Training => td_string!(locale, section.training),
            Self::Analytics => td_string!(locale, section.analytics),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Section;

    #[test]
    fn every_link_leads_back_to_its_section() {
        let group: cohort_model::GroupId = "4NMNnkMhL8jXrdJ9jamS58PAVdXu".parse().unwrap();
        for section in Section::ALL {
            let href = section.href(group);
            assert!(
                href.starts_with("/g/4NMNnkMhL8jXrdJ9jamS58PAVdXu/"),
                "{href}"
            );
            let slug = href.rsplit('/').next().unwrap();
            assert_eq!(Section::from_slug(slug), Some(section));
        }
    }

    #[test]
    fn paths_and_titles_are_distinct() {
        let paths: std::collections::HashSet<_> = Section::ALL.map(Section::slug).into();
        assert_eq!(paths.len(), Section::ALL.len());
        for locale in [crate::i18n::Locale::en, crate::i18n::Locale::zh_CN] {
            let titles: std::collections::HashSet<_> =
                Section::ALL.map(|section| section.title(locale)).into();
            assert_eq!(titles.len(), Section::ALL.len(), "{locale:?}");
        }
    }

    #[test]
    fn unknown_slugs_are_no_section() {
        assert_eq!(Section::from_slug(""), None);
        assert_eq!(Section::from_slug("Members"), None);
        assert_eq!(Section::from_slug("members/1"), None);
    }
}

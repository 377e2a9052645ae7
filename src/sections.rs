//! The sections of the app, in navigation order. One list feeds the navigation, the routes and
//! the page titles, so they cannot disagree.

use cohort_model::{GroupId, MemberId};

/// A top-level area of a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    Members,
    Roles,
    KeyUsers,
    Feedback,
    Activities,
    Analytics,
}

impl Section {
    /// Every section, in navigation order.
    pub const ALL: [Self; 6] = [
        Self::Members,
        Self::Roles,
        Self::KeyUsers,
        Self::Feedback,
        Self::Activities,
        Self::Analytics,
    ];

    /// The section a person lands on.
    pub const HOME: Self = Self::Members;

    /// The URL path segment of the section, e.g. `key-users`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Members => "members",
            Self::Roles => "roles",
            Self::KeyUsers => "key-users",
            Self::Feedback => "feedback",
            Self::Activities => "activities",
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
    pub fn title(self) -> &'static str {
        match self {
            Self::Members => "Members",
            Self::Roles => "Roles",
            Self::KeyUsers => "Key users",
            Self::Feedback => "Feedback",
            Self::Activities => "Activities",
            Self::Analytics => "Analytics",
        }
    }

    /// One sentence on what an organizer does here.
    pub fn summary(self) -> &'static str {
        match self {
            Self::Members => {
                "Recruit and screen applicants, keep each member's contacts and tags, and follow \
                 them through their life in the group."
            }
            Self::Roles => {
                "Give every role clear responsibilities and see who holds it, and who holds none."
            }
            Self::KeyUsers => {
                "Know who matters most to the project, what they need, and when to contact them \
                 next."
            }
            Self::Feedback => {
                "Collect feedback from members and key users and follow each item to resolution."
            }
            Self::Activities => {
                "Plan discussions, sharing sessions, team events and trainings, and record who \
                 came."
            }
            Self::Analytics => {
                "See participation, retention and churn, members at risk, role coverage and \
                 feedback scores."
            }
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
        let titles: std::collections::HashSet<_> = Section::ALL.map(Section::title).into();
        assert_eq!(paths.len(), Section::ALL.len());
        assert_eq!(titles.len(), Section::ALL.len());
    }

    #[test]
    fn unknown_slugs_are_no_section() {
        assert_eq!(Section::from_slug(""), None);
        assert_eq!(Section::from_slug("Members"), None);
        assert_eq!(Section::from_slug("members/1"), None);
    }
}

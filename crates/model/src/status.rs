//! The lifecycles of a member and of a piece of feedback.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a person stands in a group.
///
/// The usual path is applicant → active → inactive → left; [`MemberStatus::can_become`]
/// says which moves an organizer may make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MemberStatus {
    /// Has applied or been proposed; not yet part of the group.
    Applicant,
    /// Takes part in the group.
    Active,
    /// Still a member, but has not taken part for a while.
    Inactive,
    /// Has left the group, or was not accepted.
    Left,
}

impl MemberStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 4] = [Self::Applicant, Self::Active, Self::Inactive, Self::Left];

    /// The name an organizer reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::Applicant => "Applicant",
            Self::Active => "Active",
            Self::Inactive => "Inactive",
            Self::Left => "Left",
        }
    }

    /// The value stored in the document (see `docs/schema.md`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Applicant => "applicant",
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Left => "left",
        }
    }

    /// The status stored as `key`, if it is one this version knows.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.key() == key)
    }

    /// Whether an organizer may move a member from `self` to `next`.
    ///
    /// Anyone may leave; an applicant joins by becoming active; an inactive member can come
    /// back; someone who left can rejoin as active. Staying put is not a move.
    pub fn can_become(self, next: Self) -> bool {
        use MemberStatus::*;
        matches!(
            (self, next),
            (Applicant, Active)
                | (Applicant | Active | Inactive, Left)
                | (Active, Inactive)
                | (Inactive | Left, Active)
        )
    }
}

impl fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where a piece of feedback stands: new → triaged → in progress → resolved or declined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FeedbackStatus {
    /// Received, nobody has looked at it yet.
    New,
    /// Read and judged; waiting for someone to act.
    Triaged,
    /// Someone is acting on it.
    InProgress,
    /// Acted on; done.
    Resolved,
    /// Decided against acting on it.
    Declined,
}

impl FeedbackStatus {
    /// Every status, in workflow order.
    pub const ALL: [Self; 5] = [
        Self::New,
        Self::Triaged,
        Self::InProgress,
        Self::Resolved,
        Self::Declined,
    ];

    /// The name an organizer reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::New => "New",
            Self::Triaged => "Triaged",
            Self::InProgress => "In progress",
            Self::Resolved => "Resolved",
            Self::Declined => "Declined",
        }
    }

    /// The value stored in the document (see `docs/schema.md`).
    pub fn key(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Triaged => "triaged",
            Self::InProgress => "in_progress",
            Self::Resolved => "resolved",
            Self::Declined => "declined",
        }
    }

    /// The status stored as `key`, if it is one this version knows.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.key() == key)
    }

    /// Whether the feedback is closed (resolved or declined).
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Resolved | Self::Declined)
    }

    /// Whether an organizer may move feedback from `self` to `next`.
    ///
    /// Open feedback moves forward or is closed; closed feedback can be reopened as triaged.
    pub fn can_become(self, next: Self) -> bool {
        use FeedbackStatus::*;
        matches!(
            (self, next),
            (New, Triaged)
                | (New | Triaged, InProgress)
                | (New | Triaged | InProgress, Resolved | Declined)
                | (Resolved | Declined, Triaged)
        )
    }
}

impl fmt::Display for FeedbackStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::FeedbackStatus;
    use super::MemberStatus::{self, *};

    #[test]
    fn the_usual_path_is_allowed() {
        assert!(Applicant.can_become(Active));
        assert!(Active.can_become(Inactive));
        assert!(Inactive.can_become(Left));
    }

    #[test]
    fn members_can_come_back() {
        assert!(Inactive.can_become(Active));
        assert!(Left.can_become(Active));
    }

    #[test]
    fn an_applicant_cannot_skip_to_inactive_nor_return_to_applicant() {
        assert!(!Applicant.can_become(Inactive));
        for status in MemberStatus::ALL {
            assert!(!status.can_become(Applicant), "{status} -> Applicant");
        }
    }

    #[test]
    fn staying_put_is_not_a_move() {
        for status in MemberStatus::ALL {
            assert!(!status.can_become(status), "{status}");
        }
    }

    #[test]
    fn everyone_but_the_departed_can_leave() {
        for status in [Applicant, Active, Inactive] {
            assert!(status.can_become(Left), "{status}");
        }
    }

    #[test]
    fn labels_are_distinct_and_match_display() {
        let labels: std::collections::BTreeSet<_> =
            MemberStatus::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(labels.len(), MemberStatus::ALL.len());
        assert_eq!(Active.to_string(), "Active");
    }

    #[test]
    fn stored_keys_round_trip() {
        for status in MemberStatus::ALL {
            assert_eq!(MemberStatus::from_key(status.key()), Some(status));
        }
        for status in FeedbackStatus::ALL {
            assert_eq!(FeedbackStatus::from_key(status.key()), Some(status));
        }
        assert_eq!(MemberStatus::from_key("Active"), None);
    }

    #[test]
    fn feedback_moves_forward_closes_and_reopens() {
        use FeedbackStatus as F;
        assert!(F::New.can_become(F::Triaged));
        assert!(F::Triaged.can_become(F::InProgress));
        assert!(F::InProgress.can_become(F::Resolved));
        assert!(F::New.can_become(F::Declined));
        assert!(F::Resolved.can_become(F::Triaged));
        assert!(!F::InProgress.can_become(F::New));
        assert!(!F::Resolved.can_become(F::Declined));
        for status in F::ALL {
            assert!(!status.can_become(status), "{status}");
        }
    }
}

//! The lifecycle of a member in a group.

use std::fmt;

/// Where a person stands in a group.
///
/// The usual path is applicant → active → inactive → left; [`MemberStatus::can_become`]
/// says which moves an organizer may make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

#[cfg(test)]
mod tests {
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
}

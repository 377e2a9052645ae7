//! The group domain of Cohort: plain types, rules and the group document, with no I/O.
//!
//! This crate knows nothing of Leptos, tokio or the DOM. It builds for wasm32 (the app and
//! its worker) and for the native target (the relay, tests), and is tested with plain
//! `cargo test`.

/// A closed set of values, each written in the document as its key.
macro_rules! keyed_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$variant_doc:meta])* $variant:ident = $key:literal,)+ }) => {
        $(#[$doc])*
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            ::serde::Serialize,
            ::serde::Deserialize,
        )]
        pub enum $name {
            $($(#[$variant_doc])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The value written in the document.
            pub fn key(self) -> &'static str {
                match self {
                    $(Self::$variant => $key,)+
                }
            }

            /// The value a document key names; `None` for one this version does not know.
            pub fn from_key(key: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.key() == key)
            }
        }
    };
}

mod action;
pub mod activity;
pub mod activity_files;
pub mod analytics;
pub mod calendar;
pub mod contact;
pub mod digest;
mod doc;
pub mod duplicates;
mod ids;
pub mod key_users;
pub mod pinyin;
pub mod protocol;
mod query;
mod records;
pub mod recruitment;
#[cfg(feature = "sample")]
pub mod sample;
pub mod sheet;
pub mod sign_in;
mod status;
#[cfg(feature = "store")]
pub mod store;
pub mod training;
pub mod validate;

pub use action::{
    Action, FeedbackField, KeyUserAction, MemberField, ProfileField, RecruitmentAction, RoleField,
};
pub use activity::{
    Activity, ActivityDraft, ActivityField, ActivityKind, Duty, Invitee, Mark, Raci,
};
/// The Automerge crate this model is built on, for storage and sync.
pub use automerge;
pub use contact::{ContactChannel, Touchpoint, TouchpointDraft, TouchpointField};
pub use doc::history;
pub use doc::{
    ApplyError, GroupDoc, LoadError, RecordUpdate, SCHEMA_VERSION, Touched, TouchedRecords, Update,
    checked_member, checked_member_field,
};
pub use ids::{
    ActivityId, ApplicationId, CriterionId, DeviceId, DigestId, DutyId, ExpectationId, FeedbackId,
    GroupId, MemberId, NeedId, NoRandomness, NotAGroupId, PlacingId, ReadingId, RoleId,
    ScreeningId, TouchpointId, TrainingId,
};
pub use query::{FeedbackQuery, MemberChanges, MemberQuery, MemberSort, RoleFilter};
#[cfg(feature = "store")]
pub use records::GroupStoreFields;
pub use records::{
    Contacts, Feedback, FeedbackChange, FeedbackDraft, FeedbackPart, FeedbackValue, Group, Member,
    MemberChange, MemberDraft, MemberPart, MemberValue, Millis, OfMember, Profile, Record,
    RecordChange, Role, RoleDraft, StatusChange, gave_feedback, holds_a_role, release_roles,
    unlink_feedback,
};
pub use status::{FeedbackStatus, MemberStatus};
pub use training::{
    Training, TrainingDraft, TrainingField, TrainingFormat, TrainingResult, TrainingScore,
};
pub use validate::{Field, Invalid, Problem};

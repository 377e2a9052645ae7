//! The group document in Automerge: schema v1 (see `docs/schema.md`), one write per field.

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::{Transactable, Transaction};
use automerge::{
    Automerge, AutomergeError, ChangeHash, ObjId, ObjType, Patch, PatchAction, PatchLog, Prop,
    ROOT, ReadDoc, ScalarValue, Value, hydrate,
};

use crate::action::{FeedbackField, MemberField, ProfileField, RoleField};
use crate::key_users::{Criterion, Expectation, Need, Placing, Reading};
use crate::records::{FeedbackChange, MemberChange, Record, RecordChange};
use crate::recruitment::{Application, ScreeningCriterion};
use crate::validate::{self, Field, Invalid, Problem};
use crate::{
    Action, Activity, ActivityField, ActivityId, ActivityKind, ApplicationId, ContactChannel,
    Contacts, CriterionId, DigestId, Duty, DutyId, ExpectationId, Feedback, FeedbackDraft,
    FeedbackId, FeedbackPart, FeedbackStatus, FeedbackValue, Group, Invitee, KeyUserAction, Mark,
    Member, MemberDraft, MemberId, MemberPart, MemberStatus, MemberValue, Millis, NeedId,
    PlacingId, Profile, Raci, ReadingId, RecruitmentAction, Role, RoleDraft, RoleId, ScreeningId,
    StatusChange, Touchpoint, TouchpointDraft, TouchpointField, TouchpointId, Training,
    TrainingField, TrainingFormat, TrainingId, TrainingResult, TrainingScore,
};

/// The schema version this build writes and reads; see "Changing the schema" in
/// `docs/schema.md`.
pub const SCHEMA_VERSION: i64 = 1;

/// Keys of the document, exactly as `docs/schema.md` lists them.
mod key {
    pub const SCHEMA: &str = "schema";
    pub const PROFILE: &str = "profile";
    pub const MEMBERS: &str = "members";
    pub const ROLES: &str = "roles";
    pub const FEEDBACK: &str = "feedback";
    pub const CREATED_AT: &str = "created_at";
    pub const NAME: &str = "name";
    pub const DESCRIPTION: &str = "description";
    pub const PURPOSE: &str = "purpose";
    pub const RULES: &str = "rules";
    pub const EMAIL: &str = "email";
    pub const PHONE: &str = "phone";
    pub const WECHAT: &str = "wechat";
    pub const OTHER_CONTACT: &str = "other_contact";
    pub const TAGS: &str = "tags";
    pub const STATUS: &str = "status";
    pub const STATUS_HISTORY: &str = "status_history";
    pub const AT: &str = "at";
    pub const SOURCE: &str = "source";
    pub const JOINED: &str = "joined";
    pub const NOTES: &str = "notes";
    pub const ADDED_AT: &str = "added_at";
    pub const RESPONSIBILITIES: &str = "responsibilities";
    pub const HOLDERS: &str = "holders";
    pub const MEMBER: &str = "member";
    pub const CHANNEL: &str = "channel";
    pub const CATEGORY: &str = "category";
    pub const SCORE: &str = "score";
    pub const TEXT: &str = "text";
    pub const OWNER: &str = "owner";
    pub const RECEIVED_AT: &str = "received_at";
    pub const TOUCHPOINTS: &str = "touchpoints";
    pub const BY: &str = "by";
    pub const SUMMARY: &str = "summary";
    pub const FOLLOW_UP: &str = "follow_up";
    pub const DUE: &str = "due";
    pub const DONE_AT: &str = "done_at";
    pub const LOGGED_AT: &str = "logged_at";
    pub const ACTIVITIES: &str = "activities";
    pub const KIND: &str = "kind";
    pub const TITLE: &str = "title";
    pub const STARTS_AT: &str = "starts_at";
    pub const ENDS_AT: &str = "ends_at";
    pub const PLACE: &str = "place";
    pub const LINK: &str = "link";
    pub const ORGANIZER: &str = "organizer";
    pub const INVITED_MEMBERS: &str = "invited_members";
    pub const INVITED_ROLES: &str = "invited_roles";
    pub const INVITED_TAGS: &str = "invited_tags";
    pub const ATTENDANCE: &str = "attendance";
    pub const DUTIES: &str = "duties";
    pub const ASSIGNMENTS: &str = "assignments";
    pub const TRAININGS: &str = "trainings";
    pub const FORMAT: &str = "format";
    pub const MATERIALS: &str = "materials";
    pub const SESSIONS: &str = "sessions";
    pub const COMPLETED: &str = "completed";
    pub const SCORE_BEFORE: &str = "score_before";
    pub const SCORE_AFTER: &str = "score_after";
    pub const SATISFACTION: &str = "satisfaction";
    pub const KEY_DECISION: &str = "key_decision";
    pub const VERDICT: &str = "verdict";
    pub const REASON: &str = "reason";
    pub const CRITERIA: &str = "criteria";
    pub const WEIGHT: &str = "weight";
    pub const SCORES: &str = "scores";
    pub const PLACINGS: &str = "placings";
    pub const INFLUENCE: &str = "influence";
    pub const INTEREST: &str = "interest";
    pub const NEEDS: &str = "needs";
    pub const STATEMENT: &str = "statement";
    pub const PRIORITY: &str = "priority";
    pub const STATUS_AT: &str = "status_at";
    pub const EXPECTATIONS: &str = "expectations";
    pub const AGREEMENT: &str = "agreement";
    pub const STATE: &str = "state";
    pub const EXPLANATION: &str = "explanation";
    pub const READINGS: &str = "readings";
    pub const VALUE: &str = "value";
    pub const SCALE: &str = "scale";
    pub const APPLICATIONS: &str = "applications";
    pub const SCREENING: &str = "screening";
    pub const STAGE: &str = "stage";
    pub const STAGE_HISTORY: &str = "stage_history";
    pub const REFERRER: &str = "referrer";
    pub const APPLIED_ON: &str = "applied_on";
    pub const CHECKS: &str = "checks";
    pub const CHECK_NOTES: &str = "check_notes";
    pub const DIGESTS: &str = "digests";
    pub const ORGANIZERS: &str = "organizers";
    pub const MERGED_INTO: &str = "merged_into";
    pub const FROM: &str = "from";
    pub const TO: &str = "to";
    pub const ITEMS: &str = "items";
    pub const NOT_DUPLICATES: &str = "not_duplicates";
}

mod digest;
pub mod history;
mod key_users;
mod merge;
mod recruitment;

/// The collections added to schema 1 after its first release, each addition made by one
/// change that is the same bytes on every device: a fixed actor, time 0, and as its only
/// dependency the addition before it. Two organizers who each add a collection offline
/// therefore add the same change, which Automerge keeps once, instead of two maps of which
/// one would hide the other's records. (Collections made with the group itself, such as
/// `members`, need no such change.)
///
/// Each entry is one change, in order. Never change an entry: its change must stay the same
/// bytes. A later addition is a new entry at the end.
const ADDED_COLLECTIONS: [&[&str]; 4] = [
    &[key::TOUCHPOINTS, key::ACTIVITIES],
    &[key::TRAININGS],
    &[
        key::CRITERIA,
        key::PLACINGS,
        key::NEEDS,
        key::EXPECTATIONS,
        key::READINGS,
    ],
    &[
        key::APPLICATIONS,
        key::SCREENING,
        key::DIGESTS,
        key::ORGANIZERS,
        key::NOT_DUPLICATES,
    ],
];

/// The changes that make [`ADDED_COLLECTIONS`], in order.
fn schema_additions() -> Result<Vec<automerge::Change>, AutomergeError> {
    let actor = automerge::ActorId::from(b"cohort-schema-v1".as_slice());
    let mut doc = Automerge::new().with_actor(actor);
    for collections in ADDED_COLLECTIONS {
        doc.transact_with(
            |_| automerge::transaction::CommitOptions::default().with_time(0),
            |tx| {
                for collection in collections {
                    tx.put_object(ROOT, *collection, ObjType::Map)?;
                }
                Ok::<_, AutomergeError>(())
            },
        )
        .map_err(|failure| failure.error)?;
    }
    Ok(doc.get_changes(&[]))
}

/// Whether `actions` write to a collection a group made by an older build may lack.
fn needs_added_collections(actions: &[Action]) -> bool {
    actions.iter().any(|action| {
        matches!(
            action,
            Action::LogTouchpoint { .. }
                | Action::AddActivity { .. }
                | Action::AddTraining { .. }
                | Action::KeyUsers(
                    KeyUserAction::AddCriterion { .. }
                        | KeyUserAction::PlaceKeyUser { .. }
                        | KeyUserAction::AddNeed { .. }
                        | KeyUserAction::AddExpectation { .. }
                        | KeyUserAction::RecordSatisfaction { .. }
                )
                | Action::Recruitment(
                    RecruitmentAction::AddCriterion { .. } | RecruitmentAction::Apply { .. }
                )
                | Action::MarkNotDuplicates { .. }
                | Action::RecordDigest { .. }
        )
    })
}

/// Why stored bytes could not be opened as a group.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the stored group is damaged and could not be read ({0})")]
    Damaged(#[from] AutomergeError),
    #[error("this document is not a Cohort group (it has no “{0}”)")]
    NotAGroup(&'static str),
    #[error(
        "this group was saved by a newer version of Cohort (schema {found}); update Cohort to open it"
    )]
    NewerSchema { found: i64 },
}

/// Why an action was not applied. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the group document refused the change ({0})")]
    Document(#[from] AutomergeError),
}

/// Which records a change touched: the view re-reads these and nothing else.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    pub profile: bool,
    pub members: TouchedRecords<MemberId, MemberPart>,
    pub roles: BTreeSet<RoleId>,
    pub feedback: TouchedRecords<FeedbackId, FeedbackPart>,
    pub touchpoints: BTreeSet<TouchpointId>,
    pub activities: BTreeSet<ActivityId>,
    pub trainings: BTreeSet<TrainingId>,
    pub criteria: BTreeSet<CriterionId>,
    pub placings: BTreeSet<PlacingId>,
    pub needs: BTreeSet<NeedId>,
    pub expectations: BTreeSet<ExpectationId>,
    pub readings: BTreeSet<ReadingId>,
    pub applications: BTreeSet<ApplicationId>,
    pub screening: BTreeSet<ScreeningId>,
    pub digests: BTreeSet<DigestId>,
    /// The pairs marked as different people.
    pub distinct: bool,
    /// A whole collection was replaced (only a foreign client does that): re-read everything.
    pub everything: bool,
}

impl Touched {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Adds what `other` touched.
    pub fn extend(&mut self, other: Touched) {
        self.profile |= other.profile;
        self.distinct |= other.distinct;
        self.everything |= other.everything;
        self.members.extend(other.members);
        self.roles.extend(other.roles);
        self.feedback.extend(other.feedback);
        self.touchpoints.extend(other.touchpoints);
        self.activities.extend(other.activities);
        self.trainings.extend(other.trainings);
        self.criteria.extend(other.criteria);
        self.placings.extend(other.placings);
        self.needs.extend(other.needs);
        self.expectations.extend(other.expectations);
        self.readings.extend(other.readings);
        self.applications.extend(other.applications);
        self.screening.extend(other.screening);
        self.digests.extend(other.digests);
    }

    /// The records touched, by their collection's key and id, for a change's note.
    fn records(&self) -> Vec<history::RecordKey> {
        fn keys<'a, I: AsRef<str> + 'a>(
            collection: &'static str,
            ids: impl IntoIterator<Item = &'a I>,
        ) -> impl Iterator<Item = history::RecordKey> {
            ids.into_iter().map(move |id| history::RecordKey {
                collection: collection.to_owned(),
                id: id.as_ref().to_owned(),
            })
        }
        let profile = self.profile.then(|| history::RecordKey {
            collection: key::PROFILE.to_owned(),
            id: String::new(),
        });
        profile
            .into_iter()
            .chain(keys(key::MEMBERS, self.members.iter()))
            .chain(keys(key::ROLES, &self.roles))
            .chain(keys(key::FEEDBACK, self.feedback.iter()))
            .chain(keys(key::TOUCHPOINTS, &self.touchpoints))
            .chain(keys(key::ACTIVITIES, &self.activities))
            .chain(keys(key::TRAININGS, &self.trainings))
            .chain(keys(key::CRITERIA, &self.criteria))
            .chain(keys(key::PLACINGS, &self.placings))
            .chain(keys(key::NEEDS, &self.needs))
            .chain(keys(key::EXPECTATIONS, &self.expectations))
            .chain(keys(key::READINGS, &self.readings))
            .chain(keys(key::APPLICATIONS, &self.applications))
            .chain(keys(key::SCREENING, &self.screening))
            .chain(keys(key::DIGESTS, &self.digests))
            .collect()
    }

    /// The records named by Automerge patches (from a merge or a load).
    pub fn from_patches(patches: &[Patch]) -> Self {
        let mut touched = Self::default();
        for patch in patches {
            let action_prop = match &patch.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    Some(Prop::Map(key.clone()))
                }
                PatchAction::Conflict { prop } | PatchAction::Increment { prop, .. } => {
                    Some(prop.clone())
                }
                _ => None,
            };
            let mut props = patch
                .path
                .iter()
                .map(|(_, prop)| prop)
                .chain(action_prop.as_ref());
            let (Some(Prop::Map(collection)), record) = (props.next(), props.next()) else {
                continue;
            };
            let record = match record {
                Some(Prop::Map(record)) => Some(record.as_str()),
                _ => None,
            };
            match (collection.as_str(), record) {
                (key::PROFILE, _) => touched.profile = true,
                (key::NOT_DUPLICATES, _) => touched.distinct = true,
                // A merge moves references all over the group: everything is read again.
                (key::MEMBERS, Some(_))
                    if props.clone().next() == Some(&Prop::Map(key::MERGED_INTO.into())) =>
                {
                    touched.everything = true;
                }
                (key::MEMBERS, Some(id)) => {
                    let part = props.next().and_then(member_part);
                    touched.members.touch(MemberId::from_key(id), part);
                }
                (key::ROLES, Some(id)) => touched.roles.extend(RoleId::from_key(id)),
                (key::FEEDBACK, Some(id)) => {
                    let part = props.next().and_then(feedback_part);
                    touched.feedback.touch(FeedbackId::from_key(id), part);
                }
                (key::TOUCHPOINTS, Some(id)) => {
                    touched.touchpoints.extend(TouchpointId::from_key(id));
                }
                (key::ACTIVITIES, Some(id)) => {
                    touched.activities.extend(ActivityId::from_key(id));
                }
                (key::TRAININGS, Some(id)) => {
                    touched.trainings.extend(TrainingId::from_key(id));
                }
                (key::CRITERIA, Some(id)) => touched.criteria.extend(CriterionId::from_key(id)),
                (key::PLACINGS, Some(id)) => touched.placings.extend(PlacingId::from_key(id)),
                (key::NEEDS, Some(id)) => touched.needs.extend(NeedId::from_key(id)),
                (key::EXPECTATIONS, Some(id)) => {
                    touched.expectations.extend(ExpectationId::from_key(id));
                }
                (key::READINGS, Some(id)) => touched.readings.extend(ReadingId::from_key(id)),
                (key::APPLICATIONS, Some(id)) => {
                    touched.applications.extend(ApplicationId::from_key(id));
                }
                (key::SCREENING, Some(id)) => {
                    touched.screening.extend(ScreeningId::from_key(id));
                }
                (key::DIGESTS, Some(id)) => touched.digests.extend(DigestId::from_key(id)),
                (
                    key::MEMBERS
                    | key::ROLES
                    | key::FEEDBACK
                    | key::TOUCHPOINTS
                    | key::ACTIVITIES
                    | key::TRAININGS
                    | key::CRITERIA
                    | key::PLACINGS
                    | key::NEEDS
                    | key::EXPECTATIONS
                    | key::READINGS
                    | key::APPLICATIONS
                    | key::SCREENING
                    | key::DIGESTS,
                    None,
                ) => {
                    touched.everything = true;
                }
                _ => {}
            }
        }
        touched
    }
}

/// New values for the records a change touched: members and feedback whole or in the parts
/// that changed; roles whole (`None`: the role is gone).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordUpdate {
    pub profile: Option<Profile>,
    pub members: Vec<(MemberId, MemberChange)>,
    pub roles: Vec<(RoleId, Option<Role>)>,
    pub feedback: Vec<(FeedbackId, FeedbackChange)>,
    pub touchpoints: Vec<(TouchpointId, Option<Touchpoint>)>,
    pub activities: Vec<(ActivityId, Option<Activity>)>,
    pub trainings: Vec<(TrainingId, Option<Training>)>,
    pub criteria: Vec<(CriterionId, Option<Criterion>)>,
    pub placings: Vec<(PlacingId, Option<Placing>)>,
    pub needs: Vec<(NeedId, Option<Need>)>,
    pub expectations: Vec<(ExpectationId, Option<Expectation>)>,
    pub readings: Vec<(ReadingId, Option<Reading>)>,
    pub applications: Vec<(ApplicationId, Option<Application>)>,
    pub screening: Vec<(ScreeningId, Option<ScreeningCriterion>)>,
    pub digests: Vec<(DigestId, Option<crate::digest::Digest>)>,
    /// The pairs marked as different people, when they changed.
    pub distinct: Option<BTreeSet<(MemberId, MemberId)>>,
}

/// The records of one kind a change touched: each as a whole, or only in some parts. Reads as
/// the set of their ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TouchedRecords<I, P> {
    ids: BTreeSet<I>,
    /// For records touched only in some parts, those parts; a record in `ids` and not here was
    /// touched as a whole (added, removed, or in a part this build does not know).
    parts: BTreeMap<I, BTreeSet<P>>,
}

impl<I, P> Default for TouchedRecords<I, P> {
    fn default() -> Self {
        Self {
            ids: BTreeSet::new(),
            parts: BTreeMap::new(),
        }
    }
}

impl<I, P> std::ops::Deref for TouchedRecords<I, P> {
    type Target = BTreeSet<I>;

    fn deref(&self) -> &BTreeSet<I> {
        &self.ids
    }
}

impl<I: Ord + Clone, P: Ord> TouchedRecords<I, P> {
    /// Notes a record touched as a whole.
    pub fn whole(&mut self, id: I) {
        self.parts.remove(&id);
        self.ids.insert(id);
    }

    /// Notes one part of a record touched (unless the whole record already is).
    pub fn part(&mut self, id: I, part: P) {
        if self.ids.contains(&id) && !self.parts.contains_key(&id) {
            return;
        }
        self.parts.entry(id.clone()).or_default().insert(part);
        self.ids.insert(id);
    }

    /// Notes `part` of the record `id`, or the whole record if the part is unknown; an id
    /// that is none (a foreign key) is passed over.
    fn touch(&mut self, id: Option<I>, part: Option<P>) {
        match (id, part) {
            (Some(id), Some(part)) => self.part(id, part),
            (Some(id), None) => self.whole(id),
            (None, _) => {}
        }
    }

    /// Adds what `other` touched.
    pub fn extend(&mut self, mut other: Self) {
        for id in other.ids {
            match other.parts.remove(&id) {
                Some(parts) => parts
                    .into_iter()
                    .for_each(|part| self.part(id.clone(), part)),
                None => self.whole(id),
            }
        }
    }

    /// The parts of `id` touched, if only some were.
    pub fn parts(&self, id: &I) -> Option<&BTreeSet<P>> {
        self.parts.get(id)
    }

    /// The ids of the records touched.
    pub fn into_ids(self) -> BTreeSet<I> {
        self.ids
    }
}

/// What a view must do to follow the document.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Update {
    Replace(Box<Group>),
    Records(Box<RecordUpdate>),
}

/// The object ids of the top-level collections, looked up once.
#[derive(Clone, Debug)]
struct Roots {
    profile: ObjId,
    members: ObjId,
    roles: ObjId,
    feedback: ObjId,
}

impl Roots {
    fn find(doc: &Automerge) -> Result<Self, LoadError> {
        let map = |name: &'static str| obj_at(doc, &ROOT, name).ok_or(LoadError::NotAGroup(name));
        Ok(Self {
            profile: map(key::PROFILE)?,
            members: map(key::MEMBERS)?,
            roles: map(key::ROLES)?,
            feedback: map(key::FEEDBACK)?,
        })
    }
}

/// One group: an Automerge document that follows schema v1.
#[derive(Debug)]
pub struct GroupDoc {
    doc: Automerge,
    roots: Roots,
    /// Who writes this device's changes ([`GroupDoc::set_organizer`]).
    organizer: Option<history::Organizer>,
}

impl GroupDoc {
    /// A new group. Only the device that creates a group calls this; every other device gets
    /// the document by sync, so the top-level maps exist exactly once.
    pub fn create(name: &str, at: Millis) -> Result<Self, ApplyError> {
        let name = validate::required_name(Field::GroupName, name)?;
        let mut doc = Automerge::new();
        let roots = doc
            .transact(|tx| -> Result<Roots, AutomergeError> {
                tx.put(ROOT, key::SCHEMA, SCHEMA_VERSION)?;
                tx.put(ROOT, key::CREATED_AT, ScalarValue::Timestamp(at))?;
                let profile = tx.put_object(ROOT, key::PROFILE, ObjType::Map)?;
                tx.put(&profile, key::NAME, name)?;
                Ok(Roots {
                    profile,
                    members: tx.put_object(ROOT, key::MEMBERS, ObjType::Map)?,
                    roles: tx.put_object(ROOT, key::ROLES, ObjType::Map)?,
                    feedback: tx.put_object(ROOT, key::FEEDBACK, ObjType::Map)?,
                })
            })
            .map_err(|failure| failure.error)?
            .result;
        doc.apply_changes(schema_additions()?)?;
        Ok(Self {
            doc,
            roots,
            organizer: None,
        })
    }

    /// Opens saved bytes: a snapshot, changes, or a snapshot followed by changes.
    pub fn load(bytes: &[u8]) -> Result<Self, LoadError> {
        Self::from_automerge(Automerge::load(bytes)?)
    }

    /// Wraps a document, checking that it is a group this version can read.
    pub fn from_automerge(doc: Automerge) -> Result<Self, LoadError> {
        match doc.get(ROOT, key::SCHEMA)? {
            Some((Value::Scalar(value), _)) => match value.as_ref() {
                ScalarValue::Int(found) if *found > SCHEMA_VERSION => {
                    return Err(LoadError::NewerSchema { found: *found });
                }
                ScalarValue::Uint(found) if *found > SCHEMA_VERSION as u64 => {
                    return Err(LoadError::NewerSchema {
                        found: i64::try_from(*found).unwrap_or(i64::MAX),
                    });
                }
                _ => {}
            },
            _ => return Err(LoadError::NotAGroup(key::SCHEMA)),
        }
        let roots = Roots::find(&doc)?;
        Ok(Self {
            doc,
            roots,
            organizer: None,
        })
    }

    /// The Automerge document, for sync and storage.
    pub fn automerge(&self) -> &Automerge {
        &self.doc
    }

    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The whole document, compacted.
    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }

    /// The changes made since `heads`, to append to storage.
    pub fn save_after(&self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// Applies saved or received changes, and says which records they touched.
    pub fn load_incremental(&mut self, bytes: &[u8]) -> Result<Touched, AutomergeError> {
        let mut log = PatchLog::active();
        self.doc.load_incremental_log_patches(bytes, &mut log)?;
        Ok(Touched::from_patches(&self.doc.make_patches(&mut log)))
    }

    /// Applies changes received some other way (such as a sync message, through `receive`,
    /// which logs its patches), and says which records they touched.
    pub fn receive<E>(
        &mut self,
        receive: impl FnOnce(&mut Automerge, &mut PatchLog) -> Result<(), E>,
    ) -> Result<Touched, E> {
        let mut log = PatchLog::active();
        receive(&mut self.doc, &mut log)?;
        Ok(Touched::from_patches(&self.doc.make_patches(&mut log)))
    }

    /// What changed since `heads`, or `None` if this document lacks some of them (then only a
    /// full read is right).
    pub fn touched_since(&self, heads: &[ChangeHash]) -> Option<Touched> {
        if !self.doc.get_missing_deps(heads).is_empty() {
            return None;
        }
        Some(Touched::from_patches(
            &self.doc.diff(heads, &self.doc.get_heads()),
        ))
    }

    /// Takes in every change `other` has that this document lacks.
    pub fn merge(&mut self, other: &mut GroupDoc) -> Result<Touched, AutomergeError> {
        let mut log = PatchLog::active();
        self.doc.merge_and_log_patches(&mut other.doc, &mut log)?;
        Ok(Touched::from_patches(&self.doc.make_patches(&mut log)))
    }

    /// A copy with a new actor id: another replica of the same group.
    pub fn fork(&self) -> Self {
        Self {
            doc: self.doc.fork(),
            roots: self.roots.clone(),
            organizer: None,
        }
    }

    /// Makes this device's changes from now on `device`'s, named `name` in the group's
    /// `organizers` with the next change. A new device takes a new actor id.
    pub fn set_organizer(&mut self, device: &str, name: &str) {
        let organizer = history::Organizer {
            device: device.to_owned(),
            name: name.to_owned(),
        };
        if self.organizer.as_ref() != Some(&organizer) {
            if self.organizer.as_ref().map(|o| &o.device) != Some(&organizer.device) {
                let author = (!device.is_empty()).then(|| device.as_bytes().to_vec().into());
                self.doc.set_author(author);
            }
            self.organizer = Some(organizer);
        }
    }

    /// Validates and applies one action as one change. On error nothing is written.
    pub fn apply(&mut self, action: &Action) -> Result<Touched, ApplyError> {
        self.apply_all(std::slice::from_ref(action))
    }

    /// Applies several actions as one change, all or nothing, with no time.
    pub fn apply_all(&mut self, actions: &[Action]) -> Result<Touched, ApplyError> {
        self.apply_all_at(actions, 0)
    }

    /// Applies several actions as one change made at `at`, all or nothing. The change names
    /// the records it touched and its organizer ([`history`]).
    pub fn apply_all_at(&mut self, actions: &[Action], at: Millis) -> Result<Touched, ApplyError> {
        let last_added = ADDED_COLLECTIONS[ADDED_COLLECTIONS.len() - 1][0];
        if obj_at(&self.doc, &ROOT, last_added).is_none()
            && (needs_added_collections(actions) || self.organizer.is_some())
        {
            // A group made by an older build gets the collections it lacks first, in a copy,
            // so that a refused action leaves the document as it was (once per group).
            let mut extended = Self {
                doc: self.doc.clone(),
                roots: self.roots.clone(),
                organizer: self.organizer.clone(),
            };
            extended.doc.apply_changes(schema_additions()?)?;
            let touched = extended.transact(actions, at)?;
            *self = extended;
            return Ok(touched);
        }
        self.transact(actions, at)
    }

    fn transact(&mut self, actions: &[Action], at: Millis) -> Result<Touched, ApplyError> {
        let (roots, organizer) = (&self.roots, &self.organizer);
        self.doc
            .transact_with(
                |touched: &Touched| history::commit_options(touched.records(), None, at),
                |tx| {
                    let mut touched = Touched::default();
                    for action in actions {
                        touched.extend(write(tx, roots, action)?);
                    }
                    if let Some(organizer) = organizer {
                        history::name_organizer(tx, organizer)?;
                    }
                    Ok(touched)
                },
            )
            .map(|success| success.result)
            .map_err(|failure: automerge::transaction::Failure<ApplyError>| failure.error)
    }

    /// The whole group as plain values.
    pub fn hydrate(&self) -> Group {
        let mut group = self.hydrate_without_feedback();
        group.feedback = self.hydrate_feedback(&group);
        group
    }

    /// The group without its feedback: what the members page needs, read first when a large
    /// group is shown in parts.
    pub fn hydrate_without_feedback(&self) -> Group {
        let doc = &self.doc;
        let members = hydrate_collection(doc, &self.roots.members);
        let members = records_of(&members, MemberId::from_key)
            // A member merged into another is shown as that one (the check of the chain is
            // for the rare member left live by two merges that made a cycle).
            .filter(|(id, record)| {
                record.string(key::MERGED_INTO).is_empty() || self.resolve(id).as_ref() == Some(id)
            })
            .map(|(id, record)| (id.clone(), read_member(&record, id)))
            .collect();
        let mut group = Group {
            profile: self.profile(),
            members,
            ..Group::default()
        };
        let members = &group.members;
        let resolve = |id: &MemberId| self.resolve_against(members, id);
        let roles = hydrate_collection(doc, &self.roots.roles);
        group.roles = records_of(&roles, RoleId::from_key)
            .map(|(id, record)| (id.clone(), read_role(&record, id, resolve)))
            .collect();
        if let Some(touchpoints) = obj_at(doc, &ROOT, key::TOUCHPOINTS) {
            let touchpoints = hydrate_collection(doc, &touchpoints);
            group.touchpoints = records_of(&touchpoints, TouchpointId::from_key)
                .filter_map(|(id, record)| {
                    Some((id.clone(), read_touchpoint(&record, id, resolve)?))
                })
                .collect();
        }
        if let Some(activities) = obj_at(doc, &ROOT, key::ACTIVITIES) {
            let activities = hydrate_collection(doc, &activities);
            group.activities = records_of(&activities, ActivityId::from_key)
                .map(|(id, record)| (id.clone(), read_activity(&record, id, forward(resolve))))
                .collect();
        }
        if let Some(trainings) = obj_at(doc, &ROOT, key::TRAININGS) {
            let trainings = hydrate_collection(doc, &trainings);
            group.trainings = records_of(&trainings, TrainingId::from_key)
                .map(|(id, record)| (id.clone(), read_training(&record, id, forward(resolve))))
                .collect();
        }
        group.distinct = merge::read_distinct(doc, &resolve);
        // The collections added later, each record read with the members as they are now.
        group.criteria = read_all(
            doc,
            key::CRITERIA,
            CriterionId::from_key,
            |r, id, m| key_users::read_criterion(r, id, m),
            &resolve,
        );
        group.placings = read_all(
            doc,
            key::PLACINGS,
            PlacingId::from_key,
            |r, id, m| key_users::read_placing(r, id, m),
            &resolve,
        );
        group.needs = read_all(
            doc,
            key::NEEDS,
            NeedId::from_key,
            |r, id, m| key_users::read_need(r, id, m),
            &resolve,
        );
        group.expectations = read_all(
            doc,
            key::EXPECTATIONS,
            ExpectationId::from_key,
            |r, id, m| key_users::read_expectation(r, id, m),
            &resolve,
        );
        group.readings = read_all(
            doc,
            key::READINGS,
            ReadingId::from_key,
            |r, id, m| key_users::read_reading(r, id, m),
            &resolve,
        );
        group.applications = read_all(
            doc,
            key::APPLICATIONS,
            ApplicationId::from_key,
            |r, id, m| recruitment::read_application(r, id, m),
            &resolve,
        );
        group.screening = read_all(
            doc,
            key::SCREENING,
            ScreeningId::from_key,
            |r, id, m| recruitment::read_criterion(r, id, m),
            &resolve,
        );
        group.digests = read_all(
            doc,
            key::DIGESTS,
            DigestId::from_key,
            |r, id, m| digest::read_digest(r, id, m),
            &resolve,
        );
        group
    }

    /// The group's feedback, linked to the members of `group` (read by
    /// [`Self::hydrate_without_feedback`]).
    pub fn hydrate_feedback(&self, group: &Group) -> BTreeMap<FeedbackId, Feedback> {
        let resolve = |id: &MemberId| self.resolve_against(&group.members, id);
        let feedback = hydrate_collection(&self.doc, &self.roots.feedback);
        records_of(&feedback, FeedbackId::from_key)
            .map(|(id, record)| (id.clone(), read_feedback(&record, id, resolve)))
            .collect()
    }

    /// The member `id` is now: itself while in the group, the member it was merged into, or
    /// none if it was erased. `members` are those in the group, the quick answer.
    fn resolve_against(
        &self,
        members: &BTreeMap<MemberId, Member>,
        id: &MemberId,
    ) -> Option<MemberId> {
        if members.contains_key(id) {
            Some(id.clone())
        } else {
            self.resolve(id)
        }
    }

    /// The member `id` is now, read from the document (see [`merge::resolve`]).
    fn resolve(&self, id: &MemberId) -> Option<MemberId> {
        merge::resolve(&self.doc, &self.roots.members, id)
    }

    pub fn profile(&self) -> Profile {
        read_profile(&self.in_doc(self.roots.profile.clone()))
    }

    /// A member in the group (not erased, nor merged into another).
    pub fn member(&self, id: &MemberId) -> Option<Member> {
        self.live_member(id)
            .map(|record| read_member(&record, id.clone()))
    }

    fn live_member(&self, id: &MemberId) -> Option<InDoc<'_, Automerge>> {
        (self.resolve(id).as_ref() == Some(id))
            .then(|| self.record(&self.roots.members, id.as_str()))
            .flatten()
    }

    pub fn role(&self, id: &RoleId) -> Option<Role> {
        self.record(&self.roots.roles, id.as_str())
            .map(|record| read_role(&record, id.clone(), |m| self.resolve(m)))
    }

    pub fn feedback(&self, id: &FeedbackId) -> Option<Feedback> {
        self.record(&self.roots.feedback, id.as_str())
            .map(|record| read_feedback(&record, id.clone(), |m| self.resolve(m)))
    }

    pub fn activity(&self, id: &ActivityId) -> Option<Activity> {
        let activities = obj_at(&self.doc, &ROOT, key::ACTIVITIES)?;
        let record = self.record(&activities, id.as_str())?;
        Some(read_activity(
            &record,
            id.clone(),
            forward(|m| self.resolve(m)),
        ))
    }

    pub fn training(&self, id: &TrainingId) -> Option<Training> {
        let trainings = obj_at(&self.doc, &ROOT, key::TRAININGS)?;
        let record = self.record(&trainings, id.as_str())?;
        Some(read_training(
            &record,
            id.clone(),
            forward(|m| self.resolve(m)),
        ))
    }

    pub fn touchpoint(&self, id: &TouchpointId) -> Option<Touchpoint> {
        let touchpoints = obj_at(&self.doc, &ROOT, key::TOUCHPOINTS)?;
        let record = self.record(&touchpoints, id.as_str())?;
        read_touchpoint(&record, id.clone(), |m| self.resolve(m))
    }

    fn in_doc(&self, obj: ObjId) -> InDoc<'_, Automerge> {
        InDoc {
            doc: &self.doc,
            obj,
        }
    }

    /// A record of a collection, to read field by field.
    fn record(&self, collection: &ObjId, id: &str) -> Option<InDoc<'_, Automerge>> {
        obj_at(&self.doc, collection, id).map(|obj| self.in_doc(obj))
    }

    /// What a view must do to show the records `touched` names as they are now.
    pub fn update_for(&self, touched: &Touched) -> Update {
        if touched.everything {
            return Update::Replace(Box::new(self.hydrate()));
        }
        Update::Records(Box::new(RecordUpdate {
            profile: touched.profile.then(|| self.profile()),
            members: touched
                .members
                .iter()
                .map(|id| {
                    let record = self.live_member(id);
                    let change = changed(
                        record,
                        touched.members.parts(id),
                        |record| read_member(record, id.clone()),
                        read_member_part,
                    );
                    (id.clone(), change)
                })
                .collect(),
            roles: touched
                .roles
                .iter()
                .map(|id| (id.clone(), self.role(id)))
                .collect(),
            feedback: touched
                .feedback
                .iter()
                .map(|id| {
                    let record = self.record(&self.roots.feedback, id.as_str());
                    let resolve = |m: &MemberId| self.resolve(m);
                    let change = changed(
                        record,
                        touched.feedback.parts(id),
                        |record| read_feedback(record, id.clone(), resolve),
                        |record, part| read_feedback_part(record, part, resolve),
                    );
                    (id.clone(), change)
                })
                .collect(),
            touchpoints: touched
                .touchpoints
                .iter()
                .map(|id| (id.clone(), self.touchpoint(id)))
                .collect(),
            activities: touched
                .activities
                .iter()
                .map(|id| (id.clone(), self.activity(id)))
                .collect(),
            trainings: touched
                .trainings
                .iter()
                .map(|id| (id.clone(), self.training(id)))
                .collect(),
            criteria: self.read_each(&touched.criteria, key::CRITERIA, |r, id, m| {
                key_users::read_criterion(r, id, m)
            }),
            placings: self.read_each(&touched.placings, key::PLACINGS, |r, id, m| {
                key_users::read_placing(r, id, m)
            }),
            needs: self.read_each(&touched.needs, key::NEEDS, |r, id, m| {
                key_users::read_need(r, id, m)
            }),
            expectations: self.read_each(&touched.expectations, key::EXPECTATIONS, |r, id, m| {
                key_users::read_expectation(r, id, m)
            }),
            readings: self.read_each(&touched.readings, key::READINGS, |r, id, m| {
                key_users::read_reading(r, id, m)
            }),
            applications: self.read_each(&touched.applications, key::APPLICATIONS, |r, id, m| {
                recruitment::read_application(r, id, m)
            }),
            screening: self.read_each(&touched.screening, key::SCREENING, |r, id, m| {
                recruitment::read_criterion(r, id, m)
            }),
            digests: self.read_each(&touched.digests, key::DIGESTS, |r, id, m| {
                digest::read_digest(r, id, m)
            }),
            distinct: touched
                .distinct
                .then(|| merge::read_distinct(&self.doc, &|m| self.resolve(m))),
        }))
    }

    /// The records `ids` of a collection as they are now (`None`: gone, or of a member who is).
    fn read_each<I: Clone + Ord + AsRef<str>, R>(
        &self,
        ids: &BTreeSet<I>,
        collection: &str,
        read: impl Fn(&InDoc<'_, Automerge>, I, Resolve<'_>) -> Option<R>,
    ) -> Vec<(I, Option<R>)> {
        let collection = obj_at(&self.doc, &ROOT, collection);
        let resolve = |m: &MemberId| self.resolve(m);
        ids.iter()
            .map(|id| {
                let record = collection
                    .as_ref()
                    .and_then(|collection| self.record(collection, id.as_ref()));
                let value = record.and_then(|record| read(&record, id.clone(), &resolve));
                (id.clone(), value)
            })
            .collect()
    }
}

// ---- Reading -------------------------------------------------------------------------------

/// A record as a change left it: only the `parts` it touched, if it names them.
/// A whole record is read from one hydration of its object: for the 10,000 members an import
/// adds, that is twice as fast as reading field by field.
fn changed<'a, R: Record, P: Copy>(
    record: Option<InDoc<'a, Automerge>>,
    parts: Option<&BTreeSet<P>>,
    whole: impl FnOnce(&&hydrate::Map) -> R,
    part: impl Fn(&InDoc<'a, Automerge>, P) -> R::Part,
) -> RecordChange<R> {
    let Some(record) = record else {
        return RecordChange::Removed;
    };
    match parts {
        Some(parts) => RecordChange::Parts(parts.iter().map(|p| part(&record, *p)).collect()),
        None => {
            let value = ReadDoc::hydrate(record.doc, &record.obj, None)
                .unwrap_or_else(|_| hydrate::Value::map());
            let fields = as_record(&value).unwrap_or(&NO_FIELDS);
            RecordChange::Whole(Box::new(whole(&fields)))
        }
    }
}

fn obj_at(doc: &impl ReadDoc, obj: &ObjId, prop: impl Into<Prop>) -> Option<ObjId> {
    match doc.get(obj, prop) {
        Ok(Some((Value::Object(_), id))) => Some(id),
        _ => None,
    }
}

/// A string field; a Text object reads as its text; a missing field reads as empty.
fn string_at(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> String {
    match doc.get(obj, key) {
        Ok(Some((Value::Scalar(value), _))) => match value.as_ref() {
            ScalarValue::Str(text) => text.to_string(),
            _ => String::new(),
        },
        Ok(Some((Value::Object(ObjType::Text), id))) => doc.text(&id).unwrap_or_default(),
        _ => String::new(),
    }
}

fn int_at(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<i64> {
    match doc.get(obj, key) {
        Ok(Some((Value::Scalar(value), _))) => int_of(&value),
        _ => None,
    }
}

/// A whole number, however a client wrote it.
fn int_of(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::Int(n) | ScalarValue::Timestamp(n) => Some(*n),
        ScalarValue::Uint(n) => i64::try_from(*n).ok(),
        ScalarValue::F64(n) if n.fract() == 0.0 => Some(*n as i64),
        _ => None,
    }
}

/// A record's fields as the readers read them: in the document, one lookup a field ([`InDoc`],
/// for single records), or in a hydrated copy of a whole collection (`hydrate::Map`, one pass
/// over the collection's operations: `hydrate_without_feedback` of the benchmark's 10,000
/// members takes 400 ms natively, against 860 ms field by field). Both read a field the same
/// way: a missing or odd-typed field reads as empty, a Text object as its text.
trait Fields: Sized {
    fn string(&self, key: &str) -> String;
    fn int(&self, key: &str) -> Option<i64>;
    /// The keys of the map under `key` (a set, such as tags).
    fn keys(&self, key: &str) -> Vec<String>;
    /// The objects in the list under `key`, in list order.
    fn maps(&self, key: &str) -> Vec<Self>;
    /// The string values of the map under `key`, by key.
    fn pairs(&self, key: &str) -> Vec<(String, String)>;
    /// The integer values of the map under `key`, by key (others left out).
    fn ints(&self, key: &str) -> Vec<(String, i64)>;
    /// The objects in the map under `key`, by key.
    fn entries(&self, key: &str) -> Vec<(String, Self)>;
    /// The object under `key`.
    fn object(&self, key: &str) -> Option<Self>;
}

/// A record object read from the document field by field.
struct InDoc<'a, D> {
    doc: &'a D,
    obj: ObjId,
}

impl<D: ReadDoc> Fields for InDoc<'_, D> {
    fn string(&self, key: &str) -> String {
        string_at(self.doc, &self.obj, key)
    }

    fn int(&self, key: &str) -> Option<i64> {
        int_at(self.doc, &self.obj, key)
    }

    fn keys(&self, key: &str) -> Vec<String> {
        obj_at(self.doc, &self.obj, key)
            .map(|set| self.doc.keys(&set).collect())
            .unwrap_or_default()
    }

    fn maps(&self, key: &str) -> Vec<Self> {
        let Some(list) = obj_at(self.doc, &self.obj, key) else {
            return Vec::new();
        };
        (0..self.doc.length(&list))
            .filter_map(|index| obj_at(self.doc, &list, index))
            .map(|obj| InDoc { doc: self.doc, obj })
            .collect()
    }

    fn pairs(&self, key: &str) -> Vec<(String, String)> {
        let Some(map) = obj_at(self.doc, &self.obj, key) else {
            return Vec::new();
        };
        self.doc
            .keys(&map)
            .map(|entry| {
                let value = string_at(self.doc, &map, &entry);
                (entry, value)
            })
            .collect()
    }

    fn ints(&self, key: &str) -> Vec<(String, i64)> {
        let Some(map) = obj_at(self.doc, &self.obj, key) else {
            return Vec::new();
        };
        self.doc
            .keys(&map)
            .filter_map(|entry| {
                let value = int_at(self.doc, &map, &entry)?;
                Some((entry, value))
            })
            .collect()
    }

    fn entries(&self, key: &str) -> Vec<(String, Self)> {
        let Some(map) = obj_at(self.doc, &self.obj, key) else {
            return Vec::new();
        };
        self.doc
            .keys(&map)
            .filter_map(|entry| {
                let obj = obj_at(self.doc, &map, entry.as_str())?;
                Some((entry, InDoc { doc: self.doc, obj }))
            })
            .collect()
    }

    fn object(&self, key: &str) -> Option<Self> {
        let obj = obj_at(self.doc, &self.obj, key)?;
        Some(InDoc { doc: self.doc, obj })
    }
}

/// An object of a hydrated collection. Lists and text where a map belongs read as an empty
/// map, as [`InDoc`] reads them.
impl Fields for &hydrate::Map {
    fn string(&self, key: &str) -> String {
        match self.get(key) {
            Some(hydrate::Value::Scalar(ScalarValue::Str(text))) => text.to_string(),
            Some(hydrate::Value::Text(text)) => text.to_string(),
            _ => String::new(),
        }
    }

    fn int(&self, key: &str) -> Option<i64> {
        match self.get(key) {
            Some(hydrate::Value::Scalar(value)) => int_of(value),
            _ => None,
        }
    }

    fn keys(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            Some(hydrate::Value::Map(set)) => set.iter().map(|(key, _)| key.clone()).collect(),
            _ => Vec::new(),
        }
    }

    fn maps(&self, key: &str) -> Vec<Self> {
        match self.get(key) {
            Some(hydrate::Value::List(list)) => list
                .iter()
                .filter_map(|entry| as_record(&entry.value))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn pairs(&self, key: &str) -> Vec<(String, String)> {
        match self.get(key) {
            Some(hydrate::Value::Map(map)) => map
                .iter()
                .map(|(entry, value)| {
                    let text = match &value.value {
                        hydrate::Value::Scalar(ScalarValue::Str(text)) => text.to_string(),
                        hydrate::Value::Text(text) => text.to_string(),
                        _ => String::new(),
                    };
                    (entry.clone(), text)
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn ints(&self, key: &str) -> Vec<(String, i64)> {
        match self.get(key) {
            Some(hydrate::Value::Map(map)) => map
                .iter()
                .filter_map(|(entry, value)| match &value.value {
                    hydrate::Value::Scalar(scalar) => Some((entry.clone(), int_of(scalar)?)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn entries(&self, key: &str) -> Vec<(String, Self)> {
        match self.get(key) {
            Some(hydrate::Value::Map(map)) => map
                .iter()
                .filter_map(|(entry, value)| Some((entry.clone(), as_record(&value.value)?)))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn object(&self, key: &str) -> Option<Self> {
        as_record(self.get(key)?)
    }
}

/// An empty record, for objects that are not maps.
static NO_FIELDS: std::sync::LazyLock<hydrate::Map> =
    std::sync::LazyLock::new(hydrate::Map::default);

/// A hydrated value as a record: any object is one (see [`Fields`]); a scalar is not.
fn as_record(value: &hydrate::Value) -> Option<&hydrate::Map> {
    match value {
        hydrate::Value::Map(map) => Some(map),
        hydrate::Value::List(_) | hydrate::Value::Text(_) => Some(&NO_FIELDS),
        hydrate::Value::Scalar(_) => None,
    }
}

/// A collection hydrated in one pass (empty if it is not a map).
fn hydrate_collection(doc: &Automerge, collection: &ObjId) -> hydrate::Map {
    match ReadDoc::hydrate(doc, collection, None) {
        Ok(hydrate::Value::Map(records)) => records,
        _ => hydrate::Map::default(),
    }
}

/// Every record of a collection added later ([`ADDED_COLLECTIONS`]), read by `read` (none: a
/// record to skip); empty in a group without the collection.
fn read_all<I: Ord + Clone, R>(
    doc: &Automerge,
    collection: &str,
    id: impl Fn(&str) -> Option<I> + Copy + 'static,
    read: impl Fn(&&hydrate::Map, I, Resolve<'_>) -> Option<R>,
    resolve: Resolve<'_>,
) -> BTreeMap<I, R> {
    let Some(collection) = obj_at(doc, &ROOT, collection) else {
        return BTreeMap::new();
    };
    let records = hydrate_collection(doc, &collection);
    records_of(&records, id)
        .filter_map(|(id, record)| Some((id.clone(), read(&record, id, resolve)?)))
        .collect()
}

/// The records of a hydrated collection whose keys are ids.
fn records_of<'a, I>(
    collection: &'a hydrate::Map,
    id: impl Fn(&str) -> Option<I> + 'a,
) -> impl Iterator<Item = (I, &'a hydrate::Map)> + 'a {
    collection
        .iter()
        .filter_map(move |(key, entry)| Some((id(key)?, as_record(&entry.value)?)))
}

/// Where a record keeps a lifecycle: its current value, and the list of every move (maps of
/// the value, under the same key, and `at`).
#[derive(Clone, Copy)]
struct Lifecycle {
    current: &'static str,
    history: &'static str,
}

/// A member's or a piece of feedback's status.
const STATUS: Lifecycle = Lifecycle {
    current: key::STATUS,
    history: key::STATUS_HISTORY,
};

/// An application's stage.
const STAGE: Lifecycle = Lifecycle {
    current: key::STAGE,
    history: key::STAGE_HISTORY,
};

fn history<S: Ord + Copy>(
    record: &impl Fields,
    lifecycle: Lifecycle,
    parse: impl Fn(&str) -> Option<S>,
) -> Vec<StatusChange<S>> {
    let mut changes: Vec<_> = record
        .maps(lifecycle.history)
        .iter()
        .filter_map(|entry| {
            Some(StatusChange {
                status: parse(&entry.string(lifecycle.current))?,
                at: entry.int(key::AT)?,
            })
        })
        .collect();
    // Concurrent changes interleave in list order; time order reads better and is the same
    // on every replica.
    changes.sort();
    changes
}

fn read_profile(record: &impl Fields) -> Profile {
    let mut analytics = crate::analytics::Settings::default();
    for setting in crate::analytics::Setting::ALL {
        if let Some(value) = record
            .int(setting.key())
            .and_then(|v| u16::try_from(v).ok())
        {
            setting.set(&mut analytics, value);
        }
    }
    Profile {
        name: record.string(key::NAME),
        description: record.string(key::DESCRIPTION),
        purpose: record.string(key::PURPOSE),
        rules: record.string(key::RULES),
        analytics,
    }
}

fn read_member(record: &impl Fields, id: MemberId) -> Member {
    let (status, history) = member_status(record);
    Member {
        id,
        name: record.string(key::NAME),
        contacts: Contacts {
            email: record.string(key::EMAIL),
            phone: record.string(key::PHONE),
            wechat: record.string(key::WECHAT),
            other: record.string(key::OTHER_CONTACT),
        },
        tags: record.keys(key::TAGS).into_iter().collect(),
        status,
        history,
        source: record.string(key::SOURCE),
        joined: record.string(key::JOINED),
        notes: record.string(key::NOTES),
        added_at: record.int(key::ADDED_AT).unwrap_or_default(),
        decision: key_users::read_decision(record),
        strategy: key_users::read_strategy(record),
    }
}

/// A member's status and its history.
fn member_status(record: &impl Fields) -> (MemberStatus, Vec<StatusChange<MemberStatus>>) {
    let history = history(record, STATUS, MemberStatus::from_key);
    // An unknown status (from a newer client) reads as the latest known one.
    let status = MemberStatus::from_key(&record.string(key::STATUS))
        .or_else(|| history.last().map(|change| change.status))
        .unwrap_or(MemberStatus::Applicant);
    (status, history)
}

/// One part of a member record.
fn read_member_part(record: &impl Fields, part: MemberPart) -> MemberValue {
    match part {
        MemberPart::Text(field) => MemberValue::Text(field, record.string(member_key(field))),
        MemberPart::Tags => MemberValue::Tags(record.keys(key::TAGS).into_iter().collect()),
        MemberPart::Status => {
            let (status, history) = member_status(record);
            MemberValue::Status(status, history)
        }
        MemberPart::AddedAt => MemberValue::AddedAt(record.int(key::ADDED_AT).unwrap_or_default()),
        MemberPart::KeyUser => MemberValue::KeyUser(
            key_users::read_decision(record),
            key_users::read_strategy(record),
        ),
    }
}

/// The part of a member record stored under `prop`, if it is one this build knows.
fn member_part(prop: &Prop) -> Option<MemberPart> {
    let Prop::Map(key) = prop else { return None };
    Some(match key.as_str() {
        key::NAME => MemberPart::Text(MemberField::Name),
        key::EMAIL => MemberPart::Text(MemberField::Email),
        key::PHONE => MemberPart::Text(MemberField::Phone),
        key::WECHAT => MemberPart::Text(MemberField::Wechat),
        key::OTHER_CONTACT => MemberPart::Text(MemberField::OtherContact),
        key::SOURCE => MemberPart::Text(MemberField::Source),
        key::JOINED => MemberPart::Text(MemberField::Joined),
        key::NOTES => MemberPart::Text(MemberField::Notes),
        key::TAGS => MemberPart::Tags,
        key::STATUS | key::STATUS_HISTORY => MemberPart::Status,
        key::ADDED_AT => MemberPart::AddedAt,
        key => return key_users::is_key_user_field(key).then_some(MemberPart::KeyUser),
    })
}

/// An activity as written; references to members removed since are kept (the screens show
/// them as former members, and counts keep their marks); those to a merged member are the
/// survivor's (`forward`).
fn read_activity(
    record: &impl Fields,
    id: ActivityId,
    forward: impl Fn(MemberId) -> MemberId,
) -> Activity {
    let starts_at = record.int(key::STARTS_AT).unwrap_or_default();
    let duties = record
        .entries(key::DUTIES)
        .into_iter()
        .filter_map(|(duty, fields)| {
            let id = DutyId::from_key(&duty)?;
            let assignments = forwarded(
                fields
                    .pairs(key::ASSIGNMENTS)
                    .into_iter()
                    .filter_map(|(member, part)| {
                        Some((MemberId::from_key(&member)?, Raci::from_key(&part)?))
                    }),
                &forward,
            );
            Some((
                id.clone(),
                Duty {
                    id,
                    title: fields.string(key::TITLE),
                    assignments,
                },
            ))
        })
        .collect();
    let attendance = forwarded(
        record
            .pairs(key::ATTENDANCE)
            .into_iter()
            .filter_map(|(member, mark)| {
                Some((MemberId::from_key(&member)?, Mark::from_key(&mark)?))
            }),
        &forward,
    );
    Activity {
        id,
        kind: ActivityKind::from_key(&record.string(key::KIND)),
        title: record.string(key::TITLE),
        starts_at,
        ends_at: record.int(key::ENDS_AT).unwrap_or(starts_at).max(starts_at),
        place: record.string(key::PLACE),
        link: record.string(key::LINK),
        organizer: MemberId::from_key(&record.string(key::ORGANIZER)).map(&forward),
        description: record.string(key::DESCRIPTION),
        invited: read_invited(record, &forward),
        attendance,
        duties,
        created_at: record.int(key::CREATED_AT).unwrap_or_default(),
    }
}

/// Whom an activity or training is for: members, roles and tags.
fn read_invited(record: &impl Fields, forward: impl Fn(MemberId) -> MemberId) -> BTreeSet<Invitee> {
    record
        .keys(key::INVITED_MEMBERS)
        .iter()
        .filter_map(|m| MemberId::from_key(m).map(|m| Invitee::Member(forward(m))))
        .chain(
            record
                .keys(key::INVITED_ROLES)
                .iter()
                .filter_map(|r| RoleId::from_key(r).map(Invitee::Role)),
        )
        .chain(record.keys(key::INVITED_TAGS).into_iter().map(Invitee::Tag))
        .collect()
}

/// A training plan as written; results of members removed since are kept (the figures leave
/// them out), as are sessions removed since; those of a merged member are the survivor's.
fn read_training(
    record: &impl Fields,
    id: TrainingId,
    forward: impl Fn(MemberId) -> MemberId,
) -> Training {
    let by_member = |key: &str| {
        forwarded(
            record
                .ints(key)
                .into_iter()
                .filter_map(|(member, value)| Some((MemberId::from_key(&member)?, value))),
            &forward,
        )
    };
    let mut results: BTreeMap<MemberId, TrainingResult> = BTreeMap::new();
    for (member, at) in by_member(key::COMPLETED) {
        results.entry(member).or_default().completed_at = Some(at);
    }
    for score in [
        TrainingScore::Before,
        TrainingScore::After,
        TrainingScore::Satisfaction,
    ] {
        let (min, max) = score.range();
        for (member, value) in by_member(score_key(score)) {
            let Some(value) = u8::try_from(value).ok().filter(|v| (min..=max).contains(v)) else {
                continue;
            };
            let result = results.entry(member).or_default();
            match score {
                TrainingScore::Before => result.before = Some(value),
                TrainingScore::After => result.after = Some(value),
                TrainingScore::Satisfaction => result.satisfaction = Some(value),
            }
        }
    }
    Training {
        id,
        title: record.string(key::TITLE),
        format: TrainingFormat::from_key(&record.string(key::FORMAT)),
        materials: record.string(key::MATERIALS),
        sessions: record
            .keys(key::SESSIONS)
            .iter()
            .filter_map(|a| ActivityId::from_key(a))
            .collect(),
        audience: read_invited(record, &forward),
        results,
        created_at: record.int(key::CREATED_AT).unwrap_or_default(),
    }
}

/// A touchpoint, unless the member it is with is gone (removed while it was logged elsewhere).
fn read_touchpoint(
    record: &impl Fields,
    id: TouchpointId,
    resolve: impl Fn(&MemberId) -> Option<MemberId>,
) -> Option<Touchpoint> {
    let member = member_at(record, key::MEMBER, resolve)?;
    Some(Touchpoint {
        id,
        member,
        at: record.int(key::AT).unwrap_or_default(),
        channel: ContactChannel::from_key(&record.string(key::CHANNEL)),
        by: record.string(key::BY),
        summary: record.string(key::SUMMARY),
        follow_up: record.string(key::FOLLOW_UP),
        due: record.string(key::DUE),
        done_at: record.int(key::DONE_AT),
        logged_at: record.int(key::LOGGED_AT).unwrap_or_default(),
    })
}

fn read_role(
    record: &impl Fields,
    id: RoleId,
    resolve: impl Fn(&MemberId) -> Option<MemberId>,
) -> Role {
    Role {
        id,
        name: record.string(key::NAME),
        responsibilities: record.string(key::RESPONSIBILITIES),
        holders: record
            .keys(key::HOLDERS)
            .into_iter()
            .filter_map(|key| resolve(&MemberId::from_key(&key)?))
            .collect(),
    }
}

/// The member a record names under `key`, as they are now (see [`GroupDoc::resolve`]): none if
/// the field is empty or they were erased.
fn member_at(
    record: &impl Fields,
    key: &str,
    resolve: impl Fn(&MemberId) -> Option<MemberId>,
) -> Option<MemberId> {
    resolve(&MemberId::from_key(&record.string(key))?)
}

/// How members are looked up while reading: the member an id names now.
type Resolve<'a> = &'a dyn Fn(&MemberId) -> Option<MemberId>;

/// For records that keep the ids of erased members (activities, trainings): a merged member's
/// id becomes the survivor's; any other id stays as written.
fn forward(resolve: impl Fn(&MemberId) -> Option<MemberId>) -> impl Fn(MemberId) -> MemberId {
    move |id| resolve(&id).unwrap_or(id)
}

/// Entries by member, each under the member it names now. Where two land on one member (one
/// merged into the other), the survivor's own entry is kept.
fn forwarded<V>(
    entries: impl IntoIterator<Item = (MemberId, V)>,
    forward: &impl Fn(MemberId) -> MemberId,
) -> BTreeMap<MemberId, V> {
    let mut own = BTreeMap::new();
    let mut moved = Vec::new();
    for (member, value) in entries {
        let now = forward(member.clone());
        if now == member {
            own.insert(member, value);
        } else {
            moved.push((now, value));
        }
    }
    for (member, value) in moved {
        own.entry(member).or_insert(value);
    }
    own
}

fn read_feedback(
    record: &impl Fields,
    id: FeedbackId,
    resolve: impl Fn(&MemberId) -> Option<MemberId>,
) -> Feedback {
    let (status, history) = feedback_status(record);
    Feedback {
        id,
        member: member_at(record, key::MEMBER, resolve),
        channel: record.string(key::CHANNEL),
        category: record.string(key::CATEGORY),
        score: feedback_score(record),
        text: record.string(key::TEXT),
        status,
        history,
        owner: record.string(key::OWNER),
        received_at: record.int(key::RECEIVED_AT).unwrap_or_default(),
    }
}

/// One part of a piece of feedback.
fn read_feedback_part(
    record: &impl Fields,
    part: FeedbackPart,
    resolve: impl Fn(&MemberId) -> Option<MemberId>,
) -> FeedbackValue {
    match part {
        FeedbackPart::Text(field) => FeedbackValue::Text(field, record.string(feedback_key(field))),
        FeedbackPart::Member => FeedbackValue::Member(member_at(record, key::MEMBER, resolve)),
        FeedbackPart::Score => FeedbackValue::Score(feedback_score(record)),
        FeedbackPart::Status => {
            let (status, history) = feedback_status(record);
            FeedbackValue::Status(status, history)
        }
        FeedbackPart::ReceivedAt => {
            FeedbackValue::ReceivedAt(record.int(key::RECEIVED_AT).unwrap_or_default())
        }
    }
}

fn feedback_score(record: &impl Fields) -> Option<u8> {
    record
        .int(key::SCORE)
        .and_then(|score| u8::try_from(score).ok())
        .filter(|score| *score <= 10)
}

/// The feedback's status and its history.
fn feedback_status(record: &impl Fields) -> (FeedbackStatus, Vec<StatusChange<FeedbackStatus>>) {
    let history = history(record, STATUS, FeedbackStatus::from_key);
    // An unknown status (from a newer client) reads as the latest known one.
    let status = FeedbackStatus::from_key(&record.string(key::STATUS))
        .or_else(|| history.last().map(|change| change.status))
        .unwrap_or(FeedbackStatus::New);
    (status, history)
}

/// The part of a piece of feedback stored under `prop`, if it is one this build knows.
fn feedback_part(prop: &Prop) -> Option<FeedbackPart> {
    let Prop::Map(key) = prop else { return None };
    Some(match key.as_str() {
        key::CHANNEL => FeedbackPart::Text(FeedbackField::Channel),
        key::CATEGORY => FeedbackPart::Text(FeedbackField::Category),
        key::OWNER => FeedbackPart::Text(FeedbackField::Owner),
        key::TEXT => FeedbackPart::Text(FeedbackField::Text),
        key::MEMBER => FeedbackPart::Member,
        key::SCORE => FeedbackPart::Score,
        key::STATUS | key::STATUS_HISTORY => FeedbackPart::Status,
        key::RECEIVED_AT => FeedbackPart::ReceivedAt,
        _ => return None,
    })
}

fn feedback_key(field: FeedbackField) -> &'static str {
    match field {
        FeedbackField::Channel => key::CHANNEL,
        FeedbackField::Category => key::CATEGORY,
        FeedbackField::Owner => key::OWNER,
        FeedbackField::Text => key::TEXT,
    }
}

// ---- Writing -------------------------------------------------------------------------------

fn record(tx: &Transaction<'_>, collection: &ObjId, id: &str) -> Result<ObjId, Invalid> {
    obj_at(tx, collection, id).ok_or(Invalid::new(Field::Record, Problem::UnknownRecord))
}

/// The record of a member in the group, for an action on them.
fn member_record(tx: &Transaction<'_>, roots: &Roots, id: &MemberId) -> Result<ObjId, Invalid> {
    member_exists(tx, roots, id, Field::Record)
        .map_err(|_| Invalid::new(Field::Record, Problem::UnknownRecord))?;
    record(tx, &roots.members, id.as_str())
}

/// Checks that `id` is a member in the group (not erased, nor merged into another).
fn member_exists(
    tx: &Transaction<'_>,
    roots: &Roots,
    id: &MemberId,
    field: Field,
) -> Result<(), Invalid> {
    (merge::resolve(tx, &roots.members, id).as_ref() == Some(id))
        .then_some(())
        .ok_or(Invalid::new(field, Problem::UnknownMember))
}

/// Writes a string field only if it changes; an empty value removes the field.
fn put_string(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    key: &str,
    value: &str,
) -> Result<(), AutomergeError> {
    if string_at(tx, obj, key) == value
        && matches!(tx.get(obj, key)?, Some((Value::Scalar(_), _)) | None)
    {
        return Ok(());
    }
    if value.is_empty() {
        tx.delete(obj, key)
    } else {
        tx.put(obj, key, value)
    }
}

/// Writes a collaborative text field as the smallest splice from its current text.
fn put_text(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    key: &str,
    value: &str,
) -> Result<(), AutomergeError> {
    match tx.get(obj, key)? {
        Some((Value::Object(ObjType::Text), text)) => tx.update_text(&text, value),
        _ => {
            let text = tx.put_object(obj, key, ObjType::Text)?;
            tx.splice_text(&text, 0, 0, value)
        }
    }
}

fn new_text(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    key: &str,
    value: &str,
) -> Result<(), AutomergeError> {
    let text = tx.put_object(obj, key, ObjType::Text)?;
    if !value.is_empty() {
        tx.splice_text(&text, 0, 0, value)?;
    }
    Ok(())
}

/// A new member's record as one value, written with `batch_create_object`: two splices into
/// the document instead of one per field (adding 10,000 members natively: 0.46 s, from 2.5 s
/// put by put). Nested objects are made with the record, never later, so that two organizers
/// cannot each make one and lose the other's entries.
fn new_member_record(
    draft: &MemberDraft,
    status: MemberStatus,
    at: Millis,
    encoding: automerge::TextEncoding,
) -> hydrate::Value {
    let strings = [
        (key::NAME, &draft.name),
        (key::EMAIL, &draft.email),
        (key::PHONE, &draft.phone),
        (key::WECHAT, &draft.wechat),
        (key::OTHER_CONTACT, &draft.other_contact),
        (key::SOURCE, &draft.source),
        (key::JOINED, &draft.joined),
    ];
    let mut record: std::collections::HashMap<&str, hydrate::Value> = strings
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| (key, hydrate::Value::scalar(value.as_str())))
        .collect();
    let tags: std::collections::HashMap<&str, hydrate::Value> = draft
        .tags
        .iter()
        .map(|tag| (tag.as_str(), hydrate::Value::scalar(true)))
        .collect();
    let first_status: std::collections::HashMap<&str, hydrate::Value> = [
        (key::STATUS, hydrate::Value::scalar(status.key())),
        (key::AT, hydrate::Value::scalar(ScalarValue::Timestamp(at))),
    ]
    .into();
    record.extend([
        (
            key::ADDED_AT,
            hydrate::Value::scalar(ScalarValue::Timestamp(at)),
        ),
        (key::TAGS, tags.into()),
        (key::STATUS, hydrate::Value::scalar(status.key())),
        (key::STATUS_HISTORY, vec![first_status.into()].into()),
        (key::NOTES, hydrate::Value::text(encoding, &draft.notes)),
    ]);
    record.into()
}

fn put_strings(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    fields: &[(&str, &str)],
) -> Result<(), AutomergeError> {
    fields
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .try_for_each(|(key, value)| tx.put(obj, *key, *value))
}

/// Appends a move to the record's history of a lifecycle and makes it the current value.
fn move_along(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    lifecycle: Lifecycle,
    value: &str,
    at: Millis,
) -> Result<(), AutomergeError> {
    tx.put(obj, lifecycle.current, value)?;
    let list = match obj_at(tx, obj, lifecycle.history) {
        Some(list) => list,
        None => tx.put_object(obj, lifecycle.history, ObjType::List)?,
    };
    let entry = tx.insert_object(&list, tx.length(&list), ObjType::Map)?;
    tx.put(&entry, lifecycle.current, value)?;
    tx.put(&entry, key::AT, ScalarValue::Timestamp(at))
}

fn set_key(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    set: &str,
    member: &str,
    present: bool,
) -> Result<(), AutomergeError> {
    let set = match obj_at(tx, obj, set) {
        Some(set) => set,
        None if present => tx.put_object(obj, set, ObjType::Map)?,
        None => return Ok(()),
    };
    match (tx.get(&set, member)?.is_some(), present) {
        (false, true) => tx.put(&set, member, true),
        (true, false) => tx.delete(&set, member),
        _ => Ok(()),
    }
}

fn write(tx: &mut Transaction<'_>, roots: &Roots, action: &Action) -> Result<Touched, ApplyError> {
    let mut touched = Touched::default();
    match action {
        Action::KeyUsers(action) => return key_users::write(tx, roots, action),
        Action::Recruitment(action) => return recruitment::write(tx, roots, action),
        Action::SetProfile { field, value } => {
            let (key, value) = match field {
                ProfileField::Name => {
                    (key::NAME, validate::required_name(Field::GroupName, value)?)
                }
                ProfileField::Description => {
                    (key::DESCRIPTION, validate::text((*field).into(), value)?)
                }
                ProfileField::Purpose => (key::PURPOSE, validate::text((*field).into(), value)?),
                ProfileField::Rules => (key::RULES, validate::text((*field).into(), value)?),
            };
            put_string(tx, &roots.profile, key, &value)?;
            touched.profile = true;
        }
        Action::SetAnalyticsSetting { setting, value } => {
            let (min, max) = setting.range();
            match validate::days_in(Field::AnalyticsSetting, value, min, max)? {
                Some(value) => tx.put(&roots.profile, setting.key(), i64::from(value))?,
                None if tx.get(&roots.profile, setting.key())?.is_some() => {
                    tx.delete(&roots.profile, setting.key())?;
                }
                None => {}
            }
            touched.profile = true;
        }
        Action::AddMember { id, draft, at } => {
            let draft = checked_member(draft)?;
            if obj_at(tx, &roots.members, id.as_str()).is_some() {
                return Err(Invalid::new(Field::Record, Problem::AlreadyExists).into());
            }
            let status = draft.status.unwrap_or(MemberStatus::Applicant);
            let record = new_member_record(&draft, status, *at, tx.text_encoding());
            tx.batch_create_object(&roots.members, id.as_str(), &record, false)?;
            touched.members.whole(id.clone());
        }
        Action::SetMember { id, field, value } => {
            let value = checked_member_field(*field, value)?;
            let member = member_record(tx, roots, id)?;
            let key = member_key(*field);
            if *field == MemberField::Notes {
                put_text(tx, &member, key, &value)?;
            } else {
                put_string(tx, &member, key, &value)?;
            }
            touched.members.part(id.clone(), MemberPart::Text(*field));
        }
        Action::SetMemberStatus { id, status, at } => {
            let member = member_record(tx, roots, id)?;
            let from = MemberStatus::from_key(&string_at(tx, &member, key::STATUS))
                .unwrap_or(MemberStatus::Applicant);
            if !from.can_become(*status) {
                return Err(
                    Invalid::new(Field::Status, Problem::MemberMove { from, to: *status }).into(),
                );
            }
            move_along(tx, &member, STATUS, status.key(), *at)?;
            touched.members.part(id.clone(), MemberPart::Status);
        }
        Action::TagMember { id, tag } | Action::UntagMember { id, tag } => {
            let tag = validate::tag(tag)?;
            let member = member_record(tx, roots, id)?;
            set_key(
                tx,
                &member,
                key::TAGS,
                &tag,
                matches!(action, Action::TagMember { .. }),
            )?;
            touched.members.part(id.clone(), MemberPart::Tags);
        }
        Action::MergeMembers {
            survivor,
            merged,
            take,
            take_status,
            at,
        } => {
            let picks = merge::Picks {
                take,
                take_status: *take_status,
                at: *at,
            };
            return merge::merge(tx, roots, survivor, merged, picks);
        }
        Action::MarkNotDuplicates { first, second } => {
            return merge::mark_distinct(tx, roots, first, second);
        }
        Action::RecordDigest {
            id,
            from,
            to,
            items,
            by,
            at,
        } => return digest::record(tx, id, (*from, *to), items, by, *at),
        Action::RemoveMember { id } => {
            member_exists(tx, roots, id, Field::Record)?;
            // Records merged into the member are the same person's.
            for merged in merge::merged_into(tx, roots, id) {
                tx.delete(&roots.members, merged.as_str())?;
            }
            tx.delete(&roots.members, id.as_str())?;
            touched.members.whole(id.clone());
            let roles: Vec<_> = record_keys_tx(tx, &roots.roles);
            for (role_id, role) in roles {
                if obj_at(tx, &role, key::HOLDERS)
                    .is_some_and(|holders| tx.get(&holders, id.as_str()).ok().flatten().is_some())
                {
                    set_key(tx, &role, key::HOLDERS, id.as_str(), false)?;
                    touched.roles.extend(RoleId::from_key(&role_id));
                }
            }
            let feedback: Vec<_> = record_keys_tx(tx, &roots.feedback);
            for (feedback_id, item) in feedback {
                if string_at(tx, &item, key::MEMBER) == id.as_str() {
                    tx.delete(&item, key::MEMBER)?;
                    if let Some(feedback_id) = FeedbackId::from_key(&feedback_id) {
                        touched.feedback.part(feedback_id, FeedbackPart::Member);
                    }
                }
            }
            // What organizers noted about a person goes with the person's record.
            if let Some(touchpoints) = obj_at(tx, &ROOT, key::TOUCHPOINTS) {
                for (touchpoint_id, touchpoint) in record_keys_tx(tx, &touchpoints) {
                    if string_at(tx, &touchpoint, key::MEMBER) == id.as_str() {
                        tx.delete(&touchpoints, touchpoint_id.as_str())?;
                        touched
                            .touchpoints
                            .extend(TouchpointId::from_key(&touchpoint_id));
                    }
                }
            }
            key_users::forget_member(tx, id, &mut touched)?;
            recruitment::forget_member(tx, id, &mut touched)?;
        }
        Action::AddRole { id, draft } => {
            let RoleDraft {
                name,
                responsibilities,
            } = draft;
            let name = validate::required_name(Field::RoleName, name)?;
            let responsibilities = validate::text(Field::Responsibilities, responsibilities)?;
            if obj_at(tx, &roots.roles, id.as_str()).is_some() {
                return Err(Invalid::new(Field::Record, Problem::AlreadyExists).into());
            }
            let role = tx.put_object(&roots.roles, id.as_str(), ObjType::Map)?;
            tx.put(&role, key::NAME, name)?;
            new_text(tx, &role, key::RESPONSIBILITIES, &responsibilities)?;
            tx.put_object(&role, key::HOLDERS, ObjType::Map)?;
            touched.roles.insert(id.clone());
        }
        Action::SetRole { id, field, value } => {
            let role = record(tx, &roots.roles, id.as_str())?;
            match field {
                RoleField::Name => put_string(
                    tx,
                    &role,
                    key::NAME,
                    &validate::required_name(Field::RoleName, value)?,
                )?,
                RoleField::Responsibilities => put_text(
                    tx,
                    &role,
                    key::RESPONSIBILITIES,
                    &validate::text(Field::Responsibilities, value)?,
                )?,
            }
            touched.roles.insert(id.clone());
        }
        Action::AssignRole {
            role: role_id,
            member,
        }
        | Action::UnassignRole {
            role: role_id,
            member,
        } => {
            let role = record(tx, &roots.roles, role_id.as_str())?;
            let assign = matches!(action, Action::AssignRole { .. });
            if assign {
                member_exists(tx, roots, member, Field::Holder)?;
            }
            set_key(tx, &role, key::HOLDERS, member.as_str(), assign)?;
            touched.roles.insert(role_id.clone());
        }
        Action::RemoveRole { id } => {
            record(tx, &roots.roles, id.as_str())?;
            tx.delete(&roots.roles, id.as_str())?;
            touched.roles.insert(id.clone());
        }
        Action::AddFeedback { id, draft, at } => {
            let draft = checked_feedback(tx, roots, draft)?;
            if obj_at(tx, &roots.feedback, id.as_str()).is_some() {
                return Err(Invalid::new(Field::Record, Problem::AlreadyExists).into());
            }
            let item = tx.put_object(&roots.feedback, id.as_str(), ObjType::Map)?;
            put_strings(
                tx,
                &item,
                &[
                    (
                        key::MEMBER,
                        draft.member.as_ref().map_or("", MemberId::as_str),
                    ),
                    (key::CHANNEL, &draft.channel),
                    (key::CATEGORY, &draft.category),
                    (key::OWNER, &draft.owner),
                ],
            )?;
            if let Some(score) = draft.score {
                tx.put(&item, key::SCORE, i64::from(score))?;
            }
            tx.put(&item, key::RECEIVED_AT, ScalarValue::Timestamp(*at))?;
            new_text(tx, &item, key::TEXT, &draft.text)?;
            tx.put_object(&item, key::STATUS_HISTORY, ObjType::List)?;
            move_along(tx, &item, STATUS, FeedbackStatus::New.key(), *at)?;
            touched.feedback.whole(id.clone());
        }
        Action::SetFeedback { id, field, value } => {
            let item = record(tx, &roots.feedback, id.as_str())?;
            let field_name = Field::from(*field);
            match field {
                FeedbackField::Channel => {
                    put_string(tx, &item, key::CHANNEL, &validate::line(field_name, value)?)?
                }
                FeedbackField::Category => put_string(
                    tx,
                    &item,
                    key::CATEGORY,
                    &validate::line(field_name, value)?,
                )?,
                FeedbackField::Owner => {
                    put_string(tx, &item, key::OWNER, &validate::line(field_name, value)?)?
                }
                FeedbackField::Text => {
                    put_text(tx, &item, key::TEXT, &validate::text(field_name, value)?)?
                }
            }
            touched
                .feedback
                .part(id.clone(), FeedbackPart::Text(*field));
        }
        Action::SetFeedbackScore { id, score } => {
            let score = validate::score(score)?;
            let item = record(tx, &roots.feedback, id.as_str())?;
            match score {
                Some(score) if int_at(tx, &item, key::SCORE) != Some(i64::from(score)) => {
                    tx.put(&item, key::SCORE, i64::from(score))?
                }
                None if tx.get(&item, key::SCORE)?.is_some() => tx.delete(&item, key::SCORE)?,
                _ => {}
            }
            touched.feedback.part(id.clone(), FeedbackPart::Score);
        }
        Action::SetFeedbackMember { id, member } => {
            if let Some(member) = member {
                member_exists(tx, roots, member, Field::Member)?;
            }
            let item = record(tx, &roots.feedback, id.as_str())?;
            put_string(
                tx,
                &item,
                key::MEMBER,
                member.as_ref().map_or("", MemberId::as_str),
            )?;
            touched.feedback.part(id.clone(), FeedbackPart::Member);
        }
        Action::SetFeedbackStatus { id, status, at } => {
            let item = record(tx, &roots.feedback, id.as_str())?;
            let from = FeedbackStatus::from_key(&string_at(tx, &item, key::STATUS))
                .unwrap_or(FeedbackStatus::New);
            if !from.can_become(*status) {
                return Err(Invalid::new(
                    Field::Status,
                    Problem::FeedbackMove { from, to: *status },
                )
                .into());
            }
            move_along(tx, &item, STATUS, status.key(), *at)?;
            touched.feedback.part(id.clone(), FeedbackPart::Status);
        }
        Action::RemoveFeedback { id } => {
            record(tx, &roots.feedback, id.as_str())?;
            tx.delete(&roots.feedback, id.as_str())?;
            touched.feedback.whole(id.clone());
        }
        Action::LogTouchpoint { id, draft, at } => {
            let checked = checked_touchpoint(tx, roots, draft)?;
            let touchpoints = collection(tx, key::TOUCHPOINTS)?;
            if obj_at(tx, &touchpoints, id.as_str()).is_some() {
                return Err(Invalid::new(Field::Record, Problem::AlreadyExists).into());
            }
            let record = tx.put_object(&touchpoints, id.as_str(), ObjType::Map)?;
            put_strings(
                tx,
                &record,
                &[
                    (key::MEMBER, checked.member.as_str()),
                    (key::CHANNEL, draft.channel.key()),
                    (key::BY, &checked.by),
                    (key::SUMMARY, &checked.summary),
                    (key::FOLLOW_UP, &checked.follow_up),
                    (key::DUE, &checked.due),
                ],
            )?;
            tx.put(&record, key::AT, ScalarValue::Timestamp(draft.at))?;
            tx.put(&record, key::LOGGED_AT, ScalarValue::Timestamp(*at))?;
            touched.touchpoints.insert(id.clone());
        }
        Action::SetTouchpoint { id, field, value } => {
            let record = record(tx, &collection(tx, key::TOUCHPOINTS)?, id.as_str())?;
            let (key, value) = match field {
                TouchpointField::Summary => (
                    key::SUMMARY,
                    validate::required_line(Field::Summary, value)?,
                ),
                TouchpointField::By => (key::BY, validate::line(Field::ContactedBy, value)?),
                TouchpointField::FollowUp => {
                    (key::FOLLOW_UP, validate::line(Field::FollowUp, value)?)
                }
                TouchpointField::Due => (key::DUE, validate::date(Field::Due, value)?),
            };
            put_string(tx, &record, key, &value)?;
            touched.touchpoints.insert(id.clone());
        }
        Action::SetTouchpointChannel { id, channel } => {
            let record = record(tx, &collection(tx, key::TOUCHPOINTS)?, id.as_str())?;
            put_string(tx, &record, key::CHANNEL, channel.key())?;
            touched.touchpoints.insert(id.clone());
        }
        Action::SetFollowUpDone { id, done_at } => {
            let record = record(tx, &collection(tx, key::TOUCHPOINTS)?, id.as_str())?;
            match done_at {
                Some(at) => tx.put(&record, key::DONE_AT, ScalarValue::Timestamp(*at))?,
                None => tx.delete(&record, key::DONE_AT)?,
            }
            touched.touchpoints.insert(id.clone());
        }
        Action::RemoveTouchpoint { id } => {
            let touchpoints = collection(tx, key::TOUCHPOINTS)?;
            record(tx, &touchpoints, id.as_str())?;
            tx.delete(&touchpoints, id.as_str())?;
            touched.touchpoints.insert(id.clone());
        }
        Action::AddActivity { id, draft, at } => {
            let activities = collection(tx, key::ACTIVITIES)?;
            if obj_at(tx, &activities, id.as_str()).is_some() {
                return Err(Invalid::new(Field::Record, Problem::AlreadyExists).into());
            }
            let title = validate::required_name(Field::ActivityTitle, &draft.title)?;
            let place = validate::line(Field::Place, &draft.place)?;
            let link = validate::link(Field::Link, &draft.link)?;
            checked_times(draft.starts_at, draft.ends_at)?;
            if let Some(organizer) = &draft.organizer {
                member_exists(tx, roots, organizer, Field::Organizer)?;
            }
            let record = tx.put_object(&activities, id.as_str(), ObjType::Map)?;
            put_strings(
                tx,
                &record,
                &[
                    (key::KIND, draft.kind.key()),
                    (key::TITLE, &title),
                    (key::PLACE, &place),
                    (key::LINK, &link),
                    (
                        key::ORGANIZER,
                        draft.organizer.as_ref().map_or("", MemberId::as_str),
                    ),
                ],
            )?;
            tx.put(
                &record,
                key::STARTS_AT,
                ScalarValue::Timestamp(draft.starts_at),
            )?;
            tx.put(&record, key::ENDS_AT, ScalarValue::Timestamp(draft.ends_at))?;
            tx.put(&record, key::CREATED_AT, ScalarValue::Timestamp(*at))?;
            // Sets are made with the record, never later (see members' tags).
            for set in [
                key::INVITED_MEMBERS,
                key::INVITED_ROLES,
                key::INVITED_TAGS,
                key::ATTENDANCE,
                key::DUTIES,
            ] {
                tx.put_object(&record, set, ObjType::Map)?;
            }
            new_text(
                tx,
                &record,
                key::DESCRIPTION,
                &validate::text(Field::Description, &draft.description)?,
            )?;
            for invitee in &draft.invited {
                invite(tx, roots, &record, invitee, true)?;
            }
            touched.activities.insert(id.clone());
        }
        Action::SetActivity { id, field, value } => {
            let record = record(tx, &collection(tx, key::ACTIVITIES)?, id.as_str())?;
            match field {
                ActivityField::Title => {
                    let title = validate::required_name(Field::ActivityTitle, value)?;
                    put_string(tx, &record, key::TITLE, &title)?;
                }
                ActivityField::Place => {
                    put_string(
                        tx,
                        &record,
                        key::PLACE,
                        &validate::line(Field::Place, value)?,
                    )?;
                }
                ActivityField::Link => {
                    put_string(tx, &record, key::LINK, &validate::link(Field::Link, value)?)?;
                }
                ActivityField::Description => {
                    let text = validate::text(Field::Description, value)?;
                    put_text(tx, &record, key::DESCRIPTION, &text)?;
                }
            }
            touched.activities.insert(id.clone());
        }
        Action::SetActivityKind { id, kind } => {
            let record = record(tx, &collection(tx, key::ACTIVITIES)?, id.as_str())?;
            put_string(tx, &record, key::KIND, kind.key())?;
            touched.activities.insert(id.clone());
        }
        Action::SetActivityTime {
            id,
            starts_at,
            ends_at,
        } => {
            let record = record(tx, &collection(tx, key::ACTIVITIES)?, id.as_str())?;
            checked_times(*starts_at, *ends_at)?;
            tx.put(&record, key::STARTS_AT, ScalarValue::Timestamp(*starts_at))?;
            tx.put(&record, key::ENDS_AT, ScalarValue::Timestamp(*ends_at))?;
            touched.activities.insert(id.clone());
        }
        Action::SetActivityOrganizer { id, organizer } => {
            let record = record(tx, &collection(tx, key::ACTIVITIES)?, id.as_str())?;
            if let Some(organizer) = organizer {
                member_exists(tx, roots, organizer, Field::Organizer)?;
            }
            let value = organizer.as_ref().map_or("", MemberId::as_str);
            put_string(tx, &record, key::ORGANIZER, value)?;
            touched.activities.insert(id.clone());
        }
        Action::Invite { id, invitee } | Action::Uninvite { id, invitee } => {
            let record = record(tx, &collection(tx, key::ACTIVITIES)?, id.as_str())?;
            let inviting = matches!(action, Action::Invite { .. });
            invite(tx, roots, &record, invitee, inviting)?;
            touched.activities.insert(id.clone());
        }
        Action::MarkAttendance { id, member, mark } => {
            let record = record(tx, &collection(tx, key::ACTIVITIES)?, id.as_str())?;
            let attendance = obj_at(tx, &record, key::ATTENDANCE)
                .ok_or(Invalid::new(Field::Record, Problem::UnknownRecord))?;
            match mark {
                Some(mark) => {
                    member_exists(tx, roots, member, Field::Attendance)?;
                    put_string(tx, &attendance, member.as_str(), mark.key())?;
                }
                None => put_string(tx, &attendance, member.as_str(), "")?,
            }
            touched.activities.insert(id.clone());
        }
        Action::RemoveActivity { id } => {
            let activities = collection(tx, key::ACTIVITIES)?;
            record(tx, &activities, id.as_str())?;
            tx.delete(&activities, id.as_str())?;
            touched.activities.insert(id.clone());
        }
        Action::AddDuty {
            activity,
            id,
            title,
        } => {
            let record = record(tx, &collection(tx, key::ACTIVITIES)?, activity.as_str())?;
            let title = validate::required_name(Field::Duty, title)?;
            // Activities written before duties existed get the map with their first duty.
            let duties = match obj_at(tx, &record, key::DUTIES) {
                Some(duties) => duties,
                None => tx.put_object(&record, key::DUTIES, ObjType::Map)?,
            };
            if obj_at(tx, &duties, id.as_str()).is_some() {
                return Err(Invalid::new(Field::Record, Problem::AlreadyExists).into());
            }
            let duty = tx.put_object(&duties, id.as_str(), ObjType::Map)?;
            tx.put(&duty, key::TITLE, title)?;
            tx.put_object(&duty, key::ASSIGNMENTS, ObjType::Map)?;
            touched.activities.insert(activity.clone());
        }
        Action::SetDutyTitle {
            activity,
            id,
            title,
        } => {
            let duty = duty(tx, activity, id)?;
            let title = validate::required_name(Field::Duty, title)?;
            put_string(tx, &duty, key::TITLE, &title)?;
            touched.activities.insert(activity.clone());
        }
        Action::AssignDuty {
            activity,
            id,
            member,
            part,
        } => {
            let duty = duty(tx, activity, id)?;
            let assignments = obj_at(tx, &duty, key::ASSIGNMENTS)
                .ok_or(Invalid::new(Field::Record, Problem::UnknownRecord))?;
            match part {
                Some(part) => {
                    member_exists(tx, roots, member, Field::Duty)?;
                    put_string(tx, &assignments, member.as_str(), part.key())?;
                }
                None => {
                    if tx.get(&assignments, member.as_str())?.is_some() {
                        tx.delete(&assignments, member.as_str())?;
                    }
                }
            }
            touched.activities.insert(activity.clone());
        }
        Action::RemoveDuty { activity, id } => {
            duty(tx, activity, id)?;
            let record = record(tx, &collection(tx, key::ACTIVITIES)?, activity.as_str())?;
            if let Some(duties) = obj_at(tx, &record, key::DUTIES) {
                tx.delete(&duties, id.as_str())?;
            }
            touched.activities.insert(activity.clone());
        }
        Action::AddTraining { id, draft, at } => {
            let trainings = collection(tx, key::TRAININGS)?;
            if obj_at(tx, &trainings, id.as_str()).is_some() {
                return Err(Invalid::new(Field::Record, Problem::AlreadyExists).into());
            }
            let title = validate::required_name(Field::TrainingTitle, &draft.title)?;
            let materials = validate::link(Field::Materials, &draft.materials)?;
            let activities = obj_at(tx, &ROOT, key::ACTIVITIES);
            for session in &draft.sessions {
                activities
                    .as_ref()
                    .and_then(|activities| obj_at(tx, activities, session.as_str()))
                    .ok_or(Invalid::new(Field::Session, Problem::UnknownRecord))?;
            }
            let record = tx.put_object(&trainings, id.as_str(), ObjType::Map)?;
            put_strings(
                tx,
                &record,
                &[
                    (key::TITLE, &title),
                    (key::FORMAT, draft.format.key()),
                    (key::MATERIALS, &materials),
                ],
            )?;
            tx.put(&record, key::CREATED_AT, ScalarValue::Timestamp(*at))?;
            // Sets are made with the record, never later (see members' tags).
            for set in [
                key::SESSIONS,
                key::INVITED_MEMBERS,
                key::INVITED_ROLES,
                key::INVITED_TAGS,
                key::COMPLETED,
                key::SCORE_BEFORE,
                key::SCORE_AFTER,
                key::SATISFACTION,
            ] {
                tx.put_object(&record, set, ObjType::Map)?;
            }
            for session in &draft.sessions {
                set_key(tx, &record, key::SESSIONS, session.as_str(), true)?;
            }
            for invitee in &draft.audience {
                invite(tx, roots, &record, invitee, true)?;
            }
            touched.trainings.insert(id.clone());
        }
        Action::SetTraining { id, field, value } => {
            let record = record(tx, &collection(tx, key::TRAININGS)?, id.as_str())?;
            let (key, value) = match field {
                TrainingField::Title => (
                    key::TITLE,
                    validate::required_name(Field::TrainingTitle, value)?,
                ),
                TrainingField::Materials => {
                    (key::MATERIALS, validate::link(Field::Materials, value)?)
                }
            };
            put_string(tx, &record, key, &value)?;
            touched.trainings.insert(id.clone());
        }
        Action::SetTrainingFormat { id, format } => {
            let record = record(tx, &collection(tx, key::TRAININGS)?, id.as_str())?;
            put_string(tx, &record, key::FORMAT, format.key())?;
            touched.trainings.insert(id.clone());
        }
        Action::SetTrainingSession {
            id,
            activity,
            included,
        } => {
            let record = record(tx, &collection(tx, key::TRAININGS)?, id.as_str())?;
            if *included {
                obj_at(tx, &collection(tx, key::ACTIVITIES)?, activity.as_str())
                    .ok_or(Invalid::new(Field::Session, Problem::UnknownRecord))?;
            }
            set_key(tx, &record, key::SESSIONS, activity.as_str(), *included)?;
            touched.trainings.insert(id.clone());
        }
        Action::SetTrainingAudience {
            id,
            invitee,
            included,
        } => {
            let record = record(tx, &collection(tx, key::TRAININGS)?, id.as_str())?;
            invite(tx, roots, &record, invitee, *included)?;
            touched.trainings.insert(id.clone());
        }
        Action::SetTrainingCompleted {
            id,
            member,
            completed_at,
        } => {
            let record = record(tx, &collection(tx, key::TRAININGS)?, id.as_str())?;
            let completed = participant_map(tx, &record, key::COMPLETED)?;
            match completed_at {
                Some(at) => {
                    member_exists(tx, roots, member, Field::Participant)?;
                    tx.put(&completed, member.as_str(), ScalarValue::Timestamp(*at))?;
                }
                None => {
                    if tx.get(&completed, member.as_str())?.is_some() {
                        tx.delete(&completed, member.as_str())?;
                    }
                }
            }
            touched.trainings.insert(id.clone());
        }
        Action::SetTrainingScore {
            id,
            member,
            score,
            value,
        } => {
            let record = record(tx, &collection(tx, key::TRAININGS)?, id.as_str())?;
            let (min, max) = score.range();
            let value = validate::number_in(Field::from(*score), value, min, max)?;
            let scores = participant_map(tx, &record, score_key(*score))?;
            match value {
                Some(value) => {
                    member_exists(tx, roots, member, Field::Participant)?;
                    tx.put(&scores, member.as_str(), i64::from(value))?;
                }
                None => {
                    if tx.get(&scores, member.as_str())?.is_some() {
                        tx.delete(&scores, member.as_str())?;
                    }
                }
            }
            touched.trainings.insert(id.clone());
        }
        Action::RemoveTraining { id } => {
            let trainings = collection(tx, key::TRAININGS)?;
            record(tx, &trainings, id.as_str())?;
            tx.delete(&trainings, id.as_str())?;
            touched.trainings.insert(id.clone());
        }
    }
    Ok(touched)
}

/// A duty of an activity.
fn duty(tx: &Transaction<'_>, activity: &ActivityId, id: &DutyId) -> Result<ObjId, Invalid> {
    let record = record(tx, &collection(tx, key::ACTIVITIES)?, activity.as_str())?;
    obj_at(tx, &record, key::DUTIES)
        .and_then(|duties| obj_at(tx, &duties, id.as_str()))
        .ok_or(Invalid::new(Field::Duty, Problem::UnknownRecord))
}

/// A collection added to schema 1 later ([`ADDED_COLLECTIONS`]); an action on a record of one
/// in a group without it names a record that is not there.
fn collection(tx: &Transaction<'_>, name: &str) -> Result<ObjId, Invalid> {
    obj_at(tx, &ROOT, name).ok_or(Invalid::new(Field::Record, Problem::UnknownRecord))
}

/// Where a training's scores of one kind are written.
fn score_key(score: TrainingScore) -> &'static str {
    match score {
        TrainingScore::Before => key::SCORE_BEFORE,
        TrainingScore::After => key::SCORE_AFTER,
        TrainingScore::Satisfaction => key::SATISFACTION,
    }
}

/// One of a training's maps by participant (made with the record).
fn participant_map(tx: &Transaction<'_>, record: &ObjId, key: &str) -> Result<ObjId, Invalid> {
    obj_at(tx, record, key).ok_or(Invalid::new(Field::Record, Problem::UnknownRecord))
}

fn checked_times(starts_at: Millis, ends_at: Millis) -> Result<(), Invalid> {
    if starts_at <= 0 {
        return Err(Invalid::new(Field::Starts, Problem::Empty));
    }
    if ends_at < starts_at {
        return Err(Invalid::new(Field::Ends, Problem::EndsBeforeStart));
    }
    Ok(())
}

/// Adds `invitee` to an activity's invitations, or takes it off (`inviting` false). Only a
/// member or role that exists can be invited.
fn invite(
    tx: &mut Transaction<'_>,
    roots: &Roots,
    activity: &ObjId,
    invitee: &Invitee,
    inviting: bool,
) -> Result<(), ApplyError> {
    let (set, key) = match invitee {
        Invitee::Member(member) => {
            if inviting {
                member_exists(tx, roots, member, Field::Invitee)?;
            }
            (key::INVITED_MEMBERS, member.as_str().to_owned())
        }
        Invitee::Role(role) => {
            if inviting {
                obj_at(tx, &roots.roles, role.as_str())
                    .ok_or(Invalid::new(Field::Invitee, Problem::UnknownRecord))?;
            }
            (key::INVITED_ROLES, role.as_str().to_owned())
        }
        Invitee::Tag(tag) => {
            let tag = validate::tag(tag)?;
            if tag.is_empty() {
                return Err(Invalid::new(Field::Invitee, Problem::Empty).into());
            }
            (key::INVITED_TAGS, tag)
        }
    };
    set_key(tx, activity, set, &key, inviting)?;
    Ok(())
}

/// A touchpoint's values as they are written.
struct CheckedTouchpoint {
    member: MemberId,
    by: String,
    summary: String,
    follow_up: String,
    due: String,
}

fn checked_touchpoint(
    tx: &Transaction<'_>,
    roots: &Roots,
    draft: &TouchpointDraft,
) -> Result<CheckedTouchpoint, Invalid> {
    let member = draft
        .member
        .clone()
        .ok_or(Invalid::new(Field::Member, Problem::Empty))?;
    member_exists(tx, roots, &member, Field::Member)?;
    if draft.at <= 0 {
        return Err(Invalid::new(Field::ContactedAt, Problem::Empty));
    }
    let follow_up = validate::line(Field::FollowUp, &draft.follow_up)?;
    let due = validate::date(Field::Due, &draft.due)?;
    if follow_up.is_empty() && !due.is_empty() {
        // A day with nothing to do on it.
        return Err(Invalid::new(Field::FollowUp, Problem::Empty));
    }
    Ok(CheckedTouchpoint {
        member,
        by: validate::line(Field::ContactedBy, &draft.by)?,
        summary: validate::required_line(Field::Summary, &draft.summary)?,
        follow_up,
        due,
    })
}

fn record_keys_tx(tx: &Transaction<'_>, collection: &ObjId) -> Vec<(String, ObjId)> {
    tx.map_range(collection, ..)
        .filter(|item| matches!(item.value, automerge::ValueRef::Object(_)))
        .map(|item| (item.key.to_string(), item.id()))
        .collect()
}

fn member_key(field: MemberField) -> &'static str {
    match field {
        MemberField::Name => key::NAME,
        MemberField::Email => key::EMAIL,
        MemberField::Phone => key::PHONE,
        MemberField::Wechat => key::WECHAT,
        MemberField::OtherContact => key::OTHER_CONTACT,
        MemberField::Source => key::SOURCE,
        MemberField::Joined => key::JOINED,
        MemberField::Notes => key::NOTES,
    }
}

/// Validates one member field as the form sends it, returning the value to store.
pub fn checked_member_field(field: MemberField, value: &str) -> Result<String, Invalid> {
    match field {
        MemberField::Name => validate::required_name(Field::Name, value),
        MemberField::Email => validate::email(value),
        MemberField::Phone => validate::phone(value),
        MemberField::Joined => validate::date(Field::Joined, value),
        MemberField::Notes => validate::text(Field::Notes, value),
        MemberField::Wechat | MemberField::OtherContact | MemberField::Source => {
            validate::line(field.into(), value)
        }
    }
}

/// Validates a new member's form, returning the values to store. The first bad field is named.
pub fn checked_member(draft: &MemberDraft) -> Result<MemberDraft, Invalid> {
    let mut tags = Vec::new();
    for tag in &draft.tags {
        let tag = validate::tag(tag)?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(MemberDraft {
        name: checked_member_field(MemberField::Name, &draft.name)?,
        email: checked_member_field(MemberField::Email, &draft.email)?,
        phone: checked_member_field(MemberField::Phone, &draft.phone)?,
        wechat: checked_member_field(MemberField::Wechat, &draft.wechat)?,
        other_contact: checked_member_field(MemberField::OtherContact, &draft.other_contact)?,
        tags,
        status: draft.status,
        source: checked_member_field(MemberField::Source, &draft.source)?,
        joined: checked_member_field(MemberField::Joined, &draft.joined)?,
        notes: checked_member_field(MemberField::Notes, &draft.notes)?,
    })
}

/// New feedback's values, validated.
struct CheckedFeedback {
    member: Option<MemberId>,
    channel: String,
    category: String,
    score: Option<u8>,
    text: String,
    owner: String,
}

fn checked_feedback(
    tx: &Transaction<'_>,
    roots: &Roots,
    draft: &FeedbackDraft,
) -> Result<CheckedFeedback, Invalid> {
    if let Some(member) = &draft.member {
        member_exists(tx, roots, member, Field::Member)?;
    }
    let checked = CheckedFeedback {
        member: draft.member.clone(),
        channel: validate::line(Field::Channel, &draft.channel)?,
        category: validate::line(Field::Category, &draft.category)?,
        score: validate::score(&draft.score)?,
        text: validate::text(Field::Text, &draft.text)?,
        owner: validate::line(Field::Owner, &draft.owner)?,
    };
    if checked.text.trim().is_empty() && checked.score.is_none() {
        return Err(Invalid::new(Field::Text, Problem::Empty));
    }
    Ok(checked)
}

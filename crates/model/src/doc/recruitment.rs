//! Recruitment in the document (see `docs/schema.md`): `screening` criteria, and
//! `applications` that name their applicant, with the stage and its history, the channel,
//! and the checks against each criterion.
//!
//! A check is two flat values (the result under `checks`, the note under `check_notes`, both
//! maps made with the application), so two organizers checking different criteria at once
//! both keep theirs, and one checking while another notes keeps both.

use automerge::transaction::{Transactable, Transaction};
use automerge::{ObjId, ObjType, ROOT, ScalarValue};

use super::{
    ApplyError, Fields, STAGE, STATUS, Touched, collection, history, key, member_exists,
    move_along, obj_at, put_string, put_strings, put_text, record, string_at,
};
use crate::recruitment::{
    Application, ApplicationChannel, ApplicationDraft, Check, CheckResult, ScreeningCriterion,
    Stage,
};
use crate::validate::{self, Field, Invalid, Problem};
use crate::{
    Action, ApplicationId, MemberDraft, MemberId, MemberPart, MemberStatus, Millis,
    RecruitmentAction, ScreeningId,
};

pub(super) fn read_criterion(
    record: &impl Fields,
    id: ScreeningId,
    _: super::Resolve<'_>,
) -> Option<ScreeningCriterion> {
    Some(ScreeningCriterion {
        id,
        name: record.string(key::NAME),
        created_at: record.int(key::CREATED_AT).unwrap_or_default(),
    })
}

/// An application, unless its applicant is gone (erased while it was recorded elsewhere).
pub(super) fn read_application(
    record: &impl Fields,
    id: ApplicationId,
    resolve: super::Resolve<'_>,
) -> Option<Application> {
    let member = super::member_at(record, key::MEMBER, resolve)?;
    let history = history(record, STAGE, Stage::from_key);
    // An unknown stage (from a newer client) reads as the latest known one.
    let stage = Stage::from_key(&record.string(key::STAGE))
        .or_else(|| history.last().map(|change| change.status))
        .unwrap_or(Stage::Applied);
    let notes: std::collections::BTreeMap<String, String> =
        record.pairs(key::CHECK_NOTES).into_iter().collect();
    let checks = record
        .pairs(key::CHECKS)
        .into_iter()
        .filter_map(|(criterion, result)| {
            let result = CheckResult::from_key(&result)?;
            let note = notes.get(&criterion).cloned().unwrap_or_default();
            Some((ScreeningId::from_key(&criterion)?, Check { result, note }))
        })
        .collect();
    Some(Application {
        id,
        member,
        stage,
        history,
        channel: ApplicationChannel::from_key(&record.string(key::CHANNEL))
            .unwrap_or(ApplicationChannel::Other),
        referrer: super::member_at(record, key::REFERRER, resolve),
        applied_on: record.string(key::APPLIED_ON),
        notes: record.string(key::NOTES),
        checks,
        reason: record.string(key::REASON),
        created_at: record.int(key::CREATED_AT).unwrap_or_default(),
    })
}

fn application(tx: &Transaction<'_>, id: &ApplicationId) -> Result<ObjId, Invalid> {
    record(tx, &collection(tx, key::APPLICATIONS)?, id.as_str())
}

/// Checks the referrer of a referral; other channels have none.
fn referrer_of<'a>(
    tx: &Transaction<'_>,
    roots: &super::Roots,
    channel: ApplicationChannel,
    referrer: Option<&'a MemberId>,
) -> Result<Option<&'a MemberId>, Invalid> {
    match (channel, referrer) {
        (ApplicationChannel::Referral, Some(referrer)) => {
            member_exists(tx, roots, referrer, Field::Referrer)?;
            Ok(Some(referrer))
        }
        _ => Ok(None),
    }
}

/// Writes an action of recruitment.
pub(super) fn write(
    tx: &mut Transaction<'_>,
    roots: &super::Roots,
    action: &RecruitmentAction,
) -> Result<Touched, ApplyError> {
    let mut touched = Touched::default();
    match action {
        RecruitmentAction::AddCriterion { id, name, at } => {
            let name = validate::required_name(Field::ScreeningCriterion, name)?;
            let screening = collection(tx, key::SCREENING)?;
            if obj_at(tx, &screening, id.as_str()).is_some() {
                return Err(Invalid::new(Field::Record, Problem::AlreadyExists).into());
            }
            let criterion = tx.put_object(&screening, id.as_str(), ObjType::Map)?;
            tx.put(&criterion, key::NAME, name)?;
            tx.put(&criterion, key::CREATED_AT, ScalarValue::Timestamp(*at))?;
            touched.screening.insert(id.clone());
        }
        RecruitmentAction::RenameCriterion { id, name } => {
            let criterion = record(tx, &collection(tx, key::SCREENING)?, id.as_str())?;
            let name = validate::required_name(Field::ScreeningCriterion, name)?;
            put_string(tx, &criterion, key::NAME, &name)?;
            touched.screening.insert(id.clone());
        }
        RecruitmentAction::RemoveCriterion { id } => {
            let screening = collection(tx, key::SCREENING)?;
            record(tx, &screening, id.as_str())?;
            tx.delete(&screening, id.as_str())?;
            touched.screening.insert(id.clone());
        }
        RecruitmentAction::Apply {
            id,
            member,
            applicant,
            draft,
            at,
        } => {
            if let Some(applicant) = applicant {
                let person = MemberDraft {
                    status: Some(MemberStatus::Applicant),
                    ..(**applicant).clone()
                };
                let added = Action::AddMember {
                    id: member.clone(),
                    draft: person,
                    at: *at,
                };
                touched.extend(super::write(tx, roots, &added)?);
            }
            apply(tx, roots, id, member, draft, *at)?;
            touched.applications.insert(id.clone());
        }
        RecruitmentAction::SetChannel {
            id,
            channel,
            referrer,
        } => {
            let record = application(tx, id)?;
            let referrer = referrer_of(tx, roots, *channel, referrer.as_ref())?;
            put_string(tx, &record, key::CHANNEL, channel.key())?;
            put_string(
                tx,
                &record,
                key::REFERRER,
                referrer.map_or("", MemberId::as_str),
            )?;
            touched.applications.insert(id.clone());
        }
        RecruitmentAction::SetAppliedOn { id, applied_on } => {
            let record = application(tx, id)?;
            let day = validate::date(Field::AppliedOn, applied_on)?;
            if day.is_empty() {
                return Err(Invalid::new(Field::AppliedOn, Problem::Empty).into());
            }
            put_string(tx, &record, key::APPLIED_ON, &day)?;
            touched.applications.insert(id.clone());
        }
        RecruitmentAction::SetNotes { id, notes } => {
            let record = application(tx, id)?;
            put_text(
                tx,
                &record,
                key::NOTES,
                &validate::text(Field::Notes, notes)?,
            )?;
            touched.applications.insert(id.clone());
        }
        RecruitmentAction::Move {
            id,
            stage,
            reason,
            at,
        } => {
            let record = application(tx, id)?;
            let from =
                Stage::from_key(&string_at(tx, &record, key::STAGE)).unwrap_or(Stage::Applied);
            if !from.can_become(*stage) {
                let problem = Problem::StageMove { from, to: *stage };
                return Err(Invalid::new(Field::Stage, problem).into());
            }
            let reason = match stage {
                Stage::Rejected => validate::required_line(Field::StageReason, reason)?,
                Stage::Withdrawn => validate::line(Field::StageReason, reason)?,
                _ => String::new(),
            };
            move_along(tx, &record, STAGE, stage.key(), *at)?;
            put_string(tx, &record, key::REASON, &reason)?;
            // The applicant as they are now (merged into another record, maybe).
            let member = MemberId::from_key(&string_at(tx, &record, key::MEMBER))
                .and_then(|member| super::merge::resolve(tx, &roots.members, &member))
                .ok_or(Invalid::new(Field::Member, Problem::UnknownMember))?;
            let person = super::record(tx, &roots.members, member.as_str())?;
            let status = MemberStatus::from_key(&string_at(tx, &person, key::STATUS))
                .unwrap_or(MemberStatus::Applicant);
            if let Some(next) = stage.member_status(status) {
                move_along(tx, &person, STATUS, next.key(), *at)?;
                touched.members.part(member, MemberPart::Status);
            }
            touched.applications.insert(id.clone());
        }
        RecruitmentAction::Check {
            id,
            criterion,
            result,
            note,
        } => {
            let record = application(tx, id)?;
            let note = validate::line(Field::Notes, note)?;
            let checks = obj_at(tx, &record, key::CHECKS)
                .ok_or(Invalid::new(Field::Record, Problem::UnknownRecord))?;
            let notes = obj_at(tx, &record, key::CHECK_NOTES)
                .ok_or(Invalid::new(Field::Record, Problem::UnknownRecord))?;
            match result {
                Some(result) => {
                    obj_at(tx, &collection(tx, key::SCREENING)?, criterion.as_str()).ok_or(
                        Invalid::new(Field::ScreeningCriterion, Problem::UnknownRecord),
                    )?;
                    put_string(tx, &checks, criterion.as_str(), result.key())?;
                    put_string(tx, &notes, criterion.as_str(), &note)?;
                }
                None => {
                    put_string(tx, &checks, criterion.as_str(), "")?;
                    put_string(tx, &notes, criterion.as_str(), "")?;
                }
            }
            touched.applications.insert(id.clone());
        }
        RecruitmentAction::RemoveApplication { id } => {
            let applications = collection(tx, key::APPLICATIONS)?;
            record(tx, &applications, id.as_str())?;
            tx.delete(&applications, id.as_str())?;
            touched.applications.insert(id.clone());
        }
    }
    Ok(touched)
}

fn apply(
    tx: &mut Transaction<'_>,
    roots: &super::Roots,
    id: &ApplicationId,
    member: &MemberId,
    draft: &ApplicationDraft,
    at: Millis,
) -> Result<(), ApplyError> {
    member_exists(tx, roots, member, Field::Member)?;
    let applied_on = validate::date(Field::AppliedOn, &draft.applied_on)?;
    if applied_on.is_empty() {
        return Err(Invalid::new(Field::AppliedOn, Problem::Empty).into());
    }
    let referrer = referrer_of(tx, roots, draft.channel, draft.referrer.as_ref())?;
    let notes = validate::text(Field::Notes, &draft.notes)?;
    let applications = collection(tx, key::APPLICATIONS)?;
    if obj_at(tx, &applications, id.as_str()).is_some() {
        return Err(Invalid::new(Field::Record, Problem::AlreadyExists).into());
    }
    let record = tx.put_object(&applications, id.as_str(), ObjType::Map)?;
    put_strings(
        tx,
        &record,
        &[
            (key::MEMBER, member.as_str()),
            (key::CHANNEL, draft.channel.key()),
            (key::REFERRER, referrer.map_or("", MemberId::as_str)),
            (key::APPLIED_ON, &applied_on),
        ],
    )?;
    tx.put(&record, key::CREATED_AT, ScalarValue::Timestamp(at))?;
    super::new_text(tx, &record, key::NOTES, &notes)?;
    // Maps are made with the record, never later (see members' tags).
    tx.put_object(&record, key::CHECKS, ObjType::Map)?;
    tx.put_object(&record, key::CHECK_NOTES, ObjType::Map)?;
    move_along(tx, &record, STAGE, Stage::Applied.key(), at)?;
    Ok(())
}

/// Removes the applications of a member being erased (what was noted about a person goes
/// with them); where they referred someone, the referral stays without their name.
pub(super) fn forget_member(
    tx: &mut Transaction<'_>,
    member: &MemberId,
    touched: &mut Touched,
) -> Result<(), ApplyError> {
    let Some(applications) = obj_at(tx, &ROOT, key::APPLICATIONS) else {
        return Ok(());
    };
    for (id, record) in super::record_keys_tx(tx, &applications) {
        let named = |key| string_at(tx, &record, key) == member.as_str();
        if named(key::MEMBER) {
            tx.delete(&applications, id.as_str())?;
        } else if named(key::REFERRER) {
            tx.delete(&record, key::REFERRER)?;
        } else {
            continue;
        }
        touched.applications.extend(ApplicationId::from_key(&id));
    }
    Ok(())
}

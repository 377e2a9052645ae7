//! Key users in the document (see `docs/schema.md`): the decision and strategy in the member
//! record, and five collections of records that name a member: criteria (with each member's
//! score), placings on the grid, needs, expectations and satisfaction readings.
//!
//! The decision is one map, replaced whole each time: two organizers deciding at once keep
//! one decision entire (the last writer's), never a verdict from one and a reason from the
//! other. Placings are never changed, only added: concurrent drags of one point each leave a
//! placing, the later one is where the point stands, and the other stays in its history.

use std::collections::BTreeSet;

use automerge::transaction::{Transactable, Transaction};
use automerge::{ObjId, ObjType, ROOT, ReadDoc, ScalarValue};

use super::{
    ApplyError, Fields, Roots, Touched, collection, key, member_exists, obj_at, put_string,
    put_strings, record, set_key, string_at,
};
use crate::key_users::{
    CADENCE_DAYS, CRITERION_SCORE, CRITERION_WEIGHT, Criterion, DecisionRole, Expectation,
    ExpectationState, GRID, KeyDecision, Need, NeedLink, NeedSource, NeedStatus, Placing, Priority,
    Reading, SatisfactionScale, Strategy, StrategyField,
};
use crate::validate::{self, Field, Invalid, Problem};
use crate::{
    ActivityId, ContactChannel, CriterionId, ExpectationId, FeedbackId, KeyUserAction, MemberId,
    MemberPart, NeedId, PlacingId, ReadingId,
};

/// An agreement as written: agreed or declined (absent: not discussed yet).
const AGREED: &str = "agreed";
const DECLINED: &str = "declined";
/// A decision's verdict as written.
const KEY: &str = "key";
const NOT_KEY: &str = "not_key";

/// Whether `key` of a member record holds key-user data.
pub(super) fn is_key_user_field(key: &str) -> bool {
    key == key::KEY_DECISION || StrategyField::ALL.iter().any(|field| field.key() == key)
}

pub(super) fn read_decision(record: &impl Fields) -> Option<KeyDecision> {
    let decision = record.object(key::KEY_DECISION)?;
    let key = match decision.string(key::VERDICT).as_str() {
        KEY => true,
        NOT_KEY => false,
        _ => return None,
    };
    Some(KeyDecision {
        key,
        reason: decision.string(key::REASON),
        by: decision.string(key::BY),
        at: decision.int(key::AT).unwrap_or_default(),
    })
}

pub(super) fn read_strategy(record: &impl Fields) -> Strategy {
    let (min, max) = CADENCE_DAYS;
    Strategy {
        cadence_days: record
            .int(StrategyField::Cadence.key())
            .and_then(|days| u16::try_from(days).ok())
            .filter(|days| (min..=max).contains(days)),
        channel: Some(record.string(StrategyField::Channel.key()))
            .filter(|channel| !channel.is_empty())
            .map(|channel| ContactChannel::from_key(&channel)),
        incentives: record.string(StrategyField::Incentives.key()),
        decision_role: DecisionRole::from_key(&record.string(StrategyField::DecisionRole.key())),
    }
}

/// A small whole number read from the document, if it is within `range`.
fn small(record: &impl Fields, key: &str, (min, max): (u8, u8)) -> Option<u8> {
    record
        .int(key)
        .and_then(|value| u8::try_from(value).ok())
        .filter(|value| (min..=max).contains(value))
}

/// The member a record names, if they are still in the group.
fn member_of(record: &impl Fields, resolve: super::Resolve<'_>) -> Option<MemberId> {
    super::member_at(record, key::MEMBER, resolve)
}

fn ids<I>(record: &impl Fields, key: &str, id: impl Fn(&str) -> Option<I>) -> BTreeSet<I>
where
    I: Ord,
{
    record.keys(key).iter().filter_map(|k| id(k)).collect()
}

pub(super) fn read_criterion(
    record: &impl Fields,
    id: CriterionId,
    resolve: super::Resolve<'_>,
) -> Option<Criterion> {
    let (min, max) = CRITERION_SCORE;
    Some(Criterion {
        id,
        name: record.string(key::NAME),
        weight: small(record, key::WEIGHT, CRITERION_WEIGHT).unwrap_or(CRITERION_WEIGHT.0),
        scores: super::forwarded(
            record
                .ints(key::SCORES)
                .into_iter()
                .filter_map(|(member, score)| {
                    let score = u8::try_from(score)
                        .ok()
                        .filter(|s| (min..=max).contains(s))?;
                    Some((MemberId::from_key(&member)?, score))
                }),
            &|m: MemberId| resolve(&m).unwrap_or(m),
        )
        .into_iter()
        .filter(|(member, _)| resolve(member).as_ref() == Some(member))
        .collect(),
        created_at: record.int(key::CREATED_AT).unwrap_or_default(),
    })
}

pub(super) fn read_placing(
    record: &impl Fields,
    id: PlacingId,
    resolve: super::Resolve<'_>,
) -> Option<Placing> {
    Some(Placing {
        id,
        member: member_of(record, resolve)?,
        influence: small(record, key::INFLUENCE, GRID)?,
        interest: small(record, key::INTEREST, GRID)?,
        at: record.int(key::AT).unwrap_or_default(),
        by: record.string(key::BY),
    })
}

pub(super) fn read_need(
    record: &impl Fields,
    id: NeedId,
    resolve: super::Resolve<'_>,
) -> Option<Need> {
    let created_at = record.int(key::CREATED_AT).unwrap_or_default();
    Some(Need {
        id,
        member: member_of(record, resolve)?,
        statement: record.string(key::STATEMENT),
        priority: Priority::from_key(&record.string(key::PRIORITY)).unwrap_or(Priority::Should),
        source: NeedSource::from_key(&record.string(key::SOURCE)).unwrap_or(NeedSource::Meeting),
        status: NeedStatus::from_key(&record.string(key::STATUS)).unwrap_or(NeedStatus::Captured),
        reason: record.string(key::REASON),
        feedback: ids(record, key::FEEDBACK, FeedbackId::from_key),
        activities: ids(record, key::ACTIVITIES, ActivityId::from_key),
        created_at,
        status_at: record.int(key::STATUS_AT).unwrap_or(created_at),
    })
}

pub(super) fn read_expectation(
    record: &impl Fields,
    id: ExpectationId,
    resolve: super::Resolve<'_>,
) -> Option<Expectation> {
    Some(Expectation {
        id,
        member: member_of(record, resolve)?,
        text: record.string(key::TEXT),
        due: record.string(key::DUE),
        agreed: match record.string(key::AGREEMENT).as_str() {
            AGREED => Some(true),
            DECLINED => Some(false),
            _ => None,
        },
        state: ExpectationState::from_key(&record.string(key::STATE))
            .unwrap_or(ExpectationState::OnTrack),
        explanation: record.string(key::EXPLANATION),
        created_at: record.int(key::CREATED_AT).unwrap_or_default(),
    })
}

pub(super) fn read_reading(
    record: &impl Fields,
    id: ReadingId,
    resolve: super::Resolve<'_>,
) -> Option<Reading> {
    let scale = SatisfactionScale::from_key(&record.string(key::SCALE))?;
    Some(Reading {
        id,
        member: member_of(record, resolve)?,
        value: small(record, key::VALUE, scale.range())?,
        scale,
        source: record.string(key::SOURCE),
        at: record.int(key::AT).unwrap_or_default(),
    })
}

/// A record of one of the five collections.
fn existing(tx: &Transaction<'_>, name: &str, id: &str) -> Result<ObjId, Invalid> {
    record(tx, &collection(tx, name)?, id)
}

/// A new record in one of the five collections.
fn new_record(tx: &mut Transaction<'_>, name: &str, id: &str) -> Result<ObjId, ApplyError> {
    let collection = collection(tx, name)?;
    if obj_at(tx, &collection, id).is_some() {
        return Err(Invalid::new(Field::Record, Problem::AlreadyExists).into());
    }
    Ok(tx.put_object(&collection, id, ObjType::Map)?)
}

fn required_member(
    tx: &Transaction<'_>,
    roots: &Roots,
    member: Option<&MemberId>,
) -> Result<MemberId, Invalid> {
    let member = member.ok_or(Invalid::new(Field::Member, Problem::Empty))?;
    member_exists(tx, roots, member, Field::Member)?;
    Ok(member.clone())
}

fn number(field: Field, value: &str, (min, max): (u8, u8)) -> Result<u8, Invalid> {
    validate::number_in(field, value, min, max)?.ok_or(Invalid::new(field, Problem::Empty))
}

/// Writes an action on key users.
pub(super) fn write(
    tx: &mut Transaction<'_>,
    roots: &Roots,
    action: &KeyUserAction,
) -> Result<Touched, ApplyError> {
    let mut touched = Touched::default();
    write_into(tx, roots, action, &mut touched)?;
    Ok(touched)
}

fn write_into(
    tx: &mut Transaction<'_>,
    roots: &Roots,
    action: &KeyUserAction,
    touched: &mut Touched,
) -> Result<(), ApplyError> {
    match action {
        KeyUserAction::AddCriterion {
            id,
            name,
            weight,
            at,
        } => add_criterion(tx, id, name, weight, *at).map(|()| {
            touched.criteria.insert(id.clone());
        }),
        KeyUserAction::SetCriterionName { id, name } => {
            let criterion = existing(tx, key::CRITERIA, id.as_str())?;
            let name = validate::required_name(Field::CriterionName, name)?;
            put_string(tx, &criterion, key::NAME, &name)?;
            touched.criteria.insert(id.clone());
            Ok(())
        }
        KeyUserAction::SetCriterionWeight { id, weight } => {
            let criterion = existing(tx, key::CRITERIA, id.as_str())?;
            let weight = number(Field::Weight, weight, CRITERION_WEIGHT)?;
            tx.put(&criterion, key::WEIGHT, i64::from(weight))?;
            touched.criteria.insert(id.clone());
            Ok(())
        }
        KeyUserAction::RemoveCriterion { id } => {
            remove(tx, key::CRITERIA, id.as_str())?;
            touched.criteria.insert(id.clone());
            Ok(())
        }
        KeyUserAction::ScoreCriterion { id, member, score } => {
            let criterion = existing(tx, key::CRITERIA, id.as_str())?;
            let (min, max) = CRITERION_SCORE;
            let score = validate::number_in(Field::CriterionScore, score, min, max)?;
            let scores = obj_at(tx, &criterion, key::SCORES)
                .ok_or(Invalid::new(Field::Record, Problem::UnknownRecord))?;
            match score {
                Some(score) => {
                    member_exists(tx, roots, member, Field::Member)?;
                    tx.put(&scores, member.as_str(), i64::from(score))?;
                }
                None if tx.get(&scores, member.as_str())?.is_some() => {
                    tx.delete(&scores, member.as_str())?;
                }
                None => {}
            }
            touched.criteria.insert(id.clone());
            Ok(())
        }
        KeyUserAction::DecideKeyUser {
            member,
            key: is_key,
            reason,
            by,
            at,
        } => {
            member_exists(tx, roots, member, Field::Member)?;
            let reason = validate::line(Field::KeyReason, reason)?;
            let by = validate::line(Field::ContactedBy, by)?;
            let record = super::member_record(tx, roots, member)?;
            let decision = tx.put_object(&record, key::KEY_DECISION, ObjType::Map)?;
            let verdict = if *is_key { KEY } else { NOT_KEY };
            put_strings(
                tx,
                &decision,
                &[
                    (key::VERDICT, verdict),
                    (key::REASON, &reason),
                    (key::BY, &by),
                ],
            )?;
            tx.put(&decision, key::AT, ScalarValue::Timestamp(*at))?;
            touched.members.part(member.clone(), MemberPart::KeyUser);
            Ok(())
        }
        KeyUserAction::PlaceKeyUser {
            id,
            member,
            influence,
            interest,
            by,
            at,
        } => {
            member_exists(tx, roots, member, Field::Member)?;
            let (min, max) = GRID;
            for (field, value) in [(Field::Influence, influence), (Field::Interest, interest)] {
                if !(min..=max).contains(value) {
                    let (min, max) = (min.into(), max.into());
                    return Err(Invalid::new(field, Problem::OutOfRange { min, max }).into());
                }
            }
            let by = validate::line(Field::ContactedBy, by)?;
            let placing = new_record(tx, key::PLACINGS, id.as_str())?;
            put_strings(
                tx,
                &placing,
                &[(key::MEMBER, member.as_str()), (key::BY, &by)],
            )?;
            tx.put(&placing, key::INFLUENCE, i64::from(*influence))?;
            tx.put(&placing, key::INTEREST, i64::from(*interest))?;
            tx.put(&placing, key::AT, ScalarValue::Timestamp(*at))?;
            touched.placings.insert(id.clone());
            Ok(())
        }
        KeyUserAction::SetStrategy {
            member,
            field,
            value,
        } => {
            let record = super::member_record(tx, roots, member)?;
            let value = value.trim();
            match field {
                StrategyField::Cadence if !value.is_empty() => {
                    let (min, max) = CADENCE_DAYS;
                    if let Some(days) = validate::days_in(Field::Cadence, value, min, max)? {
                        tx.put(&record, field.key(), i64::from(days))?;
                    }
                }
                StrategyField::Channel if !value.is_empty() => {
                    let channel = ContactChannel::ALL
                        .into_iter()
                        .find(|c| c.key() == value)
                        .ok_or(Invalid::new(
                            Field::PreferredChannel,
                            Problem::UnknownRecord,
                        ))?;
                    put_string(tx, &record, field.key(), channel.key())?;
                }
                StrategyField::DecisionRole if !value.is_empty() => {
                    let role = DecisionRole::from_key(value)
                        .ok_or(Invalid::new(Field::DecisionRole, Problem::UnknownRecord))?;
                    put_string(tx, &record, field.key(), role.key())?;
                }
                StrategyField::Incentives => {
                    let value = validate::line(Field::Incentives, value)?;
                    put_string(tx, &record, field.key(), &value)?;
                }
                _ => {
                    if tx.get(&record, field.key())?.is_some() {
                        tx.delete(&record, field.key())?;
                    }
                }
            }
            touched.members.part(member.clone(), MemberPart::KeyUser);
            Ok(())
        }
        KeyUserAction::AddNeed { id, draft, at } => {
            let member = required_member(tx, roots, draft.member.as_ref())?;
            let statement = validate::required_line(Field::Need, &draft.statement)?;
            let priority = draft
                .priority
                .ok_or(Invalid::new(Field::Priority, Problem::Empty))?;
            let source = draft
                .source
                .ok_or(Invalid::new(Field::NeedSource, Problem::Empty))?;
            let need = new_record(tx, key::NEEDS, id.as_str())?;
            put_strings(
                tx,
                &need,
                &[
                    (key::MEMBER, member.as_str()),
                    (key::STATEMENT, &statement),
                    (key::PRIORITY, priority.key()),
                    (key::SOURCE, source.key()),
                    (key::STATUS, NeedStatus::Captured.key()),
                ],
            )?;
            tx.put(&need, key::CREATED_AT, ScalarValue::Timestamp(*at))?;
            tx.put(&need, key::STATUS_AT, ScalarValue::Timestamp(*at))?;
            // Sets are made with the record, never later (see members' tags).
            tx.put_object(&need, key::FEEDBACK, ObjType::Map)?;
            tx.put_object(&need, key::ACTIVITIES, ObjType::Map)?;
            for feedback in &draft.feedback {
                link_need(
                    tx,
                    roots,
                    &need,
                    &NeedLink::Feedback(feedback.clone()),
                    true,
                )?;
            }
            for activity in &draft.activities {
                link_need(
                    tx,
                    roots,
                    &need,
                    &NeedLink::Activity(activity.clone()),
                    true,
                )?;
            }
            touched.needs.insert(id.clone());
            Ok(())
        }
        KeyUserAction::SetNeedStatement { id, statement } => {
            let need = existing(tx, key::NEEDS, id.as_str())?;
            let statement = validate::required_line(Field::Need, statement)?;
            put_string(tx, &need, key::STATEMENT, &statement)?;
            touched.needs.insert(id.clone());
            Ok(())
        }
        KeyUserAction::SetNeedPriority { id, priority } => {
            let need = existing(tx, key::NEEDS, id.as_str())?;
            put_string(tx, &need, key::PRIORITY, priority.key())?;
            touched.needs.insert(id.clone());
            Ok(())
        }
        KeyUserAction::SetNeedSource { id, source } => {
            let need = existing(tx, key::NEEDS, id.as_str())?;
            put_string(tx, &need, key::SOURCE, source.key())?;
            touched.needs.insert(id.clone());
            Ok(())
        }
        KeyUserAction::SetNeedStatus {
            id,
            status,
            reason,
            at,
        } => {
            let need = existing(tx, key::NEEDS, id.as_str())?;
            let reason = if *status == NeedStatus::Declined {
                validate::required_line(Field::DeclineReason, reason)?
            } else {
                String::new()
            };
            put_string(tx, &need, key::STATUS, status.key())?;
            put_string(tx, &need, key::REASON, &reason)?;
            tx.put(&need, key::STATUS_AT, ScalarValue::Timestamp(*at))?;
            touched.needs.insert(id.clone());
            Ok(())
        }
        KeyUserAction::LinkNeed { id, link, included } => {
            let need = existing(tx, key::NEEDS, id.as_str())?;
            link_need(tx, roots, &need, link, *included)?;
            touched.needs.insert(id.clone());
            Ok(())
        }
        KeyUserAction::RemoveNeed { id } => remove(tx, key::NEEDS, id.as_str()).map(|()| {
            touched.needs.insert(id.clone());
        }),
        KeyUserAction::AddExpectation { id, draft, at } => {
            let member = required_member(tx, roots, draft.member.as_ref())?;
            let text = validate::required_line(Field::Expectation, &draft.text)?;
            let due = validate::date(Field::Due, &draft.due)?;
            if draft.agreed == Some(false) {
                // Declining is only done with the explanation, on the expectation's page.
                return Err(Invalid::new(Field::Explanation, Problem::Empty).into());
            }
            let expectation = new_record(tx, key::EXPECTATIONS, id.as_str())?;
            put_strings(
                tx,
                &expectation,
                &[
                    (key::MEMBER, member.as_str()),
                    (key::TEXT, &text),
                    (key::DUE, &due),
                    (key::STATE, ExpectationState::OnTrack.key()),
                    (
                        key::AGREEMENT,
                        if draft.agreed == Some(true) {
                            AGREED
                        } else {
                            ""
                        },
                    ),
                ],
            )?;
            tx.put(&expectation, key::CREATED_AT, ScalarValue::Timestamp(*at))?;
            touched.expectations.insert(id.clone());
            Ok(())
        }
        KeyUserAction::SetExpectationText { id, text } => {
            let expectation = existing(tx, key::EXPECTATIONS, id.as_str())?;
            let text = validate::required_line(Field::Expectation, text)?;
            put_string(tx, &expectation, key::TEXT, &text)?;
            touched.expectations.insert(id.clone());
            Ok(())
        }
        KeyUserAction::SetExpectationDue { id, due } => {
            let expectation = existing(tx, key::EXPECTATIONS, id.as_str())?;
            let due = validate::date(Field::Due, due)?;
            put_string(tx, &expectation, key::DUE, &due)?;
            touched.expectations.insert(id.clone());
            Ok(())
        }
        KeyUserAction::SetExpectationAgreed {
            id,
            agreed,
            explanation,
        } => {
            let expectation = existing(tx, key::EXPECTATIONS, id.as_str())?;
            let agreement = match agreed {
                Some(true) => AGREED,
                Some(false) => DECLINED,
                None => "",
            };
            write_explained(tx, &expectation, *agreed == Some(false), explanation)?;
            put_string(tx, &expectation, key::AGREEMENT, agreement)?;
            touched.expectations.insert(id.clone());
            Ok(())
        }
        KeyUserAction::SetExpectationState {
            id,
            state,
            explanation,
        } => {
            let expectation = existing(tx, key::EXPECTATIONS, id.as_str())?;
            write_explained(
                tx,
                &expectation,
                *state == ExpectationState::Unmet,
                explanation,
            )?;
            put_string(tx, &expectation, key::STATE, state.key())?;
            touched.expectations.insert(id.clone());
            Ok(())
        }
        KeyUserAction::RemoveExpectation { id } => {
            remove(tx, key::EXPECTATIONS, id.as_str()).map(|()| {
                touched.expectations.insert(id.clone());
            })
        }
        KeyUserAction::RecordSatisfaction {
            id,
            member,
            value,
            scale,
            source,
            at,
        } => {
            member_exists(tx, roots, member, Field::Member)?;
            let value = number(Field::Reading, value, scale.range())?;
            let source = validate::line(Field::Source, source)?;
            let reading = new_record(tx, key::READINGS, id.as_str())?;
            put_strings(
                tx,
                &reading,
                &[
                    (key::MEMBER, member.as_str()),
                    (key::SCALE, scale.key()),
                    (key::SOURCE, &source),
                ],
            )?;
            tx.put(&reading, key::VALUE, i64::from(value))?;
            tx.put(&reading, key::AT, ScalarValue::Timestamp(*at))?;
            touched.readings.insert(id.clone());
            Ok(())
        }
        KeyUserAction::RemoveReading { id } => remove(tx, key::READINGS, id.as_str()).map(|()| {
            touched.readings.insert(id.clone());
        }),
    }
}

fn add_criterion(
    tx: &mut Transaction<'_>,
    id: &CriterionId,
    name: &str,
    weight: &str,
    at: crate::Millis,
) -> Result<(), ApplyError> {
    let name = validate::required_name(Field::CriterionName, name)?;
    let weight = validate::number_in(
        Field::Weight,
        weight,
        CRITERION_WEIGHT.0,
        CRITERION_WEIGHT.1,
    )?
    .unwrap_or(CRITERION_WEIGHT.0);
    let criterion = new_record(tx, key::CRITERIA, id.as_str())?;
    tx.put(&criterion, key::NAME, name)?;
    tx.put(&criterion, key::WEIGHT, i64::from(weight))?;
    tx.put(&criterion, key::CREATED_AT, ScalarValue::Timestamp(at))?;
    tx.put_object(&criterion, key::SCORES, ObjType::Map)?;
    Ok(())
}

fn remove(tx: &mut Transaction<'_>, name: &str, id: &str) -> Result<(), ApplyError> {
    existing(tx, name, id)?;
    tx.delete(&collection(tx, name)?, id)?;
    Ok(())
}

/// Writes the explanation given to a key user, required when `needed`; kept otherwise (an
/// expectation agreed after being declined keeps what was said).
fn write_explained(
    tx: &mut Transaction<'_>,
    expectation: &ObjId,
    needed: bool,
    explanation: &str,
) -> Result<(), ApplyError> {
    let explanation = if needed {
        validate::required_line(Field::Explanation, explanation)?
    } else {
        validate::line(Field::Explanation, explanation)?
    };
    if needed || !explanation.is_empty() {
        put_string(tx, expectation, key::EXPLANATION, &explanation)?;
    }
    Ok(())
}

fn link_need(
    tx: &mut Transaction<'_>,
    roots: &Roots,
    need: &ObjId,
    link: &NeedLink,
    included: bool,
) -> Result<(), ApplyError> {
    let (set, collection, id) = match link {
        NeedLink::Feedback(id) => (key::FEEDBACK, Some(roots.feedback.clone()), id.as_str()),
        NeedLink::Activity(id) => (
            key::ACTIVITIES,
            obj_at(tx, &ROOT, key::ACTIVITIES),
            id.as_str(),
        ),
    };
    if included && collection.and_then(|c| obj_at(tx, &c, id)).is_none() {
        return Err(Invalid::new(Field::Record, Problem::UnknownRecord).into());
    }
    set_key(tx, need, set, id, included)?;
    Ok(())
}

/// Removes what the five collections hold about a member being erased: their records, and
/// their score on each criterion.
pub(super) fn forget_member(
    tx: &mut Transaction<'_>,
    member: &MemberId,
    touched: &mut Touched,
) -> Result<(), ApplyError> {
    if let Some(criteria) = obj_at(tx, &ROOT, key::CRITERIA) {
        for (id, criterion) in super::record_keys_tx(tx, &criteria) {
            if let Some(scores) = obj_at(tx, &criterion, key::SCORES)
                && tx.get(&scores, member.as_str())?.is_some()
            {
                tx.delete(&scores, member.as_str())?;
                touched.criteria.extend(CriterionId::from_key(&id));
            }
        }
    }
    for name in [key::PLACINGS, key::NEEDS, key::EXPECTATIONS, key::READINGS] {
        let Some(collection) = obj_at(tx, &ROOT, name) else {
            continue;
        };
        for (id, record) in super::record_keys_tx(tx, &collection) {
            if string_at(tx, &record, key::MEMBER) != member.as_str() {
                continue;
            }
            tx.delete(&collection, id.as_str())?;
            match name {
                key::PLACINGS => touched.placings.extend(PlacingId::from_key(&id)),
                key::NEEDS => touched.needs.extend(NeedId::from_key(&id)),
                key::EXPECTATIONS => touched.expectations.extend(ExpectationId::from_key(&id)),
                _ => touched.readings.extend(ReadingId::from_key(&id)),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_strategy_field_and_the_decision_are_key_user_parts() {
        assert!(is_key_user_field(key::KEY_DECISION));
        assert!(is_key_user_field("cadence_days"));
        assert!(!is_key_user_field(key::NAME));
    }
}

//! Digests in the document (see `docs/schema.md`): each shared digest, with what it held.

use automerge::transaction::{Transactable, Transaction};
use automerge::{ObjType, ScalarValue};

use super::{ApplyError, Fields, Resolve, Touched, collection, key, obj_at};
use crate::digest::Digest;
use crate::validate::{self, Field, Invalid, Problem};
use crate::{DigestId, Millis};

/// The longest name of an item a digest held (an activity's and a duty's ids).
const MAX_ITEM: usize = 200;

pub(super) fn read_digest(record: &impl Fields, id: DigestId, _: Resolve<'_>) -> Option<Digest> {
    Some(Digest {
        id,
        from: record.int(key::FROM)?,
        to: record.int(key::TO)?,
        at: record.int(key::AT).unwrap_or_default(),
        by: record.string(key::BY),
        items: record.keys(key::ITEMS).into_iter().collect(),
    })
}

/// Records a digest shared: its period, who shared it and when, and what it held.
pub(super) fn record(
    tx: &mut Transaction<'_>,
    id: &DigestId,
    (from, to): (Millis, Millis),
    items: &[String],
    by: &str,
    at: Millis,
) -> Result<Touched, ApplyError> {
    if to < from {
        return Err(Invalid::new(Field::Ends, Problem::EndsBeforeStart).into());
    }
    let by = validate::line(Field::ContactedBy, by)?;
    if items
        .iter()
        .any(|item| item.is_empty() || item.len() > MAX_ITEM)
    {
        return Err(Invalid::new(Field::Record, Problem::TooLong { max: MAX_ITEM }).into());
    }
    let digests = collection(tx, key::DIGESTS)?;
    if obj_at(tx, &digests, id.as_str()).is_some() {
        return Err(Invalid::new(Field::Record, Problem::AlreadyExists).into());
    }
    let digest = tx.put_object(&digests, id.as_str(), ObjType::Map)?;
    tx.put(&digest, key::FROM, ScalarValue::Timestamp(from))?;
    tx.put(&digest, key::TO, ScalarValue::Timestamp(to))?;
    tx.put(&digest, key::AT, ScalarValue::Timestamp(at))?;
    if !by.is_empty() {
        tx.put(&digest, key::BY, by)?;
    }
    let held = tx.put_object(&digest, key::ITEMS, ObjType::Map)?;
    for item in items {
        tx.put(&held, item.as_str(), true)?;
    }
    let mut touched = Touched::default();
    touched.digests.insert(id.clone());
    Ok(touched)
}

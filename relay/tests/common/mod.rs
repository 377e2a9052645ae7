//! What the relay's integration tests share.
#![allow(clippy::unwrap_used, dead_code)]

use cohort_model::{Action, GroupDoc, MemberDraft, MemberId, MemberStatus};
use cohort_sync::DocumentId;
use cohort_sync::automerge::{Automerge, ROOT, ScalarValue, transaction::Transactable};

/// A group named Readers with one active member.
pub fn group_with(member: &str) -> GroupDoc {
    let mut group = GroupDoc::create("Readers", 0).unwrap();
    let draft = MemberDraft {
        name: member.into(),
        status: Some(MemberStatus::Active),
        ..MemberDraft::default()
    };
    group
        .apply(&Action::AddMember {
            id: MemberId::random().unwrap(),
            draft,
            at: 0,
        })
        .unwrap();
    group
}

/// A group of `bytes` random bytes, which nothing compresses.
pub fn noise_group(bytes: usize) -> Automerge {
    let mut noise = vec![0; bytes];
    getrandom::fill(&mut noise).unwrap();
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(ROOT, "noise", noise).unwrap();
    tx.commit();
    doc
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
pub fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Presence of 16 KiB (the largest the relay forwards) from `peer`, `count` times, within the
/// relay's frames per second.
pub async fn presence(peer: &mut harness::SyncPeer, count: u64) {
    for n in 0..count {
        peer.send_ephemeral(n, vec![7; 16 << 10]).await.unwrap();
        if n % 500 == 499 {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
    }
}

/// Puts `value` at `key` of the document's root, as one change.
pub fn set(doc: &mut Automerge, key: &str, value: impl Into<ScalarValue>) {
    let mut tx = doc.transaction();
    tx.put(ROOT, key, value).unwrap();
    tx.commit();
}

/// A document id no other test binary uses: `n` for the test, and this process's id.
pub fn new_document(n: u8) -> DocumentId {
    let mut bytes = [n; 16];
    bytes[..4].copy_from_slice(&std::process::id().to_le_bytes());
    DocumentId::from_bytes(bytes)
}

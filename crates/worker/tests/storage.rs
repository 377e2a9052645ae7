//! The worker's engine and IndexedDB storage, in headless Chromium with real IndexedDB.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // Test helpers fail loudly.

use std::cell::RefCell;
use std::rc::Rc;

use cohort_model::protocol::{self, Answer, Event, Failure, FromWorker, Request, ViewSource};
use cohort_model::*;
use cohort_worker::core::{ChunkKey, Input, StorageOp, Stored};
use cohort_worker::shell::Shell;
use cohort_worker::storage::Storage;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A worker (a tab's) on a database, recording what it posts to the page.
struct Worker {
    shell: Shell,
    storage: Storage,
    events: Rc<RefCell<Vec<Event>>>,
    replies: Rc<RefCell<Vec<protocol::Reply>>>,
    next_seq: u32,
}

/// A database name no other test uses.
fn fresh_database() -> String {
    format!("cohort-test-{}", js_sys::Math::random())
}

async fn worker(database: &str) -> Worker {
    let storage = Storage::open(database, || panic!("blocked")).await.unwrap();
    let events = Rc::new(RefCell::new(Vec::new()));
    let replies = Rc::new(RefCell::new(Vec::new()));
    let (event_sink, reply_sink) = (events.clone(), replies.clone());
    let outbox = Rc::new(move |message: Vec<u8>| match protocol::decode(&message) {
        Ok(FromWorker::Event(event)) => event_sink.borrow_mut().push(event),
        Ok(FromWorker::Reply(reply)) => reply_sink.borrow_mut().push(reply),
        Err(error) => panic!("{error}"),
    });
    // The network link is never started: these tests are about storage, as if offline.
    let (inputs, _) = futures_channel::mpsc::unbounded();
    Worker {
        shell: Shell::new(
            storage.clone(),
            outbox,
            cohort_worker::link::Link::new(inputs),
        ),
        storage,
        events,
        replies,
        next_seq: 0,
    }
}

/// The chunks stored for a group: how many, and all their bytes in load order.
async fn stored_chunks(storage: &Storage, id: GroupId) -> (usize, Vec<u8>) {
    let chunks = storage.read_chunks(&id).await.unwrap();
    (chunks.len(), cohort_worker::core::chunk_bytes(chunks))
}

impl Worker {
    async fn ask(&mut self, request: Request) -> Result<Answer, Failure> {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.shell.handle(Input::Page { seq, request }).await;
        let reply = self
            .replies
            .borrow()
            .iter()
            .find(|reply| reply.seq == seq)
            .cloned();
        reply
            .expect("the shell answers a request before it handles the next input")
            .result
    }

    async fn create(&mut self, name: &str) -> GroupId {
        match self
            .ask(Request::CreateGroup {
                name: name.into(),
                at: 1,
            })
            .await
            .unwrap()
        {
            Answer::Group(summary) => summary.id,
            other => panic!("{other:?}"),
        }
    }

    async fn apply(&mut self, action: Action) -> Result<Answer, Failure> {
        self.ask(Request::Apply {
            actions: vec![action],
        })
        .await
    }

    /// Opens a group and puts together the views it was sent, in order, each followed by
    /// the updates sent after it.
    async fn open(&mut self, id: GroupId) -> Vec<(ViewSource, Group)> {
        self.events.borrow_mut().clear();
        self.ask(Request::OpenGroup { id, report: None })
            .await
            .unwrap();
        let mut views: Vec<(ViewSource, Vec<Event>)> = Vec::new();
        for event in self.events.borrow().clone() {
            if let Event::ViewStart { source, .. } = &event {
                views.push((*source, Vec::new()));
            }
            if let Some((_, events)) = views.last_mut() {
                events.push(event);
            }
        }
        views
            .into_iter()
            .map(|(source, events)| {
                let updates: Vec<_> = events
                    .iter()
                    .filter_map(|e| match e {
                        Event::Updated { update, .. } => Some(update.clone()),
                        _ => None,
                    })
                    .collect();
                let mut group = protocol::assemble(events);
                for update in updates {
                    group.apply(update);
                }
                (source, group)
            })
            .collect()
    }
}

fn add_member(name: &str) -> Action {
    let draft = MemberDraft {
        name: name.into(),
        ..MemberDraft::default()
    };
    Action::AddMember {
        id: MemberId::random().unwrap(),
        draft,
        at: 2,
    }
}

#[wasm_bindgen_test]
async fn a_group_comes_back_exactly_after_a_restart() {
    let database = fresh_database();
    let mut first = worker(&database).await;
    let id = first.create("Book club").await;
    first.open(id).await;
    for name in ["Ada", "Grace", "Alan"] {
        first.apply(add_member(name)).await.unwrap();
    }
    let role = RoleId::random().unwrap();
    let draft = RoleDraft {
        name: "Host".into(),
        responsibilities: "Opens the door".into(),
    };
    first
        .apply(Action::AddRole { id: role, draft })
        .await
        .unwrap();
    let draft = FeedbackDraft {
        text: "Shorter books".into(),
        score: "7".into(),
        ..Default::default()
    };
    first
        .apply(Action::AddFeedback {
            id: FeedbackId::random().unwrap(),
            draft,
            at: 3,
        })
        .await
        .unwrap();
    let expected = {
        let views = first.open(id).await;
        views.last().unwrap().1.clone()
    };
    assert_eq!(expected.members.len(), 3);

    // A new worker, as after a reload or a killed tab: only what is in IndexedDB.
    let mut second = worker(&database).await;
    let views = second.open(id).await;
    // The cached view shows first; with the update that follows it, it is the document.
    assert_eq!(
        views.len(),
        1,
        "{:?}",
        views.iter().map(|v| v.0).collect::<Vec<_>>()
    );
    assert_eq!(views[0], (ViewSource::Cache, expected.clone()));
    // Nothing after the document loaded but how it stands with the relay.
    let last_view_event = second
        .events
        .borrow()
        .iter()
        .rev()
        .find(|event| !matches!(event, Event::Sync(_)))
        .cloned();
    assert!(matches!(last_view_event, None | Some(Event::Loaded { .. })));
    second.apply(add_member("Edsger")).await.unwrap();

    // The stale cached view shows first, then an update with what changed since: the
    // document is never read in full.
    let mut third = worker(&database).await;
    let views = third.open(id).await;
    assert_eq!(
        views.iter().map(|v| v.0).collect::<Vec<_>>(),
        [ViewSource::Cache]
    );
    assert_eq!(views[0].1.members.len(), 4);
    assert!(
        third
            .events
            .borrow()
            .iter()
            .any(|e| matches!(e, Event::Updated { .. }))
    );
    // Saved again, the view is current: the next open sends it alone.
    third.ask(Request::SaveView).await.unwrap();
    let mut fourth = worker(&database).await;
    let views = fourth.open(id).await;
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].1.members.len(), 4);
    assert!(
        !fourth
            .events
            .borrow()
            .iter()
            .any(|e| matches!(e, Event::Updated { .. }))
    );
}

#[wasm_bindgen_test]
async fn an_invalid_action_is_refused_and_stores_nothing() {
    let mut worker = worker(&fresh_database()).await;
    let id = worker.create("Choir").await;
    worker.open(id).await;
    let before = stored_chunks(&worker.storage, id).await;
    let refused = worker.apply(Action::AddMember {
        id: MemberId::random().unwrap(),
        draft: MemberDraft {
            name: "Bo".into(),
            email: "bo@".into(),
            ..Default::default()
        },
        at: 1,
    });
    match refused.await {
        Err(Failure::Invalid(invalid)) => assert_eq!(invalid.field, Field::Email),
        other => panic!("{other:?}"),
    }
    assert_eq!(stored_chunks(&worker.storage, id).await, before);
}

#[wasm_bindgen_test]
async fn each_change_appends_one_chunk_and_compaction_keeps_everything() {
    let database = fresh_database();
    let mut worker = worker(&database).await;
    let id = worker.create("Running club").await;
    worker.open(id).await;
    let start = stored_chunks(&worker.storage, id).await;
    worker.apply(add_member("Ken")).await.unwrap();
    let one_more = stored_chunks(&worker.storage, id).await;
    assert_eq!(one_more.0, start.0 + 1);
    // The change alone (with its note of the record it touched), not the document again.
    assert!(
        one_more.1.len() - start.1.len() < 400,
        "one change stored {} bytes",
        one_more.1.len() - start.1.len()
    );

    for n in 0..250 {
        worker
            .apply(add_member(&format!("Runner {n}")))
            .await
            .unwrap();
    }
    let (chunks, bytes) = stored_chunks(&worker.storage, id).await;
    assert!(chunks <= 60, "{chunks} chunks after compaction");
    let reloaded = GroupDoc::load(&bytes).unwrap().hydrate();
    assert_eq!(reloaded.members.len(), 251);
}

#[wasm_bindgen_test]
async fn groups_are_listed_renamed_and_deleted_apart() {
    let mut worker = worker(&fresh_database()).await;
    let choir = worker.create("Choir").await;
    let chess = worker.create("Chess club").await;
    worker.open(chess).await;
    worker.apply(add_member("Magnus")).await.unwrap();

    let renamed = worker
        .ask(Request::RenameGroup {
            id: choir,
            name: " Chamber choir ".into(),
        })
        .await
        .unwrap();
    assert!(matches!(renamed, Answer::Group(summary) if summary.name == "Chamber choir"));
    let refused = worker
        .ask(Request::RenameGroup {
            id: choir,
            name: " ".into(),
        })
        .await;
    assert!(matches!(
        refused,
        Err(Failure::Invalid(Invalid {
            field: Field::GroupName,
            ..
        }))
    ));
    let Answer::Groups(groups) = worker.ask(Request::ListGroups).await.unwrap() else {
        panic!()
    };
    let names: Vec<_> = groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["Chamber choir", "Chess club"]);
    let views = worker.open(choir).await;
    assert_eq!(views.last().unwrap().1.profile.name, "Chamber choir");

    worker
        .ask(Request::DeleteGroup { id: choir })
        .await
        .unwrap();
    let Answer::Groups(groups) = worker.ask(Request::ListGroups).await.unwrap() else {
        panic!()
    };
    assert_eq!(groups.len(), 1);
    let stored = worker.storage.read(&choir).await.unwrap();
    assert!(stored.view.is_none() && stored.summary.is_none() && stored.updates.is_empty());
    assert!(worker.storage.read_chunks(&choir).await.unwrap().is_empty());
    // Opening it again finds nothing here, so it is asked of the relay (as a shared link
    // would be); nothing of it is shown meanwhile.
    worker.events.borrow_mut().clear();
    assert!(matches!(
        worker
            .ask(Request::OpenGroup {
                id: choir,
                report: None
            })
            .await,
        Ok(Answer::Done)
    ));
    assert!(
        !worker
            .events
            .borrow()
            .iter()
            .any(|event| matches!(event, Event::ViewStart { .. } | Event::Loaded { .. }))
    );
    // The other group is untouched.
    assert_eq!(worker.open(chess).await.last().unwrap().1.members.len(), 1);
}

async fn put_synced_at(storage: &Storage, group: GroupId, at: Millis) {
    storage
        .run(StorageOp::PutSyncedAt { group, at })
        .await
        .unwrap();
}

/// The `Sync` events among the worker's events, in order.
fn sync_events(worker: &Worker) -> Vec<protocol::SyncStatus> {
    worker
        .events
        .borrow()
        .iter()
        .filter_map(|event| match event {
            Event::Sync(status) => Some(*status),
            _ => None,
        })
        .collect()
}

#[wasm_bindgen_test]
async fn the_last_sync_time_is_kept_per_group_shown_on_opening_and_deleted_with_it() {
    let database = fresh_database();
    let mut worker = worker(&database).await;
    let choir = worker.create("Choir").await;
    let chess = worker.create("Chess club").await;
    let at: Millis = 1_763_900_000_000;
    put_synced_at(&worker.storage, choir, at).await;

    // After a restart (offline: nothing new from the relay), opening a group shows when it was
    // last in sync; opening another shows that one's, not the first one's.
    let mut worker = self::worker(&database).await;
    worker.open(choir).await;
    assert_eq!(
        sync_events(&worker).last().map(|s| s.last_synced_at),
        Some(Some(at))
    );
    worker.open(chess).await;
    assert_eq!(
        sync_events(&worker).last().map(|s| s.last_synced_at),
        Some(None)
    );

    worker
        .ask(Request::DeleteGroup { id: choir })
        .await
        .unwrap();
    assert_eq!(worker.storage.read(&choir).await.unwrap().synced_at, None);
}

#[wasm_bindgen_test]
async fn the_analytics_report_is_kept_per_group_and_deleted_with_it() {
    let database = fresh_database();
    let mut worker = worker(&database).await;
    let choir = worker.create("Choir").await;
    let chess = worker.create("Chess club").await;
    let report = vec![1, 2, 3];
    worker
        .storage
        .run(StorageOp::PutReport {
            group: choir,
            report: report.clone(),
        })
        .await
        .unwrap();
    let storage = Storage::open(&database, || panic!("blocked"))
        .await
        .unwrap();
    assert_eq!(storage.read(&choir).await.unwrap().report, Some(report));
    assert_eq!(storage.read(&chess).await.unwrap().report, None);
    worker
        .ask(Request::DeleteGroup { id: choir })
        .await
        .unwrap();
    assert_eq!(storage.read(&choir).await.unwrap().report, None);
}

#[wasm_bindgen_test]
async fn a_version_1_database_is_upgraded_with_its_groups_kept() {
    use indexed_db_futures::database::Database;
    use indexed_db_futures::prelude::*;
    use indexed_db_futures::transaction::TransactionMode;

    // The database as the first release made it: three stores and one group in the catalogue.
    let database = fresh_database();
    let summary = protocol::GroupSummary {
        id: GroupId::random().unwrap(),
        name: "Readers".into(),
        created_at: 1,
    };
    let v1 = Database::open(database.as_str())
        .with_version(1u32)
        .with_on_upgrade_needed(|_, db| {
            for store in ["groups", "chunks", "views"] {
                db.create_object_store(store).build()?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let tx = v1
        .transaction("groups")
        .with_mode(TransactionMode::Readwrite)
        .build()
        .unwrap();
    tx.object_store("groups")
        .unwrap()
        .put(wasm_bindgen::JsValue::from(js_sys::Uint8Array::from(
            &protocol::encode(&summary)[..],
        )))
        .with_key(summary.id.to_string())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    v1.close();

    let storage = Storage::open(&database, || panic!("blocked"))
        .await
        .unwrap();
    assert!(matches!(
        storage.run(StorageOp::ListGroups).await.unwrap(),
        Stored::Groups(groups) if groups == vec![summary.clone()]
    ));
    assert_eq!(storage.read(&summary.id).await.unwrap().synced_at, None);
    put_synced_at(&storage, summary.id, 42).await;
    assert_eq!(storage.read(&summary.id).await.unwrap().synced_at, Some(42));
}

/// Each of `workers` adds `count` members as fast as it can, all at once on one database, as
/// tabs do; returns the names whose additions were acknowledged.
async fn add_members_at_once(workers: &mut [Worker], count: usize) -> Vec<String> {
    let runs = workers
        .iter_mut()
        .enumerate()
        .map(|(tab, worker)| async move {
            let mut acknowledged = Vec::new();
            for n in 0..count {
                let name = format!("Tab {tab} member {n}");
                if worker.apply(add_member(&name)).await.is_ok() {
                    acknowledged.push(name);
                }
            }
            acknowledged
        });
    futures_util::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
        .collect()
}

#[wasm_bindgen_test]
async fn three_tabs_writing_at_once_offline_lose_nothing_even_while_compacting() {
    let database = fresh_database();
    let mut first = worker(&database).await;
    let id = first.create("Choir").await;
    let mut tabs = vec![first, worker(&database).await, worker(&database).await];
    for tab in &mut tabs {
        tab.open(id).await;
    }
    // 250 each: every tab compacts once meanwhile (after 200 chunks).
    let acknowledged = add_members_at_once(&mut tabs, 250).await;
    assert_eq!(acknowledged.len(), 750);
    drop(tabs);

    let (chunks, _) = stored_chunks(&worker(&database).await.storage, id).await;
    assert!(chunks < 750, "{chunks} chunks: no compaction happened");
    // Reopened, as after closing every tab: every acknowledged member is there.
    let mut reopened = worker(&database).await;
    let views = reopened.open(id).await;
    let names: std::collections::BTreeSet<String> = views
        .last()
        .unwrap()
        .1
        .members
        .values()
        .map(|member| member.name.clone())
        .collect();
    let missing: Vec<_> = acknowledged
        .iter()
        .filter(|n| !names.contains(*n))
        .collect();
    assert!(missing.is_empty(), "{} lost: {missing:?}", missing.len());
}

#[wasm_bindgen_test]
async fn numbered_chunks_of_version_2_are_read_and_replaced_by_compaction() {
    use indexed_db_futures::database::Database;
    use indexed_db_futures::prelude::*;
    use indexed_db_futures::transaction::TransactionMode;

    // A group as version 2 stored it: a snapshot at [id, 0] and a change at [id, 1].
    let database = fresh_database();
    let id = GroupId::random().unwrap();
    let mut doc = GroupDoc::create("Readers", 1).unwrap();
    let snapshot = doc.save();
    let heads = doc.heads();
    doc.apply(&add_member("Ursula")).unwrap();
    let change = doc.save_after(&heads);
    let summary = protocol::GroupSummary {
        id,
        name: "Readers".into(),
        created_at: 1,
    };
    let v2 = Database::open(database.as_str())
        .with_version(2u32)
        .with_on_upgrade_needed(|_, db| {
            for store in ["groups", "chunks", "views", "synced"] {
                db.create_object_store(store).build()?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let tx = v2
        .transaction(["groups", "chunks"])
        .with_mode(TransactionMode::Readwrite)
        .build()
        .unwrap();
    let bytes = |bytes: &[u8]| wasm_bindgen::JsValue::from(js_sys::Uint8Array::from(bytes));
    let key = |seq: u32| js_sys::Array::of2(&id.to_string().into(), &seq.into());
    tx.object_store("groups")
        .unwrap()
        .put(bytes(&protocol::encode(&summary)))
        .with_key(id.to_string())
        .await
        .unwrap();
    let chunks = tx.object_store("chunks").unwrap();
    chunks.put(bytes(&snapshot)).with_key(key(0)).await.unwrap();
    chunks.put(bytes(&change)).with_key(key(1)).await.unwrap();
    tx.commit().await.unwrap();
    v2.close();

    let mut worker = worker(&database).await;
    let views = worker.open(id).await;
    assert_eq!(views.last().unwrap().1.members.len(), 1);
    for n in 0..205 {
        worker
            .apply(add_member(&format!("Reader {n}")))
            .await
            .unwrap();
    }
    let stored = worker.storage.read_chunks(&id).await.unwrap();
    assert!(
        !stored
            .iter()
            .any(|chunk| matches!(chunk.key, ChunkKey::Numbered(_))),
        "the compaction left numbered chunks"
    );
    let mut reopened = self::worker(&database).await;
    assert_eq!(reopened.open(id).await.last().unwrap().1.members.len(), 206);
}

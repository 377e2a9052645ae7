use cohort_model::*;
use std::time::Instant;
fn main() {
    let doc = sample::group(10_000, 20_000, 42).unwrap();
    let g = doc.hydrate();
    for _ in 0..3 {
        let t = Instant::now();
        let ids: Vec<MemberId> = MemberQuery::default()
            .run(&g)
            .into_iter()
            .map(|m| m.id.clone())
            .collect();
        let a = t.elapsed();
        let tags = g.tags().len();
        let b = t.elapsed();
        let bytes = protocol::encode(&g.members.values().take(1000).cloned().collect::<Vec<_>>());
        let c = t.elapsed();
        let back: Vec<Member> = protocol::decode(&bytes).unwrap();
        let d = t.elapsed();
        let fb: std::collections::BTreeMap<_, _> = g
            .feedback
            .values()
            .map(|f| (f.id.clone(), f.clone()))
            .collect();
        let e = t.elapsed();
        println!(
            "query {a:?} tags {:?} encode1k {:?} decode1k {:?} ({} bytes) build-feedback-map {:?} {} {} {}",
            b - a,
            c - b,
            d - c,
            bytes.len(),
            e - d,
            ids.len(),
            tags,
            back.len() + fb.len()
        );
    }
}

use cohort_model::*;
use std::time::Instant;
fn main() {
    let doc = sample::group(10_000, 20_000, 42).unwrap();
    let bytes = doc.save();
    let t = Instant::now();
    let mut doc = GroupDoc::load(&bytes).unwrap();
    println!("load {:?}", t.elapsed());
    let heads = doc.heads();
    let id = doc.hydrate().members.keys().next().unwrap().clone();
    for i in 0..3 {
        let t = Instant::now();
        let touched = doc
            .apply(&Action::SetMember {
                id: id.clone(),
                field: MemberField::Source,
                value: format!("x{i}"),
            })
            .unwrap();
        let a = t.elapsed();
        let update = doc.update_for(&touched);
        let b = t.elapsed();
        let saved = doc.save_after(&heads);
        let c = t.elapsed();
        println!(
            "apply {a:?} update {b:?} save_after {c:?} ({} bytes) {}",
            saved.len(),
            matches!(update, Update::Records(_))
        );
    }
    let t = Instant::now();
    let g = doc.hydrate();
    println!("hydrate {:?} {}", t.elapsed(), g.members.len());
}

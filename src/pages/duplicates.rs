//! Likely duplicates on the members page, merging a pair, and the warning shown while a person
//! is typed into a form (a new member, a new application).

use std::collections::BTreeSet;

use cohort_model::duplicates::{self, DuplicateIndex, Likeness};
use cohort_model::{
    Action, GroupStoreFields, Member, MemberDraft, MemberField, MemberId, MemberStatus,
};
use leptos::prelude::*;

use crate::forms::{FormAlert, FormError};
use crate::i18n::{Locale, t, t_string, td_string, use_i18n};
use crate::sections::Section;
use crate::state::{AppState, now, use_app};
use crate::words;

/// Why two members look like one person, in words: "same phone, same name".
pub(super) fn likeness(locale: Locale, on: &BTreeSet<Likeness>) -> String {
    let words: Vec<String> = on
        .iter()
        .map(|likeness| {
            match likeness {
                Likeness::Phone => td_string!(locale, duplicates.same_phone),
                Likeness::Email => td_string!(locale, duplicates.same_email),
                Likeness::Wechat => td_string!(locale, duplicates.same_wechat),
                Likeness::Name => td_string!(locale, duplicates.same_name),
                Likeness::Pinyin => td_string!(locale, duplicates.same_pinyin),
            }
            .to_owned()
        })
        .collect();
    words.join(td_string!(locale, common.list_separator))
}

fn member_href(app: AppState, member: &MemberId) -> String {
    app.open
        .get_untracked()
        .map(|g| Section::member_href(g, member))
        .unwrap_or_default()
}

/// Who a person being typed may already be: shown under a form while it is filled in.
#[component]
pub fn DuplicateWarning(
    /// The name as typed so far.
    name: RwSignal<String>,
    /// The phone number as typed so far.
    phone: RwSignal<String>,
    /// The email as typed so far.
    email: RwSignal<String>,
    /// The WeChat id as typed so far.
    wechat: RwSignal<String>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    // The index is made once per change to the members, not per keystroke.
    let index = Memo::new_with_compare(
        move |_| {
            app.view.members().track();
            app.view.with_untracked(DuplicateIndex::new)
        },
        |_, _| true,
    );
    let like = Memo::new(move |_| {
        let draft = MemberDraft {
            name: name.get(),
            phone: phone.get(),
            email: email.get(),
            wechat: wechat.get(),
            ..MemberDraft::default()
        };
        let found = index.with(|index| index.matches(&draft, None));
        app.view.members().with_untracked(|members| {
            found
                .into_iter()
                .filter_map(|(id, on)| Some((members.get(&id)?.name.clone(), id, on)))
                .collect::<Vec<_>>()
        })
    });
    view! {
        <Show when=move || like.with(|like| !like.is_empty())>
            <div class="duplicate-warning" role="status">
                <p>{t!(i18n, duplicates.may_be)}</p>
                <ul>
                    <For each=move || like.get() key=|(name, id, on)| (name.clone(), id.clone(), on.clone()) let:((name, id, on))>
                        <li>
                            <a href=member_href(app, &id)>{name}</a>
                            " · "{move || likeness(i18n.get_locale(), &on)}
                        </li>
                    </For>
                </ul>
            </div>
        </Show>
    }
}

/// The likely duplicates of the group, each with a comparison to merge them or a button to
/// mark them as different people. Worked out when opened: at 10,000 members that is work no
/// one should wait for on every visit.
#[component]
pub fn LikelyDuplicates() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<FormError>);
    let comparing = RwSignal::new(None::<(MemberId, MemberId)>);
    let merged = RwSignal::new(None::<(MemberId, String)>);
    let pairs = Memo::new(move |_| {
        if !open.get() {
            return Vec::new();
        }
        app.view.members().track();
        app.view.distinct().track();
        app.view.with_untracked(|g| {
            duplicates::likely_duplicates(g)
                .into_iter()
                .filter_map(|d| {
                    let (a, b) = (g.members.get(&d.pair.0)?, g.members.get(&d.pair.1)?);
                    Some((d.pair.clone(), a.name.clone(), b.name.clone(), d.on))
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <details class="card likely-duplicates" on:toggle=move |ev| {
            open.set(event_target::<web_sys::Element>(&ev).has_attribute("open"));
        }>
            <summary>{t!(i18n, duplicates.heading)}</summary>
            <p class="hint">{t!(i18n, duplicates.hint)}</p>
            {move || merged.get().map(|(id, name)| view! {
                <p class="merged-note" role="status">
                    {t!(i18n, duplicates.merged_into)}" "<a href=member_href(app, &id)>{name}</a>
                </p>
            })}
            <FormAlert error any_field=true />
            <Show when=move || open.get() && pairs.with(Vec::is_empty)>
                <p class="empty">{t!(i18n, duplicates.none)}</p>
            </Show>
            <ul class="duplicate-pairs" role="list">
                <For each=move || pairs.get() key=|pair| pair.clone() let:((pair, a_name, b_name, on))>
                    {
                        let (a, b) = pair.clone();
                        let shown = pair.clone();
                        let is_shown = move || comparing.get().as_ref() == Some(&shown);
                        let distinct = {
                            let (a, b) = (a.clone(), b.clone());
                            move |_| {
                                let action = Action::MarkNotDuplicates { first: a.clone(), second: b.clone() };
                                app.apply_then(action, error, || ());
                            }
                        };
                        let compare = {
                            let pair = pair.clone();
                            move |_| comparing.set(Some(pair.clone()))
                        };
                        view! {
                            <li class="duplicate-pair">
                                <p>
                                    <a href=member_href(app, &a)>{a_name}</a>" ↔ "<a href=member_href(app, &b)>{b_name}</a>
                                    " · "<span class="muted">{move || likeness(i18n.get_locale(), &on)}</span>
                                </p>
                                <div class="actions">
                                    <button type="button" class="compare" on:click=compare>{t!(i18n, duplicates.compare)}</button>
                                    <button type="button" class="distinct" on:click=distinct>{t!(i18n, duplicates.different_people)}</button>
                                </div>
                                <Show when=is_shown.clone()>
                                    <MergeForm a=a.clone() b=b.clone() comparing merged />
                                </Show>
                            </li>
                        }
                    }
                </For>
            </ul>
        </details>
    }
}

/// The rows of the comparison: each field that can be taken from either record.
const COMPARED: [MemberField; 7] = [
    MemberField::Name,
    MemberField::Email,
    MemberField::Phone,
    MemberField::Wechat,
    MemberField::OtherContact,
    MemberField::Source,
    MemberField::Joined,
];

fn text_of(member: &Member, field: MemberField) -> String {
    match field {
        MemberField::Name => member.name.clone(),
        MemberField::Email => member.contacts.email.clone(),
        MemberField::Phone => member.contacts.phone.clone(),
        MemberField::Wechat => member.contacts.wechat.clone(),
        MemberField::OtherContact => member.contacts.other.clone(),
        MemberField::Source => member.source.clone(),
        MemberField::Joined => member.joined.clone(),
        MemberField::Notes => member.notes.clone(),
    }
}

/// Two records side by side: which one stays, and for each field whose value to keep.
#[component]
fn MergeForm(
    /// One record of the pair.
    a: MemberId,
    /// The other.
    b: MemberId,
    /// The pair being compared; cleared when done or cancelled.
    comparing: RwSignal<Option<(MemberId, MemberId)>>,
    /// The record that stayed after a merge, with its name.
    merged: RwSignal<Option<(MemberId, String)>>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let error = RwSignal::new(None::<FormError>);
    let (Some(first), Some(second)) = (
        app.view.members().at_key(a.clone()).try_get_untracked(),
        app.view.members().at_key(b.clone()).try_get_untracked(),
    ) else {
        return ().into_any();
    };
    // The older record stays unless the organizer picks the other.
    let keep_first = RwSignal::new(first.added_at <= second.added_at);
    // For each field (and the status), whether the value comes from the first record: by
    // default the one kept, unless it is empty and the other is not.
    let picks: Vec<(MemberField, RwSignal<bool>)> = COMPARED
        .iter()
        .map(|field| {
            let (mine, theirs) = (text_of(&first, *field), text_of(&second, *field));
            let keeping_first = keep_first.get_untracked();
            let (kept, other) = if keeping_first {
                (mine, theirs)
            } else {
                (theirs, mine)
            };
            let from_kept = !kept.is_empty() || other.is_empty();
            (*field, RwSignal::new(from_kept == keeping_first))
        })
        .collect();
    let status_from_first = RwSignal::new(keep_first.get_untracked());
    let submit = {
        let picks = picks.clone();
        let (first_id, second_id) = (first.id.clone(), second.id.clone());
        let (first_name, second_name) = (first.name.clone(), second.name.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let keep_first = keep_first.get_untracked();
            let (survivor, gone) = if keep_first {
                (first_id.clone(), second_id.clone())
            } else {
                (second_id.clone(), first_id.clone())
            };
            let take = picks
                .iter()
                .filter(|(_, from_first)| from_first.get_untracked() != keep_first)
                .map(|(field, _)| *field)
                .collect();
            let name = picks
                .iter()
                .find(|(field, _)| *field == MemberField::Name)
                .map(|(_, from_first)| {
                    if from_first.get_untracked() {
                        first_name.clone()
                    } else {
                        second_name.clone()
                    }
                })
                .unwrap_or_default();
            let action = Action::MergeMembers {
                survivor: survivor.clone(),
                merged: gone,
                take,
                take_status: status_from_first.get_untracked() != keep_first,
                at: now(),
            };
            app.apply_then(action, error, move || {
                comparing.set(None);
                merged.set(Some((survivor, name)));
            });
        }
    };
    let key = format!("{a}-{b}");
    let rows = picks
        .iter()
        .map(|(field, from_first)| {
            let field_name = cohort_model::Field::from(*field);
            view! {
                <tr data-field=format!("{field:?}")>
                    <th scope="row">{move || words::field(i18n.get_locale(), field_name)}</th>
                    {choice(format!("{key}-{field:?}"), *from_first, text_of(&first, *field), text_of(&second, *field))}
                </tr>
            }
        })
        .collect_view();
    let status = |s: MemberStatus| move || words::member_status(i18n.get_locale(), s);
    view! {
        <form class="merge-form" on:submit=submit novalidate>
            <div class="table-scroll">
                <table class="merge-table">
                    <thead><tr>
                        <th scope="col">{t!(i18n, duplicates.field)}</th>
                        <th scope="col">{first.name.clone()}</th>
                        <th scope="col">{second.name.clone()}</th>
                    </tr></thead>
                    <tbody>
                        <tr class="keep">
                            <th scope="row">{t!(i18n, duplicates.keep_record)}</th>
                            {choice(format!("{key}-keep"), keep_first, move || t_string!(i18n, duplicates.this_one), move || t_string!(i18n, duplicates.this_one))}
                        </tr>
                        {rows}
                        <tr data-field="Status">
                            <th scope="row">{t!(i18n, field.status)}</th>
                            {choice(format!("{key}-status"), status_from_first, status(first.status), status(second.status))}
                        </tr>
                    </tbody>
                </table>
            </div>
            <p class="hint">{t!(i18n, duplicates.what_moves)}</p>
            <FormAlert error any_field=true />
            <div class="actions">
                <button type="submit" class="primary merge">{t!(i18n, duplicates.merge)}</button>
                <button type="button" on:click=move |_| comparing.set(None)>{t!(i18n, common.cancel)}</button>
            </div>
        </form>
    }
    .into_any()
}

/// One row's two radio buttons: the first record's value, and the second's.
fn choice(
    name: String,
    from_first: RwSignal<bool>,
    first: impl IntoView + 'static,
    second: impl IntoView + 'static,
) -> impl IntoView {
    view! {
        <td><label><input type="radio" name=name.clone() prop:checked=move || from_first.get() on:change=move |_| from_first.set(true) />" "{first}</label></td>
        <td><label><input type="radio" name=name prop:checked=move || !from_first.get() on:change=move |_| from_first.set(false) />" "{second}</label></td>
    }
}

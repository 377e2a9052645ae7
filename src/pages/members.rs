//! The members table: search, filters, sorting, a count, pages of rows, and adding members.

use std::collections::HashMap;

use cohort_model::{
    Action, Field, GroupStoreFields, MemberDraft, MemberId, MemberQuery, MemberSort, MemberStatus,
    Millis, RoleFilter, RoleId,
};
use leptos::prelude::*;

use super::{number, use_page_title};
use crate::forms::{FormAlert, FormError, TextField};
use crate::i18n::{t, t_string, use_i18n};
use crate::sections::Section;
use crate::state::{now, use_app};
use crate::words::{self, Notice};

/// Rows per page: enough to scan, few enough to render in a frame.
const PAGE_SIZE: usize = 25;

/// The ids a query matched, in its order, as of a generation of [`MemberChanges`].
///
/// [`MemberChanges`]: cohort_model::MemberChanges
#[derive(Clone, Debug, PartialEq)]
struct MemberList {
    query: MemberQuery,
    generation: u64,
    ids: Vec<MemberId>,
}

/// The members of the open group.
#[component]
pub fn MembersPage() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, section.members).to_owned());
    let app = use_app();
    let search = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let tag = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let sort = RwSignal::new(String::from("name"));
    let descending = RwSignal::new(false);
    // The page number belongs to the query it was chosen for: a new search starts at page 1.
    let chosen_page = RwSignal::new((MemberQuery::default(), 0_usize));
    let adding = RwSignal::new(false);

    let query = Memo::new(move |_| MemberQuery {
        search: search.get(),
        status: MemberStatus::from_key(&status.get()),
        tag: Some(tag.get()).filter(|t| !t.is_empty()),
        role: match role.get().as_str() {
            "" => None,
            "none" => Some(RoleFilter::NoRole),
            id => RoleId::from_key(id).map(RoleFilter::Holds),
        },
        sort: match sort.get().as_str() {
            "status" => MemberSort::Status,
            "joined" => MemberSort::Joined,
            "added" => MemberSort::Added,
            "last-contact" => MemberSort::LastContact,
            _ => MemberSort::Name,
        },
        descending: descending.get(),
    });
    // Only ids: rows read their own member, so an edit re-renders one row. After an edit the
    // previous result is brought up to date rather than everyone sorted again.
    let result = Memo::new(move |previous: Option<&MemberList>| {
        let query = query.get();
        app.member_changes.with(|changes| {
            let since_previous = previous
                .filter(|last| last.query == query)
                .and_then(|last| Some((last, changes.since(last.generation)?)));
            let ids = app.view.with_untracked(|group| match since_previous {
                Some((last, changed)) => query.rerun(group, &last.ids, &changed),
                None => query.run(group).into_iter().map(|m| m.id.clone()).collect(),
            });
            MemberList {
                query,
                generation: changes.generation(),
                ids,
            }
        })
    });
    let page = move || {
        chosen_page.with(|(for_query, page)| {
            query.with(|current| if for_query == current { *page } else { 0 })
        })
    };
    let turn =
        move |by: isize| chosen_page.set((query.get_untracked(), page().saturating_add_signed(by)));
    let pages = move || {
        result
            .with(|list| list.ids.len().div_ceil(PAGE_SIZE))
            .max(1)
    };
    let rows = Memo::new(move |_| {
        let start = page() * PAGE_SIZE;
        result.with(|list| {
            list.ids
                .iter()
                .skip(start)
                .take(PAGE_SIZE)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let total = move || {
        app.member_changes.track();
        app.view.members().with_untracked(|members| members.len())
    };
    let tags = Memo::new(move |_| {
        app.member_changes.track();
        app.view
            .with_untracked(|g| g.tags().into_iter().map(str::to_owned).collect::<Vec<_>>())
    });
    let last_contacts = Memo::new(move |_| {
        app.view.touchpoints().track();
        app.view
            .with_untracked(cohort_model::contact::last_contacts)
    });
    let roles = Memo::new(move |_| {
        app.view.roles().with(|roles| {
            roles
                .values()
                .map(|r| (r.id.clone(), r.name.clone()))
                .collect::<Vec<_>>()
        })
    });

    view! {
        <article class="members">
            <header class="page-header">
                <h1>{t!(i18n, section.members)}</h1>
                <p class="count" role="status" aria-live="polite">
                    {move || {
                        let shown = result.with(|list| list.ids.len());
                        let total = total();
                        if !app.shown.get() {
                            t_string!(i18n, members.loading).to_owned()
                        } else if shown == total {
                            super::count!(i18n, members.count, shown)
                        } else {
                            t_string!(i18n, members.count_of, shown = number(shown), total = number(total))
                        }
                    }}
                </p>
                <button type="button" class="primary" aria-expanded=move || adding.get().to_string()
                    on:click=move |_| adding.update(|open| *open = !*open)>{t!(i18n, members.add)}</button>
                {move || app.open.get().map(|group| view! {
                    <a class="button import-export" href=format!("/g/{group}/data")>{t!(i18n, data.link)}</a>
                    <a class="button follow-ups-link" href=format!("/g/{group}/follow-ups")>{t!(i18n, follow_ups.link)}</a>
                    <a class="button digest-link" href=format!("/g/{group}/digest")>{t!(i18n, digest.link)}</a>
                    <a class="button changes-link" href=format!("/g/{group}/changes")>{t!(i18n, history.link)}</a>
                })}
            </header>
            <super::about::GroupAbout />
            <Show when=move || adding.get()>
                <AddMember done=move || adding.set(false) />
            </Show>
            <super::duplicates::LikelyDuplicates />
            <div class="toolbar" role="search">
                <div class="field grow">
                    <label for="member-search">{t!(i18n, common.search)}</label>
                    <input id="member-search" type="search" placeholder=move || t_string!(i18n, members.search_placeholder)
                        prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="member-status">{t!(i18n, field.status)}</label>
                    <select id="member-status" on:change=move |ev| status.set(event_target_value(&ev)) prop:value=move || status.get()>
                        <option value="">{t!(i18n, common.any)}</option>
                        {MemberStatus::ALL.map(|s| view! { <option value=s.key()>{move || words::member_status(i18n.get_locale(), s)}</option> })}
                    </select>
                </div>
                <div class="field">
                    <label for="member-tag">{t!(i18n, field.tag)}</label>
                    <select id="member-tag" on:change=move |ev| tag.set(event_target_value(&ev)) prop:value=move || tag.get()>
                        <option value="">{t!(i18n, common.any)}</option>
                        {move || tags.get().into_iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="member-role">{t!(i18n, members.role)}</label>
                    <select id="member-role" on:change=move |ev| role.set(event_target_value(&ev)) prop:value=move || role.get()>
                        <option value="">{t!(i18n, common.any)}</option>
                        <option value="none">{t!(i18n, members.no_role)}</option>
                        {move || roles.get().into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="member-sort">{t!(i18n, common.sort_by)}</label>
                    <select id="member-sort" on:change=move |ev| sort.set(event_target_value(&ev)) prop:value=move || sort.get()>
                        <option value="name">{t!(i18n, field.name)}</option>
                        <option value="status">{t!(i18n, field.status)}</option>
                        <option value="joined">{t!(i18n, field.joined)}</option>
                        <option value="added">{t!(i18n, members.added)}</option>
                        <option value="last-contact">{t!(i18n, members.last_contact)}</option>
                    </select>
                </div>
                <button type="button" class="sort-direction" aria-pressed=move || descending.get().to_string()
                    on:click=move |_| descending.update(|d| *d = !*d)>
                    {move || if descending.get() { t_string!(i18n, common.descending) } else { t_string!(i18n, common.ascending) }}
                </button>
            </div>
            <div class="table-wrap">
                <table class="member-table">
                    <thead>
                        <tr>
                            <th scope="col">{t!(i18n, field.name)}</th>
                            <th scope="col">{t!(i18n, field.status)}</th>
                            <th scope="col" class="wide">{t!(i18n, members.contact)}</th>
                            <th scope="col" class="wide">{t!(i18n, field.tags)}</th>
                            <th scope="col" class="wide">{t!(i18n, field.joined)}</th>
                            <th scope="col">{t!(i18n, members.last_contact)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || rows.get() key=|id| id.clone() let:id>
                            <MemberRow id last_contacts />
                        </For>
                    </tbody>
                </table>
            </div>
            <Show when=move || { pages() > 1 }>
                <nav class="pager" aria-label=move || t_string!(i18n, members.pages)>
                    <button type="button" disabled=move || page() == 0 on:click=move |_| turn(-1)>{t!(i18n, common.previous)}</button>
                    <span>{move || t_string!(i18n, common.page_of, page = number(page() + 1), pages = number(pages()))}</span>
                    <button type="button" disabled=move || page() + 1 >= pages() on:click=move |_| turn(1)>{t!(i18n, common.next)}</button>
                </nav>
            </Show>
        </article>
    }
}

/// One row; it reads its member by id, so it re-renders only when that member changes.
#[component]
fn MemberRow(
    /// The member shown.
    id: MemberId,
    /// When each member was last contacted, worked out once for the whole table.
    last_contacts: Memo<HashMap<MemberId, Millis>>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let member = {
        let id = id.clone();
        move || app.view.members().at_key(id.clone()).try_get()
    };
    let href = {
        let id = id.clone();
        move || app.open.get().map(|group| Section::member_href(group, &id))
    };
    let last_contact = {
        let id = id.clone();
        move || last_contacts.with(|last| last.get(&id).copied())
    };
    let change_status = move |ev: leptos::ev::Event| {
        let Some(status) = MemberStatus::from_key(&event_target_value(&ev)) else {
            return;
        };
        let id = id.clone();
        leptos::task::spawn_local(async move {
            if let Err(failure) = app
                .apply(Action::SetMemberStatus {
                    id,
                    status,
                    at: now(),
                })
                .await
            {
                app.alert.set(Some(failure.into()));
            }
        });
    };
    move || {
        let locale = i18n.get_locale();
        member().map(|m| {
            let current = m.status;
            let moves: Vec<MemberStatus> = MemberStatus::ALL.into_iter().filter(|s| *s == current || current.can_become(*s)).collect();
            let contact = [&m.contacts.email, &m.contacts.phone, &m.contacts.wechat, &m.contacts.other]
                .into_iter()
                .find(|c| !c.is_empty())
                .cloned()
                .unwrap_or_default();
            let tags = m.tags.iter().cloned().collect::<Vec<_>>().join(", ");
            let label = t_string!(i18n, members.status_of, name = &m.name);
            view! {
                <tr data-member=m.id.to_string() data-status=current.key()>
                    <th scope="row"><a href=href.clone()>{m.name.clone()}</a></th>
                    <td>
                        <select class="status-select" data-status=current.key() aria-label=label on:change=change_status.clone()>
                            {moves.into_iter().map(|s| view! { <option value=s.key() prop:selected=s == current>{words::member_status(locale, s)}</option> }).collect_view()}
                        </select>
                    </td>
                    <td class="wide">{contact}</td>
                    <td class="wide">{tags}</td>
                    <td class="wide">{m.joined.clone()}</td>
                    <td class="last-contact">{last_contact().map(super::day)}</td>
                </tr>
            }
        })
    }
}

/// The form to add a member; every field an organizer knows at the start.
#[component]
fn AddMember(
    /// Called once the member is added.
    done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let wechat = RwSignal::new(String::new());
    let other = RwSignal::new(String::new());
    let tags = RwSignal::new(String::new());
    let source = RwSignal::new(String::new());
    let joined = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let status = RwSignal::new(MemberStatus::Applicant.key().to_owned());
    let error = RwSignal::new(None::<FormError>);
    let saving = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = MemberId::random() else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
        let draft = MemberDraft {
            name: name.get_untracked(),
            email: email.get_untracked(),
            phone: phone.get_untracked(),
            wechat: wechat.get_untracked(),
            other_contact: other.get_untracked(),
            tags: tags
                .get_untracked()
                .split([',', '，', '、'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            status: MemberStatus::from_key(&status.get_untracked()),
            source: source.get_untracked(),
            joined: joined.get_untracked(),
            notes: notes.get_untracked(),
        };
        saving.set(true);
        leptos::task::spawn_local(async move {
            let result = app
                .apply(Action::AddMember {
                    id,
                    draft,
                    at: now(),
                })
                .await;
            saving.set(false);
            match result {
                Ok(()) => {
                    error.set(None);
                    done();
                }
                Err(failure) => error.set(Some(failure.into())),
            }
        });
    };
    view! {
        <form class="card add-member" on:submit=submit aria-labelledby="add-member-heading" novalidate>
            <h2 id="add-member-heading">{t!(i18n, members.add_heading)}</h2>
            <div class="form-grid">
                <TextField id="new-name" field=Field::Name value=name error required=true />
                <div class="field">
                    <label for="new-status">{t!(i18n, field.status)}</label>
                    <select id="new-status" on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="applicant" selected=true>{t!(i18n, member_status.applicant)}</option>
                        <option value="active">{t!(i18n, member_status.active)}</option>
                    </select>
                </div>
                <TextField id="new-email" field=Field::Email value=email error kind="email" />
                <TextField id="new-phone" field=Field::Phone value=phone error kind="tel" />
                <TextField id="new-wechat" field=Field::Wechat value=wechat error />
                <TextField id="new-other" field=Field::OtherContact value=other error />
                <TextField id="new-tags" label=move || t_string!(i18n, field.tags) field=Field::Tag value=tags error hint=move || t_string!(i18n, members.tags_hint) />
                <TextField id="new-source" field=Field::Source value=source error hint=move || t_string!(i18n, members.source_hint) />
                <TextField id="new-joined" field=Field::Joined value=joined error kind="date" />
            </div>
            <TextField id="new-notes" field=Field::Notes value=notes error multiline=true />
            <super::duplicates::DuplicateWarning name phone email wechat />
            <FormAlert error />
            <div class="actions">
                <button type="submit" class="primary" disabled=move || saving.get()>
                    {move || if saving.get() { t_string!(i18n, common.saving) } else { t_string!(i18n, members.add) }}
                </button>
                <button type="button" on:click=move |_| done()>{t!(i18n, common.cancel)}</button>
            </div>
        </form>
    }
}

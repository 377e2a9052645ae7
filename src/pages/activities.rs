//! Activities: the list (upcoming and past, by kind, searchable), a new activity, and one
//! activity with its check-in at the door and everyone's attendance.

use std::collections::BTreeSet;

use cohort_model::GroupStoreFields;
use cohort_model::activity::{Standing, turnout};
use cohort_model::sheet::file_stem;
use cohort_model::{
    Action, ActivityDraft, ActivityId, ActivityKind, Field, Invitee, Mark, MemberId, MemberQuery,
    Millis, RoleId,
};
use leptos::prelude::*;

use super::{Deferred, MissingRecord, WhenShown, id_in_url, local_day, moment, use_page_title};
use crate::forms::{FormAlert, FormError, MemberPicker, TextField};
use crate::i18n::{t, t_string, td_string, use_i18n};
use crate::sections::Section;
use crate::state::{now, use_app};
use crate::words::{self, Notice};

/// Members a check-in search offers at once.
const CHECK_IN_SUGGESTIONS: usize = 8;
/// Rows drawn at first, and added by "Show more", in each list: a group with hundreds of
/// activities, or an activity with hundreds of invitees, draws them a page at a time so that
/// no single task blocks the page.
const PAGE: usize = 30;

/// The URL of an activity's page.
fn activity_href(group: cohort_model::GroupId, id: &ActivityId) -> String {
    format!("{}/{id}", Section::Activities.href(group))
}

/// The open group's activities.
#[component]
pub fn ActivitiesPage() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, section.activities).to_owned());
    let search = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let adding = RwSignal::new(false);
    let shown_upcoming = RwSignal::new(PAGE);
    let shown_past = RwSignal::new(PAGE);
    let as_month = RwSignal::new(false);
    // Upcoming soonest first, past latest first; each filtered by kind and search.
    let lists = Memo::new(move |_| {
        let needle = search.get().trim().to_lowercase();
        let kind = kind.get();
        let now = now();
        app.view.activities().with(|activities| {
            let mut upcoming = Vec::new();
            let mut past = Vec::new();
            for activity in activities.values().filter(|a| {
                (kind.is_empty() || a.kind.key() == kind)
                    && (needle.is_empty()
                        || a.title.to_lowercase().contains(&needle)
                        || a.place.to_lowercase().contains(&needle))
            }) {
                let entry = (activity.starts_at, activity.id.clone());
                if activity.ends_at < now {
                    past.push(entry);
                } else {
                    upcoming.push(entry);
                }
            }
            upcoming.sort();
            past.sort_by(|a, b| b.cmp(a));
            let ids = |list: Vec<(Millis, ActivityId)>| {
                list.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
            };
            (ids(upcoming), ids(past))
        })
    });
    view! {
        <WhenShown>
            <article class="activities">
                <header class="page-header">
                    <h1>{t!(i18n, section.activities)}</h1>
                    <button type="button" class="primary new-activity" aria-expanded=move || adding.get().to_string()
                        on:click=move |_| adding.update(|open| *open = !*open)>{t!(i18n, activities.new)}</button>
                </header>
                <Show when=move || adding.get()>
                    <NewActivity done=move || adding.set(false) />
                </Show>
                <div class="toolbar" role="search">
                    <div class="field">
                        <label for="activity-search">{t!(i18n, common.search)}</label>
                        <input id="activity-search" type="search" placeholder=move || t_string!(i18n, activities.search_placeholder)
                            prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                    </div>
                    <div class="field">
                        <label for="activity-kind">{t!(i18n, activities.kind)}</label>
                        <select id="activity-kind" on:change=move |ev| kind.set(event_target_value(&ev)) prop:value=move || kind.get()>
                            <option value="">{t!(i18n, activities.any_kind)}</option>
                            {ActivityKind::ALL.map(|k| view! { <option value=k.key()>{move || words::activity_kind(i18n.get_locale(), k)}</option> })}
                        </select>
                    </div>
                    <div class="view-switch" role="group" aria-label=move || t_string!(i18n, activities.view_as)>
                        <button type="button" class="as-list" aria-pressed=move || (!as_month.get()).to_string()
                            on:click=move |_| as_month.set(false)>{t!(i18n, activities.as_list)}</button>
                        <button type="button" class="as-month" aria-pressed=move || as_month.get().to_string()
                            on:click=move |_| as_month.set(true)>{t!(i18n, activities.as_month)}</button>
                    </div>
                </div>
                <Show when=move || as_month.get()>
                    <super::calendar::MonthView shown=Signal::derive(move || lists.with(|(upcoming, past)| upcoming.iter().chain(past).cloned().collect::<Vec<_>>())) />
                </Show>
                <Show when=move || !as_month.get()>
                <section class="card" data-when="upcoming" aria-labelledby="upcoming-heading">
                    <h2 id="upcoming-heading">{t!(i18n, activities.upcoming)}</h2>
                    <Show when=move || !lists.with(|(upcoming, _)| upcoming.is_empty())
                        fallback=move || view! { <p class="empty">{t!(i18n, activities.none_upcoming)}</p> }>
                        <ol class="activity-list" role="list">
                            <For each=move || lists.with(|(upcoming, _)| upcoming.iter().take(shown_upcoming.get()).cloned().collect::<Vec<_>>())
                                key=|id| id.clone() let:id>
                                <ActivityItem id />
                            </For>
                        </ol>
                        <ShowMore shown=shown_upcoming total=Signal::derive(move || lists.with(|(upcoming, _)| upcoming.len())) />
                    </Show>
                </section>
                <section class="card" data-when="past" aria-labelledby="past-heading">
                    <h2 id="past-heading">{t!(i18n, activities.past)}</h2>
                    <Show when=move || !lists.with(|(_, past)| past.is_empty())
                        fallback=move || view! { <p class="empty">{t!(i18n, activities.none_past)}</p> }>
                        <ol class="activity-list" role="list">
                            <For each=move || lists.with(|(_, past)| past.iter().take(shown_past.get()).cloned().collect::<Vec<_>>())
                                key=|id| id.clone() let:id>
                                <ActivityItem id />
                            </For>
                        </ol>
                        <ShowMore shown=shown_past total=Signal::derive(move || lists.with(|(_, past)| past.len())) />
                    </Show>
                </section>
                </Show>
            </article>
        </WhenShown>
    }
}

/// A "Show more" button under a list drawn a page at a time, while rows are left.
#[component]
fn ShowMore(
    /// How many rows are drawn.
    shown: RwSignal<usize>,
    /// How many there are.
    #[prop(into)]
    total: Signal<usize>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Show when=move || shown.get() < total.get()>
            <button type="button" class="show-more" on:click=move |_| shown.update(|n| *n += PAGE)>
                {t!(i18n, common.show_more)}
            </button>
        </Show>
    }
}

/// One activity in the list: when, what, and how many came.
#[component]
fn ActivityItem(
    /// The activity shown.
    id: ActivityId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let summary = {
        let id = id.clone();
        Memo::new(move |_| {
            let activity = app.view.activities().at_key(id.clone()).try_get()?;
            app.member_changes.track();
            app.view.roles().track();
            let counts = app
                .view
                .with_untracked(|g| turnout(&activity, g, &activity.invitees(g)));
            Some((activity, counts))
        })
    };
    move || {
        summary.get().map(|(activity, counts)| {
            let href = app.open.get().map(|group| activity_href(group, &activity.id));
            view! {
                <li class="activity-item" data-kind=activity.kind.key()>
                    <a href=href>{activity.title.clone()}</a>
                    <p class="activity-meta">
                        <time>{moment(activity.starts_at)}</time>" · "
                        {words::activity_kind(i18n.get_locale(), activity.kind)}
                        {(!activity.place.is_empty()).then(|| format!(" · {}", activity.place))}
                        " · "<span class="turnout">{t_string!(i18n, activities.turnout, attended = counts.attended, invited = counts.invited)}</span>
                    </p>
                </li>
            }
        })
    }
}

/// A local day and time of day (`YYYY-MM-DD`, `HH:MM`) as a moment, in the organizer's time
/// zone.
pub(super) fn local_moment(day: &str, time: &str) -> Option<Millis> {
    let mut date = day.split('-').map(|p| p.parse::<i32>().ok());
    let mut clock = time.split(':').map(|p| p.parse::<i32>().ok());
    let (Some(Some(year)), Some(Some(month)), Some(Some(date))) =
        (date.next(), date.next(), date.next())
    else {
        return None;
    };
    let (Some(Some(hours)), Some(Some(minutes))) = (clock.next(), clock.next()) else {
        return None;
    };
    let at =
        js_sys::Date::new_with_year_month_day_hr_min(year as u32, month - 1, date, hours, minutes);
    let millis = at.get_time();
    millis.is_finite().then_some(millis as Millis)
}

/// The form that makes an activity: kind, title, day and times, place or link, and who is
/// invited (a tag, a role, members).
#[component]
fn NewActivity(
    /// Called once the activity is stored.
    done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let kind = RwSignal::new(ActivityKind::Discussion);
    let title = RwSignal::new(String::new());
    let day = RwSignal::new(local_day(now()));
    let start = RwSignal::new(String::from("19:00"));
    let end = RwSignal::new(String::from("21:00"));
    let place = RwSignal::new(String::new());
    let link = RwSignal::new(String::new());
    let tag = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let member = RwSignal::new(None::<MemberId>);
    let members = RwSignal::new(Vec::<MemberId>::new());
    let organizer = RwSignal::new(None::<MemberId>);
    let description = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let invite = Callback::new(move |picked: MemberId| {
        members.update(|m| {
            if !m.contains(&picked) {
                m.push(picked);
            }
        });
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = ActivityId::random() else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
        let day_value = day.get_untracked();
        // A day or time the browser could not read leaves the moment unset: refused as such.
        let starts_at = local_moment(&day_value, &start.get_untracked()).unwrap_or_default();
        let ends_at = local_moment(&day_value, &end.get_untracked()).unwrap_or_default();
        let mut invited: Vec<Invitee> = members
            .get_untracked()
            .into_iter()
            .map(Invitee::Member)
            .collect();
        invited.extend(
            Some(tag.get_untracked())
                .filter(|t| !t.is_empty())
                .map(Invitee::Tag),
        );
        invited.extend(RoleId::from_key(&role.get_untracked()).map(Invitee::Role));
        let draft = ActivityDraft {
            kind: kind.get_untracked(),
            title: title.get_untracked(),
            starts_at,
            ends_at,
            place: place.get_untracked(),
            link: link.get_untracked(),
            organizer: organizer.get_untracked(),
            description: description.get_untracked(),
            invited,
        };
        leptos::task::spawn_local(async move {
            match app
                .apply(Action::AddActivity {
                    id,
                    draft,
                    at: now(),
                })
                .await
            {
                Ok(()) => done(),
                Err(failure) => error.set(Some(failure.into())),
            }
        });
    };
    let name_of = move |id: &MemberId| app.member_name(id).unwrap_or_default();
    view! {
        <form class="card new-activity-form" on:submit=submit novalidate>
            <div class="form-grid">
                <div class="field">
                    <label for="activity-new-kind">{t!(i18n, activities.kind)}</label>
                    <select id="activity-new-kind" on:change=move |ev| kind.set(ActivityKind::from_key(&event_target_value(&ev)))>
                        {ActivityKind::ALL.map(|k| view! { <option value=k.key() selected=k == ActivityKind::Discussion>{move || words::activity_kind(i18n.get_locale(), k)}</option> })}
                    </select>
                </div>
                <TextField id="activity-title" field=Field::ActivityTitle value=title error required=true />
                <TextField id="activity-day" field=Field::Starts label=TextProp::from(move || t_string!(i18n, activities.day)) kind="date" value=day error />
                <TextField id="activity-start" field=Field::Starts label=TextProp::from(move || t_string!(i18n, activities.start_time)) kind="time" value=start error />
                <TextField id="activity-end" field=Field::Ends label=TextProp::from(move || t_string!(i18n, activities.end_time)) kind="time" value=end error />
                <TextField id="activity-place" field=Field::Place value=place error />
                <TextField id="activity-link" field=Field::Link kind="url" value=link error />
                <MemberPicker id="activity-organizer" label=TextProp::from(move || words::field(i18n.get_locale(), Field::Organizer)) chosen=organizer />
                <div class="field">
                    <label for="activity-invite-tag">{t!(i18n, activities.invite_tag)}</label>
                    <select id="activity-invite-tag" on:change=move |ev| tag.set(event_target_value(&ev))>
                        <option value="">{t!(i18n, activities.nobody)}</option>
                        {move || app.tags().into_iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="activity-invite-role">{t!(i18n, activities.invite_role)}</label>
                    <select id="activity-invite-role" on:change=move |ev| role.set(event_target_value(&ev))>
                        <option value="">{t!(i18n, activities.nobody)}</option>
                        {move || app.role_choices().into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                    </select>
                </div>
            </div>
            <MemberPicker id="activity-invite-member" label=TextProp::from(move || t_string!(i18n, activities.invite_member)) chosen=member
                exclude=Signal::derive(move || members.get()) on_pick=invite />
            <ul class="chips" role="list">
                {move || members.get().into_iter().map(|id| view! { <li class="chip">{name_of(&id)}</li> }).collect_view()}
            </ul>
            <TextField id="activity-description" field=Field::Description multiline=true value=description error />
            <FormAlert error />
            <button type="submit" class="primary">{t!(i18n, activities.create)}</button>
        </form>
    }
}

/// The activity named in the URL.
#[component]
pub fn ActivityPage() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let id = id_in_url("activity", ActivityId::from_key);
    let title = Memo::new(move |_| {
        id.get().and_then(|id| {
            app.view
                .activities()
                .at_key(id)
                .try_with(|a| a.title.clone())
        })
    });
    use_page_title(move || {
        title
            .get()
            .unwrap_or_else(|| t_string!(i18n, activities.not_found).to_owned())
    });
    let page = move || {
        match id.get().filter(|_| title.with(Option::is_some)) {
        Some(id) => view! { <ActivityDetail id /> }.into_any(),
        None => view! {
            <MissingRecord heading=|l| td_string!(l, activities.not_found) section=Section::Activities
                see_all=|l| td_string!(l, activities.see_all) />
        }
        .into_any(),
    }
    };
    view! { <WhenShown>{page}</WhenShown> }
}

/// One activity: what and when, its counts, check-in, and everyone's attendance.
#[component]
fn ActivityDetail(
    /// The activity shown.
    id: ActivityId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let activity = {
        let id = id.clone();
        Memo::new(move |_| app.view.activities().at_key(id.clone()).try_get())
    };
    // Who is on the list: the invitees and anyone marked, each once, by name.
    let people = Memo::new(move |_| {
        let activity = activity.get()?;
        app.member_changes.track();
        app.view.roles().track();
        Some(app.view.with_untracked(|g| {
            let invitees = activity.invitees(g);
            let everyone: BTreeSet<&MemberId> =
                invitees.iter().chain(activity.attendance.keys()).collect();
            let mut people: Vec<(String, MemberId, Option<Standing>)> = everyone
                .into_iter()
                .map(|member| {
                    let sort = g
                        .members
                        .get(member)
                        .map(|m| cohort_model::pinyin::sort_key(&m.name))
                        .unwrap_or_default();
                    (sort, member.clone(), activity.standing(member, &invitees))
                })
                .collect();
            people.sort();
            (
                turnout(&activity, g, &invitees),
                people
                    .into_iter()
                    .map(|(_, id, standing)| (id, standing))
                    .collect::<Vec<_>>(),
            )
        }))
    });
    let set_mark = {
        let id = id.clone();
        move |member: MemberId, mark: Option<Mark>| {
            let action = Action::MarkAttendance {
                id: id.clone(),
                member,
                mark,
            };
            app.apply_then(action, app.alert, || ());
        }
    };
    let navigate = leptos_router::hooks::use_navigate();
    let remove = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            let navigate = navigate.clone();
            leptos::task::spawn_local(async move {
                match app.apply(Action::RemoveActivity { id }).await {
                    Ok(()) => {
                        if let Some(group) = app.open.get_untracked() {
                            navigate(&Section::Activities.href(group), Default::default());
                        }
                    }
                    Err(failure) => app.alert.set(Some(failure.into())),
                }
            });
        }
    };
    let locale = move || i18n.get_locale();
    let activity_id = StoredValue::new(id);
    let shown = RwSignal::new(PAGE);
    let selected = RwSignal::new(BTreeSet::<MemberId>::new());
    // Everyone on the list who is still a member: what "select all" selects.
    let selectable = move || {
        people.with(|p| {
            p.as_ref()
                .map(|(_, people)| {
                    people
                        .iter()
                        .filter(|(member, _)| app.member_name(member).is_some())
                        .map(|(member, _)| member.clone())
                        .collect::<BTreeSet<_>>()
                })
                .unwrap_or_default()
        })
    };
    let mark_selected = move |mark: Mark| {
        let actions: Vec<Action> = selected
            .get_untracked()
            .into_iter()
            .map(|member| Action::MarkAttendance {
                id: activity_id.get_value(),
                member,
                mark: Some(mark),
            })
            .collect();
        leptos::task::spawn_local(async move {
            match app.apply_all(actions).await {
                Ok(()) => selected.set(BTreeSet::new()),
                Err(failure) => app.alert.set(Some(failure.into())),
            }
        });
    };
    view! {
        <article class="activity-detail">
            {move || activity.get().map(|a| view! {
                <header class="page-header">
                    <h1>{a.title.clone()}</h1>
                    <span class="badge">{words::activity_kind(locale(), a.kind)}</span>
                </header>
                <p class="activity-meta">
                    <time>{moment(a.starts_at)}</time>" – "<time>{moment(a.ends_at)}</time>
                    {(!a.place.is_empty()).then(|| format!(" · {}", a.place))}
                    {(!a.link.is_empty()).then(|| view! { " · "<a href=a.link.clone() rel="noopener noreferrer" target="_blank">{a.link.clone()}</a> })}
                    {a.organizer.as_ref().and_then(|m| app.member_name(m)).map(|name| format!(" · {}", t_string!(i18n, activities.organized_by, name)))}
                </p>
                {(!a.description.is_empty()).then(|| view! { <p class="activity-description">{a.description.clone()}</p> })}
            })}
            <p class="activity-counts" role="status">{move || people.with(|p| p.as_ref().map(|(counts, _)| t_string!(i18n, activities.counts,
                invited = counts.invited, attended = counts.attended, walk_ins = counts.walk_ins, excused = counts.excused, absent = counts.absent)))}</p>
            <CheckIn on_check_in=set_mark />
            // The rest in a task of its own: with the rows of an activity of 300 it took one
            // task of 60 ms.
            <Deferred>
            <super::sign_in::PasteSignIn activity=activity_id.get_value() />
            <section class="card" aria-labelledby="people-heading">
                <h2 id="people-heading">{t!(i18n, activities.people_heading)}</h2>
                <div class="bulk-bar" role="group" aria-label=move || t_string!(i18n, activities.bulk_label)>
                    <button type="button" class="select-all" on:click=move |_| {
                        let all = selectable();
                        selected.update(|s| if *s == all { s.clear() } else { *s = all });
                    }>{t!(i18n, activities.select_all)}</button>
                    <span class="selected-count" role="status">{move || super::count!(i18n, activities.selected, selected.with(BTreeSet::len))}</span>
                    {[Mark::Attended, Mark::Absent, Mark::Excused].map(|mark| view! {
                        <button type="button" class="bulk-mark" data-mark=mark.key() disabled=move || selected.with(BTreeSet::is_empty)
                            on:click=move |_| mark_selected(mark)>
                            {move || t_string!(i18n, activities.mark_selected, mark = words::standing(locale(), Standing::Marked(mark)))}
                        </button>
                    })}
                </div>
                <Show when=move || people.with(|p| p.as_ref().is_some_and(|(_, people)| !people.is_empty()))
                    fallback=move || view! { <p class="empty">{t!(i18n, activities.no_one)}</p> }>
                    // Keyed by member and standing: a check-in re-draws only that member's row.
                    <ul class="attendance-list" role="list">
                        <For each=move || people.with(|p| p.as_ref().map(|(_, people)| people.iter().take(shown.get()).cloned().collect::<Vec<_>>()).unwrap_or_default())
                            key=|(member, standing)| (member.clone(), *standing) let:((member, standing))>
                            <PersonRow activity=activity_id.get_value() member standing selected />
                        </For>
                    </ul>
                    <ShowMore shown total=Signal::derive(move || people.with(|p| p.as_ref().map_or(0, |(_, people)| people.len()))) />
                </Show>
            </section>
            <super::duties::DutiesSection activity=activity_id.get_value() />
            <super::activity_edit::ActivityEdit activity=activity_id.get_value() />
            <ActivityFiles activity=activity_id.get_value() />
            <super::RecordHistory record=cohort_model::history::RecordKey::activity(&activity_id.get_value()) />
            <button type="button" class="danger remove-activity" on:click=remove.clone()>{t!(i18n, activities.remove)}</button>
            </Deferred>
        </article>
    }
}

/// One person on an activity's list: name, standing, and the mark to change.
#[component]
fn PersonRow(
    /// The activity.
    activity: ActivityId,
    /// The person, who may have been removed from the group since.
    member: MemberId,
    /// Where they stand now.
    standing: Option<Standing>,
    /// The people selected for marking at once.
    selected: RwSignal<BTreeSet<MemberId>>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let name = app.member_name(&member);
    let former = name.is_none();
    let name = name.unwrap_or_else(|| t_string!(i18n, activities.former_member).to_owned());
    let label = t_string!(i18n, activities.mark_of, name = &name);
    let member_key = member.to_string();
    let this = StoredValue::new(member);
    let current = match standing {
        Some(Standing::Marked(mark)) => mark.key(),
        Some(Standing::WalkIn) => Mark::Attended.key(),
        _ => "",
    };
    let set_mark = move |ev: leptos::ev::Event| {
        let mark = Mark::from_key(&event_target_value(&ev));
        let action = Action::MarkAttendance {
            id: activity.clone(),
            member: this.get_value(),
            mark,
        };
        app.apply_then(action, app.alert, || ());
    };
    let locale = move || i18n.get_locale();
    let select_label = t_string!(i18n, activities.select_person, name = &name);
    let is_selected = move || selected.with(|s| s.contains(&this.get_value()));
    let toggle = move |_| {
        let member = this.get_value();
        selected.update(|s| {
            if !s.remove(&member) {
                s.insert(member);
            }
        });
    };
    view! {
        <li class="person" data-standing=standing.map(Standing::key) data-member=member_key>
            <input type="checkbox" class="select-person" aria-label=select_label disabled=former
                prop:checked=is_selected on:change=toggle />
            <span class="person-name">{name}</span>
            <span class="standing">{move || standing.map(|s| words::standing(locale(), s))}</span>
            <select aria-label=label disabled=former on:change=set_mark>
                <option value="" selected=current.is_empty()>{t!(i18n, standing.invited)}</option>
                {Mark::ALL.map(|m| view! { <option value=m.key() selected=m.key() == current>{move || words::standing(locale(), Standing::Marked(m))}</option> })}
            </select>
        </li>
    }
}

/// Check-in at the door: type a name, pinyin or a phone's last digits, tap to mark attended.
#[component]
fn CheckIn<F>(
    /// Marks a member attended.
    on_check_in: F,
) -> impl IntoView
where
    F: Fn(MemberId, Option<Mark>) + Clone + Send + Sync + 'static,
{
    let app = use_app();
    let i18n = use_i18n();
    let search = RwSignal::new(String::new());
    // What the suggestions are for: the search as it stood when the browser was next free.
    // Keys that arrive together (a fast typist, an input method, a paste) then cost one search
    // of everyone, not one each in a single long task.
    let needle = RwSignal::new(String::new());
    let pending = StoredValue::new(false);
    let typed = move |value: String| {
        search.set(value);
        if !pending.get_value() {
            pending.set_value(true);
            set_timeout(
                move || {
                    pending.set_value(false);
                    needle.set(search.get_untracked());
                },
                std::time::Duration::ZERO,
            );
        }
    };
    let found = Memo::new(move |_| {
        let needle = needle.get().trim().to_lowercase();
        if needle.is_empty() {
            return Vec::new();
        }
        app.member_changes.track();
        app.view.with_untracked(|g| {
            MemberQuery {
                search: needle,
                ..Default::default()
            }
            .first(g, CHECK_IN_SUGGESTIONS)
            .into_iter()
            .map(|m| (m.id.clone(), m.name.clone(), m.contacts.phone.clone()))
            .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="card check-in" aria-labelledby="check-in-heading">
            <h2 id="check-in-heading">{t!(i18n, activities.check_in_heading)}</h2>
            <div class="field">
                <label for="check-in-search">{t!(i18n, activities.check_in_label)}</label>
                <input id="check-in-search" type="search" autocomplete="off" inputmode="search"
                    placeholder=move || t_string!(i18n, activities.check_in_placeholder)
                    prop:value=move || search.get() on:input=move |ev| typed(event_target_value(&ev)) />
            </div>
            <ul class="suggestions check-in-results" role="list">
                <For each=move || found.get() key=|(id, _, _)| id.clone() let:((member, name, phone))>
                    {
                        let on_check_in = on_check_in.clone();
                        view! {
                            <li>
                                <button type="button" class="suggestion check-in-button" data-member=member.to_string() on:click=move |_| {
                                    on_check_in(member.clone(), Some(Mark::Attended));
                                    typed(String::new());
                                }>
                                    <span>{name}</span>" "<span class="muted">{phone}</span>" "<span class="action">{t!(i18n, activities.check_in)}</span>
                                </button>
                            </li>
                        }
                    }
                </For>
            </ul>
        </section>
    }
}

/// An activity's files: its attendance as CSV, and an `.ics` event for the invitees'
/// calendars.
#[component]
fn ActivityFiles(
    /// The activity.
    activity: ActivityId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let error = RwSignal::new(None::<Notice>);
    let message = crate::forms::notice_text(error);
    let activity = StoredValue::new(activity);
    let csv = move |_| {
        let words = words::sheet_words(i18n.get_locale());
        let sheet = app.view.with_untracked(|g| {
            g.activities.get(&activity.get_value()).map(|a| {
                (
                    file_stem(&a.title),
                    cohort_model::activity_files::attendance_sheet(a, g, &words),
                )
            })
        });
        let Some((stem, sheet)) = sheet else { return };
        leptos::task::spawn_local(async move {
            let saved = match crate::files::write_tables(
                &stem,
                cohort_model::sheet::TableFile::Csv,
                vec![sheet],
            )
            .await
            {
                Ok(download) => crate::files::save(&download),
                Err(notice) => Err(notice),
            };
            error.set(saved.err());
        });
    };
    let ics = move |_| {
        let file = app.view.with_untracked(|g| {
            g.activities
                .get(&activity.get_value())
                .map(|a| cohort_model::protocol::Download {
                    name: format!("{}.ics", file_stem(&a.title)),
                    mime: "text/calendar".into(),
                    bytes: cohort_model::activity_files::activity_ics(a, g, now()).into_bytes(),
                })
        });
        if let Some(file) = file {
            error.set(crate::files::save(&file).err());
        }
    };
    view! {
        <section class="card activity-files" aria-labelledby="activity-files-heading">
            <h2 id="activity-files-heading">{t!(i18n, activities.files_heading)}</h2>
            <div class="actions">
                <button type="button" class="export-attendance" on:click=csv>{t!(i18n, activities.export_csv)}</button>
                <button type="button" class="export-ics" on:click=ics>{t!(i18n, activities.export_ics)}</button>
            </div>
            <p class="form-alert" role="alert" hidden=move || message().is_none()>{message}</p>
        </section>
    }
}

/// A member's attendance on their page: the rate, then each past activity, newest first.
#[component]
pub fn AttendanceSection(
    /// The member whose attendance this is.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let record = Memo::new(move |_| {
        app.view.activities().track();
        app.view.roles().track();
        app.member_changes.track();
        app.view.with_untracked(|g| {
            let record = cohort_model::activity::member_attendance(g, &id, now());
            let history = record
                .history
                .iter()
                .filter_map(|(activity, standing)| {
                    let activity = g.activities.get(activity)?;
                    Some((
                        activity.id.clone(),
                        activity.title.clone(),
                        activity.starts_at,
                        *standing,
                    ))
                })
                .collect::<Vec<_>>();
            (record.attended, record.counted, record.rate(), history)
        })
    });
    view! {
        <section class="card attendance" aria-labelledby="attendance-heading">
            <h2 id="attendance-heading">{t!(i18n, attendance.heading)}</h2>
            {move || record.with(|(attended, counted, rate, history)| match rate {
                None => view! { <p class="empty">{t!(i18n, attendance.none)}</p> }.into_any(),
                Some(rate) => {
                    let percent = super::percent(*rate);
                    let items = history.iter().map(|(activity, title, at, standing)| {
                        let href = app.open.get().map(|group| activity_href(group, activity));
                        view! {
                            <li data-standing=standing.key()>
                                <a href=href>{title.clone()}</a>" · "<time>{super::day(*at)}</time>" · "
                                <span class="standing">{words::standing(i18n.get_locale(), *standing)}</span>
                            </li>
                        }
                    }).collect_view();
                    view! {
                        <p class="attendance-rate">{t_string!(i18n, attendance.rate, attended = *attended, counted = *counted, percent)}</p>
                        <ul class="attendance-history" role="list">{items}</ul>
                    }.into_any()
                }
            })}
        </section>
    }
}

//! Recruitment: the section page (a new application, the board with an equivalent table, the
//! screening criteria, and each channel's yield). An application's details and its screening
//! checks are on the applicant's member page (`ApplicationCard`).
//!
//! The board moves a card by dragging its handle (pointer events, so a finger works too) or,
//! focused, by the arrow keys, or with its menu. Rejecting or withdrawing asks for the reason
//! first; only then is the move written.

use cohort_model::recruitment::{
    self, Application, ApplicationChannel, ApplicationDraft, ChannelYield, CheckResult, Stage,
    Tally,
};
use cohort_model::{
    Action, ApplicationId, Field, GroupStoreFields, MemberDraft, MemberId, RecruitmentAction,
    ScreeningId,
};
use leptos::prelude::*;
use leptos_router::components::A;

use super::member::InlineField;
use super::{WhenShown, calendar_day, local_day, moment, use_page_title};
use crate::forms::{EnumSelect, FormAlert, FormError, MemberPicker, TextField};
use crate::i18n::{t, t_string, use_i18n};
use crate::sections::Section;
use crate::state::{AppState, now, use_app};
use crate::words::{self, Notice};

/// Applies an action of recruitment in the background; `error` says why it was refused.
fn send(app: AppState, action: RecruitmentAction, error: RwSignal<Option<FormError>>) {
    app.apply_then(Action::Recruitment(action), error, || ());
}

/// A move waiting for its reason (to rejected or withdrawn).
#[derive(Clone, Debug, PartialEq)]
struct PendingMove {
    id: ApplicationId,
    name: String,
    stage: Stage,
}

/// Moves an application, or asks for the reason first when the move needs one.
#[derive(Clone, Copy)]
struct Mover {
    app: AppState,
    pending: RwSignal<Option<PendingMove>>,
    error: RwSignal<Option<FormError>>,
}

impl Mover {
    fn new(app: AppState) -> Self {
        Self {
            app,
            pending: RwSignal::new(None),
            error: RwSignal::new(None),
        }
    }

    fn request(self, id: ApplicationId, name: String, stage: Stage) {
        if matches!(stage, Stage::Rejected | Stage::Withdrawn) {
            self.pending.set(Some(PendingMove { id, name, stage }));
        } else {
            self.write(id, stage, String::new());
        }
    }

    /// A stage menu's pick: moves `id` from `stage` to the stage picked, where it may go.
    fn picker(self, id: ApplicationId, name: String, stage: Stage) -> Callback<Option<Stage>> {
        Callback::new(move |to: Option<Stage>| {
            if let Some(to) = to.filter(|to| stage.can_become(*to)) {
                self.request(id.clone(), name.clone(), to);
            }
        })
    }

    fn write(self, id: ApplicationId, stage: Stage, reason: String) {
        let pending = self.pending;
        let action = RecruitmentAction::Move {
            id,
            stage,
            reason,
            at: now(),
        };
        self.app
            .apply_then(Action::Recruitment(action), self.error, move || {
                pending.set(None)
            });
    }
}

/// One application as the board and the table show it.
#[derive(Clone, Debug, PartialEq)]
struct Card {
    id: ApplicationId,
    member: MemberId,
    name: String,
    stage: Stage,
    channel: ApplicationChannel,
    referrer: Option<String>,
    applied_on: String,
    tally: Tally,
}

/// Every application, by stage and then by when they applied (tracked).
fn cards(app: AppState) -> Memo<Vec<Card>> {
    Memo::new(move |_| {
        app.view.applications().track();
        app.view.screening().track();
        app.view.members().track();
        app.view.with_untracked(|g| {
            recruitment::board(g)
                .into_values()
                .flatten()
                .map(|a: &Application| Card {
                    id: a.id.clone(),
                    member: a.member.clone(),
                    name: g.members[&a.member].name.clone(),
                    stage: a.stage,
                    channel: a.channel,
                    referrer: a
                        .referrer
                        .as_ref()
                        .and_then(|r| g.members.get(r))
                        .map(|r| r.name.clone()),
                    applied_on: a.applied_on.clone(),
                    tally: a.tally(&g.screening),
                })
                .collect()
        })
    })
}

/// The recruitment section.
#[component]
pub fn RecruitmentPage() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, section.recruitment).to_owned());
    let cards = cards(app);
    let mover = Mover::new(app);
    let as_table = RwSignal::new(false);
    view! {
        <WhenShown>
            <article class="recruitment">
                <header class="page-header">
                    <h1>{t!(i18n, section.recruitment)}</h1>
                </header>
                <p class="lead">{t!(i18n, section.recruitment_summary)}</p>
                <NewApplication />
                <section class="card" aria-labelledby="applications-heading">
                    <div class="section-header">
                        <h2 id="applications-heading">{t!(i18n, recruitment.applications)}</h2>
                        <div class="view-switch" role="group" aria-label=move || t_string!(i18n, recruitment.show_as)>
                            <button type="button" aria-pressed=move || (!as_table.get()).to_string() on:click=move |_| as_table.set(false)>{t!(i18n, recruitment.board)}</button>
                            <button type="button" aria-pressed=move || as_table.get().to_string() on:click=move |_| as_table.set(true)>{t!(i18n, recruitment.table)}</button>
                        </div>
                    </div>
                    <ReasonPanel mover />
                    <FormAlert error=mover.error any_field=true />
                    <Show when=move || cards.with(Vec::is_empty)>
                        <p class="empty">{t!(i18n, recruitment.none_yet)}</p>
                    </Show>
                    <Show when=move || as_table.get() fallback=move || view! { <Board cards mover /> }>
                        <ApplicationTable cards mover />
                    </Show>
                </section>
                <ScreeningCriteria />
                <ChannelYields />
            </article>
        </WhenShown>
    }
}

/// Asks for the reason of a rejection or withdrawal, then writes the move.
#[component]
fn ReasonPanel(mover: Mover) -> impl IntoView {
    let i18n = use_i18n();
    let reason = RwSignal::new(String::new());
    let heading = move || {
        mover.pending.get().map(|p| match p.stage {
            Stage::Rejected => t_string!(i18n, recruitment.reject_who, name = p.name),
            _ => t_string!(i18n, recruitment.withdraw_who, name = p.name),
        })
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(p) = mover.pending.get_untracked() {
            mover.write(p.id, p.stage, reason.get_untracked());
        }
    };
    Effect::new(move |_| {
        // A new move asks afresh.
        mover.pending.track();
        reason.set(String::new());
        if mover.pending.get_untracked().is_some() {
            let _ = document()
                .get_element_by_id("stage-reason")
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
                .map(|e| e.focus());
        }
    });
    move || {
        mover.pending.get().map(|pending| {
            view! {
                <form class="reason-panel" on:submit=on_submit novalidate>
                    <h3>{heading}</h3>
                    <TextField id="stage-reason" field=Field::StageReason value=reason error=mover.error
                        required=pending.stage == Stage::Rejected />
                    <div class="actions">
                        <button type="submit" class="primary">{move || words::stage(i18n.get_locale(), pending.stage)}</button>
                        <button type="button" on:click=move |_| { mover.pending.set(None); mover.error.set(None); }>{t!(i18n, common.cancel)}</button>
                    </div>
                </form>
            }
        })
    }
}

/// The board: a column per stage; cards move by their handle, the arrow keys or their menu.
#[component]
fn Board(cards: Memo<Vec<Card>>, mover: Mover) -> impl IntoView {
    let i18n = use_i18n();
    // The card being dragged, where the drag began and how far it has come.
    let dragging = RwSignal::new(None::<(ApplicationId, (f64, f64))>);
    let offset = RwSignal::new((0.0, 0.0));
    let refocus = RwSignal::new(None::<ApplicationId>);
    Effect::new(move |_| {
        cards.track();
        if let Some(id) = refocus.get_untracked()
            && let Some(element) = document()
                .query_selector(&format!(".application-card[data-application='{id}']"))
                .ok()
                .flatten()
            && let Ok(element) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(element)
        {
            let _ = element.focus();
        }
    });
    let drag = Drag {
        dragging,
        offset,
        mover,
    };
    view! {
        <div class="board" role="list" aria-label=move || t_string!(i18n, recruitment.board)>
            {Stage::ALL.iter().copied().map(|stage| {
                let column = Memo::new(move |_| cards.with(|cards| cards.iter().filter(|c| c.stage == stage).cloned().collect::<Vec<_>>()));
                view! {
                    <section class="stage-column" role="listitem" data-stage=stage.key() aria-labelledby=format!("stage-{}", stage.key())>
                        <h3 id=format!("stage-{}", stage.key())>
                            {move || words::stage(i18n.get_locale(), stage)}
                            " "<span class="count">{move || column.with(Vec::len)}</span>
                        </h3>
                        <ul role="list">
                            <For each=move || column.get() key=|card| format!("{card:?}") let:card>
                                <BoardCard card drag refocus />
                            </For>
                        </ul>
                    </section>
                }
            }).collect_view()}
        </div>
    }
}

/// A drag on the board.
#[derive(Clone, Copy)]
struct Drag {
    dragging: RwSignal<Option<(ApplicationId, (f64, f64))>>,
    offset: RwSignal<(f64, f64)>,
    mover: Mover,
}

/// The stage whose column is under a point of the window, if any.
fn column_at(x: f64, y: f64) -> Option<Stage> {
    Stage::ALL.iter().copied().find(|stage| {
        document()
            .query_selector(&format!(".stage-column[data-stage='{}']", stage.key()))
            .ok()
            .flatten()
            .is_some_and(|column| {
                let r = column.get_bounding_client_rect();
                (r.left()..=r.right()).contains(&x) && (r.top()..=r.bottom()).contains(&y)
            })
    })
}

/// One application on the board.
#[component]
fn BoardCard(
    /// The application shown.
    card: Card,
    /// The board's drag.
    drag: Drag,
    /// The card to focus once drawn again (after a move by keyboard).
    refocus: RwSignal<Option<ApplicationId>>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let Card {
        id,
        member,
        name,
        stage,
        channel,
        applied_on,
        tally,
        ..
    } = card;
    let mover = drag.mover;
    let key = id.to_string();
    let on_down = {
        let id = id.clone();
        move |ev: leptos::ev::PointerEvent| {
            if !stage.is_open() {
                return;
            }
            ev.prevent_default();
            if let Some(target) = ev
                .current_target()
                .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            {
                let _ = target.set_pointer_capture(ev.pointer_id());
            }
            drag.offset.set((0.0, 0.0));
            drag.dragging.set(Some((
                id.clone(),
                (f64::from(ev.client_x()), f64::from(ev.client_y())),
            )));
        }
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        if let Some((_, (x, y))) = drag.dragging.get_untracked() {
            drag.offset
                .set((f64::from(ev.client_x()) - x, f64::from(ev.client_y()) - y));
        }
    };
    let on_up = {
        let (id, name) = (id.clone(), name.clone());
        move |ev: leptos::ev::PointerEvent| {
            if drag.dragging.get_untracked().is_none() {
                return;
            }
            drag.dragging.set(None);
            let to = column_at(f64::from(ev.client_x()), f64::from(ev.client_y()));
            if let Some(to) = to.filter(|to| stage.can_become(*to)) {
                mover.request(id.clone(), name.clone(), to);
            }
        }
    };
    let on_key = {
        let (id, name) = (id.clone(), name.clone());
        move |ev: leptos::ev::KeyboardEvent| {
            let step: isize = match ev.key().as_str() {
                "ArrowRight" => 1,
                "ArrowLeft" => -1,
                _ => return,
            };
            ev.prevent_default();
            let here = Stage::ALL.iter().position(|s| *s == stage).unwrap_or(0);
            let to = here
                .checked_add_signed(step)
                .and_then(|i| Stage::ALL.get(i).copied());
            if let Some(to) = to.filter(|to| stage.can_become(*to)) {
                refocus.set(Some(id.clone()));
                mover.request(id.clone(), name.clone(), to);
            }
        }
    };
    let lifted = {
        let id = id.clone();
        move || {
            drag.dragging
                .with(|d| d.as_ref().is_some_and(|(d, _)| *d == id))
        }
    };
    let transform = {
        let lifted = lifted.clone();
        move || {
            lifted().then(|| {
                let (x, y) = drag.offset.get();
                format!("translate({x}px, {y}px)")
            })
        }
    };
    let aria = {
        let name = name.clone();
        move || {
            t_string!(
                i18n,
                recruitment.card_label,
                name = name.clone(),
                stage = words::stage(i18n.get_locale(), stage)
            )
        }
    };
    let href = app
        .open
        .get_untracked()
        .map(|g| format!("{}#applications-heading", Section::member_href(g, &member)))
        .unwrap_or_default();
    let pick = mover.picker(id.clone(), name.clone(), stage);
    view! {
        <li class="application-card" class:lifted=lifted.clone() tabindex="0" data-application=key
            aria-label=aria style:transform=transform on:keydown=on_key>
            <div class="card-top">
                <Show when=move || stage.is_open()>
                    <span class="drag-handle" aria-hidden="true" title=move || t_string!(i18n, recruitment.drag_hint)
                        on:pointerdown=on_down.clone() on:pointermove=on_move on:pointerup=on_up.clone()
                        on:pointercancel=move |_| drag.dragging.set(None)>"⠿"</span>
                </Show>
                <A href=href>{name.clone()}</A>
            </div>
            <p class="muted">
                {move || words::application_channel(i18n.get_locale(), channel)}" · "{calendar_day(&applied_on)}
            </p>
            <TallyBadges tally />
            <Show when=move || stage.is_open()>
                <EnumSelect id=format!("move-{id}") label=move || t_string!(i18n, recruitment.move_to)
                    options=Stage::ALL name=words::stage chosen=Signal::derive(move || Some(stage)) on_pick=pick />
            </Show>
        </li>
    }
}

/// How an applicant fares against the screening criteria, at a glance.
#[component]
fn TallyBadges(tally: Tally) -> impl IntoView {
    let i18n = use_i18n();
    let label = move || {
        t_string!(
            i18n,
            recruitment.tally_label,
            meets = tally.meets,
            partly = tally.partly,
            does_not = tally.does_not,
            unchecked = tally.unchecked
        )
    };
    let any = tally.meets + tally.partly + tally.does_not + tally.unchecked > 0;
    any.then(|| {
        view! {
            <p class="tally" aria-label=label title=label>
                <span class="meets" aria-hidden="true">"✓"{tally.meets}</span>
                <span class="partly" aria-hidden="true">"≈"{tally.partly}</span>
                <span class="does_not" aria-hidden="true">"✗"{tally.does_not}</span>
                <span class="unchecked" aria-hidden="true">"?"{tally.unchecked}</span>
            </p>
        }
    })
}

/// Every application in a table: the board's equivalent.
#[component]
fn ApplicationTable(cards: Memo<Vec<Card>>, mover: Mover) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    view! {
        <div class="table-scroll">
            <table class="application-table">
                <thead><tr>
                    <th scope="col">{t!(i18n, field.name)}</th>
                    <th scope="col">{t!(i18n, field.stage)}</th>
                    <th scope="col">{t!(i18n, field.channel)}</th>
                    <th scope="col">{t!(i18n, field.referrer)}</th>
                    <th scope="col">{t!(i18n, field.applied_on)}</th>
                    <th scope="col">{t!(i18n, recruitment.screening)}</th>
                </tr></thead>
                <tbody>
                    <For each=move || cards.get() key=|card| format!("{card:?}") let:card>
                        {
                            let Card { id, member, name, stage, channel, referrer, applied_on, tally } = card;
                            let href = app.open.get_untracked().map(|g| Section::member_href(g, &member)).unwrap_or_default();
                            let key = id.to_string();
                            let pick = mover.picker(id.clone(), name.clone(), stage);
                            view! {
                                <tr data-application=key>
                                    <th scope="row"><A href=href>{name}</A></th>
                                    <td>
                                        <Show when=move || stage.is_open() fallback=move || words::stage(i18n.get_locale(), stage)>
                                            <EnumSelect id=format!("table-move-{id}") label=move || t_string!(i18n, recruitment.move_to)
                                                options=Stage::ALL name=words::stage chosen=Signal::derive(move || Some(stage)) on_pick=pick />
                                        </Show>
                                    </td>
                                    <td>{move || words::application_channel(i18n.get_locale(), channel)}</td>
                                    <td>{referrer.clone().unwrap_or_default()}</td>
                                    <td>{calendar_day(&applied_on)}</td>
                                    <td><TallyBadges tally /></td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
        </div>
    }
}

/// Records an application by someone new: they are added as an applicant.
#[component]
fn NewApplication() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let wechat = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let channel = RwSignal::new(ApplicationChannel::WechatGroup);
    let referrer = RwSignal::new(None::<MemberId>);
    let applied_on = RwSignal::new(local_day(now()));
    let notes = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Ok(id), Ok(member)) = (ApplicationId::random(), MemberId::random()) else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
        let action = RecruitmentAction::Apply {
            id,
            member,
            applicant: Some(Box::new(MemberDraft {
                name: name.get_untracked(),
                phone: phone.get_untracked(),
                wechat: wechat.get_untracked(),
                email: email.get_untracked(),
                ..MemberDraft::default()
            })),
            draft: ApplicationDraft {
                channel: channel.get_untracked(),
                referrer: referrer.get_untracked(),
                applied_on: applied_on.get_untracked(),
                notes: notes.get_untracked(),
            },
            at: now(),
        };
        app.apply_then(Action::Recruitment(action), error, move || {
            for field in [name, phone, wechat, email, notes] {
                field.set(String::new());
            }
            referrer.set(None);
        });
    };
    view! {
        <details class="card new-application">
            <summary>{t!(i18n, recruitment.new_application)}</summary>
            <form on:submit=on_submit novalidate>
                <div class="form-grid">
                    <TextField id="applicant-name" field=Field::Name value=name error required=true />
                    <TextField id="applicant-phone" field=Field::Phone kind="tel" value=phone error />
                    <TextField id="applicant-wechat" field=Field::Wechat value=wechat error />
                    <TextField id="applicant-email" field=Field::Email kind="email" value=email error />
                    <EnumSelect id="applicant-channel" label=move || t_string!(i18n, field.channel)
                        options=ApplicationChannel::ALL name=words::application_channel
                        chosen=Signal::derive(move || Some(channel.get()))
                        on_pick=Callback::new(move |picked: Option<ApplicationChannel>| if let Some(picked) = picked { channel.set(picked) }) />
                    <TextField id="applicant-applied" field=Field::AppliedOn kind="date" value=applied_on error required=true />
                </div>
                <Show when=move || channel.get() == ApplicationChannel::Referral>
                    <MemberPicker id="applicant-referrer" label=move || t_string!(i18n, field.referrer) chosen=referrer />
                </Show>
                <TextField id="applicant-notes" field=Field::Notes value=notes error multiline=true />
                <super::duplicates::DuplicateWarning name phone email wechat />
                <FormAlert error />
                <button type="submit" class="primary">{t!(i18n, recruitment.add_application)}</button>
            </form>
        </details>
    }
}

/// The criteria applicants are screened against: add, rename, remove.
#[component]
fn ScreeningCriteria() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let criteria = Memo::new(move |_| {
        app.view.screening().track();
        app.view.with_untracked(|g| {
            let mut criteria: Vec<_> = g
                .screening
                .values()
                .map(|c| (c.id.clone(), c.name.clone(), c.created_at))
                .collect();
            criteria.sort_by_key(|c| c.2);
            criteria
        })
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = ScreeningId::random() else {
            error.set(Some(Notice::NoRandom.into()));
            return;
        };
        let action = RecruitmentAction::AddCriterion {
            id,
            name: name.get_untracked(),
            at: now(),
        };
        app.apply_then(Action::Recruitment(action), error, move || {
            name.set(String::new())
        });
    };
    view! {
        <section class="card" aria-labelledby="screening-heading">
            <h2 id="screening-heading">{t!(i18n, recruitment.criteria_heading)}</h2>
            <p class="hint">{t!(i18n, recruitment.criteria_hint)}</p>
            <ul class="screening-criteria" role="list">
                <For each=move || criteria.get() key=|c| c.clone() let:((id, current, _))>
                    {
                        let rename = {
                            let id = id.clone();
                            move |name: String| Action::Recruitment(RecruitmentAction::RenameCriterion { id: id.clone(), name })
                        };
                        let remove = {
                            let id = id.clone();
                            move |_| send(app, RecruitmentAction::RemoveCriterion { id: id.clone() }, error)
                        };
                        view! {
                            <li>
                                <InlineField id=format!("screening-{id}") label=move || t_string!(i18n, field.screening_criterion)
                                    field=Field::ScreeningCriterion value=Signal::stored(current.clone()) action=rename />
                                <button type="button" class="link" on:click=remove>{t!(i18n, recruitment.remove_criterion)}</button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <form class="inline-form" on:submit=on_submit novalidate>
                <TextField id="new-screening" field=Field::ScreeningCriterion value=name error />
                <button type="submit">{t!(i18n, recruitment.add_criterion)}</button>
            </form>
            <FormAlert error />
        </section>
    }
}

/// What each channel brought in: applicants, accepted, and who stayed.
#[component]
fn ChannelYields() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let yields = Memo::new(move |_| {
        app.view.applications().track();
        app.view.members().track();
        app.view
            .with_untracked(|g| recruitment::channel_yields(g, now()))
    });
    let rate = |share: Option<f64>| share.map_or_else(|| "—".to_owned(), super::percent);
    view! {
        <section class="card" aria-labelledby="yields-heading">
            <h2 id="yields-heading">{t!(i18n, recruitment.yields_heading)}</h2>
            <div class="table-scroll">
                <table class="yield-table">
                    <thead><tr>
                        <th scope="col">{t!(i18n, field.channel)}</th>
                        <th scope="col">{t!(i18n, recruitment.applicants)}</th>
                        <th scope="col">{t!(i18n, stage.accepted)}</th>
                        <th scope="col">{t!(i18n, recruitment.acceptance_rate)}</th>
                        <th scope="col">{t!(i18n, recruitment.still_active)}</th>
                    </tr></thead>
                    <tbody>
                        <For each=move || yields.get() key=|y: &ChannelYield| format!("{y:?}") let:y>
                            <tr data-channel=y.channel.map_or("all", ApplicationChannel::key)>
                                <th scope="row">{move || match y.channel {
                                    Some(channel) => words::application_channel(i18n.get_locale(), channel).to_owned(),
                                    None => t_string!(i18n, recruitment.all_channels).to_owned(),
                                }}</th>
                                <td>{y.applicants}</td>
                                <td>{y.accepted}</td>
                                <td>{rate(y.acceptance_rate())}</td>
                                <td>{t_string!(i18n, recruitment.of_accepted, n = y.still_active, of = y.accepted_long_enough)}</td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// A member's applications on their page: stage and its history, channel and referrer, when,
/// notes, and the screening checks.
#[component]
pub fn ApplicationCard(
    /// The member whose applications are shown.
    id: MemberId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let applications = Memo::new(move |_| {
        app.view.applications().track();
        let id = id.clone();
        app.view.with_untracked(|g| {
            recruitment::applications_of(g, &id)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let mover = Mover::new(app);
    view! {
        <Show when=move || applications.with(|a| !a.is_empty())>
            <section class="card applications" aria-labelledby="applications-heading">
                <h2 id="applications-heading">{t!(i18n, recruitment.applications)}</h2>
                <ReasonPanel mover />
                <FormAlert error=mover.error any_field=true />
                <For each=move || applications.get() key=|a| format!("{a:?}") let:application>
                    <ApplicationDetail application mover />
                </For>
            </section>
        </Show>
    }
}

/// One application in full, editable.
#[component]
fn ApplicationDetail(application: Application, mover: Mover) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let error = RwSignal::new(None::<FormError>);
    let Application {
        id,
        stage,
        history,
        channel,
        referrer,
        applied_on,
        notes,
        checks,
        reason,
        ..
    } = application;
    let name = app.member_name(&application.member).unwrap_or_default();
    let referrer_choice = RwSignal::new(referrer.clone());
    Effect::new({
        let id = id.clone();
        move |first: Option<()>| {
            // A referrer picked afterwards is written at once.
            let picked = referrer_choice.get();
            if first.is_some() && picked != referrer {
                let action = RecruitmentAction::SetChannel {
                    id: id.clone(),
                    channel,
                    referrer: picked,
                };
                send(app, action, error);
            }
        }
    });
    let criteria = Memo::new(move |_| {
        app.view.screening().track();
        app.view.with_untracked(|g| {
            let mut criteria: Vec<_> = g.screening.values().cloned().collect();
            criteria.sort_by_key(|c| c.created_at);
            criteria
        })
    });
    let pick_stage = mover.picker(id.clone(), name.clone(), stage);
    let pick_channel = {
        let id = id.clone();
        Callback::new(move |picked: Option<ApplicationChannel>| {
            if let Some(channel) = picked {
                let action = RecruitmentAction::SetChannel {
                    id: id.clone(),
                    channel,
                    referrer: referrer_choice.get_untracked(),
                };
                send(app, action, error);
            }
        })
    };
    let set_day = {
        let id = id.clone();
        move |applied_on: String| {
            Action::Recruitment(RecruitmentAction::SetAppliedOn {
                id: id.clone(),
                applied_on,
            })
        }
    };
    let set_notes = {
        let id = id.clone();
        move |notes: String| {
            Action::Recruitment(RecruitmentAction::SetNotes {
                id: id.clone(),
                notes,
            })
        }
    };
    let key = id.to_string();
    let stage_menu = format!("stage-{key}");
    view! {
        <div class="application" data-application=key.clone() data-stage=stage.key()>
            <p class="stage-line">
                <span class="status" data-status=stage.key()>{move || words::stage(i18n.get_locale(), stage)}</span>
                {(!reason.is_empty()).then(|| view! { " "<span class="reason">{reason.clone()}</span> })}
            </p>
            <ol class="stage-history">
                {history.into_iter().map(|change| view! {
                    <li>{move || words::stage(i18n.get_locale(), change.status)}" · "{moment(change.at)}</li>
                }).collect_view()}
            </ol>
            <div class="form-grid">
                <Show when=move || stage.is_open()>
                    <EnumSelect id=stage_menu.clone() label=move || t_string!(i18n, recruitment.move_to)
                        options=Stage::ALL name=words::stage chosen=Signal::derive(move || Some(stage)) on_pick=pick_stage />
                </Show>
                <EnumSelect id=format!("channel-{key}") label=move || t_string!(i18n, field.channel)
                    options=ApplicationChannel::ALL name=words::application_channel
                    chosen=Signal::derive(move || Some(channel)) on_pick=pick_channel />
                <InlineField id=format!("applied-{key}") field=Field::AppliedOn kind="date" value=Signal::stored(applied_on) action=set_day />
            </div>
            {(channel == ApplicationChannel::Referral).then(|| view! {
                <MemberPicker id=format!("referrer-{key}") label=move || t_string!(i18n, field.referrer) chosen=referrer_choice />
            })}
            <InlineField id=format!("notes-{key}") field=Field::Notes multiline=true value=Signal::stored(notes) action=set_notes />
            <h3>{t!(i18n, recruitment.screening)}</h3>
            <Show when=move || criteria.with(Vec::is_empty)>
                <p class="empty">{t!(i18n, recruitment.no_criteria)}</p>
            </Show>
            <ul class="checks" role="list">
                <For each=move || criteria.get() key=|c| c.id.clone() let:criterion>
                    <CheckRow application=id.clone() criterion=criterion.id.clone() name=criterion.name.clone()
                        check=checks.get(&criterion.id).cloned() error />
                </For>
            </ul>
            <FormAlert error any_field=true />
        </div>
    }
}

/// An applicant checked against one criterion: the result and a note.
#[component]
fn CheckRow(
    /// The application checked.
    application: ApplicationId,
    /// The criterion.
    criterion: ScreeningId,
    /// The criterion's name.
    name: String,
    /// The check as stored.
    check: Option<recruitment::Check>,
    /// The application's error.
    error: RwSignal<Option<FormError>>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let result = check.as_ref().map(|c| c.result);
    let note = RwSignal::new(check.map(|c| c.note).unwrap_or_default());
    let write = {
        let (application, criterion) = (application.clone(), criterion.clone());
        move |result: Option<CheckResult>| {
            let action = RecruitmentAction::Check {
                id: application.clone(),
                criterion: criterion.clone(),
                result,
                note: note.get_untracked(),
            };
            send(app, action, error);
        }
    };
    let on_pick = Callback::new(write.clone());
    let key = format!("{application}-{criterion}");
    view! {
        <li class="check" data-criterion=criterion.to_string()>
            <EnumSelect id=format!("check-{key}") label=name options=CheckResult::ALL name=words::check_result
                chosen=Signal::stored(result) empty=move || t_string!(i18n, recruitment.unchecked) on_pick />
            <div class="field">
                <label for=format!("check-note-{key}")>{t!(i18n, recruitment.check_note)}</label>
                <input id=format!("check-note-{key}") type="text" prop:value=move || note.get()
                    disabled=result.is_none()
                    on:input=move |ev| note.set(event_target_value(&ev))
                    on:change=move |_| write(result) />
            </div>
        </li>
    }
}

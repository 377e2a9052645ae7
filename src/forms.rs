//! Form parts shared by the screens: labelled fields with their error next to them, and a
//! member picker that stays quick with thousands of members.

use cohort_model::ContactChannel;
use cohort_model::GroupStoreFields;
use cohort_model::key_users::{
    DecisionRole, ExpectationState, NeedSource, NeedStatus, Priority, SatisfactionScale,
};
use cohort_model::protocol::Failure;
use cohort_model::recruitment::{ApplicationChannel, CheckResult, Stage};
use cohort_model::{Field, MemberId};
use leptos::prelude::*;
use leptos::text_prop::TextProp;

use crate::i18n::{t, t_string, use_i18n};
use crate::state::use_app;
use crate::words::{self, Notice};

/// The error of a form: the field it names (if any), and what went wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct FormError {
    pub field: Option<Field>,
    pub notice: Notice,
}

impl From<Notice> for FormError {
    fn from(notice: Notice) -> Self {
        let field = match &notice {
            Notice::Failure(Failure::Invalid(invalid)) => Some(invalid.field),
            _ => None,
        };
        Self { field, notice }
    }
}

impl From<Failure> for FormError {
    fn from(failure: Failure) -> Self {
        Notice::from(failure).into()
    }
}

/// The message of `error` in the chosen language, when `pick` accepts it.
pub fn error_text(
    error: RwSignal<Option<FormError>>,
    pick: impl Fn(&FormError) -> bool + Copy + Send + Sync + 'static,
) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static {
    let i18n = use_i18n();
    move || {
        error.with(|e| {
            e.as_ref()
                .filter(|e| pick(e))
                .map(|e| words::notice(i18n.get_locale(), &e.notice))
        })
    }
}

/// A notice in the chosen language, or nothing: for the alerts under buttons.
pub fn notice_text<N: Clone + Into<Notice> + Send + Sync + 'static>(
    notice: RwSignal<Option<N>>,
) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static {
    let i18n = use_i18n();
    move || {
        notice
            .get()
            .map(|n| words::notice(i18n.get_locale(), &n.into()))
    }
}

/// A field's label: the one given, or the field's own name in the chosen language.
pub fn label_or_field(label: Option<TextProp>, field: Field) -> TextProp {
    let i18n = use_i18n();
    label.unwrap_or_else(|| TextProp::from(move || words::field(i18n.get_locale(), field)))
}

/// The DOM id of a field's error message.
fn error_id(id: &str) -> String {
    format!("{id}-error")
}

/// A labelled input, bound to `value`, showing `error` when it names `field`.
#[component]
pub fn TextField(
    /// The DOM id of the input, unique on the page.
    id: &'static str,
    /// The visible label; the field's name when not given.
    #[prop(into, optional)]
    label: Option<TextProp>,
    /// The model field this input edits (for placing errors).
    field: Field,
    /// The text being typed.
    value: RwSignal<String>,
    /// The form's current error.
    error: RwSignal<Option<FormError>>,
    /// The input type (`text`, `email`, `tel`, `date`, `number`).
    #[prop(default = "text")]
    kind: &'static str,
    /// A multi-line text area instead of an input.
    #[prop(optional)]
    multiline: bool,
    /// Marks the field as required.
    #[prop(optional)]
    required: bool,
    /// A hint under the label.
    #[prop(into, optional)]
    hint: Option<TextProp>,
) -> impl IntoView {
    let i18n = use_i18n();
    let label = label_or_field(label, field);
    let message = error_text(error, move |e| e.field == Some(field));
    let invalid = move || message().is_some().to_string();
    let described = move || message().map(|_| error_id(id));
    let input = if multiline {
        view! {
            <textarea id=id rows="3" aria-invalid=invalid aria-describedby=described prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))></textarea>
        }
        .into_any()
    } else {
        view! {
            <input id=id type=kind required=required aria-invalid=invalid aria-describedby=described
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id>{move || label.get()}{required.then_some(move || t!(i18n, common.required))}</label>
            {hint.map(|hint| view! { <p class="hint">{move || hint.get()}</p> })}
            {input}
            <p class="field-error" id=error_id(id) role="alert" hidden=move || message().is_none()>{message}</p>
        </div>
    }
}

/// A form-wide error (storage, a removed record) shown above the buttons.
#[component]
pub fn FormAlert(
    /// The form's current error.
    error: RwSignal<Option<FormError>>,
    /// Shows errors that name a field too: for controls that show none of their own (menus,
    /// pickers, tables of inputs).
    #[prop(optional)]
    any_field: bool,
) -> impl IntoView {
    let message = error_text(error, move |e| any_field || e.field.is_none());
    view! { <p class="form-alert" role="alert" hidden=move || message().is_none()>{message}</p> }
}

/// How many members a picker suggests at once.
const SUGGESTIONS: usize = 8;

/// Picks a member by typing part of a name or contact.
#[component]
pub fn MemberPicker(
    /// The DOM id of the search input, unique on the page.
    #[prop(into)]
    id: String,
    /// The visible label.
    #[prop(into)]
    label: TextProp,
    /// The chosen member.
    chosen: RwSignal<Option<MemberId>>,
    /// Members that cannot be chosen (such as current holders).
    #[prop(into, optional)]
    exclude: Signal<Vec<MemberId>>,
    /// Takes each member picked instead of `chosen`, which then stays empty: the picker is
    /// free for the next (a list of invitees).
    #[prop(into, optional)]
    on_pick: Option<Callback<MemberId>>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let search = RwSignal::new(String::new());
    let suggestions = Memo::new(move |_| {
        let needle = search.get().trim().to_lowercase();
        if needle.is_empty() {
            return Vec::new();
        }
        let exclude = exclude.get();
        app.view.members().track();
        app.view.with_untracked(|group| {
            let query = cohort_model::MemberQuery {
                search: needle,
                ..Default::default()
            };
            query
                .run(group)
                .into_iter()
                .filter(|m| !exclude.contains(&m.id))
                .take(SUGGESTIONS)
                .map(|m| (m.id.clone(), m.name.clone(), m.contacts.email.clone()))
                .collect::<Vec<_>>()
        })
    });
    let chosen_name = move || chosen.get().and_then(|id| app.member_name(&id));
    view! {
        <div class="field member-picker">
            <label for=id.clone()>{move || label.get()}</label>
            <Show
                when=move || chosen.get().is_some()
                fallback=move || view! {
                    <input id=id.clone() type="search" autocomplete="off" placeholder=move || t_string!(i18n, common.picker_placeholder)
                        prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                    <ul class="suggestions" role="list">
                        <For each=move || suggestions.get() key=|(id, _, _)| id.clone() let:((member, name, email))>
                            <li>
                                <button type="button" class="suggestion" on:click=move |_| {
                                    match on_pick {
                                        Some(on_pick) => on_pick.run(member.clone()),
                                        None => chosen.set(Some(member.clone())),
                                    }
                                    search.set(String::new());
                                }>
                                    <span>{name}</span>" "<span class="muted">{email}</span>
                                </button>
                            </li>
                        </For>
                    </ul>
                }
            >
                <p class="chosen">
                    <span>{chosen_name}</span>
                    <button type="button" class="link" on:click=move |_| chosen.set(None)>{t!(i18n, common.change)}</button>
                </p>
            </Show>
        </div>
    }
}

/// A menu of a closed set of values; `on_pick` gets the one chosen.
#[component]
pub fn EnumSelect<T>(
    /// The DOM id of the menu.
    #[prop(into)]
    id: String,
    /// The visible label.
    #[prop(into)]
    label: TextProp,
    /// The values offered, in order.
    options: &'static [T],
    /// What a value reads as.
    name: fn(crate::i18n::Locale, T) -> &'static str,
    /// The value shown as chosen, or `None` for the empty first entry.
    #[prop(into)]
    chosen: Signal<Option<T>>,
    /// What the empty first entry reads as; without it there is none.
    #[prop(into, optional)]
    empty: Option<TextProp>,
    /// Takes the value picked (`None`: the empty entry).
    on_pick: Callback<Option<T>>,
) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static + KeyOf,
{
    let i18n = use_i18n();
    view! {
        <div class="field">
            <label for=id.clone()>{move || label.get()}</label>
            // The menu shows the stored value: after a pick it is put back until the stored
            // value changes, so that a refused change (a need declined without a reason) does
            // not stay on screen as if it were kept.
            <select id=id on:change=move |ev| {
                let key = event_target_value(&ev);
                on_pick.run(options.iter().copied().find(|o| o.key_of() == key));
                let select = event_target::<web_sys::HtmlSelectElement>(&ev);
                select.set_value(chosen.get_untracked().map_or("", KeyOf::key_of));
            }>
                {empty.map(|empty| view! { <option value="" prop:selected=move || chosen.get().is_none()>{move || empty.get()}</option> })}
                {options.iter().copied().map(|option| view! {
                    <option value=option.key_of() prop:selected=move || chosen.get() == Some(option)>{move || name(i18n.get_locale(), option)}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

/// The key of a value written in the document (for menus).
pub trait KeyOf {
    fn key_of(self) -> &'static str;
}

macro_rules! key_of {
    ($($t:ty),+) => {
        $(impl KeyOf for $t {
            fn key_of(self) -> &'static str {
                self.key()
            }
        })+
    };
}

key_of!(
    DecisionRole,
    Priority,
    NeedSource,
    NeedStatus,
    ExpectationState,
    SatisfactionScale,
    ContactChannel,
    Stage,
    ApplicationChannel,
    CheckResult
);

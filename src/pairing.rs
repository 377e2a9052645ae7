//! Pairing two devices with no server at all: one shows a code (a QR code and its text)
//! holding a direct connection's offer; the other takes it (pasted, or scanned where the
//! browser has a `BarcodeDetector`), opens the group and shows its answer as a code; the first
//! takes that, and the two browsers connect directly (`crate::direct`). A code expires after
//! ten minutes and is taken once (`cohort_sync::pairing`).

use cohort_model::GroupId;
use cohort_sync::pairing::{LIFETIME_SECS, PairingCode, PairingError, Session};
use cohort_sync::signal::SignalKind;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use qrcode::{EcLevel, QrCode};

use crate::direct::{Call, close, connect, describe, new_call, take_answer};
use crate::i18n::{Locale, t, t_string, td_string, use_i18n};
use crate::scan::ScanCode;
use crate::state::{AppState, keep, now, stored, use_app};

/// Where the offers taken on this device are kept (`<call> <expires at>` a line), so that a
/// code is taken once even after a reload.
const TAKEN_KEY: &str = "cohort-pairing-taken";

/// A code to show: its text, drawn as a QR code, and whom it is from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShownCode {
    pub text: String,
    pub svg: String,
    /// The organizer the answer is for (on the device that made the offer).
    pub for_name: String,
}

impl ShownCode {
    fn of(code: &PairingCode, for_name: String) -> Self {
        let text = code.encode();
        // Low error correction keeps the code small; a phone's screen is not a dirty poster.
        let svg = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L)
            .map(|qr| {
                qr.render::<qrcode::render::svg::Color<'_>>()
                    .min_dimensions(240, 240)
                    .build()
            })
            .unwrap_or_default();
        Self {
            text,
            svg,
            for_name,
        }
    }
}

/// Why pairing did not go ahead, as the organizer reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Code(PairingError),
    /// An answer was pasted where a first code belongs, or the other way round.
    WrongKind(SignalKind),
    /// This device took the code already.
    Taken,
    /// The answer is not for the code shown here (or that code was answered already).
    NotForThisCode,
    Browser(String),
}

/// Why pairing did not go ahead, in the organizer's language.
pub fn problem_text(locale: Locale, problem: &Problem) -> String {
    match problem {
        Problem::Code(PairingError::Expired) => td_string!(locale, pairing.expired).to_owned(),
        Problem::Code(PairingError::Damaged) => td_string!(locale, pairing.damaged).to_owned(),
        Problem::Code(PairingError::Version) => td_string!(locale, pairing.newer).to_owned(),
        Problem::Code(PairingError::NotACode | PairingError::Missing(_)) => {
            td_string!(locale, pairing.not_a_code).to_owned()
        }
        Problem::WrongKind(SignalKind::Answer) => {
            td_string!(locale, pairing.is_an_answer).to_owned()
        }
        Problem::WrongKind(SignalKind::Offer) => td_string!(locale, pairing.is_an_offer).to_owned(),
        Problem::Taken => td_string!(locale, pairing.taken).to_owned(),
        Problem::NotForThisCode => td_string!(locale, pairing.not_for_this_code).to_owned(),
        Problem::Browser(detail) => td_string!(locale, pairing.failed, detail = detail.clone()),
    }
}

fn now_secs() -> u64 {
    now().max(0) as u64 / 1_000
}

fn read(text: &str, kind: SignalKind) -> Result<PairingCode, Problem> {
    let code = PairingCode::decode(text, now_secs()).map_err(Problem::Code)?;
    if code.kind == kind {
        Ok(code)
    } else {
        Err(Problem::WrongKind(code.kind))
    }
}

fn browser_problem(error: &wasm_bindgen::JsValue) -> Problem {
    Problem::Browser(crate::direct::error_text(error))
}

/// Records that this device took the offer; false if it had already.
fn take_once(code: &PairingCode) -> bool {
    let now = now_secs();
    let mut kept: Vec<(u64, u64)> = stored(TAKEN_KEY)
        .lines()
        .filter_map(|line| {
            let (call, expires) = line.split_once(' ')?;
            Some((call.parse().ok()?, expires.parse().ok()?))
        })
        .filter(|(_, expires)| *expires >= now)
        .collect();
    if kept.iter().any(|(call, _)| *call == code.call) {
        return false;
    }
    kept.push((code.call, code.expires_at));
    let lines: Vec<String> = kept.iter().map(|(c, e)| format!("{c} {e}")).collect();
    keep(TAKEN_KEY, &lines.join("\n"));
    true
}

/// The first device: shows a code with its offer for the open group, then takes the answer.
#[component]
pub fn PairDevice(
    /// The open group, which the other device opens.
    group: GroupId,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let shown = RwSignal::new(None::<(ShownCode, u64, u32)>);
    let answer = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<Problem>);
    let connecting = RwSignal::new(None::<String>);
    let show = move |_| {
        problem.set(None);
        connecting.set(None);
        if let Some((_, _, channel)) = shown.get_untracked() {
            close(app, channel);
        }
        leptos::task::spawn_local(async move {
            match offer_code(app, group).await {
                Ok(offer) => shown.set(Some(offer)),
                Err(error) => problem.set(Some(error)),
            }
        });
    };
    let take_answer_typed = move || {
        let Some((_, call, _)) = shown.get_untracked() else {
            return;
        };
        let code = match read(&answer.get_untracked(), SignalKind::Answer) {
            Ok(code) if code.call == call && code.group == group.bytes() => code,
            Ok(_) => return problem.set(Some(Problem::NotForThisCode)),
            Err(error) => return problem.set(Some(error)),
        };
        problem.set(None);
        leptos::task::spawn_local(async move {
            let sdp = code.session.to_sdp(SignalKind::Answer);
            match take_answer(app, "", call, &sdp, &code.name).await {
                Ok(true) => {
                    // Taken: the code cannot be used again, so it goes.
                    shown.set(None);
                    connecting.set(Some(code.name));
                    answer.set(String::new());
                }
                Ok(false) => problem.set(Some(Problem::NotForThisCode)),
                Err(error) => problem.set(Some(browser_problem(&error))),
            }
        });
    };
    let take = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        take_answer_typed();
    };
    view! {
        <section class="pair-device" aria-labelledby="pair-heading">
            <h3 id="pair-heading">{t!(i18n, pairing.heading)}</h3>
            <p class="hint">{t!(i18n, pairing.hint)}</p>
            <button type="button" class="pair-start" on:click=show>
                {move || if shown.with(Option::is_some) { t!(i18n, pairing.new_code).into_any() } else { t!(i18n, pairing.show_code).into_any() }}
            </button>
            {move || shown.get().map(|(code, _, _)| view! { <CodeView code /> })}
            <Show when=move || shown.with(Option::is_some)>
                <form class="pair-answer" on:submit=take novalidate>
                    <label for="pair-answer">{t!(i18n, pairing.answer_label)}</label>
                    <textarea id="pair-answer" rows="3" spellcheck="false" autocomplete="off"
                        prop:value=move || answer.get()
                        on:input=move |ev| answer.set(event_target_value(&ev))></textarea>
                    <ScanCode on_code=Callback::new(move |text| { answer.set(text); take_answer_typed(); }) />
                    <button type="submit" id="pair-connect">{t!(i18n, pairing.connect)}</button>
                </form>
            </Show>
            <p class="pair-message" role="status">
                {move || problem.get().map(|p| problem_text(i18n.get_locale(), &p))}
                {move || connecting.get().map(|name| t_string!(i18n, pairing.connecting, name))}
            </p>
        </section>
    }
}

/// A new connection as `call` says, and its description as a code for `group`: an offer, or
/// the answer to `offer`. With the connection's channel.
async fn described(
    app: AppState,
    call: Call,
    group: [u8; 16],
    offer: Option<&PairingCode>,
) -> Result<(PairingCode, u32), Problem> {
    let kind = if call.offered {
        SignalKind::Offer
    } else {
        SignalKind::Answer
    };
    let number = call.call;
    let (channel, pc) = connect(app, call).map_err(|error| browser_problem(&error))?;
    let remote = offer.map(|offer| offer.session.to_sdp(SignalKind::Offer));
    let session = describe(&pc, remote.as_deref())
        .await
        .map_err(|error| browser_problem(&error))
        .and_then(|sdp| Session::from_sdp(&sdp).map_err(Problem::Code));
    match session {
        Ok(session) => {
            let code = PairingCode {
                kind,
                group,
                call: number,
                expires_at: now_secs() + LIFETIME_SECS,
                name: app.display_name.get_untracked(),
                session,
            };
            Ok((code, channel))
        }
        Err(problem) => {
            close(app, channel);
            Err(problem)
        }
    }
}

/// A new connection's offer, as a code for `group`: the code, its call and its channel.
async fn offer_code(app: AppState, group: GroupId) -> Result<(ShownCode, u64, u32), Problem> {
    let call = Call {
        peer: String::new(),
        call: new_call(),
        name: String::new(),
        offered: true,
    };
    let (code, channel) = described(app, call, group.bytes(), None).await?;
    Ok((ShownCode::of(&code, String::new()), code.call, channel))
}

/// A code drawn as a QR code, with its text to copy.
#[component]
fn CodeView(
    /// The code shown.
    code: ShownCode,
) -> impl IntoView {
    let i18n = use_i18n();
    let length = code.text.chars().count();
    view! {
        <figure class="pairing-code">
            <div class="qr" role="img" aria-label=move || t_string!(i18n, pairing.qr_label) inner_html=code.svg></div>
            <figcaption>
                <textarea class="code-text" readonly rows="4" spellcheck="false"
                    aria-label=move || t_string!(i18n, pairing.code_text)
                    on:focus=|ev| {
                        use wasm_bindgen::JsCast;
                        if let Some(area) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) {
                            area.select();
                        }
                    }
                    prop:value=code.text></textarea>
                <span class="hint">{move || t_string!(i18n, pairing.code_hint, length)}</span>
            </figcaption>
        </figure>
    }
}

/// The second device: takes a first code, opens its group and shows the answer to it.
#[component]
pub fn TakePairingCode() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let typed = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<Problem>);
    let navigate = StoredValue::new(use_navigate());
    let take_typed = move || {
        let code = match read(&typed.get_untracked(), SignalKind::Offer) {
            Ok(code) if take_once(&code) => code,
            Ok(_) => return problem.set(Some(Problem::Taken)),
            Err(error) => return problem.set(Some(error)),
        };
        problem.set(None);
        typed.set(String::new());
        let group = GroupId::from_bytes(code.group);
        // The group opens first (from this device, or fetched over the connection), so that
        // the worker syncs it as soon as the channel opens.
        navigate
            .with_value(|navigate| navigate(&format!("/g/{group}/members"), Default::default()));
        leptos::task::spawn_local(async move {
            match answer_code(app, code).await {
                Ok(shown) => app.pairing_answer.set(Some(shown)),
                Err(error) => app.alert.set(Some(crate::words::Notice::Pairing(error))),
            }
        });
    };
    let take = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        take_typed();
    };
    view! {
        <section class="card pair-take" aria-labelledby="pair-take-heading">
            <h2 id="pair-take-heading">{t!(i18n, pairing.take_heading)}</h2>
            <p class="hint">{t!(i18n, pairing.take_hint)}</p>
            <form on:submit=take novalidate>
                <label for="pair-code">{t!(i18n, pairing.code_label)}</label>
                <textarea id="pair-code" rows="3" spellcheck="false" autocomplete="off"
                    prop:value=move || typed.get()
                    on:input=move |ev| { typed.set(event_target_value(&ev)); problem.set(None); }
                    aria-invalid=move || problem.with(Option::is_some).to_string()
                    aria-describedby="pair-code-error"></textarea>
                <p id="pair-code-error" class="field-error" hidden=move || problem.with(Option::is_none)>
                    {move || problem.get().map(|p| problem_text(i18n.get_locale(), &p))}
                </p>
                <ScanCode on_code=Callback::new(move |text| { typed.set(text); take_typed(); }) />
                <button type="submit" id="pair-use">{t!(i18n, pairing.use_code)}</button>
            </form>
        </section>
    }
}

/// The answer to an offer taken from a code, as a code.
async fn answer_code(app: AppState, offer: PairingCode) -> Result<ShownCode, Problem> {
    let call = Call {
        peer: String::new(),
        call: offer.call,
        name: offer.name.clone(),
        offered: false,
    };
    let (answer, _) = described(app, call, offer.group, Some(&offer)).await?;
    Ok(ShownCode::of(&answer, offer.name))
}

/// The answer code this device shows, over any page, until a direct connection opens (see
/// `AppState::receive`) or the organizer closes it.
#[component]
pub fn PairingAnswer() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    move || {
        app.pairing_answer.get().map(|code| {
            let heading = if code.for_name.is_empty() {
                t_string!(i18n, pairing.answer_heading_nameless).to_owned()
            } else {
                t_string!(i18n, pairing.answer_heading, name = code.for_name.clone())
            };
            view! {
                <section class="card pairing-answer" role="dialog" aria-labelledby="pairing-answer-heading">
                    <h2 id="pairing-answer-heading">{heading}</h2>
                    <p class="hint">{t!(i18n, pairing.answer_hint)}</p>
                    <CodeView code />
                    <button type="button" class="pair-close" on:click=move |_| app.pairing_answer.set(None)>
                        {t!(i18n, pairing.close)}
                    </button>
                </section>
            }
        })
    }
}

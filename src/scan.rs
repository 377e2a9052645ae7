//! Scanning a QR code with the camera, where the browser has `BarcodeDetector` (Chrome on
//! Android and macOS; not Chrome on Linux or Windows, nor Firefox): elsewhere the code's text is
//! pasted. `BarcodeDetector` is not in web-sys's stable API, so it is called through
//! `js_sys::Reflect`.

use js_sys::{Array, Function, Object, Promise, Reflect};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, MediaStream, MediaStreamConstraints, MediaStreamTrack};

use crate::i18n::{t, use_i18n};

/// How often a frame of the camera is looked at.
const LOOK_EVERY_MS: i32 = 250;

/// Whether this browser can scan a QR code with a camera.
fn can_scan() -> bool {
    Reflect::has(&window(), &"BarcodeDetector".into()).unwrap_or(false)
        && window().navigator().media_devices().is_ok()
}

async fn pause(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

/// Shows the back camera in `video` until a QR code is in sight (its text) or `stop` is set.
async fn scan(video: &HtmlVideoElement, stop: RwSignal<bool>) -> Result<Option<String>, JsValue> {
    let constraints = MediaStreamConstraints::new();
    let facing = Object::new();
    Reflect::set(&facing, &"facingMode".into(), &"environment".into())?;
    constraints.set_video(&facing);
    let devices = window().navigator().media_devices()?;
    let stream: MediaStream =
        JsFuture::from(devices.get_user_media_with_constraints(&constraints)?)
            .await?
            .dyn_into()?;
    video.set_src_object(Some(&stream));
    let found = detect_in(video, stop).await;
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
            track.stop();
        }
    }
    video.set_src_object(None);
    found
}

async fn detect_in(
    video: &HtmlVideoElement,
    stop: RwSignal<bool>,
) -> Result<Option<String>, JsValue> {
    JsFuture::from(video.play()?).await?;
    let class: Function = Reflect::get(&window(), &"BarcodeDetector".into())?.dyn_into()?;
    let options = Object::new();
    Reflect::set(&options, &"formats".into(), &Array::of1(&"qr_code".into()))?;
    let detector = Reflect::construct(&class, &Array::of1(&options))?;
    let detect: Function = Reflect::get(&detector, &"detect".into())?.dyn_into()?;
    while !stop.get_untracked() {
        let seen: Promise = detect.call1(&detector, video)?.dyn_into()?;
        let codes = Array::from(&JsFuture::from(seen).await?);
        let text = codes
            .iter()
            .find_map(|code| Reflect::get(&code, &"rawValue".into()).ok()?.as_string());
        if text.is_some() {
            return Ok(text);
        }
        pause(LOOK_EVERY_MS).await;
    }
    Ok(None)
}

/// A button that scans a QR code with the camera and hands over its text; nothing where the
/// browser cannot.
#[component]
pub fn ScanCode(
    /// Called with the text of the code scanned.
    on_code: Callback<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let scanning = RwSignal::new(false);
    let failed = RwSignal::new(None::<String>);
    let video = NodeRef::<leptos::html::Video>::new();
    let stop = RwSignal::new(false);
    let start = {
        move |_| {
            failed.set(None);
            stop.set(false);
            scanning.set(true);
            leptos::task::spawn_local(async move {
                // The video element is drawn once `scanning` is set.
                crate::state::next_turn().await;
                let Some(element) = video.get_untracked() else {
                    return scanning.set(false);
                };
                let element: HtmlVideoElement = element.unchecked_into();
                match scan(&element, stop).await {
                    Ok(Some(text)) => on_code.run(text),
                    Ok(None) => {}
                    Err(error) => failed.set(Some(crate::direct::error_text(&error))),
                }
                scanning.set(false);
            });
        }
    };
    let cancel = move |_| stop.set(true);
    can_scan().then(|| {
        view! {
            <div class="scan-code">
                <Show
                    when=move || scanning.get()
                    fallback=move || view! {
                        <button type="button" class="scan-start" on:click=start>
                            {t!(i18n, pairing.scan)}
                        </button>
                    }
                >
                    <video node_ref=video class="scan-video" autoplay=true playsinline=true muted=true></video>
                    <button type="button" class="scan-stop" on:click=cancel>{t!(i18n, pairing.stop_scan)}</button>
                </Show>
                <p class="field-error" hidden=move || failed.with(Option::is_none)>
                    {move || failed.get()}
                </p>
            </div>
        }
    })
}

//! Files the organizer picks and files the app hands them: reading a chosen file, and saving
//! one the worker made (an export, a backup) through the browser's downloads.

use cohort_model::protocol::{Download, Failure};
use cohort_model::sheet::{self, SheetError};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::words::Notice;

/// The first file chosen in a file input's change event, if any.
pub fn chosen(event: &leptos::ev::Event) -> Option<web_sys::File> {
    let input: web_sys::HtmlInputElement = event_target(event);
    let file = input.files().and_then(|files| files.get(0));
    // Choosing the same file again must fire `change` again.
    input.set_value("");
    file
}

/// A chosen file's bytes. One larger than any list the import reads is refused before it is
/// read, so a 50 MB file costs nothing.
pub async fn read(file: &web_sys::File) -> Result<Vec<u8>, Notice> {
    let size = file.size() as usize;
    if size > sheet::MAX_BYTES {
        return Err(Failure::Sheet(SheetError::TooLarge { bytes: size }).into());
    }
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| Notice::FileUnreadable)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Hands a file to the browser's downloads.
pub fn save(file: &Download) -> Result<(), Notice> {
    let failed = |_| Notice::FileUnreadable;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(file.bytes.as_slice()));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(&file.mime);
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(failed)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let link: web_sys::HtmlAnchorElement = document()
        .create_element("a")
        .map_err(failed)?
        .unchecked_into();
    link.set_href(&url);
    link.set_download(&file.name);
    link.click();
    // The download has started from the URL: it can go once this task is over.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    let _ = window().set_timeout_with_callback(revoke.unchecked_ref());
    Ok(())
}

//! Files the organizer picks and files the app hands them: reading a chosen file, reading and
//! writing spreadsheets in the spreadsheet worker (`crates/sheets`, started on first use), and
//! saving a file (an export, a backup) through the browser's downloads.

use cohort_model::protocol::{self, Download, Failure};
use cohort_model::sheet::{self, FileDone, FileWork, SheetError, Table, TableFile};
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

/// The spreadsheet worker, started the first time an organizer imports or exports.
struct Sheets {
    worker: web_sys::Worker,
    /// Work asked for before the worker said it was ready, to post once it is.
    unsent: Option<Vec<js_sys::Uint8Array>>,
    next: u32,
    waiting: std::collections::HashMap<u32, futures_channel::oneshot::Sender<FileDone>>,
    _on_message: wasm_bindgen::closure::Closure<dyn Fn(web_sys::MessageEvent)>,
}

thread_local! {
    static SHEETS: std::cell::RefCell<Option<Sheets>> = const { std::cell::RefCell::new(None) };
}

/// Where the spreadsheet worker's code is (Trunk's loader for `crates/sheets`).
const SHEETS_URL: &str = "/cohort-sheets_loader.js";

fn start_sheets() -> Result<Sheets, Notice> {
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    let worker = web_sys::Worker::new_with_options(SHEETS_URL, &options)
        .map_err(|_| Notice::from(Failure::WorkerDown))?;
    let on_message = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::MessageEvent)>::new(
        |event: web_sys::MessageEvent| {
            let bytes = js_sys::Uint8Array::new(&event.data()).to_vec();
            if bytes.is_empty() {
                // Ready: what waited goes now.
                SHEETS.with_borrow_mut(|sheets| {
                    if let Some(sheets) = sheets.as_mut() {
                        for message in sheets.unsent.take().unwrap_or_default() {
                            let _ = post(&sheets.worker, &message);
                        }
                    }
                });
                return;
            }
            let Ok((seq, done)) = protocol::decode::<(u32, FileDone)>(&bytes) else {
                return;
            };
            let waiting = SHEETS.with_borrow_mut(|sheets| {
                sheets
                    .as_mut()
                    .and_then(|sheets| sheets.waiting.remove(&seq))
            });
            if let Some(waiting) = waiting {
                let _ = waiting.send(done);
            }
        },
    );
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    Ok(Sheets {
        worker,
        unsent: Some(Vec::new()),
        next: 1,
        waiting: std::collections::HashMap::new(),
        _on_message: on_message,
    })
}

fn post(worker: &web_sys::Worker, message: &js_sys::Uint8Array) -> Result<(), Notice> {
    worker
        .post_message_with_transfer(message, &js_sys::Array::of1(&message.buffer()))
        .map_err(|_| Notice::Failure(Failure::WorkerDown))
}

/// Starts the spreadsheet worker unless it runs: its wasm is fetched and compiled while the
/// organizer looks at the import and export page, not after they click.
pub fn warm_up() -> Result<(), Notice> {
    SHEETS.with_borrow_mut(|sheets| {
        if sheets.is_none() {
            *sheets = Some(start_sheets()?);
        }
        Ok(())
    })
}

/// Has the spreadsheet worker do `work`, off the page's thread.
pub async fn work(work: FileWork) -> Result<FileDone, Notice> {
    warm_up()?;
    let receiver = SHEETS.with_borrow_mut(|sheets| {
        let sheets = sheets
            .as_mut()
            .ok_or(Notice::Failure(Failure::WorkerDown))?;
        let seq = sheets.next;
        sheets.next += 1;
        let (sender, receiver) = futures_channel::oneshot::channel();
        sheets.waiting.insert(seq, sender);
        let message = js_sys::Uint8Array::from(protocol::encode(&(seq, work)).as_slice());
        match sheets.unsent.as_mut() {
            Some(unsent) => unsent.push(message),
            None => post(&sheets.worker, &message)?,
        }
        Ok::<_, Notice>(receiver)
    })?;
    receiver
        .await
        .map_err(|_| Notice::Failure(Failure::WorkerDown))
}

/// Reads a chosen file as a table, in the spreadsheet worker.
pub async fn read_table(file: &web_sys::File) -> Result<Table, Notice> {
    let bytes = read(file).await?;
    match work(FileWork::Read(bytes)).await? {
        FileDone::Read(table) => table.map_err(|error| Failure::Sheet(error).into()),
        FileDone::Written(_) => Err(Notice::FileUnreadable),
    }
}

/// Writes tables as a file, in the spreadsheet worker: a CSV file of the first, or a
/// workbook of them all, named after the group.
pub async fn write_tables(
    stem: &str,
    format: TableFile,
    sheets: Vec<sheet::Sheet>,
) -> Result<Download, Notice> {
    let (name, mime) = match format {
        TableFile::Csv => (
            format!(
                "{stem}-{}.csv",
                sheets.first().map(|s| s.name.as_str()).unwrap_or_default()
            ),
            "text/csv",
        ),
        TableFile::Xlsx => (
            format!("{stem}.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    match work(FileWork::Write { format, sheets }).await? {
        FileDone::Written(Ok(bytes)) => Ok(Download {
            name,
            mime: mime.to_owned(),
            bytes,
        }),
        FileDone::Written(Err(error)) => Err(Failure::Document(error).into()),
        FileDone::Read(_) => Err(Notice::FileUnreadable),
    }
}

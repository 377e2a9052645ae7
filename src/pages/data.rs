//! The open group's data in and out: members imported from a spreadsheet after a preview,
//! tables exported as CSV or XLSX, the group as JSON, and backups downloaded and merged. The
//! worker reads and writes the files; this page shows what it found and asks.

use cohort_model::MemberId;
use cohort_model::protocol::{Answer, ExportFile, Request};
use cohort_model::sheet::{
    Column, Export, ImportCounts, OnMatch, RowPreview, SheetPreview, Table, TableFile,
};
use leptos::prelude::*;

use super::{WhenShown, number, use_page_title};
use crate::forms::notice_text;
use crate::i18n::{Locale, t, t_string, td_string, use_i18n};
use crate::state::{now, use_app};
use crate::words::{self, Notice};

/// Rows listed by name in each list of the preview; the rest are counted.
const LISTED: usize = 20;

/// The import, export and backup page of the open group.
#[component]
pub fn DataPage() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, data.title).to_owned());
    // A worker that cannot start says so when a file is read or written.
    let _ = crate::files::warm_up();
    view! {
        <WhenShown>
            <article class="data">
                <header class="page-header"><h1>{t!(i18n, data.title)}</h1></header>
                <ImportMembers />
                <ExportGroup />
                <BackUpGroup />
            </article>
        </WhenShown>
    }
}

/// The value a column's menu stores for a choice: its place in the menu.
fn column_key(column: Option<Column>) -> String {
    column
        .and_then(|column| words::COLUMNS.iter().position(|c| *c == column))
        .map_or_else(String::new, |index| index.to_string())
}

fn column_from_key(key: &str) -> Option<Column> {
    key.parse::<usize>()
        .ok()
        .and_then(|index| words::COLUMNS.get(index).copied())
}

/// How the rows of a preview divide.
#[derive(Clone, Copy, Default)]
struct Tally {
    new: usize,
    matching: usize,
    repeats: usize,
    bad: usize,
}

fn tally(preview: &SheetPreview) -> Tally {
    let mut tally = Tally::default();
    for row in &preview.rows {
        match (&row.member, row.repeats_row, row.matches.is_empty()) {
            (Err(_), _, _) => tally.bad += 1,
            (Ok(_), Some(_), _) => tally.repeats += 1,
            (Ok(_), None, true) => tally.new += 1,
            (Ok(_), None, false) => tally.matching += 1,
        }
    }
    tally
}

/// Members from a spreadsheet: pick a file, check the preview, choose, import.
#[component]
fn ImportMembers() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let table = StoredValue::new(None::<Table>);
    let preview = RwSignal::new(None::<SheetPreview>);
    let on_match = RwSignal::new(OnMatch::Update);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Notice>);
    let imported = RwSignal::new(None::<ImportCounts>);
    let message = notice_text(error);

    let ask_preview = move |columns: Option<Vec<Option<Column>>>| {
        let Some(read) = table.get_value() else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let words = words::sheet_words(i18n.get_locale_untracked());
            let answer = app
                .request(Request::PreviewSheet {
                    table: read,
                    columns,
                    words,
                })
                .await;
            busy.set(false);
            match answer {
                Ok(Answer::SheetPreview(found)) => {
                    error.set(None);
                    preview.set(Some(found));
                }
                Ok(_) => {}
                Err(failure) => {
                    preview.set(None);
                    error.set(Some(failure.into()));
                }
            }
        });
    };
    let choose_file = move |event: leptos::ev::Event| {
        let Some(file) = crate::files::chosen(&event) else {
            return;
        };
        imported.set(None);
        preview.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            match crate::files::read_table(&file).await {
                Ok(read) => {
                    table.set_value(Some(read));
                    ask_preview(None);
                }
                Err(notice) => {
                    busy.set(false);
                    error.set(Some(notice));
                }
            }
        });
    };
    let choose_column = move |index: usize, key: String| {
        let Some(mut columns) = preview.with_untracked(|p| p.as_ref().map(|p| p.columns.clone()))
        else {
            return;
        };
        let column = column_from_key(&key);
        // A field comes from one column: choosing it here takes it from any other.
        for other in columns.iter_mut() {
            if column.is_some() && *other == column {
                *other = None;
            }
        }
        if let Some(slot) = columns.get_mut(index) {
            *slot = column;
        }
        ask_preview(Some(columns));
    };
    let import = move |_| {
        let (Some(read), Some(columns)) = (
            table.get_value(),
            preview.with_untracked(|p| p.as_ref().map(|p| p.columns.clone())),
        ) else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let words = words::sheet_words(i18n.get_locale_untracked());
            let answer = app
                .request(Request::ImportSheet {
                    table: read,
                    columns,
                    on_match: on_match.get_untracked(),
                    words,
                    at: now(),
                })
                .await;
            busy.set(false);
            match answer {
                Ok(Answer::Imported(counts)) => {
                    error.set(None);
                    preview.set(None);
                    table.set_value(None);
                    imported.set(Some(counts));
                }
                Ok(_) => {}
                Err(failure) => error.set(Some(failure.into())),
            }
        });
    };
    let name_of = move |id: &MemberId| app.member_name(id).unwrap_or_default();
    let summary = move || {
        preview.with(|p| {
            p.as_ref().map(|p| {
                let tally = tally(p);
                t_string!(
                    i18n,
                    data.summary,
                    format = &p.format,
                    rows = number(p.rows.len()),
                    new = number(tally.new),
                    matching = number(tally.matching),
                    repeats = number(tally.repeats),
                    bad = number(tally.bad)
                )
            })
        })
    };
    let columns = move || {
        preview.with(|p| {
            p.as_ref()
                .map(|p| {
                    p.header
                        .iter()
                        .cloned()
                        .zip(p.columns.iter().copied())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    // The lines a kind of row makes in the preview: the first ones, and how many more.
    let lines_of = move |line: &dyn Fn(&RowPreview, Locale) -> Option<String>| {
        let locale = i18n.get_locale();
        preview.with(|p| {
            let Some(p) = p else { return (Vec::new(), 0) };
            let lines: Vec<String> = p.rows.iter().filter_map(|row| line(row, locale)).collect();
            let more = lines.len().saturating_sub(LISTED);
            (lines.into_iter().take(LISTED).collect(), more)
        })
    };
    let problems = move || {
        lines_of(&|row, locale| match (&row.member, row.repeats_row) {
            (Err(invalid), _) => Some(t_string!(
                i18n,
                data.bad_row,
                row = row.row,
                reason = words::invalid(locale, invalid)
            )),
            (Ok(_), Some(first)) => Some(t_string!(i18n, data.repeat_row, row = row.row, first)),
            _ => None,
        })
    };
    let alike = move || {
        lines_of(&|row, locale| {
            if row.repeats_row.is_some() || !row.matches.is_empty() {
                return None;
            }
            let (id, on) = row.alike.first()?;
            Some(t_string!(
                i18n,
                data.alike_row,
                row = row.row,
                name = name_of(id),
                on = super::duplicates::likeness(locale, &[*on].into())
            ))
        })
    };
    let matches = move || {
        lines_of(&|row, locale| {
            if row.repeats_row.is_some() {
                return None;
            }
            let (id, on) = row.matches.first()?;
            Some(t_string!(
                i18n,
                data.match_row,
                row = row.row,
                name = name_of(id),
                on = words::matched_on(locale, *on)
            ))
        })
    };
    let listed = move |(lines, more): (Vec<String>, usize)| {
        view! {
            <ul class="preview-list" role="list">
                {lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                {(more > 0).then(|| view! { <li class="muted">{t_string!(i18n, data.more, n = number(more))}</li> })}
            </ul>
        }
    };
    let importable = move || {
        preview.with(|p| {
            p.as_ref().is_some_and(|p| {
                let tally = tally(p);
                tally.new + tally.matching > 0
            })
        })
    };
    view! {
        <section class="card import-members" aria-labelledby="import-heading">
            <h2 id="import-heading">{t!(i18n, data.import_heading)}</h2>
            <p class="hint">{t!(i18n, data.import_hint)}</p>
            <div class="field">
                <label for="sheet-file">{t!(i18n, data.file)}</label>
                <input id="sheet-file" type="file" disabled=move || busy.get()
                    accept=".csv,.xlsx,.xls,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.ms-excel"
                    on:change=choose_file />
            </div>
            <p role="status" class="import-status">
                {move || busy.get().then(|| t_string!(i18n, data.reading))}
                {move || imported.get().map(|c| t_string!(i18n, data.imported,
                    added = number(c.added), updated = number(c.updated),
                    skipped = number(c.skipped), refused = number(c.refused)))}
            </p>
            <p class="form-alert" role="alert" hidden=move || error.with(Option::is_none)>{message}</p>
            <Show when=move || preview.with(Option::is_some)>
                <p class="preview-summary">{summary}</p>
                <fieldset class="columns">
                    <legend>{t!(i18n, data.columns)}</legend>
                    <div class="form-grid">
                        {move || columns().into_iter().enumerate().map(|(index, (header, column))| {
                            let id = format!("column-{index}");
                            view! {
                                <div class="field">
                                    <label for=id.clone()>{t_string!(i18n, data.column_of, header)}</label>
                                    <select id=id prop:value=column_key(column)
                                        on:change=move |ev| choose_column(index, event_target_value(&ev))>
                                        <option value="">{t!(i18n, data.not_imported)}</option>
                                        {words::COLUMNS.map(|choice| view! {
                                            <option value=column_key(Some(choice)) selected=column == Some(choice)>
                                                {move || words::column(i18n.get_locale(), choice)}
                                            </option>
                                        })}
                                    </select>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
                <div class="field">
                    <label for="on-match">{t!(i18n, data.on_match)}</label>
                    <select id="on-match" on:change=move |ev| on_match.set(match event_target_value(&ev).as_str() {
                        "skip" => OnMatch::Skip,
                        "add" => OnMatch::Add,
                        _ => OnMatch::Update,
                    })>
                        <option value="update">{t!(i18n, data.on_match_update)}</option>
                        <option value="skip">{t!(i18n, data.on_match_skip)}</option>
                        <option value="add">{t!(i18n, data.on_match_add)}</option>
                    </select>
                </div>
                <Show when=move || !problems().0.is_empty()>
                    <h3>{t!(i18n, data.bad_rows)}</h3>
                    <div class="bad-rows">{move || listed(problems())}</div>
                </Show>
                <Show when=move || !matches().0.is_empty()>
                    <h3>{t!(i18n, data.matches)}</h3>
                    <div class="matching-rows">{move || listed(matches())}</div>
                </Show>
                <Show when=move || !alike().0.is_empty()>
                    <h3>{t!(i18n, data.alike)}</h3>
                    <div class="alike-rows">{move || listed(alike())}</div>
                </Show>
                <div class="actions">
                    <button type="button" class="primary" disabled=move || busy.get() || !importable() on:click=import>
                        {move || if busy.get() { t_string!(i18n, data.importing) } else { t_string!(i18n, data.confirm) }}
                    </button>
                </div>
            </Show>
        </section>
    }
}

/// Asks the worker for a file, in the organizer's `words`, and hands it to the browser's
/// downloads.
fn download(
    app: crate::state::AppState,
    file: ExportFile,
    words: cohort_model::sheet::Words,
    busy: RwSignal<bool>,
    error: RwSignal<Option<Notice>>,
) {
    busy.set(true);
    leptos::task::spawn_local(async move {
        let answer = app.request(Request::Export { file, words }).await;
        busy.set(false);
        let format = match file {
            ExportFile::Xlsx => TableFile::Xlsx,
            _ => TableFile::Csv,
        };
        let saved = match answer {
            Ok(Answer::File(download)) => crate::files::save(&download),
            Ok(Answer::Tables { stem, sheets }) => {
                match crate::files::write_tables(&stem, format, sheets).await {
                    Ok(download) => crate::files::save(&download),
                    Err(notice) => Err(notice),
                }
            }
            Ok(_) => Ok(()),
            Err(failure) => Err(failure.into()),
        };
        error.set(saved.err());
    });
}

/// Tables as CSV, the three as one workbook, the group as JSON.
#[component]
fn ExportGroup() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Notice>);
    let message = notice_text(error);
    let button = move |file: ExportFile, class: &'static str, label: fn(Locale) -> &'static str| {
        view! {
            <button type="button" class=class disabled=move || busy.get()
                on:click=move |_| download(app, file, words::sheet_words(i18n.get_locale_untracked()), busy, error)>
                {move || label(i18n.get_locale())}
            </button>
        }
    };
    view! {
        <section class="card export-group" aria-labelledby="export-heading">
            <h2 id="export-heading">{t!(i18n, data.export_heading)}</h2>
            <p class="hint">{t!(i18n, data.export_hint)}</p>
            <div class="actions">
                {button(ExportFile::Csv(Export::Members), "export-members-csv", |l| td_string!(l, data.members_csv))}
                {button(ExportFile::Csv(Export::Roles), "export-roles-csv", |l| td_string!(l, data.roles_csv))}
                {button(ExportFile::Csv(Export::Feedback), "export-feedback-csv", |l| td_string!(l, data.feedback_csv))}
                {button(ExportFile::Xlsx, "export-xlsx", |l| td_string!(l, data.workbook))}
                {button(ExportFile::Json, "export-json", |l| td_string!(l, data.json))}
            </div>
            <p role="status">{move || busy.get().then(|| t_string!(i18n, data.preparing))}</p>
            <p class="form-alert" role="alert" hidden=move || error.with(Option::is_none)>{message}</p>
        </section>
    }
}

/// A backup of the group to download, and a backup to merge in.
#[component]
fn BackUpGroup() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let busy = RwSignal::new(false);
    let merged = RwSignal::new(false);
    let error = RwSignal::new(None::<Notice>);
    let message = notice_text(error);
    let merge = move |event: leptos::ev::Event| {
        let Some(file) = crate::files::chosen(&event) else {
            return;
        };
        merged.set(false);
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = match crate::files::read(&file).await {
                Ok(bytes) => app
                    .request(Request::MergeBackup { bytes })
                    .await
                    .map_err(Notice::from),
                Err(notice) => Err(notice),
            };
            busy.set(false);
            merged.set(result.is_ok());
            error.set(result.err());
        });
    };
    view! {
        <section class="card backup-group" aria-labelledby="backup-heading">
            <h2 id="backup-heading">{t!(i18n, data.backup_heading)}</h2>
            <p class="hint">{t!(i18n, data.backup_hint)}</p>
            <div class="actions">
                <button type="button" class="export-backup" disabled=move || busy.get()
                    on:click=move |_| download(app, ExportFile::Backup, words::sheet_words(i18n.get_locale_untracked()), busy, error)>{t!(i18n, data.backup)}</button>
            </div>
            <div class="field">
                <label for="merge-file">{t!(i18n, data.restore)}</label>
                <input id="merge-file" type="file" accept=".automerge,application/octet-stream"
                    disabled=move || busy.get() on:change=merge />
            </div>
            <p role="status">{move || merged.get().then(|| t_string!(i18n, data.merged))}</p>
            <p class="form-alert" role="alert" hidden=move || error.with(Option::is_none)>{message}</p>
        </section>
    }
}

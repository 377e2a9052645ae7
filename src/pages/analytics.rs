//! The analytics section: every figure of [`analytics::report`], worked out by the worker
//! (off this thread: at 10,000 members it takes longer than a frame), drawn as SVG charts,
//! each with the equivalent table and a CSV download; members at risk with the reasons that
//! flag them and one tap to log a contact; the settings of the figures.
//!
//! The charts are hand-drawn SVG (bars, stacked bars, lines, a heat grid): a charting crate
//! would bring its own drawing backend for four shapes the page draws in a few lines each.

use cohort_model::analytics::{self, Reason, Report, Setting};
use cohort_model::protocol::{Answer, Request};
use cohort_model::sheet::{Sheet, TableFile};
use cohort_model::{Action, FeedbackStatus, GroupStoreFields, MemberId, MemberStatus};
use leptos::prelude::*;
use leptos_router::components::A;

use super::{Deferred, WhenShown, moment, percent, use_page_title};
use crate::forms::{FormAlert, FormError};
use crate::i18n::{Locale, t, t_string, td_string, use_i18n};
use crate::sections::Section;
use crate::state::{AppState, use_app};
use crate::words::{self, Notice};

/// The drawing's size in SVG units.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 10.0;

/// Makes a figure's table and chart from the report, in a language, with the months' labels.
type MakeFigure = fn(&Report, Locale, Vec<String>) -> (Sheet, Option<Chart>);

/// How a figure's numbers are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// A bar per series side by side, per label.
    Bars,
    /// The series stacked in one bar per label.
    Stacked,
    /// A line per series.
    Lines,
    /// A grid of shares (0 to 1), a row per series.
    Heat,
}

/// A chart: its kind, the labels along it, and each series with its values.
#[derive(Clone, Debug, PartialEq)]
struct Chart {
    kind: Kind,
    labels: Vec<String>,
    /// Each series' values; `NaN` where it has none (a line skips it).
    series: Vec<(String, Vec<f64>)>,
    /// The values' range, when not from 0 to the largest.
    range: Option<(f64, f64)>,
}

/// A number as a table cell: whole numbers without decimals.
fn cell(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn share(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), percent)
}

/// A `YYYY-MM` month as the organizer reads it: "Nov 2026", "2026年11月".
fn month_label(key: &str) -> String {
    let mut parts = key.split('-').filter_map(|p| p.parse::<i32>().ok());
    match (parts.next(), parts.next()) {
        (Some(year), Some(month)) => {
            let at = js_sys::Date::new_with_year_month_day(year as u32, month - 1, 1);
            super::month(at.get_time() as cohort_model::Millis)
        }
        _ => key.to_owned(),
    }
}

/// The same chart drawn in SVG, with the numbers in each shape's tooltip.
fn draw(chart: &Chart, label: String) -> impl IntoView + use<> {
    let n = chart.labels.len().max(1) as f64;
    let plot_w = WIDTH - LEFT - 8.0;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let step = plot_w / n;
    let computed_max = match chart.kind {
        Kind::Stacked => (0..chart.labels.len())
            .map(|i| {
                chart
                    .series
                    .iter()
                    .map(|(_, v)| v.get(i).copied().unwrap_or(0.0))
                    .sum::<f64>()
            })
            .fold(0.0, f64::max),
        Kind::Heat => 1.0,
        _ => chart
            .series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .filter(|v| !v.is_nan())
            .fold(0.0, f64::max),
    }
    .max(1e-9);
    let (min, max) = chart.range.unwrap_or((0.0, computed_max));
    let y = move |value: f64| TOP + plot_h - (value - min) / (max - min) * plot_h;
    let shapes = match chart.kind {
        Kind::Bars => {
            let width = step * 0.8 / chart.series.len().max(1) as f64;
            chart
                .series
                .iter()
                .enumerate()
                .flat_map(|(s, (name, values))| {
                    values.iter().enumerate().map(move |(i, v)| {
                        let x = LEFT + step * i as f64 + step * 0.1 + width * s as f64;
                        view! { <rect class=format!("series-{s}") x=x y=y(*v) width=width height=(TOP + plot_h - y(*v)).max(0.0)><title>{format!("{name}: {}", cell(*v))}</title></rect> }.into_any()
                    })
                })
                .collect::<Vec<_>>()
        }
        Kind::Stacked => {
            let mut base = vec![0.0; chart.labels.len()];
            let mut shapes = Vec::new();
            for (s, (name, values)) in chart.series.iter().enumerate() {
                for (i, v) in values.iter().enumerate() {
                    let x = LEFT + step * i as f64 + step * 0.1;
                    let top = y(base[i] + v);
                    let height = y(base[i]) - top;
                    base[i] += v;
                    shapes.push(view! { <rect class=format!("series-{s}") x=x y=top width=step * 0.8 height=height.max(0.0)><title>{format!("{name}: {}", cell(*v))}</title></rect> }.into_any());
                }
            }
            shapes
        }
        Kind::Lines => chart
            .series
            .iter()
            .enumerate()
            .map(|(s, (name, values))| {
                let points = values
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| !v.is_nan())
                    .map(|(i, v)| format!("{:.1},{:.1}", LEFT + step * (i as f64 + 0.5), y(*v)))
                    .collect::<Vec<_>>()
                    .join(" ");
                view! { <polyline class=format!("line series-{s}") points=points fill="none"><title>{name.clone()}</title></polyline> }.into_any()
            })
            .collect(),
        Kind::Heat => {
            let rows = chart.series.len().max(1) as f64;
            let h = plot_h / rows;
            chart
                .series
                .iter()
                .enumerate()
                .flat_map(|(r, (name, values))| {
                    values.iter().enumerate().map(move |(i, v)| {
                        view! {
                            <rect class="heat" x=LEFT + step * i as f64 y=TOP + h * r as f64 width=step - 1.0 height=h - 1.0 fill-opacity=0.1 + 0.9 * v>
                                <title>{format!("{name} +{i}: {}", percent(*v))}</title>
                            </rect>
                        }
                        .into_any()
                    })
                })
                .collect()
        }
    };
    let every = (chart.labels.len() / 6).max(1);
    let ticks = chart
        .labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, l)| view! { <text class="tick" x=LEFT + step * (i as f64 + 0.5) y=HEIGHT - 8.0 text-anchor="middle">{l.clone()}</text> })
        .collect_view();
    let scale = (chart.kind != Kind::Heat).then(|| {
        view! {
            <text class="tick" x=LEFT - 6.0 y=TOP + 4.0 text-anchor="end">{cell(max)}</text>
            <text class="tick" x=LEFT - 6.0 y=TOP + plot_h text-anchor="end">{cell(min)}</text>
            <line class="axis" x1=LEFT y1=TOP + plot_h x2=WIDTH - 8.0 y2=TOP + plot_h />
        }
    });
    let legend = (chart.kind != Kind::Heat).then(|| {
        view! {
            <ul class="legend" role="list">
                {chart.series.iter().enumerate().map(|(s, (name, _))| view! { <li><span class=format!("swatch series-{s}") aria-hidden="true"></span>{name.clone()}</li> }).collect_view()}
            </ul>
        }
    });
    view! {
        <svg class="chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label>
            {scale}
            {shapes}
            {ticks}
        </svg>
        {legend}
    }
}

/// The rows a figure's table shows.
const TABLE_ROWS: usize = 200;

/// One figure: its chart, the equivalent table, and the table as a CSV file.
#[component]
fn Figure(
    /// The DOM id of its heading.
    id: &'static str,
    /// The heading.
    #[prop(into)]
    title: Signal<String>,
    /// The numbers, as a table (also the CSV file's content).
    #[prop(into)]
    sheet: Signal<Sheet>,
    /// The chart, if the figure has one.
    #[prop(into)]
    chart: Signal<Option<Chart>>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let error = RwSignal::new(None::<Notice>);
    let open = RwSignal::new(false);
    let download = move |_| {
        let table = sheet.get_untracked();
        let stem =
            cohort_model::sheet::file_stem(&app.view.profile().with_untracked(|p| p.name.clone()));
        leptos::task::spawn_local(async move {
            let saved = match crate::files::write_tables(&stem, TableFile::Csv, vec![table]).await {
                Ok(file) => crate::files::save(&file),
                Err(notice) => Err(notice),
            };
            error.set(saved.err());
        });
    };
    let message = crate::forms::notice_text(error);
    view! {
        <section class="card figure" data-figure=id aria-labelledby=id>
            <div class="section-header">
                <h2 id=id>{move || title.get()}</h2>
                <button type="button" class="download-csv" on:click=download>{t!(i18n, analytics.download_csv)}</button>
            </div>
            {move || chart.get().map(|chart| draw(&chart, title.get()))}
            // The table is drawn when opened, and at most its first rows: a member per row is
            // 10,000 rows in a large group (the CSV file has them all).
            <details class="figure-table" on:toggle=move |ev| open.set(event_target::<web_sys::Element>(&ev).has_attribute("open"))>
                <summary>{t!(i18n, analytics.show_table)}</summary>
                <Show when=move || open.get()>
                    <div class="table-scroll">
                        <table>
                            <thead><tr>{move || sheet.with(|s| s.header.iter().map(|h| view! { <th scope="col">{h.clone()}</th> }).collect_view())}</tr></thead>
                            <tbody>
                                {move || sheet.with(|s| s.rows.iter().take(TABLE_ROWS).map(|row| view! {
                                    <tr>{row.iter().map(|c| view! { <td>{c.clone()}</td> }).collect_view()}</tr>
                                }).collect_view())}
                            </tbody>
                        </table>
                    </div>
                    <Show when=move || sheet.with(|s| s.rows.len() > TABLE_ROWS)>
                        <p class="hint">{move || t_string!(i18n, analytics.first_rows, shown = TABLE_ROWS, n = sheet.with(|s| s.rows.len()))}</p>
                    </Show>
                </Show>
            </details>
            <p class="form-alert" role="alert" hidden=move || message().is_none()>{message}</p>
        </section>
    }
}

fn sheet(name: &str, header: Vec<String>, rows: Vec<Vec<String>>) -> Sheet {
    Sheet {
        name: name.to_owned(),
        header,
        rows,
    }
}

/// Asks the worker for the report now, and again whenever the group changes (a quarter of a
/// second after the last change, so that a burst of changes asks once). Until the first
/// answer, the report stored with the group (if the page opened it) is shown; the flag says
/// whether the report shown is fresh.
fn follow_report(app: AppState) -> (RwSignal<Option<Report>>, RwSignal<bool>) {
    let report = RwSignal::new(None::<Report>);
    let fresh = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(stored) = app.stored_report.get()
            && !fresh.get_untracked()
        {
            report.set(Some(stored));
        }
    });
    let asked = StoredValue::new(0_u32);
    Effect::new(move |_| {
        app.view.members().track();
        app.view.activities().track();
        app.view.feedback().track();
        app.view.touchpoints().track();
        app.view.roles().track();
        app.view.profile().track();
        if !app.shown.get() {
            return;
        }
        asked.update_value(|n| *n += 1);
        let this = asked.get_value();
        let wait = if !fresh.get_untracked() { 0 } else { 250 };
        set_timeout(
            move || {
                if asked.try_get_value() != Some(this) {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let clock = crate::state::analytics_clock();
                    if let Ok(Answer::Analytics(made)) =
                        app.request(Request::Analytics { clock }).await
                    {
                        let _ = report.try_set(Some(*made));
                        let _ = fresh.try_set(true);
                    }
                });
            },
            std::time::Duration::from_millis(wait),
        );
    });
    (report, fresh)
}

/// The analytics section.
#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    use_page_title(move || t_string!(i18n, section.analytics).to_owned());
    let (report, fresh) = follow_report(app);
    let locale = move || i18n.get_locale();
    let months = move || {
        report.with(|r| {
            r.as_ref()
                .map(|r| r.months.iter().map(|m| month_label(m)).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };
    let with = move |f: MakeFigure| {
        Memo::new(move |_| {
            let months = months();
            report.with(|r| r.as_ref().map(|r| f(r, locale(), months)))
        })
    };
    let status = with(status_figure);
    let flow = with(flow_figure);
    let cohorts = with(cohort_figure);
    let interactions = with(interaction_figure);
    let activities = with(activity_figure);
    let members = with(member_figure);
    let categories = with(category_figure);
    let nps = with(nps_figure);
    let ages = with(age_figure);
    let part = |figure: Memo<Option<(Sheet, Option<Chart>)>>| {
        (
            Signal::derive(move || {
                figure.with(|f| {
                    f.as_ref()
                        .map(|f| f.0.clone())
                        .unwrap_or_else(|| sheet("", Vec::new(), Vec::new()))
                })
            }),
            Signal::derive(move || figure.with(|f| f.as_ref().and_then(|f| f.1.clone()))),
        )
    };
    macro_rules! figure {
        ($memo:expr, $id:literal, $($key:ident).+) => {{
            let (sheet, chart) = part($memo);
            view! { <Figure id=$id title=Signal::derive(move || t_string!(i18n, $($key).+).to_owned()) sheet chart /> }
        }};
    }
    view! {
        <WhenShown>
            <article class="analytics">
                <header class="page-header"><h1>{t!(i18n, section.analytics)}</h1></header>
                <Show when=move || !fresh.get() && report.with(Option::is_some)>
                    <p class="hint updating" role="status">{t!(i18n, analytics.updating)}</p>
                </Show>
                <Show when=move || report.with(Option::is_some) fallback=move || view! { <p class="boot" role="status">{t!(i18n, analytics.working)}</p> }>
                    <Overview report />
                    <AtRiskList report />
                    {figure!(status, "status-heading", analytics.status_heading)}
                    // The rest in two more tasks: each under the 50 ms a tap may wait.
                    <Deferred>
                        {figure!(flow, "flow-heading", analytics.flow_heading)}
                        {figure!(cohorts, "cohort-heading", analytics.cohort_heading)}
                        {figure!(interactions, "interactions-heading", analytics.interactions_heading)}
                        {figure!(activities, "activity-heading", analytics.activity_heading)}
                        <Deferred>
                            {figure!(members, "member-heading", analytics.member_heading)}
                            <RoleCoverage report />
                            {figure!(categories, "category-heading", analytics.category_heading)}
                            {figure!(nps, "nps-heading", analytics.nps_heading)}
                            {figure!(ages, "age-heading", analytics.age_heading)}
                            <Settings />
                        </Deferred>
                    </Deferred>
                </Show>
            </article>
        </WhenShown>
    }
}

fn status_figure(r: &Report, locale: Locale, months: Vec<String>) -> (Sheet, Option<Chart>) {
    let names: Vec<String> = MemberStatus::ALL
        .iter()
        .map(|s| words::member_status(locale, *s).to_owned())
        .collect();
    let mut header = vec![td_string!(locale, analytics.month).to_owned()];
    header.extend(names.iter().cloned());
    let rows = months
        .iter()
        .zip(&r.status)
        .map(|(m, counts)| {
            let mut row = vec![m.clone()];
            row.extend(counts.iter().map(|c| c.to_string()));
            row
        })
        .collect();
    let series = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| (name, r.status.iter().map(|c| c[i] as f64).collect()))
        .collect();
    (
        sheet("status", header, rows),
        Some(Chart {
            kind: Kind::Stacked,
            labels: months,
            series,
            range: None,
        }),
    )
}

fn flow_figure(r: &Report, locale: Locale, months: Vec<String>) -> (Sheet, Option<Chart>) {
    let joined = td_string!(locale, analytics.joined).to_owned();
    let departed = td_string!(locale, analytics.departed).to_owned();
    let header = vec![
        td_string!(locale, analytics.month).to_owned(),
        joined.clone(),
        departed.clone(),
    ];
    let rows = months
        .iter()
        .zip(&r.flow)
        .map(|(m, f)| vec![m.clone(), f.joined.to_string(), f.departed.to_string()])
        .collect();
    let series = vec![
        (joined, r.flow.iter().map(|f| f.joined as f64).collect()),
        (departed, r.flow.iter().map(|f| f.departed as f64).collect()),
    ];
    (
        sheet("joins-departures", header, rows),
        Some(Chart {
            kind: Kind::Bars,
            labels: months,
            series,
            range: None,
        }),
    )
}

fn cohort_figure(r: &Report, locale: Locale, months: Vec<String>) -> (Sheet, Option<Chart>) {
    let mut header = vec![
        td_string!(locale, analytics.joined_in).to_owned(),
        td_string!(locale, analytics.size).to_owned(),
    ];
    header.extend((0..months.len()).map(|k| format!("+{k}")));
    let cohorts: Vec<_> = r
        .cohorts
        .iter()
        .zip(&months)
        .filter(|(c, _)| c.size > 0)
        .collect();
    let rows = cohorts
        .iter()
        .map(|(c, m)| {
            let mut row = vec![(*m).clone(), c.size.to_string()];
            row.extend(c.retained.iter().map(|v| percent(*v)));
            row
        })
        .collect();
    let series = cohorts
        .iter()
        .map(|(c, m)| ((*m).clone(), c.retained.clone()))
        .collect();
    let labels = (0..months.len()).map(|k| format!("+{k}")).collect();
    let chart = (!cohorts.is_empty()).then_some(Chart {
        kind: Kind::Heat,
        labels,
        series,
        range: None,
    });
    (sheet("cohorts", header, rows), chart)
}

fn interaction_figure(r: &Report, locale: Locale, months: Vec<String>) -> (Sheet, Option<Chart>) {
    let names = [
        td_string!(locale, analytics.attendances).to_owned(),
        td_string!(locale, analytics.contacts).to_owned(),
        td_string!(locale, section.feedback).to_owned(),
    ];
    let mut header = vec![td_string!(locale, analytics.month).to_owned()];
    header.extend(names.iter().cloned());
    let rows = months
        .iter()
        .zip(&r.interactions)
        .map(|(m, i)| {
            vec![
                m.clone(),
                i.attendances.to_string(),
                i.touchpoints.to_string(),
                i.feedback.to_string(),
            ]
        })
        .collect();
    let pick: [fn(&analytics::Interactions) -> usize; 3] =
        [|i| i.attendances, |i| i.touchpoints, |i| i.feedback];
    let series = names
        .into_iter()
        .zip(pick)
        .map(|(name, f)| (name, r.interactions.iter().map(|i| f(i) as f64).collect()))
        .collect();
    (
        sheet("interactions", header, rows),
        Some(Chart {
            kind: Kind::Lines,
            labels: months,
            series,
            range: None,
        }),
    )
}

/// The activities charted: the latest, so that the bars stay readable (the table has all).
const CHARTED_ACTIVITIES: usize = 12;

fn activity_figure(r: &Report, locale: Locale, _: Vec<String>) -> (Sheet, Option<Chart>) {
    let header = vec![
        td_string!(locale, analytics.activity).to_owned(),
        td_string!(locale, analytics.date).to_owned(),
        td_string!(locale, analytics.invited).to_owned(),
        td_string!(locale, analytics.attended).to_owned(),
        td_string!(locale, analytics.walk_ins).to_owned(),
        td_string!(locale, analytics.rate).to_owned(),
    ];
    let rows = r
        .activities
        .iter()
        .map(|a| {
            vec![
                a.title.clone(),
                super::day(a.starts_at),
                a.invited.to_string(),
                a.attended.to_string(),
                a.walk_ins.to_string(),
                share(a.rate()),
            ]
        })
        .collect();
    let charted: Vec<_> = r.activities.iter().take(CHARTED_ACTIVITIES).rev().collect();
    let chart = (!charted.is_empty()).then(|| Chart {
        kind: Kind::Bars,
        labels: charted.iter().map(|a| a.title.clone()).collect(),
        series: vec![
            (
                td_string!(locale, analytics.invited).to_owned(),
                charted.iter().map(|a| a.invited as f64).collect(),
            ),
            (
                td_string!(locale, analytics.attended).to_owned(),
                charted.iter().map(|a| a.attended as f64).collect(),
            ),
        ],
        range: None,
    });
    (sheet("activities", header, rows), chart)
}

fn member_figure(r: &Report, locale: Locale, _: Vec<String>) -> (Sheet, Option<Chart>) {
    let header = vec![
        td_string!(locale, field.name).to_owned(),
        td_string!(locale, analytics.attended).to_owned(),
        td_string!(locale, analytics.counted).to_owned(),
        td_string!(locale, analytics.rate).to_owned(),
    ];
    let rows = r
        .members
        .iter()
        .map(|m| {
            vec![
                m.name.clone(),
                m.attended.to_string(),
                m.counted.to_string(),
                share(m.rate()),
            ]
        })
        .collect();
    // How many members attend at each rate, in tenths: the spread at a glance.
    let mut bands = vec![0.0; 11];
    for m in &r.members {
        if let Some(rate) = m.rate() {
            bands[(rate * 10.0).floor().clamp(0.0, 10.0) as usize] += 1.0;
        }
    }
    let chart = (!r.members.is_empty()).then(|| Chart {
        kind: Kind::Bars,
        labels: (0..=10).map(|b| format!("{}%", b * 10)).collect(),
        series: vec![(
            td_string!(locale, analytics.members_at_rate).to_owned(),
            bands,
        )],
        range: None,
    });
    (sheet("member-participation", header, rows), chart)
}

fn category_figure(r: &Report, locale: Locale, _: Vec<String>) -> (Sheet, Option<Chart>) {
    let names: Vec<String> = FeedbackStatus::ALL
        .iter()
        .map(|s| words::feedback_status(locale, *s).to_owned())
        .collect();
    let category = |c: &str| {
        if c.is_empty() {
            td_string!(locale, analytics.no_category).to_owned()
        } else {
            c.to_owned()
        }
    };
    let mut header = vec![td_string!(locale, field.category).to_owned()];
    header.extend(names.iter().cloned());
    let rows = r
        .feedback
        .by_category
        .iter()
        .map(|(c, counts)| {
            let mut row = vec![category(c)];
            row.extend(counts.iter().map(|n| n.to_string()));
            row
        })
        .collect();
    let chart = (!r.feedback.by_category.is_empty()).then(|| Chart {
        kind: Kind::Stacked,
        labels: r
            .feedback
            .by_category
            .iter()
            .map(|(c, _)| category(c))
            .collect(),
        series: names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                (
                    name,
                    r.feedback
                        .by_category
                        .iter()
                        .map(|(_, n)| n[i] as f64)
                        .collect(),
                )
            })
            .collect(),
        range: None,
    });
    (sheet("feedback-by-category", header, rows), chart)
}

fn nps_figure(r: &Report, locale: Locale, months: Vec<String>) -> (Sheet, Option<Chart>) {
    let header = vec![
        td_string!(locale, analytics.month).to_owned(),
        td_string!(locale, analytics.promoters).to_owned(),
        td_string!(locale, analytics.passives).to_owned(),
        td_string!(locale, analytics.detractors).to_owned(),
        "NPS".to_owned(),
    ];
    let rows = months
        .iter()
        .zip(&r.feedback.nps)
        .map(|(m, n)| {
            vec![
                m.clone(),
                n.promoters.to_string(),
                n.passives.to_string(),
                n.detractors.to_string(),
                n.score()
                    .map_or_else(|| "—".to_owned(), |s| format!("{s:.0}")),
            ]
        })
        .collect();
    let series = vec![(
        "NPS".to_owned(),
        r.feedback
            .nps
            .iter()
            .map(|n| n.score().unwrap_or(f64::NAN))
            .collect(),
    )];
    let any = r.feedback.nps.iter().any(|n| n.score().is_some());
    let chart = any.then(|| Chart {
        kind: Kind::Lines,
        labels: months,
        series,
        range: Some((-100.0, 100.0)),
    });
    (sheet("nps", header, rows), chart)
}

fn age_figure(r: &Report, locale: Locale, _: Vec<String>) -> (Sheet, Option<Chart>) {
    let bands = [
        td_string!(locale, analytics.age_week).to_owned(),
        td_string!(locale, analytics.age_month).to_owned(),
        td_string!(locale, analytics.age_quarter).to_owned(),
        td_string!(locale, analytics.age_older).to_owned(),
    ];
    let header = vec![
        td_string!(locale, analytics.age).to_owned(),
        td_string!(locale, analytics.open_items).to_owned(),
    ];
    let rows = bands
        .iter()
        .zip(r.feedback.open_by_age)
        .map(|(b, n)| vec![b.clone(), n.to_string()])
        .collect();
    let chart = Chart {
        kind: Kind::Bars,
        labels: bands.to_vec(),
        series: vec![(
            td_string!(locale, analytics.open_items).to_owned(),
            r.feedback.open_by_age.iter().map(|n| *n as f64).collect(),
        )],
        range: None,
    };
    (sheet("open-feedback-by-age", header, rows), Some(chart))
}

/// The headline figures.
#[component]
fn Overview(report: RwSignal<Option<Report>>) -> impl IntoView {
    let i18n = use_i18n();
    let figure = move |f: fn(&Report) -> String| {
        move || report.with(|r| r.as_ref().map(f).unwrap_or_default())
    };
    view! {
        <section class="card" aria-labelledby="overview-heading">
            <h2 id="overview-heading">{t!(i18n, analytics.overview)}</h2>
            <ul class="figures" role="list">
                <li class="active-rate"><strong>{figure(|r| share(r.active.rate()))}</strong>" "
                    <span>{move || report.with(|r| r.as_ref().map(|r| t_string!(i18n, analytics.active_rate, engaged = r.active.engaged, active = r.active.active_members, days = r.active.window_days)).unwrap_or_default())}</span></li>
                <li class="at-risk-count"><strong>{figure(|r| r.at_risk.len().to_string())}</strong>" "<span>{t!(i18n, analytics.at_risk_count)}</span></li>
                <li class="nps-overall"><strong>{figure(|r| r.feedback.nps_overall.score().map_or_else(|| "—".to_owned(), |s| format!("{s:.0}")))}</strong>" "<span>{t!(i18n, analytics.nps_overall)}</span></li>
                <li class="median-resolve"><strong>{figure(|r| r.feedback.median_days_to_resolve.map_or_else(|| "—".to_owned(), cell))}</strong>" "<span>{t!(i18n, analytics.median_days)}</span></li>
            </ul>
        </section>
    }
}

fn reason_text(locale: Locale, reason: &Reason) -> String {
    use crate::i18n::td_string as td;
    match reason {
        Reason::Silent { days } => td!(locale, analytics.reason_silent, days = days),
        Reason::Dropped { recent, earlier } => td!(
            locale,
            analytics.reason_dropped,
            recent = percent(*recent),
            earlier = percent(*earlier)
        ),
        Reason::NegativeFeedback {
            score,
            previous: Some(previous),
        } => td!(
            locale,
            analytics.reason_feedback_fell,
            score = score,
            previous = previous
        ),
        Reason::NegativeFeedback {
            score,
            previous: None,
        } => td!(locale, analytics.reason_feedback_low, score = score),
    }
}

fn member_href(app: AppState, member: &MemberId) -> String {
    app.open
        .get_untracked()
        .map(|g| Section::member_href(g, member))
        .unwrap_or_default()
}

/// Active members at risk: the reasons and their weights, the last interaction, and one tap
/// to log a contact.
#[component]
fn AtRiskList(report: RwSignal<Option<Report>>) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let error = RwSignal::new(None::<FormError>);
    // The highest scores first, a page at a time: in a large, quiet group thousands may be
    // flagged, and drawing them all at once would hold the page (the CSV file has them all).
    let shown = RwSignal::new(AT_RISK_PAGE);
    let total = Memo::new(move |_| report.with(|r| r.as_ref().map_or(0, |r| r.at_risk.len())));
    let rows = Memo::new(move |_| {
        let shown = shown.get();
        report.with(|r| {
            r.as_ref()
                .map(|r| r.at_risk.iter().take(shown).cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        })
    });
    let download_error = RwSignal::new(None::<Notice>);
    let download = move |_| {
        let locale = i18n.get_locale_untracked();
        let table = report.with_untracked(|r| r.as_ref().map(|r| at_risk_sheet(r, locale)));
        let Some(table) = table else { return };
        let stem =
            cohort_model::sheet::file_stem(&app.view.profile().with_untracked(|p| p.name.clone()));
        leptos::task::spawn_local(async move {
            let saved = match crate::files::write_tables(&stem, TableFile::Csv, vec![table]).await {
                Ok(file) => crate::files::save(&file),
                Err(notice) => Err(notice),
            };
            download_error.set(saved.err());
        });
    };
    let download_message = crate::forms::notice_text(download_error);
    let log = move |member: MemberId| {
        let summary = t_string!(i18n, analytics.logged_summary).to_owned();
        super::contact::log_contact_now(app, member, None, summary, error);
    };
    view! {
        <section class="card at-risk" aria-labelledby="at-risk-heading">
            <div class="section-header">
                <h2 id="at-risk-heading">{t!(i18n, analytics.at_risk_heading)}</h2>
                <button type="button" class="download-csv" on:click=download>{t!(i18n, analytics.download_csv)}</button>
            </div>
            <p class="hint">{t!(i18n, analytics.at_risk_hint)}</p>
            <Show when=move || !rows.with(Vec::is_empty) fallback=move || view! { <p class="empty">{t!(i18n, analytics.at_risk_none)}</p> }>
                <ul class="at-risk-list" role="list">
                    <For each=move || rows.get() key=|row| format!("{row:?}") let:row>
                        {
                            let member = row.member.clone();
                            let reasons = row.reasons.clone();
                            view! {
                                <li data-member=row.member.to_string()>
                                    <A href=member_href(app, &row.member)>{row.name.clone()}</A>" · "
                                    <strong class="score">{move || t_string!(i18n, analytics.score, score = row.score)}</strong>
                                    <ul class="reasons">
                                        {reasons.into_iter().map(|(reason, weight)| view! {
                                            <li>{move || reason_text(i18n.get_locale(), &reason)}" "<span class="muted">{format!("(+{weight})")}</span></li>
                                        }).collect_view()}
                                    </ul>
                                    <span class="muted">{t!(i18n, analytics.last_interaction)}": "{row.last_interaction.map_or_else(|| t_string!(i18n, analytics.never).to_owned(), moment)}</span>" "
                                    <button type="button" class="log-now" on:click=move |_| log(member.clone())>{t!(i18n, analytics.log_contact)}</button>
                                </li>
                            }
                        }
                    </For>
                </ul>
                <Show when=move || shown.get() < total.get()>
                    <button type="button" class="show-more" on:click=move |_| shown.update(|n| *n += AT_RISK_PAGE)>
                        {move || t_string!(i18n, analytics.show_more_at_risk, shown = shown.get().min(total.get()), n = total.get())}
                    </button>
                </Show>
            </Show>
            <FormAlert error any_field=true />
            <p class="form-alert" role="alert" hidden=move || download_message().is_none()>{download_message}</p>
        </section>
    }
}

/// Members at risk shown at a time.
const AT_RISK_PAGE: usize = 25;

/// The at-risk list as a table: name, score, reasons, last interaction.
fn at_risk_sheet(r: &Report, locale: Locale) -> Sheet {
    let header = vec![
        td_string!(locale, field.name).to_owned(),
        td_string!(locale, analytics.score_column).to_owned(),
        td_string!(locale, analytics.reasons).to_owned(),
        td_string!(locale, analytics.last_interaction).to_owned(),
    ];
    let rows = r
        .at_risk
        .iter()
        .map(|a| {
            let reasons: Vec<String> = a
                .reasons
                .iter()
                .map(|(reason, weight)| format!("{} (+{weight})", reason_text(locale, reason)))
                .collect();
            vec![
                a.name.clone(),
                a.score.to_string(),
                reasons.join("; "),
                a.last_interaction.map(moment).unwrap_or_default(),
            ]
        })
        .collect();
    sheet("at-risk", header, rows)
}

/// Unheld roles, members holding none, members holding many.
#[component]
fn RoleCoverage(report: RwSignal<Option<Report>>) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let roles = Memo::new(move |_| {
        report.with(|r| r.as_ref().map(|r| r.roles.clone()).unwrap_or_default())
    });
    /// Names listed before "and N more".
    const LISTED: usize = 20;
    view! {
        <section class="card role-coverage" aria-labelledby="roles-coverage-heading">
            <h2 id="roles-coverage-heading">{t!(i18n, analytics.roles_heading)}</h2>
            <h3>{move || t_string!(i18n, analytics.unheld, n = roles.with(|r| r.unheld.len()))}</h3>
            <ul class="unheld">{move || roles.with(|r| r.unheld.iter().map(|(_, name)| view! { <li>{name.clone()}</li> }).collect_view())}</ul>
            <h3>{move || t_string!(i18n, analytics.without_role, n = roles.with(|r| r.without_role.len()))}</h3>
            <ul class="without-role">{move || roles.with(|r| r.without_role.iter().take(LISTED).map(|(id, name)| { let name = name.clone(); view! { <li><A href=member_href(app, id)>{name}</A></li> } }).collect_view())}</ul>
            <h3>{move || t_string!(i18n, analytics.holding_many, n = roles.with(|r| r.holding_many.len()), many = analytics::MANY_ROLES)}</h3>
            <ul class="holding-many">{move || roles.with(|r| r.holding_many.iter().map(|(id, name, n)| { let name = name.clone(); view! { <li><A href=member_href(app, id)>{name}</A>" · "{*n}</li> } }).collect_view())}</ul>
        </section>
    }
}

/// The settings of the figures: the active rate's window, when silence puts a member at risk,
/// and the weight of each reason.
#[component]
fn Settings() -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let error = RwSignal::new(None::<FormError>);
    let label = move |setting: Setting| match setting {
        Setting::ActiveWindowDays => t_string!(i18n, analytics.setting_window),
        Setting::SilenceDays => t_string!(i18n, analytics.setting_silence),
        Setting::WeightSilence => t_string!(i18n, analytics.setting_weight_silence),
        Setting::WeightDrop => t_string!(i18n, analytics.setting_weight_drop),
        Setting::WeightFeedback => t_string!(i18n, analytics.setting_weight_feedback),
    };
    view! {
        <section class="card analytics-settings" aria-labelledby="settings-heading">
            <h2 id="settings-heading">{t!(i18n, analytics.settings_heading)}</h2>
            <p class="hint">{t!(i18n, analytics.settings_hint)}</p>
            <div class="form-grid">
                {Setting::ALL.iter().copied().map(|setting| {
                    let id = format!("setting-{}", setting.key());
                    let (min, max) = setting.range();
                    let value = move || app.view.profile().with(|p| setting.get(&p.analytics).to_string());
                    view! {
                        <div class="field">
                            <label for=id.clone()>{move || label(setting)}</label>
                            <input id=id type="number" min=min max=max prop:value=value on:change=move |ev| {
                                let action = Action::SetAnalyticsSetting { setting, value: event_target_value(&ev) };
                                app.apply_then(action, error, || ());
                            } />
                        </div>
                    }
                }).collect_view()}
            </div>
            <FormAlert error any_field=true />
        </section>
    }
}

//! The activities of one month as a calendar: a week a row, Monday first (as calendars in
//! China and most of Europe start), each day with the activities that start on it.

use cohort_model::GroupStoreFields;
use cohort_model::{ActivityId, Millis};
use leptos::prelude::*;

use super::{local_day, month, time_of_day, weekday};
use crate::i18n::{t, use_i18n};
use crate::sections::Section;
use crate::state::{now, use_app};

/// The first moment of a local month (`month` counted from 0, and may run past 11 or below 0).
fn month_start(year: i32, month: i32) -> js_sys::Date {
    js_sys::Date::new_with_year_month_day(year as u32, month, 1)
}

/// A day of the month shown: its date, its `YYYY-MM-DD`, and the activities starting on it
/// (when, which, title).
type Day = (u32, String, Vec<(Millis, ActivityId, String)>);

/// One month of activities, with the months before and after a button away.
#[component]
pub fn MonthView(
    /// Which activities to show (the list's kind and search filter).
    #[prop(into)]
    shown: Signal<Vec<ActivityId>>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let today = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(now() as f64));
    // The month shown, as (year, month from 0).
    let current = RwSignal::new((today.get_full_year() as i32, today.get_month() as i32));
    let today = local_day(now());
    let weeks = Memo::new(move |_| {
        let (year, month_index) = current.get();
        let first = month_start(year, month_index);
        let prefix = local_day(first.get_time() as Millis)[..7].to_owned();
        let days_in_month =
            js_sys::Date::new_with_year_month_day(year as u32, month_index + 1, 0).get_date();
        // Monday is 0.
        let lead = (first.get_day() + 6) % 7;
        // The month's activities by day of the month, in order of their start.
        let mut by_day: Vec<Vec<(Millis, ActivityId, String)>> =
            vec![Vec::new(); days_in_month as usize + 1];
        app.view.activities().with(|activities| {
            shown.with(|shown| {
                for id in shown {
                    let Some(activity) = activities.get(id) else {
                        continue;
                    };
                    let day = local_day(activity.starts_at);
                    if let Some(date) = day
                        .strip_prefix(prefix.as_str())
                        .and_then(|rest| rest.strip_prefix('-')?.parse::<usize>().ok())
                    {
                        by_day[date].push((activity.starts_at, id.clone(), activity.title.clone()));
                    }
                }
            })
        });
        for day in &mut by_day {
            day.sort();
        }
        let mut cells: Vec<Option<Day>> = vec![None; lead as usize];
        for date in 1..=days_in_month {
            cells.push(Some((
                date,
                format!("{prefix}-{date:02}"),
                std::mem::take(&mut by_day[date as usize]),
            )));
        }
        while !cells.len().is_multiple_of(7) {
            cells.push(None);
        }
        cells.chunks(7).map(<[_]>::to_vec).collect::<Vec<_>>()
    });
    let title = move || {
        let (year, month_index) = current.get();
        month(month_start(year, month_index).get_time() as Millis)
    };
    // Headings Monday to Sunday, from a week known to start on a Monday (2024-01-01).
    let weekdays = move || {
        (1..=7)
            .map(|date| {
                weekday(js_sys::Date::new_with_year_month_day(2024, 0, date).get_time() as Millis)
            })
            .collect::<Vec<_>>()
    };
    let step = move |by: i32| {
        current.update(|(year, month_index)| {
            let months = *year * 12 + *month_index + by;
            *year = months.div_euclid(12);
            *month_index = months.rem_euclid(12);
        });
    };
    view! {
        <section class="card month-view" aria-labelledby="month-heading">
            <header class="month-header">
                <button type="button" class="previous-month" on:click=move |_| step(-1)>{t!(i18n, calendar.previous)}</button>
                <h2 id="month-heading" aria-live="polite">{title}</h2>
                <button type="button" class="next-month" on:click=move |_| step(1)>{t!(i18n, calendar.next)}</button>
            </header>
            <table class="calendar">
                <thead><tr>{move || weekdays().into_iter().map(|day| view! { <th scope="col">{day}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {move || weeks.get().into_iter().map(|week| view! {
                        <tr>
                            {week.into_iter().map(|cell| match cell {
                                None => view! { <td class="outside"></td> }.into_any(),
                                Some((date, day, activities)) => {
                                    let is_today = day == today;
                                    view! {
                                        <td data-day=day.clone() class:today=is_today aria-current=is_today.then_some("date")>
                                            <span class="date">{date}</span>
                                            <ul role="list">
                                                {activities.into_iter().map(|(at, id, title)| {
                                                    let href = app.open.get().map(|g| format!("{}/{id}", Section::Activities.href(g)));
                                                    view! { <li><a href=href><time>{time_of_day(at)}</time>" "{title}</a></li> }
                                                }).collect_view()}
                                            </ul>
                                        </td>
                                    }.into_any()
                                }
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

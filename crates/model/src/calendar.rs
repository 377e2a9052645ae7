//! Calendar days and months in the organizer's time zone, from UTC milliseconds.
//!
//! Hand-written (Howard Hinnant's `civil_from_days` and `days_from_civil`, a dozen lines each)
//! rather than a date crate: the model needs only these two conversions and a month's bounds,
//! and builds for wasm32 where every crate adds to the download. The zone is a fixed offset
//! from UTC, as the browser reports it at the time (China has no daylight saving time; where
//! a zone has it, a month's bounds can be off by that hour).

use serde::{Deserialize, Serialize};

use crate::Millis;

/// A day in milliseconds.
pub const DAY: Millis = 24 * 60 * 60 * 1000;

/// The calendar date (year, month, day) of a count of days from 1970-01-01.
pub fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// The count of days from 1970-01-01 of a calendar date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    pub year: i64,
    /// 1 to 12.
    pub month: i64,
}

impl Month {
    /// The month `at` falls in, `offset_minutes` east of UTC.
    pub fn of(at: Millis, offset_minutes: i32) -> Self {
        let local = at + Millis::from(offset_minutes) * 60_000;
        let (year, month, _) = civil_date(local.div_euclid(DAY));
        Self { year, month }
    }

    /// Its first moment, `offset_minutes` east of UTC.
    pub fn start(self, offset_minutes: i32) -> Millis {
        days_from_civil(self.year, self.month, 1) * DAY - Millis::from(offset_minutes) * 60_000
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// `YYYY-MM`.
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// The `count` months up to and including this one, oldest first.
    pub fn last(self, count: usize) -> Vec<Self> {
        let mut months = Vec::with_capacity(count);
        let mut month = self;
        for _ in 0..count {
            months.push(month);
            month = month.previous();
        }
        months.reverse();
        months
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates_round_trip_across_leap_years_and_eras() {
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_000, 800_000] {
            let (y, m, d) = civil_date(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(
            days_from_civil(2024, 2, 29) + 1,
            days_from_civil(2024, 3, 1)
        );
    }

    #[test]
    fn a_month_is_taken_in_the_organizers_zone() {
        // 2026-11-30 16:30 UTC is already 1 December in Beijing (UTC+8), still November in
        // New York (UTC-5).
        let at = days_from_civil(2026, 11, 30) * DAY + (16 * 60 + 30) * 60_000;
        assert_eq!(Month::of(at, 480).key(), "2026-12");
        assert_eq!(Month::of(at, -300).key(), "2026-11");
        assert_eq!(Month::of(at, 0).key(), "2026-11");
        // December in Beijing begins at 16:00 UTC on 30 November.
        let december = Month {
            year: 2026,
            month: 12,
        };
        assert_eq!(
            december.start(480),
            days_from_civil(2026, 11, 30) * DAY + 16 * 3_600_000
        );
        assert_eq!(
            Month {
                year: 2026,
                month: 1
            }
            .last(3)
            .iter()
            .map(|m| m.key())
            .collect::<Vec<_>>(),
            ["2025-11", "2025-12", "2026-01"]
        );
    }
}

//! The merchant's working calendar: which days count as working days for a promise counted in
//! working days (a technical-support review, a workshop repair, a batch repair plan).
//!
//! Monday to Friday, except the public holidays the merchant lists, plus the make-up working
//! days (调休) it lists: in China the State Council publishes each year's holidays together
//! with the weekend days worked in exchange, so a Saturday can be a working day and a Thursday
//! a holiday. The merchant enters them in the policy; nothing here knows a year's dates.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::InvalidField;

/// The most dates either list holds (years of a country's holidays). Bounded so that any
/// 368 days hold at least 46 working days: a promise of up to 30 working days (the policy's
/// bound) always has a due date.
pub const MAX_CALENDAR_DATES: usize = 300;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WorkCalendar {
    /// Public holidays: not working days, whatever the weekday.
    pub holidays: BTreeSet<NaiveDate>,
    /// Make-up working days (调休): working days, though a Saturday or a Sunday.
    pub working_weekends: BTreeSet<NaiveDate>,
}

impl WorkCalendar {
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.holidays.contains(&day) {
            return false;
        }
        if self.working_weekends.contains(&day) {
            return true;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// `days` working days after `from`, at the same time of day in the merchant's time zone:
    /// a request taken on a Friday afternoon with two working days is due on Tuesday afternoon,
    /// or later when holidays fall between. `None` past chrono's range.
    pub fn add_working_days(
        &self,
        from: DateTime<Utc>,
        days: u32,
        tz: FixedOffset,
    ) -> Option<DateTime<Utc>> {
        let mut t = from.with_timezone(&tz);
        let mut left = days;
        // At most a year of non-working days can stand in a row: bounded, never a hang.
        let mut steps = 0u32;
        while left > 0 {
            t = t.checked_add_signed(Duration::days(1))?;
            steps += 1;
            if steps > days.saturating_add(366) {
                return None;
            }
            if self.is_working_day(t.date_naive()) {
                left -= 1;
            }
        }
        Some(t.with_timezone(&Utc))
    }

    /// Bounded lists of plausible dates, no day both a holiday and a working day.
    pub fn validate(&self, field: &str) -> Vec<InvalidField> {
        let mut errors = Vec::new();
        for (name, dates) in [
            ("holidays", &self.holidays),
            ("working_weekends", &self.working_weekends),
        ] {
            if dates.len() > MAX_CALENDAR_DATES {
                errors.push(InvalidField::new(
                    format!("{field}/{name}"),
                    format!("at most {MAX_CALENDAR_DATES} dates"),
                ));
            }
            if dates.iter().any(|d| !(2000..=2100).contains(&d.year())) {
                errors.push(InvalidField::new(
                    format!("{field}/{name}"),
                    "dates from 2000 to 2100",
                ));
            }
        }
        if let Some(day) = self.holidays.intersection(&self.working_weekends).next() {
            errors.push(InvalidField::new(
                format!("{field}/working_weekends"),
                format!("{day} is also a holiday"),
            ));
        }
        if let Some(day) = self
            .working_weekends
            .iter()
            .find(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        {
            errors.push(InvalidField::new(
                format!("{field}/working_weekends"),
                format!("{day} is not a Saturday or a Sunday"),
            ));
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn beijing() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    /// A National Day week as the State Council sets one: Thursday 1 to Wednesday 7 October
    /// off, Sunday 27 September and Saturday 10 October worked in exchange.
    fn national_day() -> WorkCalendar {
        WorkCalendar {
            holidays: (1..=7).map(|d| day(2026, 10, d)).collect(),
            working_weekends: [day(2026, 9, 27), day(2026, 10, 10)].into(),
        }
    }

    #[test]
    fn without_a_calendar_working_days_are_monday_to_friday() {
        let friday = beijing()
            .with_ymd_and_hms(2026, 11, 27, 15, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let due = WorkCalendar::default()
            .add_working_days(friday, 2, beijing())
            .unwrap();
        assert_eq!(
            due.with_timezone(&beijing()).date_naive(),
            day(2026, 12, 1),
            "Friday + 2 working days is the next Tuesday"
        );
    }

    #[test]
    fn a_promise_in_working_days_taken_before_a_holiday_week_skips_it_and_counts_the_make_up_days()
    {
        // Taken on Wednesday 30 September at 16:00; the holiday starts on Thursday.
        let taken = beijing()
            .with_ymd_and_hms(2026, 9, 30, 16, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let calendar = national_day();
        // Day 1 is Thursday 8 October (the first working day after the holiday), day 2 Friday
        // 9, day 3 the make-up Saturday 10, day 4 Monday 12, day 5 Tuesday 13.
        let due = |n| {
            calendar
                .add_working_days(taken, n, beijing())
                .unwrap()
                .with_timezone(&beijing())
        };
        assert_eq!(due(1).date_naive(), day(2026, 10, 8));
        assert_eq!(due(3).date_naive(), day(2026, 10, 10));
        assert_eq!(due(5).date_naive(), day(2026, 10, 13));
        assert_eq!(
            due(5).time(),
            chrono::NaiveTime::from_hms_opt(16, 0, 0).unwrap()
        );
        // And taken on the Friday before (25 September): the make-up Sunday 27 counts.
        let friday = beijing()
            .with_ymd_and_hms(2026, 9, 25, 10, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let due = calendar.add_working_days(friday, 3, beijing()).unwrap();
        assert_eq!(due.with_timezone(&beijing()).date_naive(), day(2026, 9, 29));
    }

    #[test]
    fn a_calendar_refuses_a_day_both_off_and_worked_and_a_weekday_as_a_make_up_day() {
        let mut calendar = national_day();
        assert!(calendar.validate("calendar").is_empty());
        calendar.working_weekends.insert(day(2026, 10, 3));
        calendar.working_weekends.insert(day(2026, 10, 14));
        let errors = calendar.validate("calendar");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors
                .iter()
                .all(|e| e.field == "calendar/working_weekends")
        );
    }

    #[test]
    fn a_calendar_of_nothing_but_holidays_ends_instead_of_hanging() {
        let calendar = WorkCalendar {
            holidays: (0..400)
                .map(|i| day(2026, 1, 1) + Duration::days(i))
                .collect(),
            working_weekends: BTreeSet::new(),
        };
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(calendar.add_working_days(start, 1, beijing()), None);
    }
}

//! Dispatch (DOMAIN §5): the promises a field service makes, as the merchant sets them.
//!
//! A visit is due on site within hours that depend on the customer's contract and where they
//! are (a contract customer in the city: 2 hours); a repair in the workshop within working
//! days (the merchant's calendar), shipping excluded; spare parts within days. Work orders,
//! bookings and the board build on these.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::InvalidField;
use super::policy::Policy;

/// Where the customer is, as the merchant's service area is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    City,
    Suburbs,
    Remote,
}

/// Hours to be on site, by area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaHours {
    pub city: u32,
    pub suburbs: u32,
    pub remote: u32,
}

impl AreaHours {
    pub fn of(&self, area: Area) -> u32 {
        match area {
            Area::City => self.city,
            Area::Suburbs => self.suburbs,
            Area::Remote => self.remote,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DispatchPolicy {
    /// On site for a contract customer, after the visit is accepted (2 / 3 / 5 h).
    pub contract_on_site_hours: AreaHours,
    /// On site for anyone else (24 h).
    pub on_site_hours: u32,
    /// Contact the customer to book a visit (24 h).
    pub contact_hours: u32,
    /// A repair in the workshop, shipping excluded (3 to 5 working days: 5).
    pub workshop_working_days: u32,
    /// Spare parts (1 week).
    pub spare_parts_days: u32,
    /// A repair plan for a batch return (8 h).
    pub batch_plan_hours: u32,
}

impl Default for DispatchPolicy {
    fn default() -> Self {
        Self {
            contract_on_site_hours: AreaHours {
                city: 2,
                suburbs: 3,
                remote: 5,
            },
            on_site_hours: 24,
            contact_hours: 24,
            workshop_working_days: 5,
            spare_parts_days: 7,
            batch_plan_hours: 8,
        }
    }
}

impl DispatchPolicy {
    /// Every promise between an hour and a month, and nearer areas never promised later than
    /// farther ones.
    pub fn validate(&self, field: &str, errors: &mut Vec<InvalidField>) {
        let hours = [
            (
                "contract_on_site_hours/city",
                self.contract_on_site_hours.city,
            ),
            (
                "contract_on_site_hours/suburbs",
                self.contract_on_site_hours.suburbs,
            ),
            (
                "contract_on_site_hours/remote",
                self.contract_on_site_hours.remote,
            ),
            ("on_site_hours", self.on_site_hours),
            ("contact_hours", self.contact_hours),
            ("batch_plan_hours", self.batch_plan_hours),
        ];
        for (name, value) in hours {
            if !(1..=720).contains(&value) {
                errors.push(InvalidField::new(
                    format!("{field}/{name}"),
                    "must be 1 to 720 (hours)",
                ));
            }
        }
        for (name, value) in [
            ("workshop_working_days", self.workshop_working_days),
            ("spare_parts_days", self.spare_parts_days),
        ] {
            if !(1..=30).contains(&value) {
                errors.push(InvalidField::new(
                    format!("{field}/{name}"),
                    "must be 1 to 30 (days)",
                ));
            }
        }
        let h = self.contract_on_site_hours;
        if !(h.city <= h.suburbs && h.suburbs <= h.remote) {
            errors.push(InvalidField::new(
                format!("{field}/contract_on_site_hours"),
                "the city is promised no later than the suburbs, the suburbs no later than remote areas",
            ));
        }
    }
}

/// When a technician must be on site for a visit accepted at `accepted_at`.
pub fn on_site_due(
    accepted_at: DateTime<Utc>,
    contract_customer: bool,
    area: Area,
    policy: &Policy,
) -> Option<DateTime<Utc>> {
    let d = &policy.dispatch;
    let hours = if contract_customer {
        d.contract_on_site_hours.of(area)
    } else {
        d.on_site_hours
    };
    accepted_at.checked_add_signed(Duration::hours(i64::from(hours)))
}

/// When a repair taken into the workshop at `taken_at` must be done: working days of the
/// merchant's calendar, at the same time of day.
pub fn workshop_due(taken_at: DateTime<Utc>, policy: &Policy) -> Option<DateTime<Utc>> {
    policy.calendar.add_working_days(
        taken_at,
        policy.dispatch.workshop_working_days,
        policy.time_zone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::WorkCalendar;
    use chrono::{FixedOffset, NaiveDate, TimeZone};

    fn beijing(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_contract_customer_is_visited_within_hours_by_area_anyone_else_within_a_day() {
        let policy = Policy::default();
        let accepted = beijing(2026, 12, 2, 9);
        let due = |contract, area| on_site_due(accepted, contract, area, &policy).unwrap();
        assert_eq!(due(true, Area::City), beijing(2026, 12, 2, 11));
        assert_eq!(due(true, Area::Suburbs), beijing(2026, 12, 2, 12));
        assert_eq!(due(true, Area::Remote), beijing(2026, 12, 2, 14));
        assert_eq!(due(false, Area::City), beijing(2026, 12, 3, 9));
    }

    #[test]
    fn a_workshop_repair_taken_the_friday_before_a_holiday_lands_after_it_counting_a_make_up_saturday()
     {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        // Monday 5 October off; Saturday 10 October worked in exchange.
        let policy = Policy {
            calendar: WorkCalendar {
                holidays: [day(10, 5)].into(),
                working_weekends: [day(10, 10)].into(),
            },
            ..Policy::default()
        };
        // Taken Friday 2 October at 15:00: Tuesday 6, Wednesday 7, Thursday 8, Friday 9,
        // the make-up Saturday 10.
        let due = workshop_due(beijing(2026, 10, 2, 15), &policy).unwrap();
        assert_eq!(due, beijing(2026, 10, 10, 15));
        // Without the calendar: Friday 9.
        let due = workshop_due(beijing(2026, 10, 2, 15), &Policy::default()).unwrap();
        assert_eq!(due, beijing(2026, 10, 9, 15));
    }

    #[test]
    fn a_dispatch_policy_promising_the_city_later_than_remote_areas_is_refused() {
        let mut d = DispatchPolicy::default();
        let mut errors = Vec::new();
        d.validate("dispatch", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        d.contract_on_site_hours.city = 6;
        d.spare_parts_days = 0;
        d.validate("dispatch", &mut errors);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "dispatch/spare_parts_days",
                "dispatch/contract_on_site_hours"
            ]
        );
    }
}

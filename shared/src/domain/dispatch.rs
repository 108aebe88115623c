//! Dispatch (DOMAIN §5): the promises a field service makes, as the merchant sets them.
//!
//! A visit is due on site within hours that depend on the customer's contract and where they
//! are (a contract customer in the city: 2 hours); a repair in the workshop within working
//! days (the merchant's calendar), shipping excluded; spare parts within days. Work orders,
//! bookings and the board build on these.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::policy::Policy;
use super::{InvalidField, check_range};

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
    /// The grid of bookable times, in minutes (a visit takes whole slots).
    pub slot_minutes: u32,
    /// A missed promise goes to the dispatcher at once, and to the manager this many hours
    /// later if it is still not met.
    pub manager_after_hours: u32,
    /// The same fault on the same serial number repaired again within this many days is a
    /// repeat repair (不允许同一问题重复修理).
    pub repeat_window_days: u32,
    /// Wrong confirmation codes before the customer's code is renewed.
    pub confirmation_attempts: u32,
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
            slot_minutes: 30,
            manager_after_hours: 4,
            repeat_window_days: 90,
            confirmation_attempts: 5,
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
            ("manager_after_hours", self.manager_after_hours),
        ];
        for (name, value) in hours {
            check_range(errors, format!("{field}/{name}"), value, (1, 720), "hours");
        }
        for (name, value) in [
            ("workshop_working_days", self.workshop_working_days),
            ("spare_parts_days", self.spare_parts_days),
        ] {
            check_range(errors, format!("{field}/{name}"), value, (1, 30), "days");
        }
        if ![10, 15, 20, 30, 60].contains(&self.slot_minutes) {
            errors.push(InvalidField::new(
                format!("{field}/slot_minutes"),
                "must be 10, 15, 20, 30 or 60 (minutes)",
            ));
        }
        check_range(
            errors,
            format!("{field}/repeat_window_days"),
            self.repeat_window_days,
            (1, 730),
            "days",
        );
        check_range(
            errors,
            format!("{field}/confirmation_attempts"),
            self.confirmation_attempts,
            (1, 20),
            "",
        );
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

/// A technician as the dispatcher keeps them (DOMAIN §5): what they can repair, where they
/// go, when they work and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Technician {
    /// Their sign-in subject: the technician role's token names them.
    pub id: String,
    pub name: String,
    /// Product lines (policy categories such as `television`), or for cars 机电 / 钣喷 / 改装.
    pub skills: std::collections::BTreeSet<String>,
    /// The districts they serve, each in its band (city, suburbs, remote).
    pub districts: std::collections::BTreeMap<String, Area>,
    /// Working hours per weekday, Monday first, in minutes of the merchant's day
    /// (`[540, 1080]`: 9:00 to 18:00); none: not working that weekday.
    pub hours: [Option<(u16, u16)>; 7],
    /// Visits a day at most.
    pub daily_capacity: u32,
    /// Days on leave.
    #[serde(default)]
    pub leave: std::collections::BTreeSet<chrono::NaiveDate>,
}

/// What a visit needs: a skill, a district, how long, and by when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitNeed<'a> {
    pub skill: &'a str,
    pub district: &'a str,
    pub minutes: u32,
    pub due: DateTime<Utc>,
}

/// Each technician's visits of one day, as (start, end).
pub type DayBookings = std::collections::BTreeMap<String, Vec<(DateTime<Utc>, DateTime<Utc>)>>;

/// A technician who fits a visit, with their earliest free start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub technician: String,
    pub start: DateTime<Utc>,
    /// Visits already booked that day.
    pub load: u32,
    pub band: Area,
}

impl Technician {
    pub fn validate(&self) -> Vec<InvalidField> {
        let mut errors = Vec::new();
        if self.id.is_empty()
            || self.id.len() > 128
            || self.name.trim().is_empty()
            || self.name.len() > 100
        {
            errors.push(InvalidField::new(
                "id",
                "an id (1 to 128) and a name (1 to 100)",
            ));
        }
        if self.skills.is_empty()
            || self.skills.len() > 50
            || self.skills.iter().any(|s| s.is_empty() || s.len() > 64)
        {
            errors.push(InvalidField::new(
                "skills",
                "1 to 50 skills of 1 to 64 characters",
            ));
        }
        if self.districts.is_empty()
            || self.districts.len() > 200
            || self.districts.keys().any(|d| d.is_empty() || d.len() > 32)
        {
            errors.push(InvalidField::new(
                "districts",
                "1 to 200 district codes of 1 to 32 characters",
            ));
        }
        for (i, h) in self.hours.iter().enumerate() {
            if let Some((start, end)) = h
                && !(*start < *end && *end <= 24 * 60)
            {
                errors.push(InvalidField::new(
                    format!("hours/{i}"),
                    "start before end, within the day",
                ));
            }
        }
        if !(1..=50).contains(&self.daily_capacity) {
            errors.push(InvalidField::new(
                "daily_capacity",
                "must be 1 to 50 visits",
            ));
        }
        if self.leave.len() > 366 {
            errors.push(InvalidField::new("leave", "at most 366 days"));
        }
        errors
    }

    /// When this technician works on `day`, in the merchant's time zone: their hours of that
    /// weekday, unless on leave or it is not a working day of the merchant's calendar.
    pub fn working_window(
        &self,
        day: chrono::NaiveDate,
        policy: &Policy,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        use chrono::{Datelike, TimeZone};
        if self.leave.contains(&day) || !policy.calendar.is_working_day(day) {
            return None;
        }
        let (start, end) = self.hours[day.weekday().num_days_from_monday() as usize]?;
        let tz = policy.time_zone();
        let at = |minutes: u16| {
            tz.from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
                .single()
                .map(|t| (t + Duration::minutes(i64::from(minutes))).with_timezone(&Utc))
        };
        Some((at(start)?, at(end)?))
    }
}

/// The technicians who fit `need`, ranked as the dispatcher takes them: the earliest free
/// start, then the lightest day, then the nearest band. `booked` gives each technician's
/// visits of `day` as (start, end); a start is free when the visit fits in their hours, before
/// the due time, between their bookings, within their daily capacity.
pub fn suggest(
    technicians: &[Technician],
    booked: &DayBookings,
    need: &VisitNeed<'_>,
    day: chrono::NaiveDate,
    not_before: DateTime<Utc>,
    policy: &Policy,
) -> Vec<Suggestion> {
    let length = slot_length(need.minutes, policy);
    let mut out: Vec<Suggestion> = technicians
        .iter()
        .filter(|t| t.skills.contains(need.skill))
        .filter_map(|t| {
            let band = *t.districts.get(need.district)?;
            let (open, close) = t.working_window(day, policy)?;
            let mut visits = booked.get(&t.id).cloned().unwrap_or_default();
            visits.sort();
            let load = u32::try_from(visits.len()).unwrap_or(u32::MAX);
            if load >= t.daily_capacity {
                return None;
            }
            // The earliest gap that holds the visit, on the slot grid of the day.
            let step = Duration::minutes(i64::from(policy.dispatch.slot_minutes.max(1)));
            let mut start = open;
            while start < not_before {
                start += step;
            }
            for (b_start, b_end) in &visits {
                if start + length <= *b_start {
                    break;
                }
                while start < *b_end {
                    start += step;
                }
            }
            let end = start + length;
            (end <= close && end <= need.due).then(|| Suggestion {
                technician: t.id.clone(),
                start,
                load,
                band,
            })
        })
        .collect();
    out.sort_by_key(|s| (s.start, s.load, s.band as u8, s.technician.clone()));
    out
}

/// The merchant's calendar day of a visit from `start` to `end` and the slots it holds
/// (`HHMM` of each slot's start, the merchant's time), or why it cannot be booked: it must
/// start and end on the slot grid, within one day.
pub fn slots(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    policy: &Policy,
) -> Result<(chrono::NaiveDate, Vec<String>), &'static str> {
    use chrono::Timelike;
    let step = i64::from(policy.dispatch.slot_minutes.max(1));
    let tz = policy.time_zone();
    let local = start.with_timezone(&tz);
    let minutes = i64::from(local.hour() * 60 + local.minute());
    let length = (end - start).num_minutes();
    if local.second() != 0 || local.nanosecond() != 0 || minutes % step != 0 {
        return Err("a visit starts on the slot grid (the policy's slot_minutes)");
    }
    if length <= 0 || length % step != 0 || minutes + length > 24 * 60 {
        return Err("a visit takes whole slots within one day");
    }
    let labels = (0..length / step)
        .map(|i| {
            let at = minutes + i * step;
            format!("{:02}{:02}", at / 60, at % 60)
        })
        .collect();
    Ok((local.date_naive(), labels))
}

/// How far ahead a visit may be booked.
pub const BOOKING_HORIZON_DAYS: i64 = 366;

/// A visit starts in the future, within the booking horizon.
pub fn bookable(start: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), super::RuleError> {
    if start < now {
        return Err(super::RuleError::new(
            "start-in-past",
            "a visit starts in the future",
        ));
    }
    if start - now > Duration::days(BOOKING_HORIZON_DAYS) {
        return Err(super::RuleError::new(
            "start-too-far",
            "a visit is booked at most a year ahead",
        ));
    }
    Ok(())
}

/// A visit's length rounded up to whole slots.
pub fn slot_length(minutes: u32, policy: &Policy) -> Duration {
    let step = policy.dispatch.slot_minutes.max(1);
    Duration::minutes(i64::from(minutes.div_ceil(step) * step))
}

/// Why a technician cannot take a visit at a given time, or the band they would come from.
pub fn free_at(
    technician: &Technician,
    visits: &[(DateTime<Utc>, DateTime<Utc>)],
    need: &VisitNeed<'_>,
    start: DateTime<Utc>,
    policy: &Policy,
) -> Result<Area, &'static str> {
    let end = start + slot_length(need.minutes, policy);
    if !technician.skills.contains(need.skill) {
        return Err("the technician does not have the skill this work needs");
    }
    let band = *technician
        .districts
        .get(need.district)
        .ok_or("the technician does not serve this district")?;
    let day = start.with_timezone(&policy.time_zone()).date_naive();
    let (open, close) = technician
        .working_window(day, policy)
        .ok_or("the technician does not work that day")?;
    if start < open || end > close {
        return Err("the visit falls outside the technician's working hours");
    }
    if u32::try_from(visits.len()).unwrap_or(u32::MAX) >= technician.daily_capacity {
        return Err("the technician's day is full");
    }
    if visits.iter().any(|(s, e)| start < *e && *s < end) {
        return Err("the technician is booked then");
    }
    Ok(band)
}

/// A time the customer may book: its start and end, and how many technicians are free then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Offer {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub technicians: u32,
}

/// The times offered for a visit on `day`: every start on the slot grid, not before
/// `not_before`, at which at least one technician who fits is free (at most `limit`).
pub fn offers(
    technicians: &[Technician],
    booked: &DayBookings,
    need: &VisitNeed<'_>,
    day: chrono::NaiveDate,
    not_before: DateTime<Utc>,
    policy: &Policy,
    limit: usize,
) -> Vec<Offer> {
    let step = Duration::minutes(i64::from(policy.dispatch.slot_minutes.max(1)));
    let length = slot_length(need.minutes, policy);
    let mut free = std::collections::BTreeMap::<DateTime<Utc>, u32>::new();
    for t in technicians {
        let Some((open, close)) = t.working_window(day, policy) else {
            continue;
        };
        let visits = booked.get(&t.id).map(Vec::as_slice).unwrap_or_default();
        let mut at = open;
        while at + length <= close {
            if at >= not_before && free_at(t, visits, need, at, policy).is_ok() {
                *free.entry(at).or_default() += 1;
            }
            at += step;
        }
    }
    free.into_iter()
        .take(limit)
        .map(|(start, technicians)| Offer {
            start,
            end: start + length,
            technicians,
        })
        .collect()
}

/// The technician a visit at `start` goes to when the caller names none (a customer picks a
/// time, not a person): of those free then, the lightest day, then the nearest band.
pub fn pick<'a>(
    technicians: &'a [Technician],
    booked: &DayBookings,
    need: &VisitNeed<'_>,
    start: DateTime<Utc>,
    policy: &Policy,
) -> Option<&'a Technician> {
    technicians
        .iter()
        .filter_map(|t| {
            let visits = booked.get(&t.id).map(Vec::as_slice).unwrap_or_default();
            let band = free_at(t, visits, need, start, policy).ok()?;
            Some(((visits.len(), band as u8, t.id.clone()), t))
        })
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, t)| t)
}

/// The work order board's states (维修状态看板).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BoardStatus {
    /// 在修
    InRepair,
    /// 待料
    WaitingForParts,
    /// 机加工 (machining, or outsourced)
    Machining,
    /// 等待答复 (waiting for the customer's answer)
    WaitingForCustomer,
    /// 停工
    Stopped,
    /// 完工
    Finished,
}

impl BoardStatus {
    /// The board's own label.
    pub fn label_zh(self) -> &'static str {
        match self {
            BoardStatus::InRepair => "在修",
            BoardStatus::WaitingForParts => "待料",
            BoardStatus::Machining => "机加工",
            BoardStatus::WaitingForCustomer => "等待答复",
            BoardStatus::Stopped => "停工",
            BoardStatus::Finished => "完工",
        }
    }

    /// Work moves freely between the open states; a finished order moves no more (rework is
    /// an order of its own).
    pub fn may_become(self, next: BoardStatus) -> bool {
        self != BoardStatus::Finished && self != next
    }
}

/// One repair done, as the repeat-repair rule reads the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairDone<'a> {
    pub case_id: &'a crate::domain::values::CaseId,
    pub serial_number: &'a str,
    /// The fault's code (the policy's vocabulary).
    pub fault: &'a str,
    pub technician: &'a str,
    pub finished_at: DateTime<Utc>,
}

/// The earlier repair that makes `repair` a repeat (不允许同一问题重复修理): the same fault on
/// the same serial number, finished within `window_days` before it. The repeat counts against
/// that earlier repair's technician.
pub fn repeat_of<'a>(
    repair: &RepairDone<'_>,
    history: &'a [RepairDone<'a>],
    window_days: u32,
) -> Option<&'a RepairDone<'a>> {
    let window = Duration::days(i64::from(window_days));
    history
        .iter()
        .filter(|h| {
            h.serial_number == repair.serial_number
                && h.fault == repair.fault
                && h.finished_at < repair.finished_at
                && repair.finished_at - h.finished_at <= window
        })
        .max_by_key(|h| h.finished_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::WorkCalendar;
    use chrono::{FixedOffset, NaiveDate, TimeZone};

    fn technician(id: &str, district: &str, band: Area) -> Technician {
        let day = Some((9 * 60, 18 * 60));
        Technician {
            id: id.into(),
            name: format!("Technician {id}"),
            skills: ["television".to_owned()].into(),
            districts: [(district.to_owned(), band)].into(),
            hours: [day, day, day, day, day, None, None],
            daily_capacity: 3,
            leave: Default::default(),
        }
    }

    #[test]
    fn suggestions_rank_the_earliest_free_start_then_the_lightest_day_then_the_nearest_band() {
        let policy = Policy::default();
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(); // a Wednesday
        let techs = vec![
            technician("far", "420102", Area::Remote),
            technician("near", "420102", Area::City),
            technician("busy", "420102", Area::City),
            technician("elsewhere", "420106", Area::City),
        ];
        let mut booked = std::collections::BTreeMap::new();
        // "busy" has 9:00-10:00 taken; "far" nothing.
        booked.insert(
            "busy".to_owned(),
            vec![(beijing(2026, 12, 2, 9), beijing(2026, 12, 2, 10))],
        );
        let need = VisitNeed {
            skill: "television",
            district: "420102",
            minutes: 60,
            due: beijing(2026, 12, 2, 11),
        };
        let ranked = suggest(
            &techs,
            &booked,
            &need,
            day,
            beijing(2026, 12, 2, 8),
            &policy,
        );
        let order: Vec<&str> = ranked.iter().map(|s| s.technician.as_str()).collect();
        // near and far start at 9:00 (near first: nearer band), busy at 10:00; elsewhere
        // does not serve the district.
        assert_eq!(order, ["near", "far", "busy"]);
        assert_eq!(ranked[2].start, beijing(2026, 12, 2, 10));
        // A visit that would end after the due time is not offered.
        let tight = VisitNeed {
            due: beijing(2026, 12, 2, 10),
            ..need.clone()
        };
        let ranked = suggest(
            &techs,
            &booked,
            &tight,
            day,
            beijing(2026, 12, 2, 8),
            &policy,
        );
        assert!(ranked.iter().all(|s| s.technician != "busy"));
    }

    #[test]
    fn a_technician_on_leave_a_holiday_or_a_full_day_is_not_suggested() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let need = VisitNeed {
            skill: "television",
            district: "420102",
            minutes: 60,
            due: beijing(2026, 12, 3, 9),
        };
        let mut t = technician("t", "420102", Area::City);
        t.leave.insert(day);
        let none = std::collections::BTreeMap::new();
        assert!(
            suggest(
                &[t.clone()],
                &none,
                &need,
                day,
                beijing(2026, 12, 2, 8),
                &Policy::default()
            )
            .is_empty()
        );
        t.leave.clear();
        let holiday = Policy {
            calendar: WorkCalendar {
                holidays: [day].into(),
                working_weekends: Default::default(),
            },
            ..Policy::default()
        };
        assert!(
            suggest(
                &[t.clone()],
                &none,
                &need,
                day,
                beijing(2026, 12, 2, 8),
                &holiday
            )
            .is_empty()
        );
        let full: std::collections::BTreeMap<_, _> = [(
            "t".to_owned(),
            (0..3)
                .map(|h| (beijing(2026, 12, 2, 9 + h), beijing(2026, 12, 2, 10 + h)))
                .collect(),
        )]
        .into();
        assert!(
            suggest(
                &[t.clone()],
                &full,
                &need,
                day,
                beijing(2026, 12, 2, 8),
                &Policy::default()
            )
            .is_empty()
        );
        assert!(t.validate().is_empty());
    }

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
    fn the_same_fault_on_the_same_serial_within_the_window_is_a_repeat_counted_against_the_first_repair()
     {
        let case = crate::domain::values::CaseId::parse("AS2611-2012345678").unwrap();
        let done = |serial, fault, tech, day| RepairDone {
            case_id: &case,
            serial_number: serial,
            fault,
            technician: tech,
            finished_at: beijing(2026, 11, day, 10),
        };
        let history = [
            done("SN1", "no-picture", "li", 2),
            done("SN1", "no-sound", "wang", 10),
            done("SN2", "no-picture", "zhao", 12),
        ];
        let again = done("SN1", "no-picture", "chen", 20);
        let repeat = repeat_of(&again, &history, 90).expect("a repeat");
        assert_eq!(repeat.technician, "li");
        // Another fault, another serial, or outside the window: no repeat.
        assert!(repeat_of(&done("SN1", "no-wifi", "chen", 20), &history, 90).is_none());
        assert!(repeat_of(&done("SN3", "no-picture", "chen", 20), &history, 90).is_none());
        assert!(repeat_of(&again, &history, 10).is_none());
    }

    #[test]
    fn a_finished_work_order_moves_no_more_and_the_open_states_move_freely() {
        use BoardStatus::*;
        assert!(InRepair.may_become(WaitingForParts));
        assert!(WaitingForParts.may_become(InRepair));
        assert!(Stopped.may_become(Finished));
        assert!(!Finished.may_become(InRepair));
        assert!(!InRepair.may_become(InRepair));
        assert_eq!(WaitingForCustomer.label_zh(), "等待答复");
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

//! The reports that close the loop (DOMAIN §6), kept as counters written with the facts.
//!
//! A case's facts (filed, returned, resolved, answered, tagged, repaired on time or late…) are
//! a function of the case alone: [`facts`]. Each write of a case adds the difference between
//! the facts after and before ([`tallies`]) to per-day counters in the same transaction, which
//! is conditioned on the case's version: a decision delivered twice either finds the version
//! moved (and decides again on the new state, whose difference is nothing) or is answered from
//! its idempotency record, so every fact is counted exactly once, and a fact that changes (tags
//! replaced) moves its count. A report for a period sums the counters of its days
//! ([`Reports::of`]): no scan, and the work grows with the days and dimensions, not the cases.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::case::Case;
use super::case::work::WorkKind;
use super::feedback::Satisfaction;
use super::returns::Stage;

/// One counter's change: `n` more of `metric` for `dims` on the merchant's `day`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub day: NaiveDate,
    pub metric: &'static str,
    pub dims: Vec<String>,
    pub n: i64,
}

/// The metrics counted, by name (the counters' own names, kept short and stable).
pub mod metric {
    /// Cases filed, by type.
    pub const FILED: &str = "filed";
    /// Units asked back in a return, refund or exchange, by product.
    pub const RETURNED: &str = "returned";
    /// Return requests, by product and reason.
    pub const RETURN_REASON: &str = "return_reason";
    /// Units sold on storefront orders, by product.
    pub const SOLD: &str = "sold";
    /// Cases resolved (the day their survey opened), by type.
    pub const RESOLVED: &str = "resolved";
    /// Survey answers, by technician (`-`: none) and level.
    pub const SURVEY: &str = "survey";
    /// Reasons given below satisfied.
    pub const SURVEY_REASON: &str = "survey_reason";
    /// Cases sent back by a dissatisfied answer, by reason.
    pub const REOPENED: &str = "reopened";
    /// Complaints filed, by channel.
    pub const COMPLAINT: &str = "complaint";
    /// Complaints settled against a technician.
    pub const COMPLAINT_AGAINST: &str = "complaint_against";
    /// Promises kept or missed, by promise (`on_site`, `workshop`, `merchant_clock`,
    /// `complaint_answer`) and outcome (`met`, `missed`).
    pub const PROMISE: &str = "promise";
    /// A technician's visits and repairs on time or late, by technician and outcome.
    pub const TECHNICIAN_PROMISE: &str = "technician_promise";
    /// Repairs that passed their exit inspection, by technician and product.
    pub const REPAIR: &str = "repair";
    /// Exit inspections failed before the pass (返修), by technician.
    pub const REWORK: &str = "rework";
    /// Repeat repairs (the same fault within the policy's window), by the earlier repair's
    /// technician and the product.
    pub const REPEAT: &str = "repeat";
    /// Tags: the reason, the defect by product, the responsibility.
    pub const TAG_REASON: &str = "tag_reason";
    pub const TAG_DEFECT: &str = "tag_defect";
    pub const TAG_RESPONSIBILITY: &str = "tag_responsibility";
    /// Callbacks done, by outcome.
    pub const CALLBACK: &str = "callback";
}

/// The merchant's day of an instant.
pub fn merchant_day(at: DateTime<Utc>, offset_minutes: i32) -> NaiveDate {
    use chrono::Offset;
    let offset = offset_minutes
        .checked_mul(60)
        .and_then(FixedOffset::east_opt)
        .unwrap_or(Utc.fix());
    at.with_timezone(&offset).date_naive()
}

/// What a report calls a product: its SKU, else its model.
pub fn product_key(case: &Case) -> String {
    case.product
        .sku
        .clone()
        .or_else(|| case.product.model.clone())
        .or_else(|| case.returns.as_ref().and_then(|f| f.terms.model.clone()))
        .unwrap_or_else(|| "-".to_owned())
}

fn level(l: Satisfaction) -> &'static str {
    match l {
        Satisfaction::VerySatisfied => "very_satisfied",
        Satisfaction::Satisfied => "satisfied",
        Satisfaction::Average => "average",
        Satisfaction::Dissatisfied => "dissatisfied",
    }
}

fn snake<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

type Facts = BTreeMap<(NaiveDate, &'static str, Vec<String>), i64>;

/// Every fact a case contributes to the reports, on the merchant's day it happened.
pub fn facts(case: &Case) -> Facts {
    let mut out = Facts::new();
    let offset = case.merchant_utc_offset_minutes;
    let mut add = |at: DateTime<Utc>, metric: &'static str, dims: Vec<String>, n: i64| {
        if n != 0 {
            *out.entry((merchant_day(at, offset), metric, dims))
                .or_default() += n;
        }
    };
    let product = product_key(case);
    let filed = case.created_at;
    add(
        filed,
        metric::FILED,
        vec![case.case_type.as_str().to_owned()],
        1,
    );
    if let Some(flow) = &case.returns {
        add(
            filed,
            metric::RETURNED,
            vec![product.clone()],
            i64::from(flow.terms.units),
        );
        add(
            filed,
            metric::RETURN_REASON,
            vec![product.clone(), snake(&flow.terms.reason)],
            1,
        );
        let outcome = match flow.approved_by.as_deref() {
            Some("timers") => Some("missed"),
            Some(_) => Some("met"),
            None if flow.stage == Stage::Rejected => Some("met"),
            None => None,
        };
        if let Some(outcome) = outcome {
            add(
                filed,
                metric::PROMISE,
                vec!["merchant_clock".to_owned(), outcome.to_owned()],
                1,
            );
        }
    }
    let technician = case
        .work
        .as_ref()
        .and_then(|w| w.booking.as_ref())
        .map(|b| b.technician.clone());
    if let Some(survey) = &case.survey {
        add(
            survey.opened_at,
            metric::RESOLVED,
            vec![case.case_type.as_str().to_owned()],
            1,
        );
        if let Some(answer) = &survey.answer {
            add(
                answer.at,
                metric::SURVEY,
                vec![
                    technician.clone().unwrap_or_else(|| "-".to_owned()),
                    level(answer.level).to_owned(),
                ],
                1,
            );
            for reason in &answer.reasons {
                add(answer.at, metric::SURVEY_REASON, vec![snake(reason)], 1);
            }
        }
    }
    for reopened in &case.reopenings {
        for reason in &reopened.reasons {
            add(reopened.at, metric::REOPENED, vec![snake(reason)], 1);
        }
        if reopened.complaint.is_some() {
            add(
                reopened.at,
                metric::REOPENED,
                vec!["complaint".to_owned()],
                1,
            );
        }
    }
    if let Some(c) = &case.complaint {
        add(filed, metric::COMPLAINT, vec![snake(&c.channel)], 1);
        if let (Some(due), Some(answered)) = (c.answer_due, c.answered_at) {
            let outcome = if answered <= due { "met" } else { "missed" };
            add(
                due,
                metric::PROMISE,
                vec!["complaint_answer".to_owned(), outcome.to_owned()],
                1,
            );
        }
        if let (Some(t), Some(at)) = (&c.against, c.resolved_at) {
            add(at, metric::COMPLAINT_AGAINST, vec![t.clone()], 1);
        }
    }
    if let Some(w) = &case.work {
        let outcome = if w.late {
            Some("missed")
        } else if w.met() {
            Some("met")
        } else {
            None
        };
        if let Some(outcome) = outcome {
            let kind = match w.kind {
                WorkKind::OnSite => "on_site",
                WorkKind::Workshop => "workshop",
            };
            add(
                w.due,
                metric::PROMISE,
                vec![kind.to_owned(), outcome.to_owned()],
                1,
            );
            if let Some(t) = &technician {
                add(
                    w.due,
                    metric::TECHNICIAN_PROMISE,
                    vec![t.clone(), outcome.to_owned()],
                    1,
                );
            }
        }
        if let Some(inspection) = &w.inspection {
            let t = technician.clone().unwrap_or_else(|| "-".to_owned());
            add(
                inspection.at,
                metric::REPAIR,
                vec![t.clone(), product.clone()],
                1,
            );
            add(inspection.at, metric::REWORK, vec![t], i64::from(w.reworks));
            if let Some(repeat) = &w.repeat_of {
                add(
                    inspection.at,
                    metric::REPEAT,
                    vec![repeat.technician.clone(), product.clone()],
                    1,
                );
            }
        }
    }
    for call in &case.callbacks {
        add(
            call.at,
            metric::CALLBACK,
            vec![call.outcome.as_str().to_owned()],
            1,
        );
    }
    if let Some(tags) = &case.tags {
        add(tags.at, metric::TAG_REASON, vec![tags.reason.clone()], 1);
        if let Some(d) = &tags.defect {
            add(
                tags.at,
                metric::TAG_DEFECT,
                vec![product.clone(), d.clone()],
                1,
            );
        }
        add(
            tags.at,
            metric::TAG_RESPONSIBILITY,
            vec![tags.responsibility.clone()],
            1,
        );
    }
    out
}

/// The units an order sold, by product (its SKU, else its line's title), on the merchant's
/// day it was placed; a cancelled order sold nothing.
pub fn order_facts(order: &super::order::Order, offset_minutes: i32) -> Facts {
    let mut out = Facts::new();
    if order.cancelled_at.is_some() {
        return out;
    }
    let day = merchant_day(order.created_at, offset_minutes);
    for line in &order.lines {
        let product = line.sku.clone().unwrap_or_else(|| line.title.clone());
        *out.entry((day, metric::SOLD, vec![product])).or_default() += i64::from(line.quantity);
    }
    out
}

/// What a write of an order adds to the counters (a snapshot replacing `before`).
pub fn order_tallies(
    before: Option<&super::order::Order>,
    after: &super::order::Order,
    offset_minutes: i32,
) -> Vec<Tally> {
    let mut diff = order_facts(after, offset_minutes);
    if let Some(before) = before {
        for (key, n) in order_facts(before, offset_minutes) {
            *diff.entry(key).or_default() -= n;
        }
    }
    collect(diff)
}

/// What a write of a case adds to the counters: the facts after less the facts before
/// (nothing before a filing).
pub fn tallies(before: Option<&Case>, after: &Case) -> Vec<Tally> {
    let mut diff = facts(after);
    if let Some(before) = before {
        for (key, n) in facts(before) {
            *diff.entry(key).or_default() -= n;
        }
    }
    collect(diff)
}

fn collect(diff: Facts) -> Vec<Tally> {
    diff.into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|((day, metric, dims), n)| Tally {
            day,
            metric,
            dims,
            n,
        })
        .collect()
}

/// A counter as read back: the sum of its tallies on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counted {
    pub day: NaiveDate,
    pub metric: String,
    pub dims: Vec<String>,
    pub n: i64,
}

/// A period of the reports, both days included (the merchant's days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The longest period a report covers.
pub const MAX_PERIOD_DAYS: i64 = 366;

impl Period {
    /// A period of at most [`MAX_PERIOD_DAYS`], `from` not after `to`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Option<Self> {
        (from <= to && (to - from).num_days() < MAX_PERIOD_DAYS).then_some(Self { from, to })
    }

    /// The quarter a day falls in.
    pub fn quarter_of(day: NaiveDate) -> Self {
        let first_month = (day.month0() / 3) * 3 + 1;
        let from = NaiveDate::from_ymd_opt(day.year(), first_month, 1).unwrap_or(day);
        let next = if first_month == 10 {
            NaiveDate::from_ymd_opt(day.year().saturating_add(1), 1, 1)
        } else {
            NaiveDate::from_ymd_opt(day.year(), first_month + 3, 1)
        };
        let to = next.and_then(|d| d.pred_opt()).unwrap_or(day);
        Self { from, to }
    }

    /// The months (`YYYY-MM`) the period touches: the counters' partitions.
    pub fn months(&self) -> Vec<String> {
        let mut months = Vec::new();
        let mut d = self.from.with_day(1).unwrap_or(self.from);
        while d <= self.to {
            months.push(d.format("%Y-%m").to_string());
            d = match d.checked_add_months(chrono::Months::new(1)) {
                Some(next) => next,
                None => break,
            };
        }
        months
    }
}

/// Kept and missed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Compliance {
    pub met: i64,
    pub missed: i64,
    /// `met / (met + missed)`, none without either.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
}

impl Compliance {
    fn add(&mut self, outcome: &str, n: i64) {
        match outcome {
            "met" => self.met += n,
            _ => self.missed += n,
        }
        self.rate = ratio(self.met, self.met + self.missed);
    }
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| round4(part as f64 / whole as f64))
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Returns of one product.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductReturns {
    pub product: String,
    /// Units sold on the storefronts' orders in the period.
    pub sold: i64,
    /// Units asked back (returns, refunds, exchanges) in the period.
    pub returned: i64,
    /// `returned / sold`, none without sales.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_rate: Option<f64>,
    /// Requests by reason (`quality_fault`, `merchant_error`, `customer_reason`).
    pub reasons: BTreeMap<String, i64>,
}

/// Answers by level.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Levels {
    pub very_satisfied: i64,
    pub satisfied: i64,
    pub average: i64,
    pub dissatisfied: i64,
    pub answers: i64,
    /// Very satisfied and satisfied over all answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub satisfied_rate: Option<f64>,
}

impl Levels {
    fn add(&mut self, level: &str, n: i64) {
        match level {
            "very_satisfied" => self.very_satisfied += n,
            "satisfied" => self.satisfied += n,
            "average" => self.average += n,
            _ => self.dissatisfied += n,
        }
        self.answers += n;
        self.satisfied_rate = ratio(self.very_satisfied + self.satisfied, self.answers);
    }
}

/// One technician's quarter (维修评核表) or period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TechnicianReview {
    pub technician: String,
    /// Repairs that passed their exit inspection.
    pub repairs: i64,
    /// Exit inspections failed before the pass (返修).
    pub reworks: i64,
    /// Later repairs of the same fault on the same unit, counted against this technician.
    pub repeats: i64,
    /// `1 - repeats / repairs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_time_fix_rate: Option<f64>,
    /// Visits and workshop repairs on time.
    pub on_time: Compliance,
    pub satisfaction: Levels,
    /// Complaints settled against the technician.
    pub complaints: i64,
}

/// One week of quality tracking (质检跟踪统计表), Monday to Sunday.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QualityWeek {
    pub week_of: NaiveDate,
    pub repairs: i64,
    pub reworks: i64,
    pub repeats: i64,
    /// Defects tagged that week, by code.
    pub defects: BTreeMap<String, i64>,
    pub satisfaction: Levels,
}

/// One indicator of the service-rating self-assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Indicator {
    /// `response`, `complaint_handling`, `satisfaction`, `repair_quality`.
    pub indicator: String,
    /// Its weight among the indicators the system measures (they sum to 100).
    pub weight: u32,
    /// What it was measured on.
    pub inputs: BTreeMap<String, i64>,
    /// The rate measured; none without inputs (then left out of the score).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// `weight × rate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<f64>,
}

/// Where the merchant stands on the national after-sales service rating's measurable
/// indicators (70 pass, 80 three stars, 90 four, 95 five).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceRating {
    /// Out of 100, over the indicators measured (rescaled to their weights).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// `five_stars`, `four_stars`, `three_stars`, `pass`, `below_pass`, or `unmeasured`.
    pub level: String,
    pub indicators: Vec<Indicator>,
}

/// The reports of a period, from its counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reports {
    pub period: Period,
    /// Cases filed and resolved, by type.
    pub filed: BTreeMap<String, i64>,
    pub resolved: BTreeMap<String, i64>,
    /// Return rate and reasons by product, most returned first.
    pub returns_by_product: Vec<ProductReturns>,
    /// Tags: why customers came, what was wrong (by code, and by product), who was responsible.
    pub tag_reasons: BTreeMap<String, i64>,
    pub defects: BTreeMap<String, i64>,
    pub defects_by_product: BTreeMap<String, BTreeMap<String, i64>>,
    pub responsibility: BTreeMap<String, i64>,
    /// Repairs and repeat repairs by product.
    pub repairs_by_product: BTreeMap<String, i64>,
    pub repeats_by_product: BTreeMap<String, i64>,
    /// Promises kept, by promise: `on_site`, `workshop`, `merchant_clock`, `complaint_answer`.
    pub deadlines: BTreeMap<String, Compliance>,
    /// Survey answers overall, by technician (`-`: no technician) and by week.
    pub satisfaction: Levels,
    pub satisfaction_by_technician: BTreeMap<String, Levels>,
    pub survey_reasons: BTreeMap<String, i64>,
    /// Resolved cases sent back by their customers, by reason.
    pub reopened: BTreeMap<String, i64>,
    pub complaints_by_channel: BTreeMap<String, i64>,
    pub callbacks: BTreeMap<String, i64>,
    /// The technician review (维修评核表) for the period.
    pub technicians: Vec<TechnicianReview>,
    /// Weekly quality tracking (质检跟踪统计表).
    pub weekly_quality: Vec<QualityWeek>,
    /// Technicians who worked in the period without a complaint against them (奖励规则: a
    /// quarter without complaints earns a reward).
    pub without_complaints: Vec<String>,
    pub service_rating: ServiceRating,
    /// Counter items the report was made of.
    pub counters_read: usize,
}

fn week_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

fn dim(dims: &[String], i: usize) -> String {
    dims.get(i).cloned().unwrap_or_default()
}

impl Reports {
    /// The reports of `period` from its counters (those outside it are ignored).
    pub fn of(period: Period, counters: &[Counted]) -> Self {
        let mut r = Reports {
            period,
            filed: BTreeMap::new(),
            resolved: BTreeMap::new(),
            returns_by_product: Vec::new(),
            tag_reasons: BTreeMap::new(),
            defects: BTreeMap::new(),
            defects_by_product: BTreeMap::new(),
            responsibility: BTreeMap::new(),
            repairs_by_product: BTreeMap::new(),
            repeats_by_product: BTreeMap::new(),
            deadlines: BTreeMap::new(),
            satisfaction: Levels::default(),
            satisfaction_by_technician: BTreeMap::new(),
            survey_reasons: BTreeMap::new(),
            reopened: BTreeMap::new(),
            complaints_by_channel: BTreeMap::new(),
            callbacks: BTreeMap::new(),
            technicians: Vec::new(),
            weekly_quality: Vec::new(),
            without_complaints: Vec::new(),
            service_rating: ServiceRating {
                score: None,
                level: String::new(),
                indicators: Vec::new(),
            },
            counters_read: counters.len(),
        };
        let mut products: BTreeMap<String, ProductReturns> = BTreeMap::new();
        let mut techs: BTreeMap<String, TechnicianReview> = BTreeMap::new();
        let mut weeks: BTreeMap<NaiveDate, QualityWeek> = BTreeMap::new();
        for c in counters
            .iter()
            .filter(|c| c.day >= period.from && c.day <= period.to && c.n != 0)
        {
            let (d0, d1) = (dim(&c.dims, 0), dim(&c.dims, 1));
            let week = week_of(c.day);
            let bump = |map: &mut BTreeMap<String, i64>, key: String| {
                *map.entry(key).or_default() += c.n;
            };
            match c.metric.as_str() {
                metric::FILED => bump(&mut r.filed, d0),
                metric::RESOLVED => bump(&mut r.resolved, d0),
                metric::SOLD => products.entry(d0.clone()).or_default().sold += c.n,
                metric::RETURNED => products.entry(d0.clone()).or_default().returned += c.n,
                metric::RETURN_REASON => {
                    let p = products.entry(d0.clone()).or_default();
                    *p.reasons.entry(d1).or_default() += c.n;
                }
                metric::SURVEY => {
                    r.satisfaction.add(&d1, c.n);
                    r.satisfaction_by_technician
                        .entry(d0.clone())
                        .or_default()
                        .add(&d1, c.n);
                    if d0 != "-" {
                        techs
                            .entry(d0.clone())
                            .or_default()
                            .satisfaction
                            .add(&d1, c.n);
                    }
                    weeks.entry(week).or_default().satisfaction.add(&d1, c.n);
                }
                metric::SURVEY_REASON => bump(&mut r.survey_reasons, d0),
                metric::REOPENED => bump(&mut r.reopened, d0),
                metric::COMPLAINT => bump(&mut r.complaints_by_channel, d0),
                metric::COMPLAINT_AGAINST => techs.entry(d0.clone()).or_default().complaints += c.n,
                metric::PROMISE => r.deadlines.entry(d0).or_default().add(&d1, c.n),
                metric::TECHNICIAN_PROMISE => {
                    techs.entry(d0.clone()).or_default().on_time.add(&d1, c.n);
                }
                metric::REPAIR => {
                    if d0 != "-" {
                        techs.entry(d0.clone()).or_default().repairs += c.n;
                    }
                    bump(&mut r.repairs_by_product, d1);
                    weeks.entry(week).or_default().repairs += c.n;
                }
                metric::REWORK => {
                    if d0 != "-" {
                        techs.entry(d0.clone()).or_default().reworks += c.n;
                    }
                    weeks.entry(week).or_default().reworks += c.n;
                }
                metric::REPEAT => {
                    techs.entry(d0.clone()).or_default().repeats += c.n;
                    bump(&mut r.repeats_by_product, d1);
                    weeks.entry(week).or_default().repeats += c.n;
                }
                metric::TAG_REASON => bump(&mut r.tag_reasons, d0),
                metric::TAG_DEFECT => {
                    bump(&mut r.defects, d1.clone());
                    *r.defects_by_product
                        .entry(d0)
                        .or_default()
                        .entry(d1.clone())
                        .or_default() += c.n;
                    *weeks
                        .entry(week)
                        .or_default()
                        .defects
                        .entry(d1)
                        .or_default() += c.n;
                }
                metric::TAG_RESPONSIBILITY => bump(&mut r.responsibility, d0),
                metric::CALLBACK => bump(&mut r.callbacks, d0),
                _ => {}
            }
        }
        for (name, mut p) in products {
            p.product = name;
            p.return_rate = ratio(p.returned, p.sold);
            r.returns_by_product.push(p);
        }
        r.returns_by_product
            .sort_by(|a, b| b.returned.cmp(&a.returned).then(a.product.cmp(&b.product)));
        for (name, mut t) in techs {
            t.technician = name;
            t.first_time_fix_rate = ratio(t.repairs - t.repeats, t.repairs);
            r.technicians.push(t);
        }
        r.without_complaints = r
            .technicians
            .iter()
            .filter(|t| {
                t.complaints == 0 && (t.repairs > 0 || t.on_time.met + t.on_time.missed > 0)
            })
            .map(|t| t.technician.clone())
            .collect();
        r.weekly_quality = weeks
            .into_iter()
            .map(|(week_of, mut w)| {
                w.week_of = week_of;
                w
            })
            .collect();
        r.service_rating = rating(&r);
        r
    }
}

/// The self-assessment on what the system measures, each indicator with its inputs.
fn rating(r: &Reports) -> ServiceRating {
    let promises = r
        .deadlines
        .iter()
        .filter(|(k, _)| k.as_str() != "complaint_answer")
        .fold((0, 0), |(m, x), (_, c)| (m + c.met, x + c.missed));
    let complaints = r
        .deadlines
        .get("complaint_answer")
        .map_or((0, 0), |c| (c.met, c.missed));
    let repairs: i64 = r.repairs_by_product.values().sum();
    let repeats: i64 = r.repeats_by_product.values().sum();
    let s = &r.satisfaction;
    let indicator = |name: &str, weight: u32, inputs: &[(&str, i64)], part: i64, whole: i64| {
        let rate = ratio(part, whole);
        Indicator {
            indicator: name.to_owned(),
            weight,
            inputs: inputs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            rate,
            points: rate.map(|x| round4(x * f64::from(weight))),
        }
    };
    let indicators = vec![
        indicator(
            "response",
            30,
            &[("met", promises.0), ("missed", promises.1)],
            promises.0,
            promises.0 + promises.1,
        ),
        indicator(
            "complaint_handling",
            20,
            &[
                ("answered_in_time", complaints.0),
                ("answered_late", complaints.1),
            ],
            complaints.0,
            complaints.0 + complaints.1,
        ),
        indicator(
            "satisfaction",
            30,
            &[
                ("very_satisfied", s.very_satisfied),
                ("satisfied", s.satisfied),
                ("average", s.average),
                ("dissatisfied", s.dissatisfied),
            ],
            s.very_satisfied + s.satisfied,
            s.answers,
        ),
        indicator(
            "repair_quality",
            20,
            &[("repairs", repairs), ("repeats", repeats)],
            repairs - repeats,
            repairs,
        ),
    ];
    let measured: u32 = indicators
        .iter()
        .filter(|i| i.rate.is_some())
        .map(|i| i.weight)
        .sum();
    let points: f64 = indicators.iter().filter_map(|i| i.points).sum();
    let score = (measured > 0).then(|| round4(points * 100.0 / f64::from(measured)));
    let level = match score {
        None => "unmeasured",
        Some(s) if s >= 95.0 => "five_stars",
        Some(s) if s >= 90.0 => "four_stars",
        Some(s) if s >= 80.0 => "three_stars",
        Some(s) if s >= 70.0 => "pass",
        Some(_) => "below_pass",
    };
    ServiceRating {
        score,
        level: level.to_owned(),
        indicators,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_runs_from_its_first_day_to_its_last() {
        let q = Period::quarter_of(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        assert_eq!(q.from, NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        assert_eq!(q.to, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        assert_eq!(q.months(), ["2026-10", "2026-11", "2026-12"]);
        assert!(Period::new(q.to, q.from).is_none());
    }

    #[test]
    fn a_tag_replaced_moves_its_count_and_a_write_that_changes_nothing_counts_nothing() {
        let mut case = crate::http::examples::filed_case().case;
        assert_eq!(tallies(Some(&case), &case), Vec::new());
        case.status = crate::domain::case::CaseStatus::Resolved;
        let at: DateTime<Utc> = "2026-11-21T02:00:00Z".parse().unwrap();
        let tagged = |reason: &str| crate::domain::feedback::CaseTags {
            reason: reason.to_owned(),
            defect: None,
            responsibility: "merchant".to_owned(),
            by: "a".to_owned(),
            at,
        };
        let mut before = case.clone();
        before.tags = Some(tagged("wrong_item"));
        let mut after = case.clone();
        after.tags = Some(tagged("other"));
        let moved = tallies(Some(&before), &after);
        let n = |dim: &str| {
            moved
                .iter()
                .find(|t| t.dims == [dim.to_owned()])
                .map(|t| t.n)
        };
        assert_eq!(n("wrong_item"), Some(-1));
        assert_eq!(n("other"), Some(1));
        assert_eq!(n("merchant"), None);
    }

    #[test]
    fn the_rating_rescales_to_what_was_measured_and_names_its_level() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
        let c = |metric: &str, dims: &[&str], n| Counted {
            day,
            metric: metric.to_owned(),
            dims: dims.iter().map(|d| (*d).to_owned()).collect(),
            n,
        };
        let r = Reports::of(
            Period::quarter_of(day),
            &[
                c(metric::SURVEY, &["t1", "very_satisfied"], 9),
                c(metric::SURVEY, &["t1", "dissatisfied"], 1),
                c(metric::PROMISE, &["on_site", "met"], 4),
            ],
        );
        // Satisfaction 0.9 × 30 + response 1.0 × 30, over the 60 points measured.
        assert_eq!(r.service_rating.score, Some(95.0));
        assert_eq!(r.service_rating.level, "five_stars");
        assert_eq!(r.without_complaints, Vec::<String>::new());
        assert_eq!(r.satisfaction_by_technician["t1"].answers, 10);
    }
}

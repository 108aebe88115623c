//! The merchant's policy: every number DOMAIN.md calls a default, in one value.
//!
//! It is stored as one item in the table and changed by an admin through the API, so that a
//! merchant can change a warranty period or a deadline without a code change. What is not
//! stored falls back to DOMAIN.md's defaults (`#[serde(default)]` on every field), so a policy
//! written by an older version still reads.

use std::collections::BTreeMap;

use chrono::{FixedOffset, Offset, Utc};
use serde::{Deserialize, Serialize};

use super::{InvalidField, check_range};

/// Warranty periods of one product category (DOMAIN §3), in days from the base date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CategoryPolicy {
    /// 包退: return for a quality fault, days 1–7.
    pub return_days: u32,
    /// 包换: exchange for a quality fault, days 8–30.
    pub exchange_days: u32,
    /// 整机保修: free repair of the whole unit, up to day 365.
    pub repair_days: u32,
    /// 重要部件保修: free repair of key components, up to 3 years.
    pub key_component_days: u32,
    /// A maker's extension of the repair periods (以延长的保修日期为准).
    pub extension_days: u32,
    /// 七天无理由: whether goods of this category may be returned without a reason.
    pub no_reason_return: bool,
    /// 特殊商品 (fresh food, virtual goods, cars...): refund-only, never return-and-refund.
    pub special_goods: bool,
    /// Installed systems count from the acceptance date (验收之日).
    pub installed: bool,
}

impl Default for CategoryPolicy {
    fn default() -> Self {
        Self {
            return_days: 7,
            exchange_days: 30,
            repair_days: 365,
            key_component_days: 3 * 365,
            extension_days: 0,
            no_reason_return: true,
            special_goods: false,
            installed: false,
        }
    }
}

impl CategoryPolicy {
    fn special() -> Self {
        Self {
            no_reason_return: false,
            special_goods: true,
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// The merchant's time zone as an offset from UTC: dates (invoice, receipt) are the
    /// merchant's calendar dates, and a case number carries the merchant's month.
    pub utc_offset_minutes: i32,
    /// Periods for a category that has no entry of its own.
    pub default_category: CategoryPolicy,
    pub categories: BTreeMap<String, CategoryPolicy>,
    /// 七天无理由: days from receipt.
    pub no_reason_return_days: u32,
    /// Without an invoice or receipt, the base date is the factory date plus this.
    pub factory_date_grace_months: u32,
    /// Answer a service request within this (DOMAIN §5: 24 hours).
    pub first_response_hours: u32,
    /// A technical-support request is reviewed within this many working days (DOMAIN §2).
    pub technical_support_review_working_days: u32,
    /// How long an `Idempotency-Key` is remembered.
    pub idempotency_ttl_hours: u32,
    /// Open cases a customer may file (in the app or through customer service) on one line
    /// of a storefront order, so that one customer cannot flood an order.
    pub max_open_cases_per_order_line: u32,
    /// Return approval: clocks, levels, fees (DOMAIN §4).
    pub returns: super::returns::ReturnPolicy,
    /// Which days are working days, for promises counted in them (public holidays and the
    /// make-up working days of the merchant's country; empty: Monday to Friday).
    pub calendar: super::calendar::WorkCalendar,
    /// Field service: on site by contract and area, workshop, spare parts (DOMAIN §5).
    pub dispatch: super::dispatch::DispatchPolicy,
    /// Surveys and the loop they close (DOMAIN §6).
    pub feedback: super::feedback::FeedbackPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        let special = ["fresh_food", "fruit", "virtual_goods", "car"];
        let mut categories: BTreeMap<String, CategoryPolicy> = special
            .iter()
            .map(|c| (c.to_string(), CategoryPolicy::special()))
            .collect();
        categories.insert(
            "security_system".into(),
            CategoryPolicy {
                installed: true,
                ..CategoryPolicy::default()
            },
        );
        Self {
            utc_offset_minutes: 8 * 60,
            default_category: CategoryPolicy::default(),
            categories,
            no_reason_return_days: 7,
            factory_date_grace_months: 3,
            first_response_hours: 24,
            technical_support_review_working_days: 2,
            idempotency_ttl_hours: 24,
            max_open_cases_per_order_line: 5,
            returns: super::returns::ReturnPolicy::default(),
            calendar: super::calendar::WorkCalendar::default(),
            dispatch: super::dispatch::DispatchPolicy::default(),
            feedback: super::feedback::FeedbackPolicy::default(),
        }
    }
}

impl Policy {
    pub fn category(&self, name: &str) -> &CategoryPolicy {
        self.categories.get(name).unwrap_or(&self.default_category)
    }

    pub fn time_zone(&self) -> FixedOffset {
        self.utc_offset_minutes
            .checked_mul(60)
            .and_then(FixedOffset::east_opt)
            .unwrap_or(Utc.fix())
    }

    /// A policy an admin submits is checked before it is stored: every number in its range,
    /// periods that nest (a return window longer than the exchange window would make no
    /// sense), real offsets, category keys that a purchase can name, and approval levels held
    /// by people who decide. A policy that passes can never make a later request fail: every
    /// date a rule derives from it stays within chrono's range. Field names are JSON pointers.
    pub fn validate(&self) -> Result<(), Vec<InvalidField>> {
        let mut errors = Vec::new();
        check_range(
            &mut errors,
            "utc_offset_minutes",
            self.utc_offset_minutes,
            (-14 * 60, 14 * 60),
            "minutes east of UTC",
        );
        check_range(
            &mut errors,
            "no_reason_return_days",
            self.no_reason_return_days,
            (0, 365),
            "days",
        );
        check_range(
            &mut errors,
            "factory_date_grace_months",
            self.factory_date_grace_months,
            (0, 24),
            "months",
        );
        check_range(
            &mut errors,
            "first_response_hours",
            self.first_response_hours,
            (1, 720),
            "hours",
        );
        check_range(
            &mut errors,
            "technical_support_review_working_days",
            self.technical_support_review_working_days,
            (0, 30),
            "working days",
        );
        check_range(
            &mut errors,
            "idempotency_ttl_hours",
            self.idempotency_ttl_hours,
            (1, 720),
            "hours",
        );
        check_range(
            &mut errors,
            "max_open_cases_per_order_line",
            self.max_open_cases_per_order_line,
            (1, 100),
            "cases",
        );
        check_category("default_category", &self.default_category, &mut errors);
        if self.categories.len() > MAX_CATEGORIES {
            errors.push(InvalidField::new(
                "categories",
                format!("at most {MAX_CATEGORIES} categories"),
            ));
        }
        for (name, c) in &self.categories {
            let field = format!("categories/{name}");
            if !is_category_key(name) {
                errors.push(InvalidField::new(
                    field.clone(),
                    "a category key is 1 to 64 letters, digits, '_' or '-'",
                ));
            }
            check_category(&field, c, &mut errors);
        }
        self.returns.validate("returns", &mut errors);
        errors.extend(self.calendar.validate("calendar"));
        self.dispatch.validate("dispatch", &mut errors);
        self.feedback.validate("feedback", &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Categories a policy may name.
const MAX_CATEGORIES: usize = 500;

/// The longest warranty any category may grant, in days, extension included: 50 years.
const MAX_PERIOD_DAYS: u64 = 50 * 366;

/// A category key as purchases and order lines name it.
pub fn is_category_key(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn check_category(name: &str, c: &CategoryPolicy, errors: &mut Vec<InvalidField>) {
    if !(c.return_days <= c.exchange_days
        && c.exchange_days <= c.repair_days
        && c.repair_days <= c.key_component_days)
    {
        errors.push(InvalidField::new(
            name,
            "periods must nest: return_days ≤ exchange_days ≤ repair_days ≤ key_component_days",
        ));
    }
    // Summed in u64: two u32 near their maximum must not wrap into a short period.
    if u64::from(c.key_component_days) + u64::from(c.extension_days) > MAX_PERIOD_DAYS {
        errors.push(InvalidField::new(
            name,
            "periods, extension included, must be under 50 years",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_domain_md_and_valid() {
        let p = Policy::default();
        assert_eq!(p.validate(), Ok(()));
        let tv = p.category("television");
        assert_eq!(
            (tv.return_days, tv.exchange_days, tv.repair_days),
            (7, 30, 365)
        );
        assert_eq!(tv.key_component_days, 1095);
        assert!(p.category("fresh_food").special_goods);
        assert!(p.category("security_system").installed);
        assert_eq!(p.first_response_hours, 24);
    }

    #[test]
    fn a_policy_whose_periods_do_not_nest_is_refused() {
        let mut p = Policy::default();
        p.categories.insert(
            "phone".into(),
            CategoryPolicy {
                return_days: 40,
                ..CategoryPolicy::default()
            },
        );
        let errors = p.validate().unwrap_err();
        assert_eq!(errors[0].field, "categories/phone");
    }

    #[test]
    fn a_stored_policy_missing_new_fields_reads_with_defaults() {
        let p: Policy = serde_json::from_str(r#"{"first_response_hours": 12}"#).unwrap();
        assert_eq!(p.first_response_hours, 12);
        assert_eq!(p.no_reason_return_days, 7);
    }

    fn errors_of(json: serde_json::Value) -> Vec<String> {
        let mut policy = serde_json::to_value(Policy::default()).unwrap();
        merge(&mut policy, json);
        match serde_json::from_value::<Policy>(policy) {
            Ok(p) => p
                .validate()
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.field)
                .collect(),
            Err(e) => vec![format!("parse: {e}")],
        }
    }

    fn merge(into: &mut serde_json::Value, from: serde_json::Value) {
        match (into, from) {
            (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
                for (k, v) in b {
                    merge(a.entry(k).or_insert(serde_json::Value::Null), v);
                }
            }
            (slot, v) => *slot = v,
        }
    }

    #[test]
    fn the_policies_that_broke_the_system_are_refused_field_by_field() {
        use serde_json::json;
        assert_eq!(
            errors_of(json!({"returns": {"decision_hours": 4294967295u32}})),
            ["returns/decision_hours"]
        );
        assert_eq!(
            errors_of(json!({"returns": {"decision_hours": 23}})),
            ["returns/decision_hours"],
            "never below 24 hours (DOMAIN §4.1)"
        );
        assert_eq!(
            errors_of(json!({"returns": {"levels": {"default": "customer"}}})),
            ["returns/levels/default"]
        );
        assert_eq!(
            errors_of(json!({"returns": {"levels": {"batch": "finance"}}})),
            ["returns/levels/batch"]
        );
        assert_eq!(
            errors_of(json!({"returns": {"fee_percent": 4000000000u32}})),
            ["returns/fee_percent"]
        );
        assert!(errors_of(json!({"returns": {"fee_cap_minor": -1}}))[0].starts_with("parse"));
        assert_eq!(
            errors_of(
                json!({"default_category": {"key_component_days": 4294967295u32, "extension_days": 4294967295u32}})
            ),
            ["default_category"]
        );
        assert_eq!(
            errors_of(json!({"categories": {"bad key": {}}})),
            ["categories/bad key"]
        );
        assert_eq!(
            errors_of(
                json!({"returns": {"not_resaleable_no_reason": {"action": "deduct", "percent": 0}}})
            ),
            ["returns/not_resaleable_no_reason/percent"]
        );
        assert!(
            errors_of(json!({"returns": {"not_resaleable_no_reason": {"action": "deduct", "percent": 30}}}))
                .is_empty()
        );
    }
}

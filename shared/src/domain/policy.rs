//! The merchant's policy: every number DOMAIN.md calls a default, in one value.
//!
//! It is stored as one item in the table and changed by an admin through the API, so that a
//! merchant can change a warranty period or a deadline without a code change. What is not
//! stored falls back to DOMAIN.md's defaults (`#[serde(default)]` on every field), so a policy
//! written by an older version still reads.

use std::collections::BTreeMap;

use chrono::FixedOffset;
use serde::{Deserialize, Serialize};

use super::InvalidField;

/// Warranty periods of one product category (DOMAIN §3), in days from the base date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Return approval: clocks, levels, fees (DOMAIN §4).
    pub returns: super::returns::ReturnPolicy,
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
            returns: super::returns::ReturnPolicy::default(),
        }
    }
}

impl Policy {
    pub fn category(&self, name: &str) -> &CategoryPolicy {
        self.categories.get(name).unwrap_or(&self.default_category)
    }

    pub fn time_zone(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_minutes * 60)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC is a valid offset"))
    }

    /// A policy an admin submits is checked before it is stored: periods must nest (a return
    /// window longer than the exchange window would make no sense) and offsets be real.
    pub fn validate(&self) -> Result<(), Vec<InvalidField>> {
        let mut errors = Vec::new();
        if !(-14 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            errors.push(InvalidField::new(
                "utc_offset_minutes",
                "must be within ±14 hours",
            ));
        }
        let mut check = |name: &str, c: &CategoryPolicy| {
            if !(c.return_days <= c.exchange_days
                && c.exchange_days <= c.repair_days
                && c.repair_days <= c.key_component_days)
            {
                errors.push(InvalidField::new(
                    name,
                    "periods must nest: return_days ≤ exchange_days ≤ repair_days ≤ key_component_days",
                ));
            }
            if c.key_component_days + c.extension_days > 50 * 366 {
                errors.push(InvalidField::new(name, "periods must be under 50 years"));
            }
        };
        check("default_category", &self.default_category);
        for (name, c) in &self.categories {
            check(&format!("categories/{name}"), c);
        }
        if self.first_response_hours == 0 || self.first_response_hours > 24 * 30 {
            errors.push(InvalidField::new(
                "first_response_hours",
                "must be 1 to 720",
            ));
        }
        if self.idempotency_ttl_hours == 0 || self.idempotency_ttl_hours > 24 * 30 {
            errors.push(InvalidField::new(
                "idempotency_ttl_hours",
                "must be 1 to 720",
            ));
        }
        if self.factory_date_grace_months > 24 {
            errors.push(InvalidField::new(
                "factory_date_grace_months",
                "must be at most 24",
            ));
        }
        if self.technical_support_review_working_days > 30 {
            errors.push(InvalidField::new(
                "technical_support_review_working_days",
                "must be at most 30",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
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
}

//! What a purchase is owed today (三包, DOMAIN §3): a pure function of the purchase, the date
//! and the policy.
//!
//! The ladder, counted in days from the base date: return (包退) → exchange (包换) → free
//! repair of the unit (整机保修) → free repair of key components (重要部件保修) → paid repair.
//! The base date is the invoice date; without an invoice, the receipt date; with neither,
//! the factory date plus a grace period; for installed systems, the acceptance date.
//! An exclusion (不保修) turns everything into a paid repair. The e-commerce rules are
//! separate answers: the seven-day no-reason return and the special-goods restriction.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::policy::{Policy, is_category_key};
use super::values::{bounded_text, date_out_of_range, sane_date};
use super::{InvalidField, RuleError};

/// A purchase as the customer or the storefront describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Purchase {
    /// The product category, a key of the policy (`television`, `fresh_food`, ...).
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_date: Option<NaiveDate>,
    /// When the customer received the goods (签收).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factory_date: Option<NaiveDate>,
    /// For installed systems: the acceptance date (验收之日).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance_date: Option<NaiveDate>,
    /// Reasons the warranty does not apply, if any are known at intake.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<Exclusion>,
}

impl Purchase {
    pub fn validate(&self) -> Result<(), InvalidField> {
        let category = bounded_text("purchase/category", &self.category, 64)?;
        if !is_category_key(&category) {
            return Err(InvalidField::new(
                "purchase/category",
                "must be a category key such as 'television' (letters, digits, '_' or '-')",
            ));
        }
        let dates = [
            ("invoice_date", self.invoice_date),
            ("receipt_date", self.receipt_date),
            ("factory_date", self.factory_date),
            ("acceptance_date", self.acceptance_date),
        ];
        if let Some((name, _)) = dates.iter().find(|(_, d)| d.is_some_and(|d| !sane_date(d))) {
            return Err(date_out_of_range(&format!("purchase/{name}")));
        }
        if self.exclusions.len() > 20 {
            return Err(InvalidField::new("purchase/exclusions", "at most 20"));
        }
        Ok(())
    }
}

/// 不保修: what voids the free remedies (DOMAIN §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// No valid proof of purchase and the serial label altered or missing.
    NoProofAndSerialMissing,
    /// The serial does not match the proof of purchase.
    SerialMismatch,
    /// Used against the manual.
    MisuseAgainstManual,
    /// Repaired or taken apart by someone not authorised.
    UnauthorisedRepair,
    /// Accident or force majeure (fire, flood, lightning...).
    AccidentOrForceMajeure,
    /// The tamper-evident warranty label was broken (保修防拆标签).
    TamperLabelBroken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BaseDateKind {
    Invoice,
    Receipt,
    FactoryPlusGrace,
    Acceptance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Remedy {
    Return,
    Exchange,
    FreeRepair,
    KeyComponentRepair,
    PaidRepair,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RemedyWindow {
    pub remedy: Remedy,
    /// The last day (inclusive) on which this remedy applies.
    pub until: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NoReasonReturn {
    pub eligible: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    /// Always true when eligible: the goods must still be sellable (tags on, unused).
    pub requires_resaleable: bool,
    /// The category never takes a no-reason return (special goods, or the policy says so).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub category_excluded: bool,
    /// Rebuilt from the fields above ([`Entitlement::explain`]): not stored.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub why: String,
}

/// The answer: what applies today, until when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Entitlement {
    pub as_of: NaiveDate,
    pub category: String,
    pub base_date: NaiveDate,
    pub base_date_kind: BaseDateKind,
    pub days_since_base: i64,
    /// What the customer is owed today for a quality fault.
    pub remedy: Remedy,
    /// The last day of today's remedy; none for paid repair, which never ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy_until: Option<NaiveDate>,
    /// The remedies still ahead, in order, with their last days.
    pub ladder: Vec<RemedyWindow>,
    pub no_reason_return: NoReasonReturn,
    /// Special goods take the refund-only path, never return-and-refund.
    pub special_goods: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<Exclusion>,
    /// The maker's extension of the repair periods, in days (the policy's, on the day).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub extension_days: u32,
    /// For a base date counted from the factory date: the grace added, in months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factory_grace_months: Option<u32>,
    /// Sentences for the customer and the agent, in order of the reasoning. Rebuilt from the
    /// fields above ([`Entitlement::explain`]), so that a stored case does not carry them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Entitlement {
    /// The sentences of the reasoning, from the entitlement's own fields.
    pub fn explain(&mut self) {
        let base_date = self.base_date;
        let mut why = vec![match self.base_date_kind {
            BaseDateKind::Invoice => format!("Counted from the invoice date {base_date}."),
            BaseDateKind::Receipt => {
                format!("No invoice date: counted from the receipt date {base_date}.")
            }
            BaseDateKind::FactoryPlusGrace => format!(
                "No invoice or receipt: counted from the factory date plus {} months, {base_date}.",
                self.factory_grace_months.unwrap_or_default()
            ),
            BaseDateKind::Acceptance => {
                format!("An installed system: counted from the acceptance date {base_date}.")
            }
        }];
        if self.extension_days > 0 {
            why.push(format!(
                "The maker extends the repair periods by {} days.",
                self.extension_days
            ));
        }
        let days = self.days_since_base;
        why.push(match (self.exclusions.is_empty(), self.remedy_until) {
            (false, _) => "Not covered by the warranty (不保修) for the reasons listed: repair is paid, after a quote."
                .to_owned(),
            (true, Some(until)) => format!(
                "Day {days} since the base date: {} for a quality fault, until {until}.",
                remedy_name(self.remedy),
            ),
            (true, None) => format!(
                "Day {days} since the base date: past every warranty period, repair is paid after a quote."
            ),
        });
        if self.special_goods {
            why.push("Special goods: a refund is possible, a return-and-refund is not.".to_owned());
        }
        self.why = why;
        let n = &mut self.no_reason_return;
        n.why = match (n.category_excluded, n.until) {
            (true, _) => {
                "This category is excluded from the seven-day no-reason return.".to_owned()
            }
            (false, Some(until)) if n.eligible => format!(
                "Returnable without a reason until {until} if the goods can be sold again (tags on, unused); the customer pays the shipping."
            ),
            (false, Some(until)) => format!("The no-reason return ended on {until}."),
            (false, None) => {
                "The no-reason return counts from receipt, and no receipt date is known.".to_owned()
            }
        };
    }

    /// The entitlement without its sentences, as a case stores it.
    pub fn without_reasons(&self) -> Self {
        let mut lean = self.clone();
        lean.why = Vec::new();
        lean.no_reason_return.why = String::new();
        lean
    }
}

/// Computes the entitlement of `purchase` on `today` (the merchant's calendar date).
pub fn entitlement(
    purchase: &Purchase,
    today: NaiveDate,
    policy: &Policy,
) -> Result<Entitlement, RuleError> {
    let cat = policy.category(&purchase.category);

    let (base_date, base_date_kind) = if cat.installed {
        let date = purchase.acceptance_date.or(purchase.invoice_date).ok_or_else(|| {
            RuleError::new(
                "base-date-unknown",
                "an installed system counts from its acceptance date (or invoice date); neither was given",
            )
        })?;
        let kind = if purchase.acceptance_date.is_some() {
            BaseDateKind::Acceptance
        } else {
            BaseDateKind::Invoice
        };
        (date, kind)
    } else if let Some(d) = purchase.invoice_date {
        (d, BaseDateKind::Invoice)
    } else if let Some(d) = purchase.receipt_date {
        (d, BaseDateKind::Receipt)
    } else if let Some(d) = purchase.factory_date {
        let base = d
            .checked_add_months(Months::new(policy.factory_date_grace_months))
            .ok_or_else(|| RuleError::new("base-date-unknown", "factory date out of range"))?;
        (base, BaseDateKind::FactoryPlusGrace)
    } else {
        return Err(RuleError::new(
            "base-date-unknown",
            "give an invoice date, a receipt date or a factory date",
        ));
    };
    if base_date > today {
        return Err(RuleError::new(
            "base-date-in-future",
            format!("the base date {base_date} is after today ({today})"),
        ));
    }
    let days = (today - base_date).num_days();
    let out_of_range =
        || RuleError::new("date-out-of-range", "a warranty period ends out of range");
    // Day counts are u32 (a policy is validated, but nothing here may overflow regardless).
    let last_day = |n: u64| {
        base_date
            .checked_add_days(chrono::Days::new(n))
            .ok_or_else(out_of_range)
    };
    let ext = u64::from(cat.extension_days);
    let full_ladder = [
        (Remedy::Return, last_day(u64::from(cat.return_days))?),
        (Remedy::Exchange, last_day(u64::from(cat.exchange_days))?),
        (
            Remedy::FreeRepair,
            last_day(u64::from(cat.repair_days) + ext)?,
        ),
        (
            Remedy::KeyComponentRepair,
            last_day(u64::from(cat.key_component_days) + ext)?,
        ),
    ];
    let ladder: Vec<RemedyWindow> = full_ladder
        .iter()
        .filter(|(_, until)| *until >= today)
        .map(|&(remedy, until)| RemedyWindow { remedy, until })
        .collect();

    let exclusions = purchase.exclusions.clone();
    let (remedy, remedy_until, ladder) = if !exclusions.is_empty() {
        (Remedy::PaidRepair, None, Vec::new())
    } else if let Some(first) = ladder.first() {
        (first.remedy, Some(first.until), ladder)
    } else {
        (Remedy::PaidRepair, None, ladder)
    };

    let no_reason_return = if cat.special_goods || !cat.no_reason_return {
        NoReasonReturn {
            eligible: false,
            until: None,
            requires_resaleable: false,
            category_excluded: true,
            why: String::new(),
        }
    } else if let Some(received) = purchase.receipt_date {
        let until = received
            .checked_add_days(chrono::Days::new(u64::from(policy.no_reason_return_days)))
            .ok_or_else(out_of_range)?;
        let eligible = today <= until;
        NoReasonReturn {
            eligible,
            until: Some(until),
            requires_resaleable: eligible,
            category_excluded: false,
            why: String::new(),
        }
    } else {
        NoReasonReturn {
            eligible: false,
            until: None,
            requires_resaleable: false,
            category_excluded: false,
            why: String::new(),
        }
    };
    let mut entitlement = Entitlement {
        as_of: today,
        category: purchase.category.clone(),
        base_date,
        base_date_kind,
        days_since_base: days,
        remedy,
        remedy_until,
        ladder,
        no_reason_return,
        special_goods: cat.special_goods,
        exclusions,
        extension_days: cat.extension_days,
        factory_grace_months: (base_date_kind == BaseDateKind::FactoryPlusGrace)
            .then_some(policy.factory_date_grace_months),
        why: Vec::new(),
    };
    entitlement.explain();
    Ok(entitlement)
}

fn remedy_name(r: Remedy) -> &'static str {
    match r {
        Remedy::Return => "return (包退)",
        Remedy::Exchange => "exchange (包换)",
        Remedy::FreeRepair => "free repair of the whole unit (整机保修)",
        Remedy::KeyComponentRepair => "free repair of key components (重要部件保修)",
        Remedy::PaidRepair => "paid repair (有偿维修)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn bought(category: &str, invoice: &str) -> Purchase {
        Purchase {
            category: category.into(),
            invoice_date: Some(d(invoice)),
            receipt_date: None,
            factory_date: None,
            acceptance_date: None,
            exclusions: vec![],
        }
    }

    fn remedy_on(p: &Purchase, today: &str) -> Remedy {
        entitlement(p, d(today), &Policy::default()).unwrap().remedy
    }

    #[test]
    fn the_ladder_follows_the_days_since_the_invoice() {
        let p = bought("television", "2026-01-01");
        assert_eq!(remedy_on(&p, "2026-01-01"), Remedy::Return);
        assert_eq!(remedy_on(&p, "2026-01-08"), Remedy::Return);
        assert_eq!(remedy_on(&p, "2026-01-09"), Remedy::Exchange);
        assert_eq!(remedy_on(&p, "2026-01-31"), Remedy::Exchange);
        assert_eq!(remedy_on(&p, "2026-02-01"), Remedy::FreeRepair);
        assert_eq!(remedy_on(&p, "2027-01-01"), Remedy::FreeRepair);
        assert_eq!(remedy_on(&p, "2027-01-02"), Remedy::KeyComponentRepair);
        // 3 × 365 days: 2028 is a leap year, so the last day is 2028-12-31.
        assert_eq!(remedy_on(&p, "2028-12-31"), Remedy::KeyComponentRepair);
        assert_eq!(remedy_on(&p, "2029-01-01"), Remedy::PaidRepair);
    }

    #[test]
    fn a_purchase_invoiced_twenty_days_ago_is_owed_an_exchange_until_day_thirty() {
        let e = entitlement(
            &bought("television", "2026-11-04"),
            d("2026-11-24"),
            &Policy::default(),
        )
        .unwrap();
        assert_eq!(e.remedy, Remedy::Exchange);
        assert_eq!(e.remedy_until, Some(d("2026-12-04")));
        assert_eq!(e.days_since_base, 20);
        assert_eq!(
            e.ladder.len(),
            3,
            "exchange, free repair, key components remain"
        );
    }

    #[test]
    fn without_an_invoice_the_receipt_then_the_factory_date_plus_three_months_counts() {
        let mut p = bought("television", "2026-01-01");
        p.invoice_date = None;
        p.receipt_date = Some(d("2026-03-01"));
        let e = entitlement(&p, d("2026-03-05"), &Policy::default()).unwrap();
        assert_eq!(
            (e.base_date_kind, e.base_date),
            (BaseDateKind::Receipt, d("2026-03-01"))
        );

        p.receipt_date = None;
        p.factory_date = Some(d("2025-11-30"));
        let e = entitlement(&p, d("2026-03-05"), &Policy::default()).unwrap();
        assert_eq!(e.base_date_kind, BaseDateKind::FactoryPlusGrace);
        assert_eq!(e.base_date, d("2026-02-28"));
        assert_eq!(
            e.remedy,
            Remedy::Return,
            "day 5 after the factory date plus three months"
        );

        p.factory_date = None;
        let err = entitlement(&p, d("2026-03-05"), &Policy::default()).unwrap_err();
        assert_eq!(err.rule, "base-date-unknown");
    }

    #[test]
    fn an_installed_system_counts_from_its_acceptance_date() {
        let mut p = bought("security_system", "2026-01-01");
        p.acceptance_date = Some(d("2026-02-15"));
        let e = entitlement(&p, d("2026-02-20"), &Policy::default()).unwrap();
        assert_eq!(e.base_date_kind, BaseDateKind::Acceptance);
        assert_eq!(e.remedy, Remedy::Return);
    }

    #[test]
    fn a_broken_tamper_label_turns_free_remedies_into_paid_repair() {
        let mut p = bought("television", "2026-11-20");
        p.exclusions = vec![Exclusion::TamperLabelBroken];
        let e = entitlement(&p, d("2026-11-24"), &Policy::default()).unwrap();
        assert_eq!(e.remedy, Remedy::PaidRepair);
        assert!(e.ladder.is_empty());
    }

    #[test]
    fn a_maker_extension_lengthens_the_repair_periods_only() {
        let mut policy = Policy::default();
        policy.default_category.extension_days = 365;
        let p = bought("television", "2026-01-01");
        let e = entitlement(&p, d("2027-06-01"), &policy).unwrap();
        assert_eq!(e.remedy, Remedy::FreeRepair);
        assert_eq!(
            entitlement(&p, d("2026-01-20"), &policy).unwrap().remedy,
            Remedy::Exchange
        );
    }

    #[test]
    fn no_reason_return_runs_seven_days_from_receipt_and_never_for_special_goods() {
        let mut p = bought("clothing", "2026-11-01");
        p.receipt_date = Some(d("2026-11-03"));
        let e = entitlement(&p, d("2026-11-10"), &Policy::default()).unwrap();
        assert!(e.no_reason_return.eligible);
        assert_eq!(e.no_reason_return.until, Some(d("2026-11-10")));
        let e = entitlement(&p, d("2026-11-11"), &Policy::default()).unwrap();
        assert!(!e.no_reason_return.eligible);

        p.category = "fresh_food".into();
        let e = entitlement(&p, d("2026-11-04"), &Policy::default()).unwrap();
        assert!(e.special_goods);
        assert!(!e.no_reason_return.eligible);
    }

    #[test]
    fn a_base_date_in_the_future_is_refused() {
        let err = entitlement(
            &bought("tv", "2026-12-01"),
            d("2026-11-24"),
            &Policy::default(),
        )
        .unwrap_err();
        assert_eq!(err.rule, "base-date-in-future");
    }

    proptest! {
        #[test]
        fn remedies_only_ever_get_weaker_as_days_pass(offset in 0i64..4000, step in 1i64..400) {
            let p = bought("television", "2020-01-01");
            let policy = Policy::default();
            let day = d("2020-01-01") + chrono::Duration::days(offset);
            let a = entitlement(&p, day, &policy).unwrap();
            let b = entitlement(&p, day + chrono::Duration::days(step), &policy).unwrap();
            prop_assert!(a.remedy as u8 <= b.remedy as u8);
            if let Some(until) = a.remedy_until { prop_assert!(until >= day); }
        }
    }
}

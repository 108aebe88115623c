//! The level a request needs, and why (DOMAIN §4.2).

use super::*;
use crate::domain::identity::Role;
use crate::domain::values::Amount;

/// The level a request needs, and why (DOMAIN §4.2). `earlier` is what the same customer
/// asked for earlier the same day.
/// A shipping fee only counts when it was checked against the order (`verified`): a declared
/// one could lower the level.
pub fn required_level(
    terms: &ReturnTerms,
    earlier: &DayUnits,
    verified: bool,
    policy: &ReturnPolicy,
) -> (Role, Vec<String>) {
    let l = &policy.levels;
    let mut level = l.default;
    let mut why = Vec::new();
    let mut raise = |role: Role, reason: String| {
        if rank(role) > rank(level) {
            level = role;
        }
        why.push(reason);
    };
    if terms.quality_incident {
        raise(l.quality_incident, "a quality incident".into());
    }
    let day = earlier.with(terms);
    let model_units = terms.model.as_deref().map_or(0, |m| day.of_model(m));
    if model_units >= policy.batch_units_one_model {
        raise(
            l.batch,
            format!("a batch return: {model_units} units of one model today"),
        );
    } else if day.total >= policy.batch_units_total {
        raise(
            l.batch,
            format!("a batch return: {} units in all today", day.total),
        );
    }
    if terms.kind == ReturnKind::PriceProtection {
        raise(l.price_protection, "price protection".into());
    }
    let shipping = if verified {
        terms.shipping_fee_minor
    } else {
        Amount::ZERO
    };
    if terms.kind == ReturnKind::Compensation
        && terms.amount_asked_minor.unwrap_or_default() > shipping
    {
        raise(
            l.compensation_above_shipping,
            "compensation above the shipping fee".into(),
        );
    }
    (level, why)
}

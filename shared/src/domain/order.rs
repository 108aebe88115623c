//! Orders as the storefronts report them: the proof of purchase that entitlement rests on.
//!
//! Each storefront's payload is turned into one [`Order`] snapshot. Snapshots are ordered by
//! the storefront's own modification time (`source_updated_at`), so that a delivery that
//! arrives late never overwrites newer data. Amounts arrive as decimal strings and become
//! integer minor units here, exactly; a float never touches money or ids.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::entitlement::Purchase;
use super::policy::Policy;
use super::values::{CaseId, Currency, CustomerId, MAX_AMOUNT_MINOR, OrderId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderCustomer {
    /// The storefront's customer id, if the buyer had an account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderLine {
    pub line_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub title: String,
    pub quantity: u32,
    /// Unit price paid, in minor units of the order's currency.
    pub unit_price_minor: i64,
    /// Product category (a policy key), when the storefront says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serial_numbers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Refund {
    pub refund_id: String,
    pub amount_minor: i64,
    pub at: DateTime<Utc>,
    /// Made by this service's write-back for this case (our mark in its note or reason, naming
    /// one of the order's own cases): its money is the case's refund, already counted there,
    /// and is not counted again as the storefront's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_case: Option<CaseId>,
}

impl Refund {
    /// The case named by our write-back mark (`aftersales-<case>-<n>`) in a refund's note
    /// (Shopify) or reason (WooCommerce), if it carries one.
    pub fn marked_case(text: Option<&str>) -> Option<CaseId> {
        let text = text?;
        text.match_indices(crate::domain::writeback::MARK_PREFIX)
            .find_map(|(at, prefix)| {
                let rest = &text[at + prefix.len()..];
                let mut parts = rest.splitn(3, '-');
                let (head, number, step) = (parts.next()?, parts.next()?, parts.next()?);
                let step_digits = step.bytes().take_while(u8::is_ascii_digit).count();
                let number_digits = number.bytes().take_while(u8::is_ascii_digit).count();
                (step_digits > 0 && number_digits == number.len())
                    .then(|| CaseId::parse(format!("{head}-{number}")).ok())
                    .flatten()
            })
    }

    /// Whether the write-back of one of `cases` made it.
    pub fn ours(&self) -> bool {
        self.by_case.is_some()
    }

    /// Ours only if its mark names one of the order's own cases: a mark typed into a refund
    /// by hand, naming another order's case, makes it no less the storefront's money.
    pub fn held_to(mut self, cases: &[CaseId]) -> Self {
        if self.by_case.as_ref().is_some_and(|c| !cases.contains(c)) {
            self.by_case = None;
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Order {
    /// The configured storefront this order came from.
    pub storefront: String,
    pub order_id: OrderId,
    /// The storefront's human number, e.g. `#1001`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub customer: OrderCustomer,
    pub currency: Currency,
    pub total_minor: i64,
    pub lines: Vec<OrderLine>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub refunds: Vec<Refund>,
    /// The storefront's modification time of this snapshot: the order of truth.
    pub source_updated_at: DateTime<Utc>,
}

impl Order {
    pub fn refunded_minor(&self) -> i64 {
        self.refunds
            .iter()
            .filter(|r| !r.ours())
            .fold(0i64, |sum, r| sum.saturating_add(r.amount_minor))
    }

    /// The purchase record of one line, as entitlement needs it: invoiced when paid (or
    /// ordered), received when delivered.
    pub fn purchase_of(&self, line: &OrderLine, policy: &Policy) -> Purchase {
        let tz = policy.time_zone();
        let date = |t: DateTime<Utc>| -> NaiveDate { t.with_timezone(&tz).date_naive() };
        Purchase {
            category: line
                .category
                .clone()
                .unwrap_or_else(|| "default".to_owned()),
            invoice_date: Some(date(self.paid_at.unwrap_or(self.created_at))),
            receipt_date: self.delivered_at.map(date),
            factory_date: None,
            acceptance_date: None,
            exclusions: Vec::new(),
        }
    }

    /// Whether the merchant has shipped it (or it has arrived).
    pub fn shipped(&self) -> bool {
        self.shipped_at.is_some() || self.delivered_at.is_some()
    }

    /// What a unit of `line` was paid, an order-level discount shared in proportion: when the
    /// order's total is less than its lines' prices, each price is scaled down to it.
    pub fn paid_unit_price(&self, line: &OrderLine) -> i64 {
        let lines = self.lines_minor();
        if lines <= 0 || self.total_minor >= lines {
            return line.unit_price_minor;
        }
        let scaled = i128::from(line.unit_price_minor) * i128::from(self.total_minor.max(0))
            / i128::from(lines);
        i64::try_from(scaled).unwrap_or(0)
    }

    fn lines_minor(&self) -> i64 {
        self.lines.iter().fold(0i64, |sum, l| {
            sum.saturating_add(l.unit_price_minor.saturating_mul(i64::from(l.quantity)))
        })
    }

    /// What the order paid beyond its lines (shipping and the like), never below zero.
    pub fn beyond_lines_minor(&self) -> i64 {
        self.total_minor.saturating_sub(self.lines_minor()).max(0)
    }

    pub fn line(&self, line_id: &str) -> Option<&OrderLine> {
        self.lines.iter().find(|l| l.line_id == line_id)
    }
}

/// A customer's request, at the storefront, to return goods of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReturnRequest {
    pub return_id: String,
    pub order_id: OrderId,
    pub lines: Vec<ReturnLine>,
    /// The customer keeps the goods (refund only) rather than sending them back.
    pub refund_only: bool,
    pub requested_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReturnLine {
    pub line_id: String,
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Who an order belongs to, in the same terms as a signed-in customer's identities: the
/// storefront's customer id (`main:115310627314723954`), else the buyer's e-mail
/// (`email:jon@example.com`). A guest order without either cannot be linked to anyone.
pub fn customer_key(storefront: &str, customer: &OrderCustomer) -> Option<CustomerId> {
    customer
        .id
        .as_ref()
        .and_then(|id| CustomerId::parse(format!("{storefront}:{id}")).ok())
        .or_else(|| {
            customer
                .email
                .as_ref()
                .and_then(|e| CustomerId::parse(format!("email:{}", e.to_ascii_lowercase())).ok())
        })
}

/// Parses a decimal amount as storefronts send it (at most [`MAX_AMOUNT_MINOR`] either way) (`"199.00"`, `"5"`, `"0.5"`) into minor units
/// with `exponent` decimals (2 for most currencies). Decimals beyond the currency's are
/// accepted only as zeros (`"1500.00"` yen is 1500); signs other than a leading `-` and
/// anything that is not digits are refused.
pub fn parse_minor(raw: &str, exponent: u32) -> Result<i64, String> {
    let s = raw.trim();
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let (frac, surplus) = frac.split_at(frac.len().min(exponent as usize));
    let surplus_is_zero = surplus.bytes().all(|b| b == b'0');
    if whole.is_empty() || !all_digits(whole) || !all_digits(frac) || !surplus_is_zero {
        return Err(format!(
            "'{raw}' is not an amount with at most {exponent} decimals"
        ));
    }
    let scale = 10i64.pow(exponent);
    let whole: i64 = whole.parse().map_err(|_| format!("'{raw}' is too large"))?;
    let frac_padded = format!("{frac:0<width$}", width = exponent as usize);
    let frac: i64 = if exponent == 0 {
        0
    } else {
        frac_padded.parse().map_err(|_| format!("'{raw}'"))?
    };
    let minor = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac))
        .filter(|m| *m <= MAX_AMOUNT_MINOR)
        .ok_or_else(|| format!("'{raw}' is too large"))?;
    Ok(if negative { -minor } else { minor })
}

/// An amount as storefronts write it: `"3849.00"` for 384900 fen.
pub fn format_minor(minor: i64, currency: Currency) -> String {
    let exp = minor_exponent(currency);
    if exp == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(exp);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / scale as u64,
        abs % scale as u64,
        width = exp as usize
    )
}

/// Decimals of a currency's minor unit (ISO 4217); the common exceptions, else 2.
pub fn minor_exponent(currency: Currency) -> u32 {
    match currency.as_str() {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_become_exact_minor_units() {
        assert_eq!(parse_minor("199.00", 2), Ok(19900));
        assert_eq!(parse_minor("0.5", 2), Ok(50));
        assert_eq!(parse_minor("5", 2), Ok(500));
        assert_eq!(parse_minor("-3.10", 2), Ok(-310));
        assert_eq!(
            parse_minor("1500.00", 0),
            Ok(1500),
            "yen with a decimal point"
        );
        assert_eq!(parse_minor("2.500", 2), Ok(250));
        assert!(
            parse_minor("1500.50", 0).is_err(),
            "half a yen is not money"
        );
        assert_eq!(parse_minor("1500", 0), Ok(1500));
        assert_eq!(parse_minor("99999999999.99", 2), Ok(9_999_999_999_999));
        for bad in [
            "",
            "1.234",
            "1e3",
            "1,00",
            "+1",
            "0x10",
            ".5",
            "--1",
            "99999999999999999999",
            "100000000000.01",
            "-9223372036854775808",
        ] {
            assert!(parse_minor(bad, 2).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_are_written_back_as_decimal_strings() {
        assert_eq!(format_minor(384900, Currency::CNY), "3849.00");
        assert_eq!(format_minor(5, Currency::CNY), "0.05");
        assert_eq!(format_minor(-1250, Currency::CNY), "-12.50");
        assert_eq!(format_minor(1500, Currency::parse("JPY").unwrap()), "1500");
        for minor in [0, 1, 99, 100, 123456789] {
            assert_eq!(
                parse_minor(&format_minor(minor, Currency::CNY), 2),
                Ok(minor)
            );
        }
    }

    #[test]
    fn currencies_know_their_minor_unit() {
        assert_eq!(minor_exponent(Currency::CNY), 2);
        assert_eq!(minor_exponent(Currency::parse("JPY").unwrap()), 0);
        assert_eq!(minor_exponent(Currency::parse("KWD").unwrap()), 3);
    }
}

//! How amounts of a reward pool are read and written: the pool's asset, its symbol and its
//! decimals (the native token's, or a pallet-assets asset's from `Assets::Metadata`).

use crate::types::RewardAsset;

/// The native token's symbol.
pub const NATIVE_SYMBOL: &str = "DIN";
/// The native token's decimals (`UNIT` = 10¹²).
pub const NATIVE_DECIMALS: u8 = 12;

/// A token amounts are counted in: `asset` is `None` for the native token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denomination {
	/// The pallet-assets asset id, or `None` for the native token.
	pub asset: Option<u32>,
	/// Its ticker (`DIN`, `dUSD`).
	pub symbol: String,
	/// How many decimals one whole unit has.
	pub decimals: u8,
}

impl Default for Denomination {
	fn default() -> Self {
		Self::native()
	}
}

impl Denomination {
	/// The native token.
	pub fn native() -> Self {
		Self { asset: None, symbol: NATIVE_SYMBOL.into(), decimals: NATIVE_DECIMALS }
	}

	/// The [`RewardAsset`] a pool in this token names.
	pub fn reward_asset(&self) -> RewardAsset {
		match self.asset {
			None => RewardAsset::Native,
			Some(id) => RewardAsset::Asset(id),
		}
	}

	/// `amount` smallest units in whole units, without trailing zeros (`1.5`).
	pub fn units(&self, amount: u128) -> String {
		let one = 10u128.pow(u32::from(self.decimals));
		let (whole, fraction) = (amount / one, amount % one);
		if fraction == 0 {
			return whole.to_string();
		}
		let fraction = format!("{fraction:0width$}", width = usize::from(self.decimals));
		format!("{whole}.{}", fraction.trim_end_matches('0'))
	}

	/// `amount` with the symbol (`1.5 dUSD`).
	pub fn format(&self, amount: u128) -> String {
		format!("{} {}", self.units(amount), self.symbol)
	}

	/// Parses whole units with at most `decimals` decimals (`100`, `0.5`) into smallest units.
	pub fn parse(&self, s: &str) -> Result<u128, String> {
		let decimals = usize::from(self.decimals);
		let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
		if fraction.len() > decimals || (whole.is_empty() && fraction.is_empty()) {
			return Err(format!(
				"`{s}`: expected an amount of {} like 100 or 0.5 (at most {decimals} decimals)",
				self.symbol
			));
		}
		let digits = |d: &str| -> Result<u128, String> {
			if d.is_empty() {
				return Ok(0);
			}
			if !d.bytes().all(|b| b.is_ascii_digit()) {
				return Err(format!("`{s}` is not a number"));
			}
			d.parse::<u128>().map_err(|_| format!("`{s}` is too large"))
		};
		let fraction_units = digits(fraction)? * 10u128.pow((decimals - fraction.len()) as u32);
		digits(whole)?
			.checked_mul(10u128.pow(u32::from(self.decimals)))
			.and_then(|w| w.checked_add(fraction_units))
			.ok_or_else(|| format!("`{s}` is too large"))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn dusd() -> Denomination {
		Denomination { asset: Some(1), symbol: "dUSD".into(), decimals: 6 }
	}

	#[test]
	fn amounts_are_read_and_written_in_the_tokens_own_decimals() {
		assert_eq!(dusd().parse("100"), Ok(100_000_000));
		assert_eq!(dusd().parse("0.5"), Ok(500_000));
		assert_eq!(dusd().parse(".000001"), Ok(1));
		assert_eq!(dusd().format(1_500_000), "1.5 dUSD");
		assert_eq!(dusd().units(7), "0.000007");
		assert_eq!(Denomination::native().parse("0.5"), Ok(crate::UNIT / 2));
		assert_eq!(Denomination::native().format(3 * crate::UNIT), "3 DIN");
		assert_eq!(dusd().reward_asset(), RewardAsset::Asset(1));
	}

	#[test]
	fn an_amount_finer_than_the_token_or_not_a_number_is_refused() {
		assert!(dusd().parse("0.0000001").unwrap_err().contains("at most 6 decimals"));
		assert!(dusd().parse("1e6").is_err());
		assert!(dusd().parse("-1").is_err());
		assert!(dusd().parse("").is_err());
		assert!(dusd().parse(&"9".repeat(40)).unwrap_err().contains("too large"));
	}
}

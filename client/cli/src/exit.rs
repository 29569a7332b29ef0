//! Exit codes: scripts tell failures apart without parsing messages.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | anything not listed below |
//! | 2 | bad command line (clap) |
//! | 3 | the config file is unreadable or malformed |
//! | 4 | the node cannot be reached, or a transaction timed out |
//! | 5 | the chain refused a call (a pallet error, an invalid or dropped transaction) |
//! | 6 | the artifact store failed (content not found, corrupt, I/O) |
//! | 7 | invalid input: a key, a dataset, a model or an update the client rejects |
//!
//! The first error of a known kind in the `anyhow` chain decides the code.

use std::process::ExitCode;

/// The config file is unreadable or malformed.
pub const CONFIG: u8 = 3;
const UNREACHABLE: u8 = 4;
const REFUSED: u8 = 5;
const STORE: u8 = 6;
const INVALID_INPUT: u8 = 7;

/// An error the client raises itself about what it was given (maps to exit code 7).
#[derive(Debug)]
pub struct InvalidInput(pub String);

impl std::fmt::Display for InvalidInput {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(&self.0)
	}
}

impl std::error::Error for InvalidInput {}

/// `Err(InvalidInput)` from a formatted message.
#[macro_export]
macro_rules! invalid {
    ($($arg:tt)*) => {
        anyhow::Error::new($crate::exit::InvalidInput(format!($($arg)*)))
    };
}

/// The exit code for `error` (module docs).
pub fn code_of(error: &anyhow::Error) -> ExitCode {
	for cause in error.chain() {
		if let Some(chain) = cause.downcast_ref::<din_chain::Error>() {
			use din_chain::Error::*;
			return ExitCode::from(match chain {
				Connect { .. } | Timeout { .. } => UNREACHABLE,
				InvalidSecretUri(_) | InvalidArgument(_) => INVALID_INPUT,
				Rejected(_) | Pallet(_) | Dispatch(_) => REFUSED,
				_ => 1,
			});
		}
		if cause.downcast_ref::<din_store::StoreError>().is_some() {
			return ExitCode::from(STORE);
		}
		if cause.downcast_ref::<InvalidInput>().is_some()
			|| cause.downcast_ref::<din_ml::MlError>().is_some()
			|| cause.downcast_ref::<din_fl::EncodingError>().is_some()
			|| cause.downcast_ref::<din_fl::SpecError>().is_some()
			|| cause.downcast_ref::<din_zk::ZkError>().is_some()
		{
			return ExitCode::from(INVALID_INPUT);
		}
	}
	ExitCode::FAILURE
}

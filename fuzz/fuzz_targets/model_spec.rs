//! `din_fl::ModelSpec::from_bytes`: a task's model spec is published by its owner and read
//! by every participant and evaluator. Parsing never panics, and a parsed spec is
//! canonical (its bytes are the only encoding, so its hash names it) and valid.
#![no_main]

use din_fl::spec::ModelSpec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	if let Ok(spec) = ModelSpec::from_bytes(data) {
		assert_eq!(spec.to_bytes().expect("a parsed spec encodes"), data);
		spec.validate().expect("a parsed spec is valid");
		let _ = spec.schema().expect("a valid spec has a schema").value_count();
	}
});

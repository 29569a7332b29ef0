//! `din_fl::Update::decode`: every update an evaluator fetches comes from a participant,
//! who may send any bytes. Decoding never panics, and what decodes is canonical: it
//! encodes back to exactly the bytes it came from (two encodings of one update would give
//! it two content addresses).
#![no_main]

use din_fl::Update;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	if let Ok(update) = Update::decode(data) {
		assert_eq!(update.encode().expect("a decoded update encodes"), data);
	}
});

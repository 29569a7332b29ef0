//! `din_fl::TaskModel::from_bytes`: a task's model spec (with its input preprocessing) is
//! published by its owner and read by every participant, evaluator and off-chain worker.
//! Parsing never panics, and a parsed spec is canonical (its bytes are the only encoding,
//! so its hash names it) and valid; a version 1 spec reads the same as a bare `ModelSpec`.
#![no_main]

use din_fl::spec::{ModelSpec, TaskModel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	if let Ok(model) = TaskModel::from_bytes(data) {
		assert_eq!(model.to_bytes().expect("a parsed spec encodes"), data);
		model.validate().expect("a parsed spec is valid");
		let _ = model.spec.schema().expect("a valid spec has a schema").value_count();
		match &model.preprocessing {
			None => assert_eq!(ModelSpec::from_bytes(data).as_ref(), Ok(&model.spec)),
			Some(map) => {
				let mut row = vec![1e30f32; map.shift.len()];
				map.apply_row(&mut row);
				assert!(row.iter().all(|x| x.abs() <= map.clip));
			},
		}
	}
});

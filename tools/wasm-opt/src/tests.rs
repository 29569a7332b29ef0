use super::*;

const EXTENSIONS: [(u8, &str); 5] = [
	(0xc0, "i32.extend8_s"),
	(0xc1, "i32.extend16_s"),
	(0xc2, "i64.extend8_s"),
	(0xc3, "i64.extend16_s"),
	(0xc4, "i64.extend32_s"),
];

fn section(id: u8, contents: &[u8]) -> Vec<u8> {
	let mut out = Vec::new();
	write_section(&mut out, id, contents);
	out
}

fn custom(name: &str, data: &[u8]) -> Vec<u8> {
	let mut contents = Vec::new();
	write_bytes(&mut contents, name.as_bytes());
	contents.extend_from_slice(data);
	section(0, &contents)
}

/// A module of five functions, each `local.get 0; <one sign extension>; end`, the first two on
/// i32 and the rest on i64, with the custom sections a runtime carries.
fn module_with(ops: [u8; 5], custom_sections: &[Vec<u8>]) -> Vec<u8> {
	let mut module = b"\0asm\x01\0\0\0".to_vec();
	// Types: (i32) -> i32, (i64) -> i64.
	module.extend(section(1, &[2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 1, 0x7e, 1, 0x7e]));
	module.extend(section(3, &[5, 0, 0, 1, 1, 1]));
	let mut code = vec![5];
	for op in ops {
		write_bytes(&mut code, &[0, 0x20, 0, op, 0x0b]);
	}
	module.extend(section(10, &code));
	for custom_section in custom_sections {
		module.extend_from_slice(custom_section);
	}
	module
}

fn runtime_sections() -> Vec<Vec<u8>> {
	vec![
		custom("runtime_version", b"\x0cdin-runtime"),
		custom(".debug_info", &[1, 2, 3, 4]),
		// A name section naming function 0 "ext".
		custom("name", &[1, 6, 1, 0, 3, b'e', b'x', b't']),
		custom(".debug_line", &[5, 6]),
		custom("runtime_apis", &[0; 12]),
	]
}

fn sign_extending_module() -> Vec<u8> {
	module_with(EXTENSIONS.map(|(op, _)| op), &runtime_sections())
}

/// What substrate-wasm-builder asks of the compact runtime.
fn compact_options() -> OptimizationOptions {
	let mut options = OptimizationOptions::new_opt_level_0();
	options
		.mvp_features_only()
		.debug_info(true)
		.add_pass(Pass::StripDwarf)
		.add_pass(Pass::SignextLowering);
	options
}

fn custom_section_names(module: &[u8]) -> Vec<String> {
	Parser::new(0)
		.parse_all(module)
		.filter_map(|payload| match payload.unwrap() {
			Payload::CustomSection(section) => Some(section.name().to_owned()),
			_ => None,
		})
		.collect()
}

fn function_bodies(module: &[u8]) -> Vec<Vec<String>> {
	Parser::new(0)
		.parse_all(module)
		.filter_map(|payload| match payload.unwrap() {
			Payload::CodeSectionEntry(body) => {
				let mut reader = body.get_operators_reader().unwrap();
				let mut ops = Vec::new();
				while !reader.eof() {
					ops.push(format!("{:?}", reader.read().unwrap()));
				}
				Some(ops)
			},
			_ => None,
		})
		.collect()
}

fn decode(instructions: &[u8]) -> Vec<Operator<'_>> {
	let mut reader =
		wasmparser::OperatorsReader::new(wasmparser::BinaryReader::new(instructions, 0));
	let mut ops = Vec::new();
	while !reader.eof() {
		ops.push(reader.read().unwrap());
	}
	ops
}

/// The value an instruction sequence `[const c, shl, const c, shr_s]` leaves for `x`, with
/// WebAssembly's semantics (shift counts modulo the width).
fn run_shift_pair(ops: &[Operator], x: i64) -> i64 {
	match ops {
		[Operator::I32Const { value: a }, Operator::I32Shl, Operator::I32Const { value: b }, Operator::I32ShrS] => {
			((x as i32).wrapping_shl(*a as u32)).wrapping_shr(*b as u32) as i64
		},
		[Operator::I64Const { value: a }, Operator::I64Shl, Operator::I64Const { value: b }, Operator::I64ShrS] => {
			x.wrapping_shl(*a as u32).wrapping_shr(*b as u32)
		},
		other => panic!("not a shift pair: {other:?}"),
	}
}

#[test]
fn every_sign_extension_becomes_the_shift_pair_that_computes_the_same_value() {
	let extend: [fn(i64) -> i64; 5] = [
		|x| x as i32 as i8 as i64,
		|x| x as i32 as i16 as i64,
		|x| x as i8 as i64,
		|x| x as i16 as i64,
		|x| x as i32 as i64,
	];
	let samples = [0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fff_ffff, 0x8000_0000]
		.into_iter()
		.chain([0xffff_ffff, 0x1234_5678_9abc_def0, i64::MIN, i64::MAX, -0x80, -0x8001]);
	let samples: Vec<i64> = samples.collect();
	for ((op, name), extend) in EXTENSIONS.into_iter().zip(extend) {
		let opcode = [op];
		let [operator] = &decode(&opcode)[..] else { panic!("{name} is one instruction") };
		let lowered = lowering(operator).unwrap_or_else(|| panic!("{name} is not lowered"));
		let ops = decode(lowered);
		for &x in &samples {
			assert_eq!(run_shift_pair(&ops, x), extend(x), "{name} of {x:#x}");
		}
	}
}

#[test]
fn the_compact_runtime_is_webassembly_1_0_without_dwarf() {
	let input = sign_extending_module();
	assert!(
		Validator::new_with_features(WasmFeatures::WASM1).validate_all(&input).is_err(),
		"the test module must need the lowering"
	);
	let output = compact_options().run_on_bytes(&input).unwrap();
	Validator::new_with_features(WasmFeatures::WASM1).validate_all(&output).unwrap();
	assert_eq!(custom_section_names(&output), ["runtime_version", "name", "runtime_apis"]);
	let bodies = function_bodies(&output);
	assert_eq!(bodies.len(), 5);
	assert_eq!(
		bodies[0],
		[
			"LocalGet { local_index: 0 }",
			"I32Const { value: 24 }",
			"I32Shl",
			"I32Const { value: 24 }",
			"I32ShrS",
			"End"
		]
	);
	assert_eq!(
		bodies[4],
		[
			"LocalGet { local_index: 0 }",
			"I64Const { value: 32 }",
			"I64Shl",
			"I64Const { value: 32 }",
			"I64ShrS",
			"End"
		]
	);
}

#[test]
fn the_sections_a_pass_does_not_touch_are_copied_byte_for_byte() {
	let sections = runtime_sections();
	let input = sign_extending_module();
	let output = compact_options().run_on_bytes(&input).unwrap();
	for kept in [&sections[0], &sections[2], &sections[4]] {
		assert!(output.windows(kept.len()).any(|w| w == &kept[..]), "a kept section changed");
	}
	// Types and functions precede the code section unchanged.
	assert_eq!(output[..29], input[..29]);

	// Nothing to lower and nothing to strip: the module comes out as it went in.
	let plain = module_with([0x01; 5], &[custom("runtime_version", b"v")]);
	assert_eq!(compact_options().run_on_bytes(&plain).unwrap(), plain);
}

#[test]
fn without_debug_info_the_name_section_and_dwarf_are_dropped() {
	let mut options = OptimizationOptions::new_opt_level_0();
	options.add_pass(Pass::SignextLowering);
	let output = options.run_on_bytes(&sign_extending_module()).unwrap();
	assert_eq!(custom_section_names(&output), ["runtime_version", "runtime_apis"]);

	let mut keep_all = OptimizationOptions::new_opt_level_0();
	keep_all.debug_info(true);
	let output = keep_all.run_on_bytes(&sign_extending_module()).unwrap();
	assert_eq!(custom_section_names(&output).len(), 5, "debug info without StripDwarf keeps DWARF");
}

#[test]
fn sign_extension_without_the_lowering_pass_fails_the_mvp_check() {
	let mut options = OptimizationOptions::new_opt_level_0();
	options.mvp_features_only().add_pass(Pass::StripDwarf);
	let error = options.run_on_bytes(&sign_extending_module()).unwrap_err();
	assert!(matches!(error, OptimizationError::ValidateWasmOutput(_)), "{error}");
}

#[test]
fn a_module_beyond_webassembly_1_0_and_sign_extension_is_refused() {
	// `memory.fill` (bulk memory) in a function of a module with a memory.
	let mut module = b"\0asm\x01\0\0\0".to_vec();
	module.extend(section(1, &[1, 0x60, 0, 0]));
	module.extend(section(3, &[1, 0]));
	module.extend(section(5, &[1, 0, 1]));
	let mut code = vec![1];
	write_bytes(&mut code, &[0, 0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0b, 0, 0x0b]);
	module.extend(section(10, &code));
	let error = compact_options().run_on_bytes(&module).unwrap_err();
	assert!(matches!(error, OptimizationError::ValidateWasmInput(_)), "{error}");

	let error = compact_options().run_on_bytes(b"not wasm").unwrap_err();
	assert!(matches!(error, OptimizationError::ValidateWasmInput(_)), "{error}");
}

#[test]
fn a_module_is_rewritten_in_place_as_the_builder_lowers_the_uncompacted_runtime() {
	let dir = std::env::temp_dir().join(format!("wasm-opt-test-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	let path = dir.join("runtime.wasm");
	std::fs::write(&path, sign_extending_module()).unwrap();
	let mut options = OptimizationOptions::new_opt_level_0();
	options.add_pass(Pass::SignextLowering).debug_info(true);
	options.run(&path, &path).unwrap();
	let rewritten = std::fs::read(&path).unwrap();
	std::fs::remove_dir_all(&dir).unwrap();
	Validator::new_with_features(WasmFeatures::WASM1)
		.validate_all(&rewritten)
		.unwrap();

	let missing = options.run(dir.join("absent.wasm"), dir.join("out.wasm")).unwrap_err();
	assert!(matches!(missing, OptimizationError::Read(_)), "{missing}");
}

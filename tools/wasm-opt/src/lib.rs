//! The part of the `wasm-opt` crate (Rust bindings to binaryen's optimiser) that
//! `substrate-wasm-builder` calls, implemented over `wasmparser`, so that building the runtime
//! does not compile binaryen's C++.
//!
//! The workspace's `[patch.crates-io]` puts this crate in place of `wasm-opt` 0.116.
//! substrate-wasm-builder runs binaryen at optimisation level 0, where binaryen optimises
//! nothing, with two passes added:
//!
//! - [`Pass::StripDwarf`] drops the `.debug_*` custom sections (DWARF) of the compact runtime;
//! - [`Pass::SignextLowering`] replaces each of the five sign-extension instructions, which
//!   WebAssembly 1.0 lacks, by the shift pair that computes the same value: `i32.extend8_s` is
//!   `x << 24` followed by an arithmetic `>> 24`, and so on.
//!
//! Binaryen also re-encodes the module on the way; here every section that no pass changes is
//! copied byte for byte. Compiling binaryen (`wasm-opt-sys`) was 23 of the 127 CPU-minutes of
//! a cold workspace build, on the path to the runtime's own build (`docs/fresh-machine.md`).
//!
//! The API has exactly the calls substrate-wasm-builder makes, with the same signatures, so a
//! builder that starts calling anything else fails to compile instead of building a runtime
//! differently. Like binaryen, [`OptimizationOptions::run`] checks the module before and after:
//! the input must be WebAssembly 1.0 plus sign extension, and the output WebAssembly 1.0 when
//! [`OptimizationOptions::mvp_features_only`] is set (as it is for the compact runtime).

use std::{fmt, ops::Range, path::Path};
use wasmparser::{FunctionBody, Operator, Parser, Payload, Validator, WasmFeatures};

/// A binaryen pass this crate implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pass {
	/// Remove the DWARF debug sections (custom sections named `.debug_*`).
	StripDwarf,
	/// Rewrite sign-extension instructions into WebAssembly 1.0 shifts.
	SignextLowering,
}

/// What to do to a module: the builder of `wasm_opt::OptimizationOptions`.
#[derive(Clone, Debug, Default)]
pub struct OptimizationOptions {
	passes: Vec<Pass>,
	debug_info: bool,
	mvp_features_only: bool,
}

/// Why a module was not written.
#[derive(Debug)]
pub enum OptimizationError {
	/// The input is not WebAssembly 1.0 plus sign extension.
	ValidateWasmInput(wasmparser::BinaryReaderError),
	/// The output does not validate with the requested features, for example a module with
	/// sign-extension instructions, `mvp_features_only` and no `SignextLowering`.
	ValidateWasmOutput(wasmparser::BinaryReaderError),
	/// The input file could not be read.
	Read(std::io::Error),
	/// The output file could not be written.
	Write(std::io::Error),
}

impl fmt::Display for OptimizationError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::ValidateWasmInput(e) => write!(f, "Failed to validate wasm input: {e}"),
			Self::ValidateWasmOutput(e) => write!(f, "Failed to validate wasm after passes: {e}"),
			Self::Read(e) => write!(f, "Failed to read module: {e}"),
			Self::Write(e) => write!(f, "Failed to write module: {e}"),
		}
	}
}

impl std::error::Error for OptimizationError {
	fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
		match self {
			Self::ValidateWasmInput(e) | Self::ValidateWasmOutput(e) => Some(e),
			Self::Read(e) | Self::Write(e) => Some(e),
		}
	}
}

/// The features an input may use: WebAssembly 1.0, and the sign extension the lowering pass
/// removes. Anything else (bulk memory, reference types, …) is refused, as binaryen refuses it
/// under its MVP feature set.
const INPUT_FEATURES: WasmFeatures = WasmFeatures::WASM1.union(WasmFeatures::SIGN_EXTENSION);

impl OptimizationOptions {
	/// Optimisation level 0: no optimisation, only the passes added.
	pub fn new_opt_level_0() -> Self {
		Self::default()
	}

	/// Run `pass`, after the passes added before it.
	pub fn add_pass(&mut self, pass: Pass) -> &mut Self {
		self.passes.push(pass);
		self
	}

	/// Keep the name section (and, unless [`Pass::StripDwarf`] runs, DWARF). Without it, as
	/// binaryen without `-g`, both are dropped.
	pub fn debug_info(&mut self, keep: bool) -> &mut Self {
		self.debug_info = keep;
		self
	}

	/// The output must be WebAssembly 1.0.
	pub fn mvp_features_only(&mut self) -> &mut Self {
		self.mvp_features_only = true;
		self
	}

	/// Read the module at `infile`, run the passes and write the result to `outfile` (which may
	/// be `infile`).
	pub fn run(
		&self,
		infile: impl AsRef<Path>,
		outfile: impl AsRef<Path>,
	) -> Result<(), OptimizationError> {
		let module = std::fs::read(infile).map_err(OptimizationError::Read)?;
		let optimised = self.run_on_bytes(&module)?;
		std::fs::write(outfile, optimised).map_err(OptimizationError::Write)
	}

	/// [`run`](Self::run) on a module in memory.
	pub fn run_on_bytes(&self, module: &[u8]) -> Result<Vec<u8>, OptimizationError> {
		Validator::new_with_features(INPUT_FEATURES)
			.validate_all(module)
			.map_err(OptimizationError::ValidateWasmInput)?;
		// The input validated, so the parser cannot fail on it.
		let optimised = self.rewrite(module).map_err(OptimizationError::ValidateWasmInput)?;
		let output_features =
			if self.mvp_features_only { WasmFeatures::WASM1 } else { INPUT_FEATURES };
		Validator::new_with_features(output_features)
			.validate_all(&optimised)
			.map_err(OptimizationError::ValidateWasmOutput)?;
		Ok(optimised)
	}

	fn runs(&self, pass: Pass) -> bool {
		self.passes.contains(&pass)
	}

	fn keeps_custom_section(&self, name: &str) -> bool {
		if name.starts_with(".debug") {
			self.debug_info && !self.runs(Pass::StripDwarf)
		} else if name == "name" {
			self.debug_info
		} else {
			true
		}
	}

	fn rewrite(&self, module: &[u8]) -> wasmparser::Result<Vec<u8>> {
		let lower = self.runs(Pass::SignextLowering);
		let mut out = Vec::with_capacity(module.len());
		let mut code = CodeSection::default();
		for payload in Parser::new(0).parse_all(module) {
			match payload? {
				Payload::Version { range, .. } => out.extend_from_slice(&module[range]),
				Payload::CustomSection(section) => {
					if self.keeps_custom_section(section.name()) {
						write_section(&mut out, 0, &module[section.range()]);
					}
				},
				Payload::CodeSectionStart { count, .. } => {
					code = CodeSection { remaining: count, count, bodies: Vec::new() };
					code.write_when_complete(&mut out);
				},
				Payload::CodeSectionEntry(body) => {
					if lower {
						lower_sign_extension(module, &body, &mut code.bodies)?;
					} else {
						write_bytes(&mut code.bodies, &module[body.range()]);
					}
					code.remaining -= 1;
					code.write_when_complete(&mut out);
				},
				Payload::End(_) => {},
				other => {
					// Every other payload of a core module is a whole section.
					let (id, range): (u8, Range<usize>) = other
						.as_section()
						.expect("a validated core module has only sections besides code entries");
					write_section(&mut out, id, &module[range]);
				},
			}
		}
		Ok(out)
	}
}

/// The code section being rebuilt, body by body.
#[derive(Default)]
struct CodeSection {
	count: u32,
	remaining: u32,
	bodies: Vec<u8>,
}

impl CodeSection {
	fn write_when_complete(&mut self, out: &mut Vec<u8>) {
		if self.remaining == 0 {
			let mut contents = Vec::with_capacity(self.bodies.len() + 5);
			write_u32(&mut contents, self.count);
			contents.append(&mut self.bodies);
			write_section(out, 10, &contents);
		}
	}
}

/// The WebAssembly 1.0 instructions that compute what a sign-extension instruction computes:
/// shift the narrow value to the top of the word, then shift it back arithmetically.
fn lowering(op: &Operator) -> Option<&'static [u8]> {
	const I32_CONST: u8 = 0x41;
	const I64_CONST: u8 = 0x42;
	const I32_SHL: u8 = 0x74;
	const I32_SHR_S: u8 = 0x75;
	const I64_SHL: u8 = 0x86;
	const I64_SHR_S: u8 = 0x87;
	// The shift amounts (24, 16, 56, 48, 32) are below 64, so each signed LEB128 is one byte.
	Some(match op {
		Operator::I32Extend8S => &[I32_CONST, 24, I32_SHL, I32_CONST, 24, I32_SHR_S],
		Operator::I32Extend16S => &[I32_CONST, 16, I32_SHL, I32_CONST, 16, I32_SHR_S],
		Operator::I64Extend8S => &[I64_CONST, 56, I64_SHL, I64_CONST, 56, I64_SHR_S],
		Operator::I64Extend16S => &[I64_CONST, 48, I64_SHL, I64_CONST, 48, I64_SHR_S],
		Operator::I64Extend32S => &[I64_CONST, 32, I64_SHL, I64_CONST, 32, I64_SHR_S],
		_ => return None,
	})
}

/// Append `body` (locals and instructions, without its size) to `bodies` with its size,
/// sign-extension instructions replaced by their lowering and every other byte copied.
fn lower_sign_extension(
	module: &[u8],
	body: &FunctionBody,
	bodies: &mut Vec<u8>,
) -> wasmparser::Result<()> {
	let range = body.range();
	let mut operators = body.get_operators_reader()?;
	let mut lowered = Vec::with_capacity(range.len());
	let mut copied_up_to = range.start;
	while !operators.eof() {
		let (op, offset) = operators.read_with_offset()?;
		if let Some(replacement) = lowering(&op) {
			lowered.extend_from_slice(&module[copied_up_to..offset]);
			lowered.extend_from_slice(replacement);
			copied_up_to = operators.original_position();
		}
	}
	lowered.extend_from_slice(&module[copied_up_to..range.end]);
	write_bytes(bodies, &lowered);
	Ok(())
}

fn write_section(out: &mut Vec<u8>, id: u8, contents: &[u8]) {
	out.push(id);
	write_bytes(out, contents);
}

/// `bytes` prefixed with their length, as sections and function bodies are encoded.
fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
	write_u32(out, u32::try_from(bytes.len()).expect("a wasm module is under 4 GiB"));
	out.extend_from_slice(bytes);
}

/// Unsigned LEB128.
fn write_u32(out: &mut Vec<u8>, mut value: u32) {
	loop {
		let byte = (value & 0x7f) as u8;
		value >>= 7;
		if value == 0 {
			out.push(byte);
			return;
		}
		out.push(byte | 0x80);
	}
}

#[cfg(test)]
mod tests;

//! # din-ml: DIN's participant-side machine learning
//!
//! Participants train here; evaluators evaluate here. Everything numeric that must agree
//! *across* machines (the canonical encoding, the integer reference evaluator, the
//! aggregation rules) lives in `din_fl`; this crate is the float side that feeds
//! it, built on candle:
//!
//! - [`model`]: softmax regression, MLP and small CNN from a
//!   [`din_fl::ModelSpec`], with candle variables named exactly as the spec's
//!   schema, owned by a `VarMap`, seeded initialisation, export/import of canonical
//!   [`din_fl::Update`]s and safetensors checkpoints.
//! - [`optim`]: SGD with momentum and AdamW as candle `Optimizer`s, in place on the CPU.
//! - [`train`]: seeded, reproducible mini-batch training with an optional FedProx term.
//! - [`cpu`]: the allocator and matrix-product threading settings training applies.
//! - [`eval`]: accuracy, mean loss, confusion matrix; the integer accuracy of a
//!   quantized model through `din_fl::reference`.
//! - [`data`]: CSV and IDX (MNIST) loaders, the shipped UCI digits 8×8 with the owner's
//!   fixed test split, and seeded IID / Dirichlet non-IID participant splits.
//! - [`federated`]: one participant's round, global update in, local update out.
//! - [`poisoning`]: what an attacking participant sends or trains on instead (sign flip,
//!   model replacement, Gaussian noise, label flipping), for tests and demos.
//! - [`robustness`]: the poisoning matrix's rules and attacks (`docs/robustness.md`).
//!
//! ```
//! use candle_core::Device;
//! use din_fl::ModelSpec;
//! use din_ml::{data::digits, eval::evaluate, model::Model, train::{train, TrainConfig}};
//! # fn main() -> din_ml::Result<()> {
//! let (train_set, test_set) = digits::digits_train_test()?;
//! let spec = ModelSpec::SoftmaxRegression { inputs: 64, classes: 10 };
//! let model = Model::new(&spec, 42, &Device::Cpu)?;
//! train(&model, &train_set, &TrainConfig { epochs: 2, ..Default::default() })?;
//! let update = model.to_update(train_set.len() as u64)?; // canonical, ready to publish
//! assert!(evaluate(&model, &test_set)?.accuracy > 0.8);
//! # let _ = update; Ok(()) }
//! ```

pub mod cpu;
pub mod data;
pub mod error;
pub mod eval;
pub mod federated;
pub mod model;
pub mod optim;
pub mod poisoning;
pub mod robustness;
pub mod train;

pub use error::{MlError, Result};

//! Streaming voice activity detection with Silero VAD on tract. The model sees 32 ms chunks
//! (512 samples at 16 kHz) preceded by the last 64 samples of the previous chunk, and carries
//! an LSTM state of shape 2×1×128 from one chunk to the next.

use std::path::Path;
use std::sync::Arc;

use tract_onnx::prelude::*;

use crate::model::{SILERO_VAD_FILE, SILERO_VAD_SHA256, models_dir, read_verified};
use crate::{SAMPLE_RATE, VoiceError};

/// Samples per VAD chunk: 32 ms at 16 kHz, the only size the 16 kHz model accepts.
pub const CHUNK_SAMPLES: usize = 512;
/// Samples of the previous chunk the model expects in front of each chunk.
const CONTEXT_SAMPLES: usize = 64;
const STATE_SHAPE: [usize; 3] = [2, 1, 128];
/// Milliseconds per chunk.
pub const CHUNK_MS: u32 = (CHUNK_SAMPLES as u32 * 1000) / SAMPLE_RATE;

/// The loaded, optimised model. Cheap to clone and shareable across threads; each stream
/// needs its own [`Vad`] because the LSTM state belongs to one stream.
#[derive(Clone)]
pub struct VadModel {
    plan: Arc<TypedRunnableModel>,
}

impl VadModel {
    /// Loads `silero_vad_openvino_16k.onnx` from the model cache ([`crate::models_dir`]).
    pub fn from_models_dir() -> Result<Self, VoiceError> {
        Self::load(&models_dir()?.join(SILERO_VAD_FILE))
    }

    /// Loads and verifies the model at `path`.
    pub fn load(path: &Path) -> Result<Self, VoiceError> {
        let bytes = read_verified(path, SILERO_VAD_SHA256)?;
        let plan = tract_onnx::onnx()
            .model_for_read(&mut bytes.as_slice())
            .and_then(|mut m| {
                unique_node_names(&mut m);
                m.with_input_fact(0, f32::fact([1, CONTEXT_SAMPLES + CHUNK_SAMPLES]).into())?
                    .with_input_fact(1, f32::fact(STATE_SHAPE).into())?
                    .into_optimized()?
                    .into_runnable()
            })
            .map_err(VoiceError::inference)?;
        Ok(Self { plan })
    }

    /// A fresh stream over this model.
    pub fn stream(&self) -> Vad {
        Vad {
            plan: self.plan.clone(),
            state: zero_state(),
            input: vec![0.0; CONTEXT_SAMPLES + CHUNK_SAMPLES],
            pending: Vec::with_capacity(CHUNK_SAMPLES),
        }
    }
}

/// The OpenVINO export inlines its `If` branches into several constants all named `anon`;
/// tract's graph check (on in debug builds) rejects duplicate names, so number them.
fn unique_node_names(model: &mut InferenceModel) {
    let mut seen = std::collections::HashSet::new();
    for node in model.nodes_mut() {
        if !seen.insert(node.name.clone()) {
            node.name = format!("{}#{}", node.name, node.id);
        }
    }
}

fn zero_state() -> TValue {
    tract_ndarray::Array3::<f32>::zeros((STATE_SHAPE[0], STATE_SHAPE[1], STATE_SHAPE[2]))
        .into_tensor()
        .into_tvalue()
}

/// One audio stream's detector: feed 16 kHz mono PCM, get a speech probability per chunk.
pub struct Vad {
    plan: Arc<TypedRunnableModel>,
    state: TValue,
    /// The model input: 64 samples of context, then the current chunk.
    input: Vec<f32>,
    /// Samples waiting for a full chunk.
    pending: Vec<f32>,
}

impl Vad {
    /// Loads the model from the model cache and opens one stream on it.
    pub fn from_models_dir() -> Result<Self, VoiceError> {
        Ok(VadModel::from_models_dir()?.stream())
    }

    /// Speech probability (0..=1) of exactly one chunk of [`CHUNK_SAMPLES`] samples in -1..1.
    pub fn chunk_probability(&mut self, chunk: &[f32]) -> Result<f32, VoiceError> {
        if chunk.len() != CHUNK_SAMPLES {
            return Err(VoiceError::Audio(format!(
                "a VAD chunk has {CHUNK_SAMPLES} samples, got {}",
                chunk.len()
            )));
        }
        // Shift the tail of the previous chunk to the front as context.
        self.input.copy_within(CHUNK_SAMPLES.., 0);
        self.input[CONTEXT_SAMPLES..].copy_from_slice(chunk);
        let x = Tensor::from_shape(&[1, CONTEXT_SAMPLES + CHUNK_SAMPLES], &self.input)
            .map_err(VoiceError::inference)?;
        let mut out = self
            .plan
            .run(tvec![x.into_tvalue(), self.state.clone()])
            .map_err(VoiceError::inference)?;
        if out.len() != 2 {
            return Err(VoiceError::Inference(format!(
                "expected 2 outputs, got {}",
                out.len()
            )));
        }
        self.state = out.remove(1);
        let prob = out[0]
            .to_plain_array_view::<f32>()
            .map_err(VoiceError::inference)?
            .iter()
            .next()
            .copied()
            .ok_or_else(|| VoiceError::Inference("empty probability output".into()))?;
        Ok(prob)
    }

    /// Feeds any number of i16 samples; returns one probability per chunk completed.
    pub fn push_i16(&mut self, pcm: &[i16]) -> Result<Vec<f32>, VoiceError> {
        let samples: Vec<f32> = pcm.iter().copied().map(i16_to_f32).collect();
        self.push_f32(&samples)
    }

    /// Feeds any number of f32 samples in -1..1; returns one probability per chunk completed.
    pub fn push_f32(&mut self, pcm: &[f32]) -> Result<Vec<f32>, VoiceError> {
        let mut probs = Vec::new();
        for &s in pcm {
            self.pending.push(s);
            if self.pending.len() == CHUNK_SAMPLES {
                let chunk = std::mem::take(&mut self.pending);
                probs.push(self.chunk_probability(&chunk)?);
                self.pending = chunk;
                self.pending.clear();
            }
        }
        Ok(probs)
    }

    /// Forgets the stream so far (state, context and unfinished chunk).
    pub fn reset(&mut self) {
        self.state = zero_state();
        self.input.fill(0.0);
        self.pending.clear();
    }
}

pub(crate) fn i16_to_f32(s: i16) -> f32 {
    f32::from(s) / 32768.0
}

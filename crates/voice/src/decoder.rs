//! A safe owner of one pocketsphinx decoder with one search, fed an utterance in pieces as the
//! audio arrives, so that little work is left when the speaker stops.

use std::ffi::{CStr, CString, c_char};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::Mutex;

use crate::{VoiceError, ffi};

/// sphinxbase's log target and file handles are process-wide; decoders are set up one at a time.
static INIT: Mutex<()> = Mutex::new(());
const SEARCH: &CStr = c"main";

/// What the decoder searches with.
pub(crate) enum Search<'a> {
    /// A JSGF grammar, as text.
    Jsgf(&'a str),
    /// An n-gram language model file (`en-us.lm.bin`).
    LanguageModel(&'a Path),
}

/// One decoding pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognition {
    /// Lower-case words, fillers and pronunciation marks removed; empty when nothing matched.
    pub text: String,
    /// Path score (log base 1.0001, higher is better).
    pub score: i32,
    /// 10 ms frames decoded.
    pub frames: u32,
}

/// `Send` (it may move to the listening thread) but not `Sync`: the library keeps
/// per-utterance state in the decoder, so one thread uses it at a time.
pub(crate) struct Decoder {
    ps: NonNull<ffi::ps_decoder_t>,
    in_utterance: bool,
}

// SAFETY: the decoder owns all of its memory and is used through `&mut self` only; pocketsphinx
// has no thread-affine state, so moving it to another thread is sound.
unsafe impl Send for Decoder {}

impl Decoder {
    /// A decoder over the acoustic model `hmm` and dictionary `dict`. Second passes are off:
    /// they re-decode the whole utterance when it ends, which is exactly the latency a
    /// streaming decoder is here to avoid.
    pub(crate) fn new(hmm: &Path, dict: &Path, search: Search<'_>) -> Result<Self, VoiceError> {
        let args = [
            "-hmm",
            &path_str(hmm)?,
            "-dict",
            &path_str(dict)?,
            "-fwdflat",
            "no",
            "-bestpath",
            "no",
            "-logfn",
            "/dev/null",
        ]
        .iter()
        .map(|a| CString::new(*a).map_err(|_| VoiceError::Decoder("argument has a NUL".into())))
        .collect::<Result<Vec<_>, _>>()?;
        let decoder = Self {
            ps: init(&args)?,
            in_utterance: false,
        };
        let ps = decoder.ps.as_ptr();
        // SAFETY: `ps` is a live decoder; the strings are NUL-terminated and outlive the calls
        // (the library copies what it keeps).
        unsafe {
            match search {
                Search::Jsgf(grammar) => {
                    let grammar = CString::new(grammar)
                        .map_err(|_| VoiceError::Decoder("grammar has a NUL".into()))?;
                    check(
                        ffi::ps_set_jsgf_string(ps, SEARCH.as_ptr(), grammar.as_ptr()),
                        "rejected the command grammar",
                    )?;
                }
                Search::LanguageModel(path) => {
                    let path = CString::new(path_str(path)?)
                        .map_err(|_| VoiceError::Decoder("path has a NUL".into()))?;
                    check(
                        ffi::ps_set_lm_file(ps, SEARCH.as_ptr(), path.as_ptr()),
                        "could not load the language model",
                    )?;
                }
            }
            check(
                ffi::ps_set_search(ps, SEARCH.as_ptr()),
                "could not switch search",
            )?;
        }
        Ok(decoder)
    }

    /// Starts an utterance, abandoning one still open.
    pub(crate) fn start(&mut self) -> Result<(), VoiceError> {
        if self.in_utterance {
            self.end()?;
        }
        // SAFETY: `ps` is live and used by this thread only (`&mut self`).
        check(
            unsafe { ffi::ps_start_utt(self.ps.as_ptr()) },
            "could not start an utterance",
        )?;
        self.in_utterance = true;
        Ok(())
    }

    /// Decodes more of the open utterance.
    pub(crate) fn feed(&mut self, pcm: &[i16]) -> Result<(), VoiceError> {
        if !self.in_utterance {
            return Err(VoiceError::Decoder("audio fed outside an utterance".into()));
        }
        // SAFETY: `ps` is live; `pcm` is valid for `pcm.len()` samples during the call.
        let rc = unsafe { ffi::ps_process_raw(self.ps.as_ptr(), pcm.as_ptr(), pcm.len(), 0, 0) };
        check(rc, "failed to decode audio")
    }

    /// The best words so far in the open utterance.
    pub(crate) fn partial(&mut self) -> String {
        self.hypothesis().0
    }

    /// Ends the utterance and returns what was heard.
    pub(crate) fn end(&mut self) -> Result<Recognition, VoiceError> {
        if !self.in_utterance {
            return Err(VoiceError::Decoder("no utterance to end".into()));
        }
        self.in_utterance = false;
        // SAFETY: `ps` is live and used by this thread only.
        check(
            unsafe { ffi::ps_end_utt(self.ps.as_ptr()) },
            "could not end the utterance",
        )?;
        let (text, score) = self.hypothesis();
        // SAFETY: as above.
        let frames = unsafe { ffi::ps_get_n_frames(self.ps.as_ptr()) };
        Ok(Recognition {
            text,
            score,
            frames: u32::try_from(frames).unwrap_or(0),
        })
    }

    fn hypothesis(&mut self) -> (String, i32) {
        let mut score = 0i32;
        // SAFETY: `ps` is live; the returned string is owned by the decoder and copied before
        // the next call into it.
        unsafe {
            let hyp = ffi::ps_get_hyp(self.ps.as_ptr(), &mut score);
            if hyp.is_null() {
                (String::new(), score)
            } else {
                (clean(&CStr::from_ptr(hyp).to_string_lossy()), score)
            }
        }
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: `ps` came from `ps_init` and is freed exactly once, here.
        unsafe {
            ffi::ps_free(self.ps.as_ptr());
        }
    }
}

fn init(args: &[CString]) -> Result<NonNull<ffi::ps_decoder_t>, VoiceError> {
    let _guard = INIT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut argv: Vec<*mut c_char> = args.iter().map(|a| a.as_ptr().cast_mut()).collect();
    let argc =
        i32::try_from(argv.len()).map_err(|_| VoiceError::Decoder("too many arguments".into()))?;
    // SAFETY: `argv` holds `argc` NUL-terminated strings that live through the call; with
    // strict parsing the library copies what it keeps. Logging is switched off before parsing,
    // which would otherwise print the whole configuration to stderr.
    unsafe {
        ffi::err_set_logfp(std::ptr::null_mut());
        let config = ffi::cmd_ln_parse_r(
            std::ptr::null_mut(),
            ffi::ps_args(),
            argc,
            argv.as_mut_ptr(),
            1,
        );
        if config.is_null() {
            return Err(VoiceError::Decoder("rejected its configuration".into()));
        }
        let ps = ffi::ps_init(config);
        // The decoder holds its own reference to the configuration.
        ffi::cmd_ln_free_r(config);
        NonNull::new(ps)
            .ok_or_else(|| VoiceError::Decoder("could not load the en-us models".into()))
    }
}

fn check(rc: i32, what: &str) -> Result<(), VoiceError> {
    if rc < 0 {
        Err(VoiceError::Decoder(what.to_owned()))
    } else {
        Ok(())
    }
}

pub(crate) fn path_str(path: &Path) -> Result<String, VoiceError> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| VoiceError::SpeechModelMissing {
            path: PathBuf::from(path),
        })
}

/// Drops fillers (`<sil>`, `[noise]`, `++uh++`) and alternate-pronunciation marks (`record(2)`).
fn clean(hyp: &str) -> String {
    hyp.split_whitespace()
        .filter(|w| !w.starts_with(['<', '[', '+']))
        .map(|w| w.split('(').next().unwrap_or(w))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn fillers_and_pronunciation_marks_are_dropped() {
        assert_eq!(
            clean("<s> take(2) a [noise] ++uh++ picture </s>"),
            "take a picture"
        );
        assert_eq!(clean("<sil>"), "");
    }
}

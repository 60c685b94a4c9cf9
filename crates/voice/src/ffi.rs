//! Hand-written bindings to the parts of pocketsphinx 0.8+5prealpha and sphinxbase that the
//! recogniser uses (see /usr/include/pocketsphinx/pocketsphinx.h, ps_search.h and
//! sphinxbase/{cmd_ln,err}.h). Types the library owns are opaque.

use std::ffi::{c_char, c_int, c_void};
use std::marker::{PhantomData, PhantomPinned};

macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        pub struct $name {
            _data: [u8; 0],
            // Not Send, not Sync, not Unpin: only the library may move or share these.
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}

opaque!(ps_decoder_t, cmd_ln_t, arg_t);

unsafe extern "C" {
    // sphinxbase
    pub fn cmd_ln_parse_r(
        inout_cmdln: *mut cmd_ln_t,
        defn: *const arg_t,
        argc: i32,
        argv: *mut *mut c_char,
        strict: i32,
    ) -> *mut cmd_ln_t;
    pub fn cmd_ln_free_r(cmdln: *mut cmd_ln_t) -> c_int;
    /// `stream` is a `FILE *`; NULL turns logging off.
    pub fn err_set_logfp(stream: *mut c_void);

    // pocketsphinx
    pub fn ps_args() -> *const arg_t;
    pub fn ps_init(config: *mut cmd_ln_t) -> *mut ps_decoder_t;
    pub fn ps_free(ps: *mut ps_decoder_t) -> c_int;
    pub fn ps_set_jsgf_string(
        ps: *mut ps_decoder_t,
        name: *const c_char,
        jsgf_string: *const c_char,
    ) -> c_int;
    pub fn ps_set_lm_file(ps: *mut ps_decoder_t, name: *const c_char, path: *const c_char)
    -> c_int;
    pub fn ps_set_search(ps: *mut ps_decoder_t, name: *const c_char) -> c_int;
    pub fn ps_start_utt(ps: *mut ps_decoder_t) -> c_int;
    pub fn ps_process_raw(
        ps: *mut ps_decoder_t,
        data: *const i16,
        n_samples: usize,
        no_search: c_int,
        full_utt: c_int,
    ) -> c_int;
    pub fn ps_end_utt(ps: *mut ps_decoder_t) -> c_int;
    pub fn ps_get_hyp(ps: *mut ps_decoder_t, out_best_score: *mut i32) -> *const c_char;
    pub fn ps_get_n_frames(ps: *mut ps_decoder_t) -> c_int;
}

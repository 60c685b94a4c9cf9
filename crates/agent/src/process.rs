//! Child processes of the agent (the camera's and recorders' ffmpeg) must not outlive it: a
//! `kill -9` of the agent skips every destructor, and an orphaned ffmpeg would keep the camera
//! open and the next agent from starting it.

/// Asks Linux to kill the child when the agent dies, however it dies.
pub fn die_with_parent(command: &mut tokio::process::Command) {
    // SAFETY: the closure runs in the forked child before exec and only calls prctl(2), which
    // is async-signal-safe; it touches no memory shared with the parent.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

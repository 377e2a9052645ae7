//! How many files, sockets among them, the relay may hold open.
//!
//! Linux starts a process with a soft limit of 1,024 open files, far fewer than the
//! connections one relay serves (`--max-connections`, 10,000 by default), each a socket; past
//! it, accepting fails with "too many open files". The hard limit, to which a process may raise
//! its own soft limit, is usually far higher, so the relay raises it at start, as servers do.

/// Raises the soft limit on open files to the hard limit, where it is lower; returns the
/// limit now in force.
#[cfg(unix)]
pub fn raise_limit() -> std::io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` writes only the struct it is given, which outlives the call.
    #[allow(unsafe_code)]
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: `setrlimit` only reads the struct it is given. It fails, changing nothing,
        // where the hard limit is beyond what the kernel allows one process.
        #[allow(unsafe_code)]
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return Ok(raised.rlim_cur);
        }
    }
    Ok(limit.rlim_cur)
}

/// Other systems have no such limit to raise.
#[cfg(not(unix))]
pub fn raise_limit() -> std::io::Result<u64> {
    Ok(u64::MAX)
}

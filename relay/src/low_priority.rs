//! Work that can wait for the connections: loading a large group, and saving it whole for a
//! peer with nothing.
//!
//! Automerge loads a group at about 0.4 MB/s, so a 20 MB group takes a core for most of a
//! minute, and saves it whole in about 2 s. On the blocking pool a load ran as an equal of the
//! shards' threads, and a shard woken by an edit waited for the scheduler's time slice to end
//! before it had the core back: the other groups' edits took twice as long while it loaded.
//! This work runs under Linux's idle policy (`SCHED_IDLE`) instead, so any other thread that
//! wakes takes its core at once. Nice 19 is not enough: measured, it changed nothing, as a
//! niced thread still keeps its slice (docs/perf.md).

/// Runs `work` on a thread of its own under the idle scheduling policy, and returns its result
/// (or goes on with its panic).
///
/// A thread of its own because an unprivileged thread cannot leave the idle policy: set on the
/// blocking pool, it would stay for every later job there.
pub fn run<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            idle_this_thread();
            work()
        });
        worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Puts the calling thread under the idle policy. On Linux the policy is kept per thread, and
/// `0` names the calling one. A failure only leaves the thread as it was.
#[cfg(target_os = "linux")]
fn idle_this_thread() {
    let parameters = libc::sched_param { sched_priority: 0 };
    // SAFETY: `sched_setscheduler` only reads the struct it is given, which outlives the call.
    #[allow(unsafe_code)]
    let idle = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &parameters) } == 0;
    if !idle {
        tracing::debug!(error = %std::io::Error::last_os_error(), "cannot idle a loader");
    }
}

/// Elsewhere the thread keeps its priority.
#[cfg(not(target_os = "linux"))]
fn idle_this_thread() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn the_work_runs_under_the_idle_policy_and_the_caller_keeps_its_own() {
        // SAFETY: `sched_getscheduler` reads only its integer argument.
        #[allow(unsafe_code)]
        let policy = || unsafe { libc::sched_getscheduler(0) };
        let before = policy();
        assert_eq!(super::run(policy), libc::SCHED_IDLE);
        assert_eq!(policy(), before);
    }
}

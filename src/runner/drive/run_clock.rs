//! One clock for every run, whichever driver runs it: the task's time limit, the watchdog on a
//! Codex that can only report errors (it cannot reach its model), the grace a Codex has to exit
//! after its turn, and the way a run is stopped — asked first where the driver can ask, then
//! the whole process tree, SIGTERM and SIGKILL after [`KILL_AFTER`]. A driver says only what
//! asking means for it ([`Halt`]).

use std::os::unix::process::ExitStatusExt;
use std::process::Child;
use std::time::{Duration, Instant};

use super::codex_process::KILL_AFTER;
use super::run::Limits;
use crate::runner::end::outcome::{ExitInfo, RunEnd};
use crate::runner::tree::process::terminate_tree;
use crate::store::now_ms;

/// What a run's Codex is to the clock: something that ends, and can be made to. A process
/// here is stopped with its whole tree; a host's app-server by closing the session with it
/// (nothing of a host's is ever signalled from here).
pub(in crate::runner) trait Peer {
    /// How it ended, once it has.
    fn ended(&mut self) -> Option<ExitInfo>;
    /// TERM to it and all it started, KILL to what is left after the grace (or: the session
    /// closed).
    fn terminate(&mut self);
    /// Whatever is left of it, killed.
    fn kill(&mut self);
    /// It ended without this side ending it (a host's session cut); a process never is.
    fn lost(&self) -> bool {
        false
    }
}

impl Peer for Child {
    fn ended(&mut self) -> Option<ExitInfo> {
        match self.try_wait() {
            Ok(Some(status)) => Some(ExitInfo {
                code: status.code(),
                signal: status.signal(),
            }),
            _ => None,
        }
    }

    fn terminate(&mut self) {
        let _ = terminate_tree(&[self.id() as i32], None, KILL_AFTER);
    }

    fn kill(&mut self) {
        let _ = Child::kill(self);
    }
}

/// What stopping means for one driver, besides stopping the process tree.
pub(in crate::runner) trait Halt {
    /// Asks the turn to stop (app-server interrupts it); the clock then waits
    /// [`Halt::asked_grace`] before it stops the process tree.
    fn ask_to_stop(&mut self) {}
    /// How long an asked run may take to stop by itself.
    fn asked_grace(&self) -> Duration {
        Duration::ZERO
    }
    /// Each look while an ask runs, with the time since it was made.
    fn while_asked(&mut self, _since: Duration) {}
    /// The turn is over: the run may end by itself now (app-server's input is closed).
    fn turn_is_over(&mut self) {}
}

/// When things happened in a run.
pub(in crate::runner) struct RunClock {
    limits: Limits,
    turn_over_at: Option<Instant>,
    asked_at: Option<Instant>,
    term_sent_at: Option<Instant>,
}

/// What the run looks like at one look.
pub(in crate::runner) struct Look {
    /// Codex ended its turn (completed or failed).
    pub turn_over: bool,
    /// A person or a client asked to stop the task.
    pub stop_requested: bool,
    /// Since when Codex has said nothing but errors (epoch ms).
    pub erring_since: Option<u64>,
}

impl RunClock {
    pub(in crate::runner) fn new(limits: Limits) -> RunClock {
        RunClock {
            limits,
            turn_over_at: None,
            asked_at: None,
            term_sent_at: None,
        }
    }

    /// One look at the run: records in `end` what passed (the time limit, the watchdog), and
    /// stops the run as they, a stop request or a Codex lingering after its turn call for.
    pub(in crate::runner) fn tick(
        &mut self,
        peer: &mut dyn Peer,
        halt: &mut impl Halt,
        look: Look,
        end: &mut RunEnd,
    ) {
        if look.turn_over && self.turn_over_at.is_none() {
            self.turn_over_at = Some(Instant::now());
            halt.turn_is_over();
        }
        self.note_limits(&look, end);
        let must_stop = look.stop_requested || end.timed_out.is_some() || end.unreachable.is_some();
        if must_stop && self.asked_at.is_none() {
            self.asked_at = Some(Instant::now());
            halt.ask_to_stop();
        }
        if let Some(at) = self.asked_at {
            halt.while_asked(at.elapsed());
        }
        let lingering = self
            .turn_over_at
            .is_some_and(|t| t.elapsed() >= self.limits.exit_grace);
        let asked_enough = self
            .asked_at
            .is_some_and(|t| t.elapsed() >= halt.asked_grace());
        if (lingering || asked_enough) && self.term_sent_at.is_none() {
            end.stopped_after_turn = lingering && !look.stop_requested;
            // TERM to Codex and every descendant, KILL to what is left after the grace.
            peer.terminate();
            self.term_sent_at = Some(Instant::now());
        }
        if self.term_sent_at.is_some_and(|t| t.elapsed() >= KILL_AFTER) {
            peer.kill();
        }
    }

    /// The time limit and the watchdog, each noted once when it passes.
    fn note_limits(&self, look: &Look, end: &mut RunEnd) {
        if let Some((seconds, at)) = self.limits.deadline
            && end.timed_out.is_none()
            && Instant::now() >= at
        {
            end.timed_out = Some(seconds);
        }
        let unreachable = self.limits.unreachable;
        if look
            .erring_since
            .is_some_and(|since| now_ms().saturating_sub(since) >= unreachable.as_millis() as u64)
            && end.unreachable.is_none()
        {
            end.unreachable = Some(unreachable.as_secs());
        }
    }
}

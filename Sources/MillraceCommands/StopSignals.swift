import Dispatch
import Foundation
import SystemIO
import Training

/// The signals that stop a training run the way Ctrl-C does: SIGINT (Ctrl-C), SIGTERM (Docker,
/// Kubernetes, Slurm, `timeout`), SIGHUP (a closed terminal) and SIGUSR1 (Slurm's `--signal`,
/// and what mpirun forwards to the ranks). Each becomes a `StopRequest`: the run finishes or
/// abandons its step (a wait for data is woken), saves a checkpoint of the last step taken,
/// writes its report and exits with `128 + signal` (130, 143, 129, 138). Under mpirun the ranks
/// exit 130 whatever the signal: mpirun turns Ctrl-C into SIGTERM for them, and it reports
/// their status as its own after a forwarded SIGUSR1 (scripts/mpirun.sh maps it back).
///
/// A signal that comes before training has begun (while the data is opened, say) has nothing
/// to save: the process exits at once with `128 + signal`.
enum StopSignals {
    /// Installs the handlers (`StopRequest.onStoppingSignals`) and returns the request they
    /// make. `quiet`: no line when a signal ends the process before training.
    static func install(quiet: Bool) -> StopRequest {
        StopRequest.onStoppingSignals(quiet: quiet)
    }

    /// The exit status after `stop` ended a run: `128 + signal`, or 130 for every signal under
    /// mpirun (see the type's documentation).
    static func exitStatus(of stop: StopRequest, underLauncher: Bool) -> Int32 {
        guard !underLauncher, let number = stop.reason, number > 0 else { return 128 + SIGINT }
        return 128 + number
    }
}

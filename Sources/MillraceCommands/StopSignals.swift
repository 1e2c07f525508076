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
    /// The signals handled.
    static let numbers: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGUSR1]
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the handlers and returns the request they make. `quiet`: no line when a signal
    /// ends the process before training.
    static func install(quiet: Bool) -> StopRequest {
        let stop = StopRequest()
        for number in numbers {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                guard !stop.isRequested else { return }  // a second signal while saving changes nothing
                if !stop.request(reason: number) {
                    if !quiet { StandardStreams.write("stopped by \(name(of: number)) before training began; nothing to save\n") }
                    // _exit: no atexit handlers racing the main thread, which is still opening the data.
                    _exit(128 + number)
                }
            }
            source.resume()
            sources.append(source)
        }
        return stop
    }

    /// The exit status after `stop` ended a run: `128 + signal`, or 130 for every signal under
    /// mpirun (see the type's documentation).
    static func exitStatus(of stop: StopRequest, underLauncher: Bool) -> Int32 {
        guard !underLauncher, let number = stop.reason, number > 0 else { return 128 + SIGINT }
        return 128 + number
    }

    /// `SIGTERM`, `SIGINT`, ... for a signal number.
    static func name(of number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        case SIGUSR1: "SIGUSR1"
        default: "signal \(number)"
        }
    }
}

import Dispatch
import Foundation
import SystemIO

extension StopRequest {
    /// The signals that stop training after saving a checkpoint: SIGINT (Ctrl-C), SIGTERM,
    /// SIGHUP and SIGUSR1.
    public static let stoppingSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGUSR1]
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// A stop request made by the stopping signals (the signal number is its reason), for a
    /// program that wants Ctrl-C and SIGTERM to save a checkpoint and stop (`millrace train`
    /// does; a library caller opts in). A second signal while saving changes nothing. A signal
    /// before training began ends the process at once with status 128 + signal, after one line
    /// on standard error unless `quiet` (there is nothing to save yet). Call once per process.
    public static func onStoppingSignals(quiet: Bool = false) -> StopRequest {
        let stop = StopRequest()
        for number in stoppingSignals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                guard !stop.isRequested else { return }
                if !stop.request(reason: number) {
                    if !quiet { StandardStreams.write("stopped by \(signalName(number)) before training began; nothing to save\n") }
                    // _exit: no atexit handlers racing the main thread, which is still opening the data.
                    _exit(128 + number)
                }
            }
            source.resume()
            sources.append(source)
        }
        return stop
    }

    /// `SIGINT`, `SIGTERM`, `SIGHUP`, `SIGUSR1`, or `signal N`.
    public static func signalName(_ number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        case SIGUSR1: "SIGUSR1"
        default: "signal \(number)"
        }
    }
}

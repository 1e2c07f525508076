import ArgumentParser
import XCTest

@testable import MillraceCommands

/// `--help` paragraphs are written unwrapped, so the argument parser's own wrapping at the
/// terminal's width never breaks a sentence in the middle of a line.
final class HelpTextTests: XCTestCase {
    /// At 400 columns every paragraph of each long discussion is one line: a sentence that spans
    /// several source lines comes out whole, and no line of the help is left ending mid-sentence.
    func testDiscussionsAreUnwrappedParagraphs() {
        let cases: [(any ParsableCommand.Type, String)] = [
            (TrainCommand.self, "save a checkpoint of the last step taken and stop (exit status 128 + signal: 130, 143, 129, 138), also"),
            (PackCommand.self, "Samples are shuffled with a seed unless --keep-order is given"),
            (ReportCommand.self, "The page has inline SVG and CSS only: it opens offline in any browser and prints."),
            (BenchTrainCommand.self, "-> conv3x3(64)+ReLU+maxpool2 -> dense(4096->128)+ReLU"),
        ]
        for (command, sentence) in cases {
            let help = MillraceCommand.helpMessage(for: command, columns: 400)
            XCTAssertTrue(help.contains(sentence), "\(command): \(help)")
        }
    }
}

import Foundation

/// A predicted-vs-true scatter plot as an inline SVG element: one dot per sample (true value
/// across, prediction up), both axes on the same scale, and the diagonal where a perfect model's
/// dots would lie. Each dot's `<title>` gives its two values (a browser shows it on hover).
struct SVGScatterPlot {
    /// The chart's title (also the SVG's accessible name).
    var title: String
    /// The true values.
    var truth: [Double]
    /// The predictions, one per true value.
    var predicted: [Double]
    /// The most dots drawn (evenly thinned, in sample order, beyond it).
    var limit = 2000

    private let size = 420.0
    private let left = 64.0
    private let right = 16.0
    private let top = 36.0
    private let bottom = 44.0

    /// The indices of the samples drawn: all of them, or `limit` spread evenly over them.
    var drawn: [Int] {
        let count = min(truth.count, predicted.count)
        guard count > limit, limit > 1 else { return Array(0..<count) }
        let stride = Double(count - 1) / Double(limit - 1)
        return (0..<limit).map { Int((Double($0) * stride).rounded()) }
    }

    /// The SVG markup; a plot without finite points says so.
    func svg() -> String {
        let points = drawn.map { (truth[$0], predicted[$0]) }.filter { $0.0.isFinite && $0.1.isFinite }
        let name = HTMLText.escape(title)
        let width = size + left + right - 64
        let height = size
        var out =
            #"<svg xmlns="http://www.w3.org/2000/svg" class="chart scatter" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-label="\#(name)">"#
        out += "<title>\(name)</title>"
        out += #"<text x="\#(Int(left))" y="20" class="chart-title">\#(name)</text>"#
        let values = points.flatMap { [$0.0, $0.1] }
        guard let lowest = values.min(), let highest = values.max() else {
            out += #"<text x="\#(Int(width / 2))" y="\#(Int(height / 2))" text-anchor="middle" class="chart-empty">no samples</text></svg>"#
            return out
        }
        let (low, high, ticks) = SVGLineChart.axis(lowest, highest)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - low) / (high - low) * plotWidth }
        func py(_ y: Double) -> Double { height - bottom - (y - low) / (high - low) * plotHeight }
        let c = HTMLText.coordinate
        for tick in ticks {
            out += #"<line x1="\#(c(left))" x2="\#(c(width - right))" y1="\#(c(py(tick)))" y2="\#(c(py(tick)))" class="grid"/>"#
            out += #"<text x="\#(c(left - 6))" y="\#(c(py(tick) + 4))" text-anchor="end" class="tick">\#(SVGLineChart.plain(tick))</text>"#
            out += #"<text x="\#(c(px(tick)))" y="\#(c(height - bottom + 16))" text-anchor="middle" class="tick">\#(SVGLineChart.plain(tick))</text>"#
        }
        out += #"<line x1="\#(c(left))" x2="\#(c(left))" y1="\#(c(top))" y2="\#(c(height - bottom))" class="axis"/>"#
        out += #"<line x1="\#(c(left))" x2="\#(c(width - right))" y1="\#(c(height - bottom))" y2="\#(c(height - bottom))" class="axis"/>"#
        out += #"<text x="\#(c((left + width - right) / 2))" y="\#(c(height - 8))" text-anchor="middle" class="label">true value</text>"#
        out +=
            #"<text transform="translate(14 \#(c((top + height - bottom) / 2))) rotate(-90)" text-anchor="middle" class="label">predicted value</text>"#
        out +=
            #"<line x1="\#(c(px(low)))" y1="\#(c(py(low)))" x2="\#(c(px(high)))" y2="\#(c(py(high)))" stroke="\#(SVGScatterPlot.diagonalColor)" stroke-width="1" stroke-dasharray="5 4"><title>predicted = true</title></line>"#
        let radius = points.count > 500 ? "1.8" : "2.6"
        for (truth, predicted) in points {
            out +=
                #"<circle cx="\#(c(px(truth)))" cy="\#(c(py(predicted)))" r="\#(radius)" fill="\#(SVGScatterPlot.dotColor)" fill-opacity="0.55"><title>true \#(SVGScatterPlot.value(truth)), predicted \#(SVGScatterPlot.value(predicted))</title></circle>"#
        }
        return out + "</svg>"
    }

    /// The diagonal's and the dots' colours.
    static let diagonalColor = "#a1a1aa"
    static let dotColor = "#2563eb"

    /// A value as the dots' titles give it: up to nine significant digits (a Float's value exactly enough to compare).
    static func value(_ value: Double) -> String { String(format: "%.9g", value) }
}

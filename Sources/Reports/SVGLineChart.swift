import Foundation

/// A line chart as a self-contained inline SVG element: axes with rounded ticks, one polyline per
/// series (markers where a series has few points), a legend, and a `<title>` for screen readers.
struct SVGLineChart {
    /// One line.
    struct Series {
        /// The legend's text.
        var name: String
        /// The points, in x order.
        var points: [(x: Double, y: Double)]
        /// A CSS colour.
        var color: String
        /// Drawn dashed.
        var dashed = false
    }

    /// The chart's title (also the SVG's accessible name).
    var title: String
    /// The x axis's label.
    var xLabel: String
    /// The y axis's label.
    var yLabel: String
    /// The lines.
    var series: [Series]
    /// Formats y tick values.
    var format: (Double) -> String = SVGLineChart.plain
    /// Whether the y axis starts at zero.
    var fromZero = false

    private let width = 640.0
    private let height = 300.0
    private let left = 64.0
    private let right = 16.0
    private let top = 36.0
    private let bottom = 44.0

    /// The SVG markup; a chart without points says so in its plot area.
    func svg() -> String {
        let visible = series.map { line in
            Series(name: line.name, points: line.points.filter { $0.x.isFinite && $0.y.isFinite }, color: line.color, dashed: line.dashed)
        }
        .filter { !$0.points.isEmpty }
        let all = visible.flatMap(\.points)
        let name = HTMLText.escape(title)
        var out =
            #"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-label="\#(name)">"#
        out += "<title>\(name)</title>"
        out += #"<text x="\#(Int(left))" y="20" class="chart-title">\#(name)</text>"#
        guard let firstX = all.map(\.x).min(), let maxX = all.map(\.x).max(), var minY = all.map(\.y).min(), var maxY = all.map(\.y).max()
        else {
            out += #"<text x="\#(Int(width / 2))" y="\#(Int(height / 2))" text-anchor="middle" class="chart-empty">nothing logged</text></svg>"#
            return out
        }
        let minX = min(0, firstX)  // steps count from 0
        if fromZero { minY = min(0, minY) }
        let yTicks: [Double]
        (minY, maxY, yTicks) = SVGLineChart.axis(minY, maxY)
        let xTicks = SVGLineChart.ticks(minX, maxX == minX ? minX + 1 : maxX).filter { $0 >= minX && $0 <= max(maxX, minX + 1) }
        let spanX = max(maxX - minX, 1)
        func px(_ x: Double) -> Double { left + (x - minX) / spanX * (width - left - right) }
        func py(_ y: Double) -> Double { height - bottom - (y - minY) / (maxY - minY) * (height - top - bottom) }
        let c = HTMLText.coordinate
        for tick in yTicks {
            out += #"<line x1="\#(c(left))" x2="\#(c(width - right))" y1="\#(c(py(tick)))" y2="\#(c(py(tick)))" class="grid"/>"#
            out += #"<text x="\#(c(left - 6))" y="\#(c(py(tick) + 4))" text-anchor="end" class="tick">\#(HTMLText.escape(format(tick)))</text>"#
        }
        for tick in xTicks {
            out += #"<text x="\#(c(px(tick)))" y="\#(c(height - bottom + 16))" text-anchor="middle" class="tick">\#(SVGLineChart.plain(tick))</text>"#
        }
        out += #"<line x1="\#(c(left))" x2="\#(c(left))" y1="\#(c(top))" y2="\#(c(height - bottom))" class="axis"/>"#
        out += #"<line x1="\#(c(left))" x2="\#(c(width - right))" y1="\#(c(height - bottom))" y2="\#(c(height - bottom))" class="axis"/>"#
        out +=
            #"<text x="\#(c((left + width - right) / 2))" y="\#(c(height - 8))" text-anchor="middle" class="label">\#(HTMLText.escape(xLabel))</text>"#
        out +=
            #"<text transform="translate(14 \#(c((top + height - bottom) / 2))) rotate(-90)" text-anchor="middle" class="label">\#(HTMLText.escape(yLabel))</text>"#
        for line in visible {
            let points = line.points.map { "\(c(px($0.x))),\(c(py($0.y)))" }.joined(separator: " ")
            let dash = line.dashed ? #" stroke-dasharray="6 4""# : ""
            out += #"<polyline points="\#(points)" fill="none" stroke="\#(line.color)" stroke-width="1.6"\#(dash)/>"#
            if line.points.count <= 60 {
                for point in line.points {
                    out += #"<circle cx="\#(c(px(point.x)))" cy="\#(c(py(point.y)))" r="2.5" fill="\#(line.color)"/>"#
                }
            }
        }
        var legendX = width - right
        for line in visible.reversed() {
            let label = HTMLText.escape(line.name)
            legendX -= Double(line.name.count) * 6.5 + 28
            out += #"<rect x="\#(c(legendX))" y="12" width="12" height="4" fill="\#(line.color)"/>"#
            out += #"<text x="\#(c(legendX + 16))" y="18" class="legend">\#(label)</text>"#
        }
        return out + "</svg>"
    }

    /// An axis over `[low, high]`: widened when the range is empty (by a tenth of the value, at
    /// least 1e-3, each way), then to its round ticks' ends; returns the bounds and the ticks.
    static func axis(_ low: Double, _ high: Double) -> (low: Double, high: Double, ticks: [Double]) {
        var (low, high) = (low, high)
        if high - low < 1e-12 {
            let pad = max(abs(high) * 0.1, 1e-3)
            low -= pad
            high += pad
        }
        let marks = ticks(low, high)
        return (min(low, marks.first ?? low), max(high, marks.last ?? high), marks)
    }

    /// Round tick values covering `[low, high]`: steps of 1, 2 or 5 times a power of ten, about five.
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        guard low.isFinite, high.isFinite, high > low else { return [low] }
        let rough = (high - low) / 5
        let power = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough } ?? 10 * power
        let first = floor(low / step) * step
        var ticks: [Double] = []
        var value = first
        while value <= high + step * 0.5 && ticks.count < 20 {
            ticks.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return ticks
    }

    /// A tick value: an integer without decimals, else up to four significant digits.
    static func plain(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        return String(format: "%.4g", value)
    }

    /// A fraction as a percentage.
    static func percent(_ value: Double) -> String { plain((value * 10).rounded() / 10) + "%" }
}

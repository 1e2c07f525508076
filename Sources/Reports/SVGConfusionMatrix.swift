import Foundation

/// A confusion matrix as an inline SVG heat map: one row per true class, one column per predicted
/// class, each cell shaded by its share of the row and labelled with its count.
struct SVGConfusionMatrix {
    /// `confusion[true][predicted]`.
    var confusion: [[Int]]
    /// The class names, in index order.
    var classNames: [String]

    /// The SVG markup.
    func svg() -> String {
        let count = confusion.count
        let cell = count <= 12 ? 36.0 : max(8, 432 / Double(max(count, 1)))
        let showNumbers = cell >= 24
        let labelWidth = min(140, 8 + 7 * Double(classNames.map(\.count).max() ?? 1))
        let left = labelWidth + 24
        let top = 64.0
        let width = left + cell * Double(count) + 12
        let height = top + cell * Double(count) + 12
        let c = HTMLText.coordinate
        var out = #"<svg xmlns="http://www.w3.org/2000/svg" class="matrix" viewBox="0 0 \#(c(width)) \#(c(height))" "#
        out += #"width="\#(c(width))" role="img" aria-label="Confusion matrix">"#
        out += "<title>Confusion matrix: rows are true classes, columns predicted classes</title>"
        out += #"<text x="\#(c(left))" y="16" class="label">predicted class →</text>"#
        out +=
            #"<text transform="translate(12 \#(c(top + cell * Double(count) / 2))) rotate(-90)" text-anchor="middle" class="label">true class →</text>"#
        for index in 0..<count {
            let name = HTMLText.escape(index < classNames.count ? classNames[index] : "\(index)")
            let x = left + cell * (Double(index) + 0.5)
            out +=
                #"<text x="\#(c(x))" y="\#(c(top - 8))" text-anchor="start" transform="rotate(-45 \#(c(x)) \#(c(top - 8)))" class="tick">\#(name)</text>"#
            out += #"<text x="\#(c(left - 6))" y="\#(c(top + cell * (Double(index) + 0.5) + 4))" text-anchor="end" class="tick">\#(name)</text>"#
        }
        let grid = "#d4d4d8"
        let names = (0..<count).map { HTMLText.escape($0 < classNames.count ? classNames[$0] : "\($0)") }
        for (row, counts) in confusion.enumerated() {
            let total = max(counts.reduce(0, +), 1)
            for (column, value) in counts.enumerated() {
                let share = Double(value) / Double(total)
                // Diagonal cells in blue, errors in red; white for none.
                let hue = row == column ? "37,99,235" : "220,38,38"
                let x = left + cell * Double(column)
                let y = top + cell * Double(row)
                out +=
                    #"<rect x="\#(c(x))" y="\#(c(y))" width="\#(c(cell))" height="\#(c(cell))" fill="rgb(\#(hue))" fill-opacity="\#(c(value == 0 ? 0 : 0.08 + 0.92 * share))" stroke="\#(grid)" stroke-width="0.5"><title>true \#(names[row]), predicted \#(names[column]): \#(value)</title></rect>"#
                if showNumbers && value > 0 {
                    let ink = share > 0.55 ? "#ffffff" : "#18181b"
                    out +=
                        #"<text x="\#(c(x + cell / 2))" y="\#(c(y + cell / 2 + 4))" text-anchor="middle" class="cell" fill="\#(ink)">\#(value)</text>"#
                }
            }
        }
        return out + "</svg>"
    }
}

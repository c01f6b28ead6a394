import Foundation
import XinyongModel

/// Charts as inline SVG drawn on the server, sized for a phone: the drawing is 400 units wide, so at 390 px
/// the labels stay about 12 px. Every text in them is escaped.
enum SVGChart {
    /// A line over months. Month labels are thinned so that they never overlap, and the last one is
    /// anchored at its end so that it is never clipped.
    static func line(_ points: [(String, Double)], title: String, inverted: Bool, format: (Double) -> String) -> String {
        let width = 400.0, height = 220.0, left = 40.0, right = 16.0, top = 14.0, bottom = 30.0
        let values = points.map(\.1), labels = points.map(\.0)
        let open = opening(title, width: width, height: height)
        guard let lo = values.min(), let hi = values.max() else {
            return open + "<text x=\"\(Int(width / 2))\" y=\"\(Int(height / 2))\" class=\"tick\" text-anchor=\"middle\">无</text></svg>"
        }
        let pad = max((hi - lo) * 0.1, inverted ? 1 : 0.5)
        let yMin = inverted ? max(lo - pad, 0.5) : lo - pad, yMax = hi + pad
        let plot = width - left - right
        let x = { (i: Int) in left + (values.count == 1 ? plot / 2 : Double(i) * plot / Double(values.count - 1)) }
        let y = { (v: Double) -> Double in
            let t = (v - yMin) / (yMax - yMin)
            return inverted ? top + t * (height - top - bottom) : height - bottom - t * (height - top - bottom)
        }
        var svg = open
        for tick in [yMin, (yMin + yMax) / 2, yMax] {
            let ty = String(format: "%.1f", y(tick))
            svg += "<line x1=\"\(Int(left))\" x2=\"\(Int(width - right))\" y1=\"\(ty)\" y2=\"\(ty)\" class=\"grid\"/>"
            svg += "<text x=\"\(Int(left - 4))\" y=\"\(ty)\" class=\"tick\" text-anchor=\"end\" dominant-baseline=\"middle\">\(format(tick))</text>"
        }
        let f = { (v: Double) in String(format: "%.1f", v) }
        let path = values.indices.map { "\($0 == 0 ? "M" : "L")\(f(x($0))),\(f(y(values[$0])))" }.joined(separator: " ")
        svg += "<path d=\"\(path)\" class=\"series\"/>"
        // A label is about 50 units wide ("2019-03" at 12 units): keep at least 56 between label centres.
        let spacing = values.count > 1 ? plot / Double(values.count - 1) : plot
        let every = max(1, Int((56 / spacing).rounded(.up)))
        let last = values.count - 1
        for i in values.indices {
            svg += "<circle cx=\"\(f(x(i)))\" cy=\"\(f(y(values[i])))\" r=\"3\" class=\"dot\"><title>\(labels[i])：\(format(values[i]))</title></circle>"
            let shown = i == last || (i % every == 0 && last - i >= every)
            if shown {
                let anchor = i == last && values.count > 1 ? "end" : i == 0 && values.count > 1 ? "start" : "middle"
                svg += "<text x=\"\(f(x(i)))\" y=\"\(f(height - 10))\" class=\"tick\" text-anchor=\"\(anchor)\">\(labels[i])</text>"
            }
        }
        return svg + "</svg>"
    }

    /// Horizontal bars, one per row, the highlighted rows drawn in the brand colour: a small multiple that
    /// compares one figure across parks and the city.
    static func bars(_ rows: [(label: String, value: Double, highlighted: Bool)], title: String, format: (Double) -> String) -> String {
        let width = 400.0, rowHeight = 24.0, left = 132.0, right = 56.0, top = 6.0
        let height = top * 2 + rowHeight * Double(max(rows.count, 1))
        var svg = opening(title, width: width, height: height)
        let largest = max(rows.map(\.value).max() ?? 0, 0)
        let scale = largest > 0 ? (width - left - right) / largest : 0
        let f = { (v: Double) in String(format: "%.1f", v) }
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            let label = row.label.count > 9 ? String(row.label.prefix(8)) + "…" : row.label
            svg += "<text x=\"\(Int(left - 6))\" y=\"\(f(y + rowHeight / 2))\" class=\"tick\" text-anchor=\"end\" dominant-baseline=\"middle\">\(label.htmlEscaped)<title>\(row.label.htmlEscaped)</title></text>"
            let length = max(row.value, 0) * scale
            svg += "<rect x=\"\(Int(left))\" y=\"\(f(y + 4))\" width=\"\(f(length))\" height=\"\(f(rowHeight - 8))\" class=\"\(row.highlighted ? "bar own" : "bar")\"/>"
            svg += "<text x=\"\(f(left + length + 4))\" y=\"\(f(y + rowHeight / 2))\" class=\"tick\" dominant-baseline=\"middle\">\(format(row.value))</text>"
        }
        return svg + "</svg>"
    }

    private static func opening(_ title: String, width: Double, height: Double) -> String {
        "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(title.htmlEscaped)\" xmlns=\"http://www.w3.org/2000/svg\"><title>\(title.htmlEscaped)</title>"
    }
}

